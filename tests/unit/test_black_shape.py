"""black_shape.fold prints black's own output for the shapes templates print on one line, so black
formats a generated module once (it formats twice whenever its first pass changes anything)."""

from __future__ import annotations

import black

from sublimate.black_shape import fold

_MODE = black.Mode(target_versions={black.mode.TargetVersion.PY311}, line_length=88)

# One line per statement, single quotes, no blank line after a class docstring: as rendered.
_RENDERED = '''"""A module."""

from sublimate_runtime import UNSET, EqFilter, NullableRangeFilter, RangeFilter, UnsetType, check_filter_tree
from ..models.address_branch import AddressBranch


class AddressBranchRepository(IdRepository[AddressBranch, AddressBranchFilter, AddressBranchOrder, AddressBranchUpdate, AddressBranchKey, int]):
    """Rows."""
    pass


class AddressBranch(Base):
    """Table."""
    __table_args__ = (sa.Index('ix_address_branchs_resource_source_id', 'resource_source_id'), sa.CheckConstraint('"seat_enum" IN (\\'void\\', \\'new\\')'))
    resource_source_id: Mapped[int | None] = mapped_column(sa.INTEGER(), sa.ForeignKey('resource_sources.id'))
    rule_employees_by_subscription_contract_2: Mapped[list[RuleEmployee]] = relationship(foreign_keys='RuleEmployee.subscription_contract_2_id', back_populates='subscription_contract_2')
    subscription_varchar: Annotated[Text, Meta(max_length=100)] | UnsetType | None = UNSET
    COMMENT_TENANTS__VISIT_PROMOTIONS_BY_COMMENT_TENANT = 'comment_tenants.visit_promotions_by_comment_tenant'

    def get_by_email(self, email: str, *, include_deleted: bool = False, load: Load[CustomerLoad] = None) -> Customer | None:
        return self._get_by('email', (email,), include_deleted, load)

    def one_parameter_with_a_long_name(self_with_a_very_long_name_indeed_to_force_it) -> Customer | None:
        return AddressBranchRead(id=instance.id, resource_source_id=instance.resource_source_id, ledger_bigint=instance.ledger_bigint)

    value = first_option_of_the_configuration('name') or second_option_of_the_configuration('x')



X = """kept


as written"""
'''  # noqa: E501


def test_the_rendered_shapes_fold_to_blacks_output() -> None:
    folded = fold(_RENDERED, 88)
    expected = black.format_str(_RENDERED, mode=_MODE)
    assert black.format_str(folded, mode=_MODE) == expected
    # up to the `or` line (left whole: black splits it), printed as black prints it
    cut = "    value = first_option"
    assert folded.index(cut) == expected.index(cut)
    assert folded[: folded.index(cut)] == expected[: expected.index(cut)]
    assert folded != expected


def test_a_strings_lines_and_a_short_module_are_left_as_they_are() -> None:
    source = 'X = """a\n\n\n\nb"""\n\n\n\nY = \'y\'\n'
    folded = fold(source, 88)
    assert 'X = """a\n\n\n\nb"""' in folded  # a string's blank lines are its text
    assert folded == black.format_str(source, mode=_MODE)


def test_an_empty_module_stays_empty() -> None:
    for source in ("", "\n", "\n\n"):
        assert black.format_str(fold(source, 88), mode=_MODE) == black.format_str(
            source, mode=_MODE
        )


def test_folding_keeps_the_code() -> None:
    folded = fold(_RENDERED, 88)
    assert ast_dump(folded) == ast_dump(_RENDERED)


def ast_dump(source: str) -> str:
    import ast

    return ast.dump(ast.parse(source))


def test_a_line_that_closes_brackets_opened_above_is_left_to_black() -> None:
    # a typed query's `sa.text(` literal lines `).bindparams(...).columns(...)`: not an element
    source = (
        "X = sa.text(\n"
        '    "select 1"\n'
        ').bindparams(sa.bindparam("aaaaaaaaaa", type_=sa.String()),'
        ' sa.bindparam("bbbbbbbbbbbbbbbbbb", type_=sa.Integer())).columns(sa.column("c"))\n'
    )
    folded = fold(source, 88)
    assert ast_dump(folded) == ast_dump(source)
    assert black.format_str(folded, mode=_MODE) == black.format_str(source, mode=_MODE)


def test_a_fold_that_would_change_the_code_is_dropped() -> None:
    from sublimate import black_shape

    assert black_shape._same_code("x = f(a)\n", "x = f(\n    a\n)\n")
    assert not black_shape._same_code("x = f(a)\n", "x = (f(a),)\n")
    assert not black_shape._same_code("x = f(a)\n", "x = f(a\n")
