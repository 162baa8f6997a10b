"""A `sublimate generate` killed (SIGKILL) at any moment breaks nothing (issue 5, point 5).

The run goes from an old tree (models: the example plus Coupon) to a new one (Coupon removed,
Review added, a column changed): files to write, to create, to remove, a user module to create
and one to orphan. Writing the tree takes milliseconds of a second-long run, so a kill timed from
outside seldom catches it half-way: the run goes through `_kill_points`, which counts the calls
that write to the output directory and SIGKILLs the process just before or just after a chosen
one. A first, uninterrupted run counts them; the kills then land before every one of them (and
after each file is created, still empty), or, when there are too many, on the first, the last,
both sides of every phase boundary (staging, swapping, removing, manifest) and an even spread
in between. A few kills at random moments cover the start-up and the rendering. After every
kill:

- the run died there (SIGKILL), after the same writes as the counted run: a wrapper that
  no longer sees how write.py writes fails here, instead of testing nothing;
- every file is exactly its old or its new version (or absent where one of them is absent);
- nothing else is there but staged files (`.*.sublimate-tmp`);
- the user's module and the files sublimate does not own are untouched;
- the tree is in the state the kill point implies (old, staged only, half swapped, new);
- when the run was interrupted, `check` says so, and the next `generate` gives the new tree.

SUBLIMATE_KILL_RUNS (default 40: all of this scenario's 27 kill points) bounds the kill points
beyond the first, the last and the phase boundaries; a tenth of it (at least 5) is the number of
random kills.
"""

from __future__ import annotations

import difflib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from . import _kill_points as kp
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

BUDGET = int(os.environ.get("SUBLIMATE_KILL_RUNS", "40"))
RANDOM_KILLS = max(5, BUDGET // 10)
PHASES = {"staging", "swapping", "removing", "manifest"}
INTERRUPTED = ("staged, nothing swapped", "half swapped")

COUPON = """

class Coupon(Base):
    __tablename__ = "coupons"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    percent: Mapped[int] = mapped_column(sa.Integer())
"""
# The run that is killed: a regeneration that also writes a user module (the new Review's),
# so that creating one is among the writes a kill can interrupt; rerunning it recovers.
RUN = ("extend", "Review")

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
    env: dict[str, str]
    log: Path  # where the wrapped runs log the calls that write to the output
    mutations: list[kp.Mutation] = field(default_factory=list)  # of an uninterrupted run


@dataclass(frozen=True, order=True)
class KillPoint:
    """Just before (`after` False) or just after the `number`-th write of the run (from 1)."""

    number: int
    after: bool = False

    @property
    def done(self) -> int:
        """How many writes the run made before it died."""
        return self.number if self.after else self.number - 1

    def __str__(self) -> str:
        return f"{'after' if self.after else 'before'}:{self.number}"


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
    assert run("extend", "--all", cwd=work).returncode == 0
    (out(work) / "custom" / "customer.py").write_text(USER_CODE)
    for path, content in NOT_OWNED.items():
        (out(work) / path).write_bytes(content)
    old = Path(shutil.copytree(out(work), base / "old"))

    edit(work / MODELS, COUPON, "")
    add_review(work)
    widen_customer_email(work)
    expected = Path(shutil.copytree(work, base / "expected"))
    finished = run(*RUN, cwd=expected)
    assert finished.returncode == 0, finished.stderr
    new_tree = tree(out(expected))
    assert new_tree["custom/coupon.py"] == tree(old)["custom/coupon.py"], "orphan kept"
    assert "custom/review.py" in new_tree and "dtos/coupon.py" not in new_tree
    s = Scenario(work, old, tree(old), new_tree, env, base / "writes.log")
    _restore(s)
    finished = _wrapped_generate(s, None)
    assert finished.returncode == 0, finished.stderr
    assert tree(out(work)) == new_tree, "the wrapper changed what the run writes"
    return replace(s, mutations=_writes(s.log))


def _writes(log: Path) -> list[kp.Mutation]:
    """The writes an uninterrupted run logged; every phase must be among them, or the wrapper
    no longer sees how write.py writes, and the kill points would test nothing."""
    mutations = kp.read_log(log)
    labels = kp.phases(mutations)
    assert set(labels) >= PHASES, list(zip(labels, mutations, strict=True))
    return mutations


def _wrapped_generate(s: Scenario, point: KillPoint | None) -> subprocess.CompletedProcess[str]:
    s.log.unlink(missing_ok=True)
    env = {**s.env, kp.KILL_DIR: str(out(s.work)), kp.KILL_LOG: str(s.log)}
    env.pop(kp.KILL_AT, None)
    if point is not None:
        env[kp.KILL_AT] = str(point)
    return subprocess.run(
        [sys.executable, str(kp.SCRIPT), *RUN],
        cwd=s.work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _all_points(mutations: list[kp.Mutation]) -> list[KillPoint]:
    """Every distinct state a kill can leave: before each write, after the last, and after each
    file is created, before anything is written to it (elsewhere, after one write is before the
    next)."""
    count = len(mutations)
    empty = [KillPoint(n, after=True) for n, m in enumerate(mutations, 1) if m.op == "open"]
    return sorted({*(KillPoint(n) for n in range(1, count + 1)), *empty, KillPoint(count, True)})


def _canonical(point: KillPoint, mutations: list[kp.Mutation]) -> KillPoint:
    if point.after and point.number < len(mutations) and mutations[point.number - 1].op != "open":
        return KillPoint(point.number + 1)
    return point


def _choose(mutations: list[kp.Mutation], budget: int) -> list[KillPoint]:
    """All the points if they fit in `budget`; else the first, the last, both sides of every
    phase boundary, and an even spread over the others up to `budget`."""
    points = _all_points(mutations)
    if len(points) <= budget:
        return points
    labels = kp.phases(mutations)
    chosen = {points[0], points[-1]}
    for number in range(1, len(mutations)):
        if labels[number - 1] != labels[number]:  # the boundary after the number-th write
            around = (KillPoint(number), KillPoint(number + 1), KillPoint(number + 1, True))
            chosen |= {_canonical(point, mutations) for point in around}
    rest = [point for point in points if point not in chosen]
    spare = min(len(rest), max(0, budget - len(chosen)))
    chosen |= {rest[index * len(rest) // spare] for index in range(spare)}
    return sorted(chosen)


def _expected_state(point: KillPoint, mutations: list[kp.Mutation]) -> str:
    """What a kill at `point` leaves, from the phases of the writes made (a directory created
    empty does not show in a tree of files)."""
    labelled = list(zip(kp.phases(mutations), mutations, strict=True))[: point.done]
    done = [label for label, mutation in labelled if mutation.op != "mkdir"]
    if set(done) <= {"cleaning"}:
        return "old"
    if point.done == len(mutations):
        return "new"
    return "staged, nothing swapped" if set(done) <= {"cleaning", "staging"} else "half swapped"


def _restore(s: Scenario) -> None:
    shutil.rmtree(out(s.work))
    shutil.copytree(s.old, out(s.work))


def _kill_at_random(s: Scenario, moment: float) -> None:
    process = subprocess.Popen(
        [str(SUBLIMATE), *RUN],
        cwd=s.work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=s.env,
    )
    time.sleep(moment)  # the moment to kill at, not a wait for an event
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def _uninterrupted_run(s: Scenario) -> float:
    """How long a run takes here, warm (the first run of a session can take twice as long)."""
    _restore(s)
    started = time.perf_counter()
    finished = run(*RUN, cwd=s.work)
    duration = time.perf_counter() - started
    assert finished.returncode == 0, finished.stderr
    return duration


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


def _recover(s: Scenario, state: str, *, first: bool) -> None:
    """After an interrupted run (and after the first kill, whatever it left), `check` says so
    and the next `generate` finishes the job."""
    interrupted = state in INTERRUPTED
    if not (interrupted or first):
        return
    if interrupted:
        checked = run("check", cwd=s.work)
        assert checked.returncode == 1
        assert "the last `sublimate generate` was interrupted" in checked.stdout
    recovered = run(*RUN, cwd=s.work)
    assert recovered.returncode == 0, f"after a kill ({state}): {recovered.stderr}"
    assert tree(out(s.work)) == s.new_tree, _difference(s.new_tree, tree(out(s.work)))


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
def test_killing_generate_at_each_write_never_breaks_the_tree(scenario: Scenario) -> None:
    s = scenario
    points = _choose(s.mutations, BUDGET)
    outcomes: Counter[str] = Counter()
    for number, point in enumerate(points):
        _restore(s)
        killed = _wrapped_generate(s, point)
        where = f"{point}: {s.mutations[point.number - 1]}"
        assert killed.returncode == -signal.SIGKILL, f"not killed {where}: {killed.stderr}"
        # The same writes in the same order (staging uses threads only from 64 files on).
        assert kp.read_log(s.log) == s.mutations[: point.number], f"other writes up to {where}"
        state = _classify(s, tree(out(s.work)))
        assert state == _expected_state(point, s.mutations), where
        outcomes[state] += 1
        _recover(s, state, first=number == 0)
    print(
        f"\n{len(points)} kill points, {len(s.mutations)} writes: {dict(sorted(outcomes.items()))}"
    )
    assert outcomes["staged, nothing swapped"] >= 1 and outcomes["half swapped"] >= 1, outcomes


@pytest.mark.slow
def test_killing_generate_at_random_moments_never_breaks_the_tree(scenario: Scenario) -> None:
    """Start-up and rendering, which the kill points do not reach (they count writes only)."""
    s = scenario
    duration = _uninterrupted_run(s)
    rng = random.Random(20240605)
    outcomes: Counter[str] = Counter()
    for number in range(RANDOM_KILLS):
        _restore(s)
        _kill_at_random(s, rng.uniform(0, duration))
        state = _classify(s, tree(out(s.work)))
        outcomes[state] += 1
        _recover(s, state, first=number == 0)
    print(f"\n{RANDOM_KILLS} kills at random moments: {dict(sorted(outcomes.items()))}")
    assert outcomes["old"] >= 1, outcomes
