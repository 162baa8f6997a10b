"""Import blocks for generated modules: only what the body uses, sorted the way ruff's isort wants.

A generated module's imports are not written by the templates. The renderer renders the body,
collects the names it uses (Python's tokenizer, so text inside string literals never counts), and
keeps the candidate imports whose bound name is used. Unused imports are therefore impossible, and
so is a missing one as long as the candidate list (from the IR's `imports`) is complete.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .ir import Import
from .ruff_order import member_key, module_key

if TYPE_CHECKING:
    import jinja2

_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """One import: `from module import name as alias` or `import module as alias`."""

    module: str
    name: str  # "" for `import module`
    alias: str  # the name it binds; equal to name (or module) when not aliased

    @property
    def bound(self) -> str:
        return self.alias

    def line(self) -> str:
        if self.name:
            suffix = f" as {self.alias}" if self.alias != self.name else ""
            return f"from {self.module} import {self.name}{suffix}"
        suffix = f" as {self.alias}" if self.alias != self.module else ""
        return f"import {self.module}{suffix}"


def bind(imports: Iterable[Import], aliases: Mapping[Import, str] | None = None) -> list[Binding]:
    """Bindings for (module, name) pairs; `aliases` gives some of them another bound name."""
    aliases = aliases or {}
    bindings = {}
    for module, name in imports:
        default = name or module
        bindings[(module, name)] = Binding(
            module=module, name=name, alias=aliases.get((module, name), default)
        )
    return [bindings[key] for key in sorted(bindings)]


def used_names(source: str) -> set[str]:
    """Every name the source reads: NAME tokens except attributes (`x.NAME`), keyword
    arguments and parameters (`f(NAME=...)`, `def f(NAME: T)`) and annotated declarations at the
    start of a line (`NAME: T`)."""
    names: set[str] = set()
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.COMMENT)
    ]
    depth = 0
    line_start = True
    for index, token in enumerate(tokens):
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        previous = tokens[index - 1].string if index else ""
        if token.type == tokenize.NAME and previous != ".":
            # `f(NAME=...)` and `def f(NAME: T = ...)` bind a name; they do not read one.
            keyword_argument = depth > 0 and following in ("=", ":") and previous in ("(", ",")
            declaration = line_start and depth == 0 and following == ":"
            if not keyword_argument and not declaration:
                names.add(token.string)
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        line_start = token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    return names


# String literals (triple or single quoted) and comments: what `reads` blanks out before it looks
# for names, so that database text inside docstrings never counts. A prefix (`f`, `rb`) stays
# in front of the blanked literal, which is harmless: no candidate import is named like one.
# The loops are unrolled (`[^\\"]*(?:\\.[^\\"]*)*`): ten times faster than a lazy `.*?`.
_STRINGS_AND_COMMENTS = re.compile(
    r"""'''[^\\']*(?:(?:\\.|'(?!''))[^\\']*)*'''|\"\"\"[^\\"]*(?:(?:\\.|"(?!""))[^\\"]*)*\"\"\""""
    r"""|'[^\\'\n]*(?:\\.[^\\'\n]*)*'|"[^\\"\n]*(?:\\.[^\\"\n]*)*"|\#[^\n]*"""
)
_BLANKS = " \t\n\\"


def reads(source: str, candidates: Iterable[str]) -> set[str]:
    """The candidates that `source` reads, by the rules of `used_names`, without tokenizing.

    Tokenizing every generated body was most of a cold generation's time; the candidate imports
    of a module are a few dozen names, so after one pass that blanks strings and comments, a
    substring search finds each candidate and a look at the characters around an occurrence
    decides whether it reads the name (usually the first does). A test checks that both
    functions agree on every generated module.
    """
    code = _STRINGS_AND_COMMENTS.sub('""', source)
    return {name for name in set(candidates) if name.isidentifier() and _reads(code, name)}


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _reads(code: str, name: str) -> bool:
    """Whether one occurrence of `name` in `code` (strings blanked) reads it."""
    start = code.find(name)
    while start >= 0:
        end = start + len(name)
        if (start and (_word(code[start - 1]) or code[start - 1] == ".")) or (
            end < len(code) and _word(code[end])
        ):
            start = code.find(name, end)
            continue  # part of a longer name, or an attribute
        if _reading(code, start, end):
            return True
        start = code.find(name, end)
    return False


def _reading(code: str, start: int, end: int) -> bool:
    before = start
    while before > 0 and code[before - 1] in _BLANKS:
        before -= 1
    previous = code[before - 1] if before else "\n"
    if previous == ".":
        return False  # an attribute
    after = end
    while after < len(code) and code[after] in " \t\\":
        after += 1
    following = code[after : after + 2]
    binds = following[:1] == ":" and following != ":="
    binds = binds or (following[:1] == "=" and following != "==")
    if binds and previous in "(,":
        return False  # `f(NAME=...)`, `def f(NAME: T)`
    line_start = code.rfind("\n", 0, start) + 1
    declares = following[:1] == ":" and following != ":=" and previous not in "([{,"
    return not (declares and not code[line_start:start].strip())  # `NAME: T` declares a field


def rename_names(source: str, renames: Mapping[str, str]) -> str:
    """Rewrite NAME tokens (not attributes, not inside strings) of a type expression."""
    if not renames:
        return source
    out: list[str] = []
    previous = ""
    position = 0
    lines = source.splitlines(keepends=True) or [source]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.ENDMARKER:
            break
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        out.append(source[position:start])
        text = token.string
        if token.type == tokenize.NAME and previous != "." and text in renames:
            text = renames[text]
        out.append(text)
        position = end
        previous = token.string
    out.append(source[position:])
    return "".join(out)


def _section(binding: Binding, first_party: frozenset[str]) -> int:
    top = binding.module.split(".")[0]
    if binding.module == "__future__":
        return 0
    if binding.module.startswith("."):
        return 4
    if top in first_party:
        return 3
    if top in _STDLIB:
        return 1
    return 2


def block(bindings: Iterable[Binding], used: set[str], first_party: frozenset[str]) -> list[str]:
    """The import lines for the used bindings, in sections separated by empty strings."""
    kept = [b for b in bindings if b.bound in used]
    sections: dict[int, list[Binding]] = {}
    for binding in kept:
        sections.setdefault(_section(binding, first_party), []).append(binding)
    lines: list[str] = []
    for number in sorted(sections):
        group = sections[number]
        straight = sorted((b for b in group if not b.name), key=lambda b: module_key(b.module))
        from_modules: dict[str, list[Binding]] = {}
        for binding in group:
            if binding.name:
                from_modules.setdefault(binding.module, []).append(binding)
        if lines:
            lines.append("")
        lines.extend(b.line() for b in straight)
        for module in sorted(from_modules, key=_module_key):
            # ruff's isort keeps `from m import a as b` on a statement of its own, ordered
            # among the module's other statements by its (first) member name.
            members = from_modules[module]
            plain = sorted((b for b in members if b.alias == b.name), key=_by_member)
            statements = [[b] for b in members if b.alias != b.name]
            if plain:
                statements.append(plain)
            for statement in sorted(statements, key=lambda group: _by_member(group[0])):
                names = ", ".join(
                    b.name if b.alias == b.name else f"{b.name} as {b.alias}" for b in statement
                )
                lines.append(f"from {module} import {names}")
    return lines


def _by_member(binding: Binding) -> Any:
    return member_key(binding.name)  # isort's order-by-type (sublimate.ruff_order)


def _module_key(module: str) -> Any:
    # Relative imports: isort puts the farthest parent first (`..` before `.`).
    dots = len(module) - len(module.lstrip("."))
    return (-dots, module_key(module.lstrip(".")))


def assemble(
    template: jinja2.Template,
    context: dict[str, Any],
    bindings: list[Binding],
    first_party: frozenset[str] = frozenset(),
) -> str:
    """Render with a placeholder import block, then fill in the imports the body really uses:
    templates never list imports, so an unused or a missing one cannot happen."""
    marker = "# sublimate-imports"
    body = template.render(**context, imports=[marker])
    used = reads(body.replace(marker, ""), (b.bound for b in bindings))
    lines = block(bindings, used, first_party)
    return body.replace(marker, "\n".join(lines))
