"""Issue 14's house rules for the generator's own code, kept by a test instead of by memory:
no module over 600 lines and no function over 80 (a reader holds either in one sitting), and
templates that only print (a `{% set %}` holding a code fragment, or code glued with `~`, hides
the output's shape from whoever reads the template). Each rule is a function over source text,
so that the tests below prove it able to fail before they run it over the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .helpers import ROOT

PACKAGES = (ROOT / "sublimate", ROOT / "runtime" / "sublimate_runtime")
TEMPLATES = ROOT / "sublimate" / "templates"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_RAW = re.compile(r"(\{%[-+]?\s*raw\s*[-+]?%\}).*?(\{%[-+]?\s*endraw\s*[-+]?%\})", re.DOTALL)
_TAG = re.compile(r"\{\{(?P<print>.*?)\}\}|\{%(?P<statement>.*?)%\}", re.DOTALL)
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'", re.DOTALL)
_SET = re.compile(r"^[-+]?\s*set\s+(?P<name>\w+)\s*=\s*(?P<value>.*?)\s*-?$", re.DOTALL)
# The value of a `set` once its string literals are `S`: `S`, `S if <test>` or `S if <test> else S`.
_CODE_VALUE = re.compile(r"^S(?:\s+if\s+(?:(?!\belse\b).)+?(?:\s+else\s+S)?)?$", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    """Text that no rule should read, replaced by its newlines only: line numbers stay right."""
    return "\n" * match.group(0).count("\n")


def _blank_strings(text: str) -> str:
    return _STRING.sub(lambda m: "S" + _blank(m), text)


def module_too_long(source: str, limit: int = MAX_MODULE_LINES) -> int | None:
    """The module's line count when over `limit`, else None."""
    lines = len(source.splitlines())
    return lines if lines > limit else None


def functions_too_long(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """(qualified name, first line, size) of every function or method over `limit` lines,
    nested ones included: a long helper inside a function is as hard to read."""
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    assert child.end_lineno is not None
                    size = child.end_lineno - child.lineno + 1
                    if size > limit:
                        found.append((name, child.lineno, size))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def template_code(source: str) -> list[tuple[int, str]]:
    """(line, problem) for each `{% set NAME = <string literal, or a conditional of them> %}`
    and each `~` in a `{{ }}` or `{% %}` tag; comments and raw blocks are not Jinja code."""
    text = _RAW.sub(_blank, _COMMENT.sub(_blank, source))
    found: list[tuple[int, str]] = []
    for tag in _TAG.finditer(text):
        line = text.count("\n", 0, tag.start()) + 1
        inside = tag.group("print") if tag.group("print") is not None else tag.group("statement")
        code = _blank_strings(inside)
        declared = _SET.match(code) if tag.group("statement") is not None else None
        if declared is not None and _CODE_VALUE.match(declared.group("value")):
            found.append((line, f"`{{% set {declared.group('name')} = ... %}}` holds code"))
        if "~" in code:
            where = line + code.count("\n", 0, code.index("~"))
            found.append((where, "`~` concatenates code"))
    return found


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in package.rglob("*.py"))


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.jinja"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_rules_see_the_code_they_guard() -> None:
    """An empty scan passes every rule: the paths must still find the code."""
    assert len(_modules()) > 50
    assert len(_templates()) > 20
    assert all(package.is_dir() for package in PACKAGES)


def test_no_module_over_600_lines() -> None:
    problems = [
        f"{_name(path)}:1: {size} lines (at most {MAX_MODULE_LINES})"
        for path in _modules()
        if (size := module_too_long(path.read_text(encoding="utf-8"))) is not None
    ]
    assert not problems, "modules too long, split them:\n" + "\n".join(problems)


def test_no_function_over_80_lines() -> None:
    problems = [
        f"{_name(path)}:{line}: {name} is {size} lines (at most {MAX_FUNCTION_LINES})"
        for path in _modules()
        for name, line, size in functions_too_long(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "functions too long, split them:\n" + "\n".join(problems)


def test_templates_only_print() -> None:
    problems = [
        f"{_name(path)}:{line}: {problem}; print it in place"
        ' (`{% if is_async %}await {% endif %}` or `{{ "await " if is_async }}`)'
        for path in _templates()
        for line, problem in template_code(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "templates that build code:\n" + "\n".join(problems)


def test_a_long_module_is_caught() -> None:
    assert module_too_long("x = 1\n" * 601) == 601
    assert module_too_long("x = 1\n" * 600) is None
    assert module_too_long("x = 1\n" * 11, limit=10) == 11


def _function(name: str, lines: int, indent: str = "") -> str:
    """A function of exactly `lines` lines (its `def` included)."""
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(lines - 2))
    return f"{indent}def {name}() -> int:\n{body}{indent}    return 0\n"


def test_a_long_function_is_caught_with_its_line_and_size() -> None:
    source = "import os\n\n" + _function("short", 80) + "\n" + _function("long", 81)
    assert functions_too_long(source) == [("long", 84, 81)]


def test_a_long_method_and_a_long_nested_function_are_caught() -> None:
    method = "class Shop:\n" + _function("handle", 81, indent="    ")
    assert functions_too_long(method) == [("Shop.handle", 2, 81)]
    nested = "async def outer() -> None:\n" + _function("inner", 81, indent="    ")
    assert functions_too_long(nested) == [("outer", 1, 82), ("outer.inner", 2, 81)]


SET_AW = "`{% set aw = ... %}` holds code"
TILDE = "`~` concatenates code"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{% set aw = "await " if is_async else "" %}\n', [(1, SET_AW)]),
        ("x\n{%- set aw = 'await ' if is_async -%}\n", [(2, SET_AW)]),
        ('{% set aw = ", " %}', [(1, SET_AW)]),
        ('{{ name }}\n{{ "await " ~ call }}\n', [(2, TILDE)]),
        ("{% if x %}\n{{ a\n  ~ b }}{% endif %}", [(3, TILDE)]),
        ('{% for c in "a" ~ b %}{% endfor %}', [(1, TILDE)]),
        ('{% set aw = "await " ~ x if y else "" %}', [(1, TILDE)]),  # not literals: `~` is caught
    ],
)
def test_a_template_that_builds_code_is_caught(
    source: str, expected: list[tuple[int, str]]
) -> None:
    assert template_code(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "{% set soft = e.soft_delete_column %}",  # names a value, prints no code
        '{{ "async " if is_async }}def f(): ...',
        '{% if is_async %}await {% endif %}session.execute("a ~ b")',
        '{{ "~" }} {{ v_lit("x ~ y") }}',
        '{# {% set a = "async " %} and a ~ b #}\n{{ x }}',
        '{% raw %}{{ a ~ b }}{% set w = "await " %}{% endraw %}',
        "not ~ a tag",
    ],
)
def test_a_template_that_only_prints_passes(source: str) -> None:
    assert template_code(source) == []
