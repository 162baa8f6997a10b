"""A real PostgreSQL primary with a streaming replica, started once per test session.

The harness runs the installed server binaries (``initdb``, ``pg_basebackup -R``, ``pg_ctl``,
found under /usr/lib/postgresql/*/bin, on PATH, or in $SUBLIMATE_PG_BINDIR) in a temporary
directory on free ports, so it needs no configured server and leaves nothing behind: both servers
are stopped (``-m immediate``) and the directory removed at the end of the session, also when
starting failed half-way. As root it runs them as the ``postgres`` OS user (the server refuses to
run as root). Durability is off (``fsync``, ``full_page_writes``): about three seconds to start.

Without the binaries the tests that need the pair skip with the reason, or fail when
SUBLIMATE_REQUIRE_SERVERS=1 (CI). A harness that has the binaries but cannot start fails.

Replication is asynchronous streaming; tests make lag visible deterministically by pausing WAL
replay on the replica (``pg_wal_replay_pause()``) rather than by racing it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import Engine, text

TABLE = "routing_items"


def _require_servers() -> bool:
    return os.environ.get("SUBLIMATE_REQUIRE_SERVERS") == "1"


def _bindir() -> Path | None:
    """The newest installed PostgreSQL server bin directory that has every tool we run."""
    needed = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
    candidates: list[Path] = []
    if os.environ.get("SUBLIMATE_PG_BINDIR"):
        candidates.append(Path(os.environ["SUBLIMATE_PG_BINDIR"]))
    versioned = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versioned, key=_major_version, reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if all((candidate / tool).is_file() for tool in needed):
            return candidate
    return None


def _major_version(bindir: Path) -> int:
    return int(bindir.parent.name) if bindir.parent.name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PgPair:
    """A running primary and streaming replica, and how to reach them."""

    primary_port: int
    replica_port: int
    dead_port: int  # a free port nothing listens on: a replica that refuses connections

    def url(self, port: int, driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{port}/postgres"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    @property
    def dead_url(self) -> str:
        return self.url(self.dead_port)

    def admin(self, port: int) -> Engine:
        return sqlalchemy.create_engine(
            self.url(port), isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.NullPool
        )

    def set_replay(self, *, paused: bool) -> None:
        """Pause or resume WAL replay on the replica (and wait until it has taken effect)."""
        engine = self.admin(self.replica_port)
        try:
            with engine.connect() as connection:
                call = "pg_wal_replay_pause()" if paused else "pg_wal_replay_resume()"
                connection.execute(text(f"SELECT {call}"))
                wanted = "paused" if paused else "not paused"
                deadline = time.monotonic() + 10
                while connection.scalar(text("SELECT pg_get_wal_replay_pause_state()")) != wanted:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"replica replay did not become {wanted}")
                    time.sleep(0.01)
        finally:
            engine.dispose()

    def wait_caught_up(self, timeout: float = 10.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        primary, replica = self.admin(self.primary_port), self.admin(self.replica_port)
        try:
            with primary.connect() as connection:
                target = connection.scalar(text("SELECT pg_current_wal_lsn()"))
            deadline = time.monotonic() + timeout
            with replica.connect() as connection:
                behind = text("SELECT pg_wal_lsn_diff(:target, pg_last_wal_replay_lsn()) > 0")
                while connection.scalar(behind, {"target": target}):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the replica did not catch up")
                    time.sleep(0.01)
        finally:
            primary.dispose()
            replica.dispose()


class _Cluster:
    """Starts and stops the two servers; every step's output goes to a log for the failure."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="sublimate-pg-"))
        self.as_postgres = os.geteuid() == 0
        self.started: list[Path] = []
        self.log: list[str] = []

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        self.log.append(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed (exit {done.returncode}):\n" + "\n".join(self.log))

    def start(self) -> PgPair:
        if self.as_postgres:
            pwd.getpwnam("postgres")  # KeyError: no postgres user to run the server as
            shutil.chown(self.root, "postgres", "postgres")
        pair = PgPair(_free_port(), _free_port(), _free_port())
        primary, replica = self.root / "primary", self.root / "replica"
        self.run("initdb", "-D", str(primary), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--no-sync", "--no-instructions")  # fmt: skip
        settings = {
            "port": pair.primary_port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "wal_level": "replica",
            "max_wal_senders": 4,
            "hot_standby": "on",
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "'16MB'",
            "max_connections": 40,
        }
        self._configure(primary, settings)
        self._pg_ctl_start(primary)
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(pair.primary_port), "-U",
                 "postgres", "-D", str(replica), "-R", "-X", "stream", "-c", "fast",
                 "--no-sync")  # fmt: skip
        self._configure(replica, {"port": pair.replica_port})
        self._pg_ctl_start(replica)
        self._wait_streaming(pair)
        with pair.admin(pair.primary_port).connect() as connection:
            connection.execute(
                text(f"CREATE TABLE {TABLE} (id serial PRIMARY KEY, name text NOT NULL UNIQUE)")
            )
        pair.wait_caught_up()
        return pair

    def _configure(self, datadir: Path, settings: dict[str, object]) -> None:
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (datadir / "postgresql.conf").open("a") as conf:
            conf.write(lines)

    def _pg_ctl_start(self, datadir: Path) -> None:
        log = datadir.parent / f"{datadir.name}.log"
        self.run("pg_ctl", "-D", str(datadir), "-l", str(log), "-w", "-t", "30", "start")
        self.started.append(datadir)

    def _wait_streaming(self, pair: PgPair) -> None:
        engine = pair.admin(pair.primary_port)
        try:
            deadline = time.monotonic() + 30
            with engine.connect() as connection:
                streaming = text(
                    "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
                )
                while not connection.scalar(streaming):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the replica never started streaming")
                    time.sleep(0.05)
        finally:
            engine.dispose()

    def stop(self) -> None:
        for datadir in reversed(self.started):
            try:
                self.run("pg_ctl", "-D", str(datadir), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                self._kill(datadir)
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill(self, datadir: Path) -> None:
        """Last resort when pg_ctl cannot stop a server: SIGKILL the postmaster by its pid file."""
        pidfile = datadir / "postmaster.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def pg_pair() -> Iterator[PgPair]:
    """The primary/replica pair (session-scoped: started once, torn down at the end)."""
    bindir = _bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found"
        if _require_servers():
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = _Cluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
