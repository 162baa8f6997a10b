"""Each golden case regenerates byte for byte to its committed output, which passes mypy --strict
and ruff check (see tests/golden/README.md; `make golden` rewrites the outputs on purpose)."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from .cases import Case, all_cases, generate, tree

BIN = Path(sys.executable).parent
CASES = all_cases()

# The configurations issue 14 asks for (the declarative example is generated_example/, checked by
# tests/generator/test_golden.py). A case folder missing here fails, rather than passing unseen.
REQUIRED = {
    "sqlite_url",  # a live SQLite database: `url`, the models/ package
    "litestar_on",  # `litestar = true`: controllers and app.py
    "fastapi_on",  # `fastapi = true`: routers and fastapi_app.py
    "production",  # `cache`, `soft_delete`, `version_columns` (and a `version_id_col`)
    "sqlmodel_input",
    "advanced_alchemy_input",
    "sessions_sync",  # `sessions = ["sync"]`: one flavour
    "factories_on",  # `factories = true`: factories/ and testing.py
    "pydantic_on",  # `dto = "pydantic"` (with FastAPI and Litestar): pydantic v2 DTOs
}

# Enough of a diff to see what changed, not the whole tree of a template change.
DIFF_LINES = 400


def describe(committed: dict[str, bytes], generated: dict[str, bytes]) -> str:
    """Files added, removed and changed, then a unified diff of the changed ones."""
    added = sorted(set(generated) - set(committed))
    removed = sorted(set(committed) - set(generated))
    changed = sorted(p for p in set(committed) & set(generated) if committed[p] != generated[p])
    lines = [f"added (generated, not committed): {p}" for p in added]
    lines += [f"removed (committed, no longer generated): {p}" for p in removed]
    lines += [f"changed: {p}" for p in changed]
    diff: list[str] = []
    for path in changed:
        old = committed[path].decode(errors="replace").splitlines(keepends=True)
        new = generated[path].decode(errors="replace").splitlines(keepends=True)
        diff.extend(difflib.unified_diff(old, new, f"committed/{path}", f"generated/{path}"))
    if len(diff) > DIFF_LINES:
        diff = [*diff[:DIFF_LINES], f"... {len(diff) - DIFF_LINES} more diff lines\n"]
    return "\n".join(lines) + "\n" + "".join(diff)


def test_every_required_configuration_has_a_case() -> None:
    names = {case.name for case in CASES}
    assert names >= REQUIRED, f"missing golden cases: {sorted(REQUIRED - names)}"


def test_the_one_flavour_case_has_no_asyncio_code() -> None:
    """A golden record of `sessions = ["sync"]` rewritten while the setting was ignored would
    still compare equal to itself: the committed output must really be sync only."""
    (case,) = [case for case in CASES if case.name == "sessions_sync"]
    asyncio = sorted(
        path
        for path, body in tree(case.output).items()
        if path.endswith(".py") and (b"AsyncSession" in body or b"class Async" in body)
    )
    assert tree(case.output), f"{case.output} is missing: run `make golden`"
    assert asyncio == [], f"asyncio code in the sync-only case: {asyncio}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_regenerates_byte_for_byte_and_lints_clean(
    case: Case, tmp_path: Path, mypy_cache: Path
) -> None:
    project = generate(case, tmp_path / case.name)
    committed = tree(case.output)
    generated = tree(project / case.out)
    assert committed, f"{case.output} is missing: run `make golden`"
    assert generated == committed, (
        f"golden case {case.name} is stale (run `make golden` and review the diff):\n"
        + describe(committed, generated)
    )

    ruff = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--cache-dir", str(mypy_cache), "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert mypy.returncode == 0, mypy.stdout[-4000:] + mypy.stderr
