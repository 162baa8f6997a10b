"""The `sessions` setting: which session kinds (sync, asyncio) the generated classes serve.

An application that uses one kind of session gets half the repositories and services. What to
print is decided here, as data the templates loop over; the templates only print it.

User modules (`custom/<model>.py`) are written once and never again, so a switch of the setting
can leave one that subclasses a generated class that is no longer printed (sync and async to one),
or that lacks a class the package now exports from it (one to both). Either way the package no
longer imports; `user_module_problems` finds those files, for `generate` and `check` to warn.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .ir import EntityNames
from .settings import SESSIONS


@dataclass(frozen=True, slots=True, kw_only=True)
class Flavours:
    """What the templates print for one `sessions` setting."""

    kinds: tuple[bool, ...]  # is_async, per class printed: (False, True) for both
    has_async: bool  # the asyncio classes (and their AsyncSession import) are printed
    has_sync: bool
    described: str  # for docstrings: "sync and asyncio", "sync" or "asyncio"


def flavours(sessions: tuple[str, ...]) -> Flavours:
    has_sync, has_async = "sync" in sessions, "async" in sessions
    return Flavours(
        kinds=tuple(kind == "async" for kind in SESSIONS if kind in sessions),
        has_async=has_async,
        has_sync=has_sync,
        described=" and ".join(("sync",) * has_sync + ("asyncio",) * has_async),
    )


def class_names(names: EntityNames, sessions: tuple[str, ...]) -> list[str]:
    """One model's repository and service classes for this setting (the package exports these
    from its user module)."""
    chosen = []
    if "sync" in sessions:
        chosen += [names.repository, names.service]
    if "async" in sessions:
        chosen += [names.async_repository, names.async_service]
    return chosen


# The package's imports from the user modules, as printed (package_init.py.jinja): parenthesised.
_EXPORTED = re.compile(r"^from \.custom\.(\w+) import \(([^)]*)\)", re.MULTILINE)
# A user module's imports of the generated modules, as user_module.py.jinja prints them.
_GENERATED_IMPORT = re.compile(
    r"^from \.\.(repositories|services) import (\w+)(?: as (\w+))?\s*$", re.MULTILINE
)


def user_module_problems(
    user_modules: Iterable[str],
    read: Callable[[str], str | None],
    package_init: str,
    sessions: tuple[str, ...],
) -> list[str]:
    """Warnings for the user modules the package can no longer import with the current output.

    `user_modules` are their paths (custom/<module>.py, relative to the output), `read` gives a
    file's text in the output as it will be after this run (None when absent), `package_init` the
    new `__init__.py`. It runs on every `generate` and `check`, so it reads text, and parses only
    a module that looks wrong: on 300 models, parsing them all cost 0.2 s of a 1 s regeneration.
    """
    exported = {
        f"custom/{module}.py": [name.strip() for name in names.split(",") if name.strip()]
        for module, names in _EXPORTED.findall(package_init)
    }
    problems = []
    for path in sorted(user_modules):
        text = read(path)
        if text is None:
            continue
        # Every generated class exists when both kinds are printed (a model that went away is an
        # orphan, warned about as such).
        known = exported.get(path, [])  # the generated classes of the kinds printed
        missing = _missing_bases(text, read, known) if sessions != SESSIONS else []
        if missing:
            problems.append(
                f"{path} uses {', '.join(missing)}, which the generated code no longer has (the"
                " sessions setting changed?): the package fails to import until you remove them"
                " from it; sublimate never rewrites it (delete it: `sublimate extend` writes a"
                " fresh one)"
            )
        absent = [name for name in exported.get(path, []) if not _binds(text, name)]
        if absent:
            absent = _not_bound(text, absent)
        if absent:
            problems.append(
                f"{path} does not define {', '.join(absent)}, which the package exports from it"
                " (the sessions setting changed?): the package fails to import until you add"
                " them; sublimate never rewrites it (delete it: `sublimate extend` writes a fresh"
                " one)"
            )
    return problems


def _binds(text: str, name: str) -> bool:
    """Whether a module binds `name` at its top level as generated code does (a class, a
    function, an alias): substring searches, a few milliseconds for 600 generated modules."""
    starts = ("class ", "def ", "async def ", "")
    ends = ("(", ":", " =", " :")
    return any(f"\n{start}{name}{end}" in text for start in starts for end in ends)


def _not_bound(text: str, names: list[str]) -> list[str]:
    """The names a user module really does not bind at its top level (it may import them, say).
    A module that does not parse is left to Python to report."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    bound: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            bound.add(statement.name)
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            bound.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in statement.names)
    return [name for name in names if name not in bound]


def _missing_bases(text: str, read: Callable[[str], str | None], known: Iterable[str]) -> list[str]:
    """`repositories.X` / `services.X` the user module reads that the generated module lacks.

    Found in the text: a mention in a comment or a string counts too, which can only add a
    warning, never hide one."""
    aliases = {
        asname or name: f"{package}/{name}.py"
        for package, name, asname in _GENERATED_IMPORT.findall(text)
    }
    if not aliases:
        return []
    pattern = rf"(?<![\w.])({'|'.join(map(re.escape, aliases))})\.(\w+)"
    missing: list[str] = []
    texts: dict[str, str] = {}
    generated = set(known)
    for alias, attr in re.findall(pattern, text):
        if attr in generated:  # no need to read the generated module
            continue
        path = aliases[alias]
        if path not in texts:
            texts[path] = read(path) or ""
        name = f"{alias}.{attr}"
        if name not in missing and not _binds(texts[path], attr):
            missing.append(name)
    return missing
