"""`sublimate check` and `sublimate diff`: what `generate` would change, told to a person.

Both work from a `write.Plan`, computed without writing anything. `explain` says why the tree is
stale at the level a reviewer thinks in: models added or removed, "customers.email: String(255)
→ String(320)", a new generator or formatter version, a hand-edited file and where its change
belongs. It compares the schema description recorded in the manifest with the current one, so
it needs neither the old models nor the old IR.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from .manifest import MANIFEST
from .output_paths import OutputTree
from .settings import NESTED_DEPTH, SESSIONS
from .write import Plan

# What an empty facet of a column description means, by position (see manifest.describe_column).
_EMPTY_FACET = ("no type", "", "not primary key", "no default", "", "same sql name")


def explain(the_plan: Plan, out: str) -> list[str]:
    """Why the output at `out` is stale, one finding per line; [] when it is up to date."""
    if the_plan.up_to_date:
        return []
    old = the_plan.old
    lines: list[str] = []
    if the_plan.interrupted:
        lines.append("the last `sublimate generate` was interrupted before it finished")
    if old is None:
        lines.append(
            f"{out}/{MANIFEST} is missing or unreadable: `sublimate generate` rebuilds it"
            " (generated files are recognised by their headers)"
        )
        lines.extend(_files(the_plan))
        return lines
    schema_lines = (
        schema_changes(old.schema, the_plan.new.schema)
        if old.schema
        else ["the manifest predates schema descriptions: cannot say which models changed"]
    )
    schema_lines += query_changes(old.queries, the_plan.new.queries)
    if not schema_lines and old.fingerprint.get("ir") != the_plan.new.fingerprint.get("ir"):
        schema_lines = ["the schema changed outside its models (enums, metadata, options)"]
    generator_lines = fingerprint_changes(old.fingerprint, the_plan.new.fingerprint)
    lines.extend(schema_lines)
    if generator_lines and not schema_lines:
        lines.append("the schema did not change; only the generator did:")
    lines.extend(generator_lines)
    for path in the_plan.edited:
        lines.append(
            f"{path} was edited by hand: move the change to {the_plan.user_module_of(path)},"
            " or run `sublimate generate --force` to discard it"
        )
    for path in the_plan.missing:
        lines.append(f"{path} was deleted by hand")
    for path in the_plan.not_owned:
        lines.append(
            f"{path} is in the way: sublimate does not own it and will not overwrite it;"
            " move it elsewhere"
        )
    lines.extend(_files(the_plan))
    return lines


def next_step(the_plan: Plan) -> str:
    """The command that brings a stale tree up to date, as `check` ends with it.

    A plain `sublimate generate` refuses a tree with hand edits or files in the way: saying
    so here sends the user to the command that works, not to the one that fails next."""
    if the_plan.not_owned:
        return (
            "move the files in the way elsewhere, then run `sublimate generate`"
            " (it never overwrites them, even with --force)"
        )
    if the_plan.edited:
        return (
            "move the hand edits to custom/ (see above), then run `sublimate generate`;"
            " or run `sublimate generate --force` to discard them"
        )
    return "run `sublimate generate` to update it (`sublimate diff` shows the changes)"


def orphan_warnings(the_plan: Plan) -> list[str]:
    return [
        f"{path} is your module for {model or 'the package'}, which is gone; sublimate left it"
        " in place: delete it (or move what you need) when you are done with it"
        for path, model in the_plan.orphans
    ]


def _files(the_plan: Plan) -> list[str]:
    created = len(the_plan.create)
    counts = [
        (len(the_plan.write), "to write"),
        (len(the_plan.remove), "to remove"),
        (created, "user module to create" if created == 1 else "user modules to create"),
    ]
    parts = [f"{n} {what}" for n, what in counts if n]
    if the_plan.manifest_changed and not parts:
        parts.append(f"only {MANIFEST} to update")
    return [f"files: {', '.join(parts)}"] if parts else []


def schema_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Models added or removed, then each model's column and constraint changes."""
    lines = [
        f"model added: {name} (table {new[name]['table']})" for name in sorted(set(new) - set(old))
    ]
    lines += [
        f"model removed: {name} (table {old[name]['table']})"
        for name in sorted(set(old) - set(new))
    ]
    for name in sorted(set(old) & set(new)):
        before, after = old[name], new[name]
        if before.get("hash") == after.get("hash"):
            continue
        found = _model_changes(before, after)
        lines.extend(found or [f"{after['table']}: model details changed (see `sublimate diff`)"])
    return lines


def query_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Typed queries whose signature changed: "queries/reports.sql: TopCustomers: column
    total: decimal.Decimal → float", queries added or removed (see manifest.describe_queries)."""
    lines = []
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path, {}), new.get(path, {})
        for name in sorted(set(before) | set(after)):
            if name not in before:
                lines.append(f"{path}: {name}: query added")
            elif name not in after:
                lines.append(f"{path}: {name}: query removed")
            else:
                lines.extend(
                    f"{path}: {name}: {change}"
                    for change in _signature_changes(before[name], after[name])
                )
    return lines


def _signature_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    changes = []
    if before.get("command") != after.get("command"):
        changes.append(f":{before.get('command')} → :{after.get('command')}")
    for kind, label in (("params", "parameter :"), ("columns", "column ")):
        was: Mapping[str, str] = before.get(kind, {})
        now: Mapping[str, str] = after.get(kind, {})
        for key in sorted(set(was) | set(now)):
            if key not in now:
                changes.append(f"{label}{key} removed")
            elif key not in was:
                changes.append(f"{label}{key} added ({now[key]})")
            elif was[key] != now[key]:
                changes.append(f"{label}{key}: {was[key]} → {now[key]}")
    return changes


def _model_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    table = after["table"]
    lines = []
    if before["table"] != after["table"]:
        lines.append(f"{before['table']}: table renamed to {after['table']}")
    if before.get("kind") != after.get("kind"):
        lines.append(f"{table}: now a {after.get('kind')} (was a {before.get('kind')})")
    old_columns: Mapping[str, list[str]] = before.get("columns", {})
    new_columns: Mapping[str, list[str]] = after.get("columns", {})
    for column in new_columns:
        if column not in old_columns:
            described = ", ".join(f for f in new_columns[column][:4] if f)
            lines.append(f"{table}.{column}: column added ({described})")
    for column in old_columns:
        if column not in new_columns:
            lines.append(f"{table}.{column}: column removed")
        elif old_columns[column] != new_columns[column]:
            was, now = _changed_facets(old_columns[column], new_columns[column])
            lines.append(f"{table}.{column}: {was} → {now}")
    old_details: Mapping[str, str] = before.get("details", {})
    new_details: Mapping[str, str] = after.get("details", {})
    for label in sorted(set(old_details) | set(new_details)):
        if label not in old_details:
            lines.append(f"{table}: {label} added ({new_details[label]})")
        elif label not in new_details:
            lines.append(f"{table}: {label} removed")
        elif old_details[label] != new_details[label]:
            lines.append(f"{table}: {label}: {old_details[label]} → {new_details[label]}")
    return lines


def _changed_facets(old: list[str], new: list[str]) -> tuple[str, str]:
    size = max(len(old), len(new), len(_EMPTY_FACET))
    was, now = [], []
    for position in range(size):
        a = old[position] if position < len(old) else ""
        b = new[position] if position < len(new) else ""
        if a != b:
            empty = _EMPTY_FACET[position] if position < len(_EMPTY_FACET) else ""
            was.append(a or empty)
            now.append(b or empty)
    return ", ".join(was), ", ".join(now)


_FINGERPRINT_LABELS = {
    "sublimate": "sublimate",
    "formatter": "formatter",
    "line_length": "line_length",
}


def fingerprint_changes(old: Mapping[str, object], new: Mapping[str, object]) -> list[str]:
    """What changed in the generator itself: its version, code, templates, the formatter."""
    lines = []
    for key, label in _FINGERPRINT_LABELS.items():
        if old.get(key) != new.get(key):
            lines.append(f"{label}: {old.get(key, 'unknown')} → {new.get(key)}")
    if old.get("templates") != new.get("templates"):
        lines.append("templates changed")
    default = list(SESSIONS)  # recorded only when not the default
    was, now = old.get("sessions", default), new.get("sessions", default)
    if was != now:
        lines.append(f"sessions: {was} → {now}")
    was, now = old.get("nested_depth", NESTED_DEPTH), new.get("nested_depth", NESTED_DEPTH)
    if was != now:
        lines.append(f"nested_depth: {was} → {now}")
    return lines


def unified_diff(the_plan: Plan, out: str, read: Callable[[str], str | None]) -> str:
    """The unified diff of what `generate` would write, git-style paths relative to the project."""
    prefix = out.rstrip("/") + "/"
    if the_plan.out_dir is not None:  # defence in depth: plan checked them already
        tree = OutputTree(the_plan.out_dir)
        for path in [*(f.path for f in the_plan.write), *the_plan.remove]:
            tree.path(path)
    changes: list[tuple[str, str, str]] = []  # (path, old, new)
    for output in the_plan.write:
        changes.append((output.path, read(output.path) or "", output.content))
    for output in the_plan.create:
        changes.append((output.path, "", output.content))
    for path in the_plan.remove:
        changes.append((path, read(path) or "", ""))
    if the_plan.manifest_changed:
        changes.append((MANIFEST, read(MANIFEST) or "", the_plan.new_text))
    chunks: list[str] = []
    # The manifest last: a reviewer reads the code first.
    for path, before, after in sorted(changes, key=lambda c: (c[0] == MANIFEST, c[0])):
        source = "/dev/null" if not before else f"a/{prefix}{path}"
        target = "/dev/null" if not after else f"b/{prefix}{path}"
        chunks.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                source,
                target,
            )
        )
    return "".join(chunks)
