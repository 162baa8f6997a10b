"""A `sublimate generate` killed (SIGKILL) at any moment breaks nothing (issue 5, point 5).

The run goes from an old tree (models: the example plus Coupon) to a new one (Coupon removed,
Review added, a column changed): files to write, to create, to remove, a user module to create
and one to orphan. It is killed at random moments, over the whole run and, mostly, just after
it starts staging files (the only window where a kill can catch the tree half-written). After
every kill:

- every file is exactly its old or its new version (or absent where one of them is absent);
- nothing else is there but staged files (`.*.sublimate-tmp`);
- the user's module and the files sublimate does not own are untouched;
- when the run was interrupted, `check` says so, and the next `generate` gives the new tree.

SUBLIMATE_KILL_RUNS sets the number of kills (default 50).
"""

from __future__ import annotations

import difflib
import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ._support import (
    MODELS,
    SUBLIMATE,
    add_review,
    edit,
    example,
    out,
    run,
    tree,
    widen_customer_email,
)

RUNS = int(os.environ.get("SUBLIMATE_KILL_RUNS", "50"))
COUPON = '''

class Coupon(Base):
    __tablename__ = "coupons"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    percent: Mapped[int] = mapped_column(sa.Integer())
'''
USER_CODE = '''"""Mine."""

from __future__ import annotations

from ..repositories import customer as repositories
from ..services import customer as services


class CustomerRepository(repositories.CustomerRepository):
    def hello(self) -> str:
        return "hello"


class AsyncCustomerRepository(repositories.AsyncCustomerRepository):
    pass


class CustomerService(services.CustomerService):
    repository_class = CustomerRepository
    repository: CustomerRepository


class AsyncCustomerService(services.AsyncCustomerService):
    repository_class = AsyncCustomerRepository
    repository: AsyncCustomerRepository
'''
NOT_OWNED = {"NOTES.md": b"my notes\n", "dtos/handwritten.py": b"X = 1\n"}


@dataclass(frozen=True)
class Scenario:
    work: Path  # the project that gets killed, over and over
    old: Path  # a copy of the old output tree
    old_tree: dict[str, bytes]
    new_tree: dict[str, bytes]
    first_staged: Path  # the first file a run stages
    duration: float  # of an uninterrupted run
    env: dict[str, str]
    write_phase: float = 0.0  # from the first staged file to the end of an uninterrupted run


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    base = tmp_path_factory.mktemp("kill")
    scratch = base / "tmp"  # the formatter's scratch files, when a kill orphans them
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    work = example(base / "work", generated=False)
    edit(work / "pyproject.toml", 'out = "shop/db"\n', 'out = "shop/db"\nformatter = "ruff"\n')
    with open(work / MODELS, "a", encoding="utf-8") as handle:
        handle.write(COUPON)
    assert run("generate", cwd=work).returncode == 0
    (out(work) / "custom" / "customer.py").write_text(USER_CODE)
    for path, content in NOT_OWNED.items():
        (out(work) / path).write_bytes(content)
    old = Path(shutil.copytree(out(work), base / "old"))

    edit(work / MODELS, COUPON, "")
    add_review(work)
    widen_customer_email(work)
    expected = Path(shutil.copytree(work, base / "expected"))
    started = time.perf_counter()
    finished = run("generate", cwd=expected)
    duration = time.perf_counter() - started
    assert finished.returncode == 0, finished.stderr
    new_tree = tree(out(expected))
    assert new_tree["custom/coupon.py"] == tree(old)["custom/coupon.py"], "orphan kept"
    assert "custom/review.py" in new_tree and "dtos/coupon.py" not in new_tree
    old_tree = tree(old)
    changed = sorted(
        path
        for path in new_tree
        if old_tree.get(path) != new_tree[path]
        and path != ".sublimate.json"  # staged last, as the run's journal
        and not path.startswith("custom/")  # user modules are staged after generated files
    )
    first = out(work) / changed[0]  # generated files are staged in path order
    first = first.with_name(f".{first.name}.sublimate-tmp")
    s = Scenario(work, old, old_tree, new_tree, first, duration, env)
    return replace(s, write_phase=_write_phase(s))


def _write_phase(s: Scenario) -> float:
    """How long a run writes, measured (the longest of three): the kills aimed at the write
    phase fall within it, however long the files take to write on this machine."""
    phases = []
    for _ in range(3):
        _restore(s)
        process = subprocess.Popen(
            [str(SUBLIMATE), "generate"], cwd=s.work, stdout=subprocess.DEVNULL, env=s.env
        )
        while not s.first_staged.exists() and process.poll() is None:
            pass
        started = time.perf_counter()
        assert process.wait(timeout=60) == 0
        phases.append(time.perf_counter() - started)
    return max(phases)


def _restore(s: Scenario) -> None:
    shutil.rmtree(out(s.work))
    shutil.copytree(s.old, out(s.work))


def _kill_at_random(s: Scenario, rng: random.Random, in_write_phase: bool) -> None:
    process = subprocess.Popen(
        [str(SUBLIMATE), "generate"],
        cwd=s.work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=s.env,
    )
    if in_write_phase:
        deadline = time.perf_counter() + 60
        while not s.first_staged.exists() and process.poll() is None:
            assert time.perf_counter() < deadline, "the run never started writing"
        time.sleep(rng.uniform(0, s.write_phase))
    else:
        time.sleep(rng.uniform(0, s.duration * 1.1))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def _classify(s: Scenario, current: dict[str, bytes]) -> str:
    staged = {p for p in current if Path(p).name.endswith(".sublimate-tmp")}
    files = {p: c for p, c in current.items() if p not in staged}
    for path in sorted(set(files) | set(s.old_tree) | set(s.new_tree)):
        allowed = {s.old_tree.get(path), s.new_tree.get(path)}
        assert files.get(path) in allowed, f"{path} is neither its old nor its new version"
    assert files["custom/customer.py"] == USER_CODE.encode(), "the user's module changed"
    for path, content in NOT_OWNED.items():
        assert files[path] == content, f"{path} (not sublimate's) changed"
    if staged:
        return "staged, nothing swapped" if files == s.old_tree else "half swapped"
    # Without staged files, the run either had not started writing or had finished.
    assert files in (s.old_tree, s.new_tree), "a half-written tree without the run's journal"
    return "old" if files == s.old_tree else "new"


def _difference(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    lines = ["the run after a kill did not give the new tree:"]
    for path in sorted(set(expected) | set(actual)):
        if expected.get(path) != actual.get(path):
            lines.extend(
                difflib.unified_diff(
                    expected.get(path, b"").decode().splitlines(),
                    actual.get(path, b"").decode().splitlines(),
                    f"expected/{path}",
                    f"actual/{path}",
                    lineterm="",
                )
            )
    return "\n".join(lines)


@pytest.mark.slow
def test_killing_generate_at_random_moments_never_breaks_the_tree(scenario: Scenario) -> None:
    s = scenario
    rng = random.Random(20240605)
    outcomes: Counter[str] = Counter()
    for number in range(RUNS):
        _restore(s)
        _kill_at_random(s, rng, in_write_phase=number % 3 != 0)
        state = _classify(s, tree(out(s.work)))
        outcomes[state] += 1
        interrupted = state in ("staged, nothing swapped", "half swapped")
        if interrupted or number == 0:
            if interrupted:
                checked = run("check", cwd=s.work)
                assert checked.returncode == 1
                assert "the last `sublimate generate` was interrupted" in checked.stdout
            recovered = run("generate", cwd=s.work)
            assert recovered.returncode == 0, f"after a kill ({state}): {recovered.stderr}"
            assert tree(out(s.work)) == s.new_tree, _difference(s.new_tree, tree(out(s.work)))
    print(f"\n{RUNS} kills: {dict(sorted(outcomes.items()))}")
    # The kills timed on the write phase must catch some runs half-way, or this test tests
    # nothing but the trivial cases.
    assert outcomes["staged, nothing swapped"] + outcomes["half swapped"] >= 1, outcomes
    assert outcomes["old"] >= 1, outcomes
