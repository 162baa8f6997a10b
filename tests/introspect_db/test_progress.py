"""A progress bar on a terminal for big schemas; nothing of it when stderr is piped.

The command runs as a user runs it (the console script), once under a pseudo-terminal and once
with its output captured through pipes, on a 60-table schema made by the benchmark
script (bench/make_big_schema.py).
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import make_project

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "make_big_schema.py"
SUBLIMATE = Path(sys.executable).with_name("sublimate")
BAR = "━"  # rich's bar character


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("big") / "big.db"
    subprocess.run(
        [sys.executable, str(SCRIPT), "-n", "60", "-o", str(path)], check=True, capture_output=True
    )
    return f"sqlite:///{path}"


def _command(url: str, project: Path) -> list[str]:
    return [str(SUBLIMATE), "generate", "--url", url, "--project", str(project)]


def test_a_bar_on_a_terminal(big: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "tty", formatter="ruff")
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    process = subprocess.Popen(
        _command(big, project), stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    assert process.wait(timeout=60) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    assert BAR in text, text[-2000:]
    assert "rendering" in text
    assert "app/db:" in text  # the summary line is still printed


def test_no_bar_when_piped(big: str, tmp_path: Path) -> None:
    project = make_project(tmp_path / "pipe", formatter="ruff")
    result = subprocess.run(_command(big, project), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert BAR not in result.stderr and "\x1b[" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("app/db: "), result.stderr
