"""The `dto` setting: "msgspec" (default) or "pydantic"; anything else is one clear line. It
chooses the DTO modules' template only: the other outputs are the same for both (the golden case
tests/golden/pydantic_on and tests/behaviour/test_pydantic_dtos.py check the pydantic output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sublimate.introspect.models import build_schema
from sublimate.render import Renderer, jobs
from sublimate.settings import DTO_KINDS, SettingsError, load


def _project(tmp_path: Path, dto: str | None) -> Path:
    line = f'dto = "{dto}"\n' if dto is not None else ""
    (tmp_path / "pyproject.toml").write_text(f'[tool.sublimate]\nmodels = "m"\n{line}')
    return tmp_path


def test_msgspec_is_the_default_and_pydantic_is_accepted(tmp_path: Path) -> None:
    assert DTO_KINDS == ("msgspec", "pydantic")
    assert load(_project(tmp_path, None), {}).dto == "msgspec"
    assert load(_project(tmp_path, "pydantic"), {}).dto == "pydantic"


@pytest.mark.parametrize("value", ["attrs", "Pydantic", ""])
def test_another_library_is_one_line_naming_the_valid_ones(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load(_project(tmp_path, value), {})
    message = str(raised.value)
    assert "\n" not in message
    assert message == f"[tool.sublimate] dto must be one of msgspec, pydantic, not {value!r}"


def test_a_non_string_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sublimate]\nmodels = "m"\ndto = 2\n')
    with pytest.raises(SettingsError, match="dto must be a str"):
        load(tmp_path, {})


def test_only_the_dto_modules_differ_and_say_so(tmp_path: Path) -> None:
    """The same files either way; only dtos/<model>.py (and the DTO package's title) differ:
    the services, repositories and web layers take either flavour as they are."""
    schema = build_schema("fixtures_models.shop")
    bodies: dict[str, dict[str, str]] = {}
    for dto in DTO_KINDS:
        settings = load(_project(tmp_path, dto), {})
        renderer = Renderer(schema, settings)
        planned = jobs(schema, settings)
        bodies[dto] = {job.path: renderer.body(job) for job in planned if not job.output.user}
    msgspec, pydantic = bodies["msgspec"], bodies["pydantic"]
    assert msgspec.keys() == pydantic.keys()
    changed = sorted(path for path in msgspec if msgspec[path] != pydantic[path])
    modules = sorted(f"dtos/{e.names.module}.py" for e in schema.entities)
    assert changed == sorted(["dtos/__init__.py", *modules])
    for path in modules:
        assert "msgspec" not in pydantic[path]
        assert "(InputModel):" in pydantic[path] and "(ReadModel):" in pydantic[path]
        assert "msgspec.Struct" in msgspec[path]
    order = pydantic["dtos/order.py"]
    # unformatted (the formatter's quotes come later)
    # the alias in the annotation: every schema says "and", type checkers keep `and_=`
    assert "and_: Annotated[list[OrderFilter] | None, Field(alias='and')] = None" in order
    assert '@model_validator(mode="after")' in order
    assert order.rstrip().endswith("from .. import dtos as _dtos  # noqa: E402")
