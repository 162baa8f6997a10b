"""Secrets in a database URL never reach stdout, stderr, the generated files or the manifest
(issue 13, point 5).

A password can sit in the URL's user info or in a query parameter (`?password=` for psycopg,
`?passwd=` for pymysql, `sslpassword`, tokens, keys): each is tried through a connection that
fails (a closed port, a database that does not exist) on PostgreSQL and MariaDB, with
`generate`, `inspect` and `sublimate db`, and through a connection that works (PostgreSQL,
trust authentication ignores the password), whose output is then searched for the secret.
The commands run in-process; the remembered secrets are forgotten before each one, so that one
command's scrubbing cannot hide another's leak.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from click.testing import Result
from typer.testing import CliRunner

from sublimate import redact
from sublimate.cli import app
from sublimate.introspect.connect import driver_message

SECRET_PARAMETERS = {
    "postgresql": ("password", "sslpassword", "PassWord", "token", "api_key", "client_secret"),
    "mysql": ("passwd", "password", "token", "auth_token"),
}
CASES = [(backend, name) for backend, names in SECRET_PARAMETERS.items() for name in names]


def _invoke(*args: str, project: Path) -> Result:
    redact.forget()
    return CliRunner().invoke(app, [*args, "--project", str(project)], catch_exceptions=False)


def _failing_urls(backend: str, server: sa.URL, parameter: str, secret: str) -> list[str]:
    """A closed port and a database that does not exist, each with the secret in the query
    (beside a parameter that is not secret) and in the user info."""
    innocent = {"postgresql": ("application_name", "sublimate"), "mysql": ("charset", "utf8mb4")}
    name, value = innocent[backend]
    url = server.set(password=f"{secret}-userinfo", query={parameter: secret, name: value})
    closed = url.set(port=1, database="anything")
    missing = url.set(database=f"sublimate_missing_{uuid.uuid4().hex[:8]}")
    return [u.render_as_string(hide_password=False) for u in (closed, missing)]


def _db_project(root: Path) -> Path:
    """A generated project (tiny model, ruff), for `sublimate db` commands."""
    package = f"secretapp_{uuid.uuid4().hex[:6]}"
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "models.py").write_text(
        textwrap.dedent(
            """
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


            class Base(DeclarativeBase):
                pass


            class Note(Base):
                __tablename__ = "notes"
                id: Mapped[int] = mapped_column(primary_key=True)
            """
        )
    )
    (root / "pyproject.toml").write_text(
        f'[tool.sublimate]\nmodels = "{package}.models"\nout = "{package}/db"\nformatter = "ruff"\n'
    )
    result = _invoke("generate", project=root)
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize(("backend", "parameter"), CASES)
def test_a_failing_connection_never_prints_a_secret(
    backend: str,
    parameter: str,
    tmp_path: Path,
    server_admin: Callable[[str], sa.Engine],
) -> None:
    server = server_admin(backend).url
    secret = f"S3cr{uuid.uuid4().hex[:10]}"
    project = _db_project(tmp_path)
    for url in _failing_urls(backend, server, parameter, secret):
        for command in (
            ["generate", "--url", url, "--out", "fromdb"],
            ["inspect", "--url", url],
            ["db", "current", "--url", url],
        ):
            result = _invoke(*command, project=project)
            assert result.exit_code == 2, (command, result.output)
            printed = result.stdout + result.stderr
            assert printed.startswith("error: "), printed
            assert secret not in printed, (command, printed)
            assert "***" in printed or command[0] == "db", printed
    assert not (project / "fromdb").exists()


def test_a_working_connection_leaves_no_secret_in_the_output(
    tmp_path: Path, scratch_database: Callable[..., Any], server_admin: Callable[[str], sa.Engine]
) -> None:
    """PostgreSQL with trust authentication ignores the password: generation succeeds, and the
    password and sslpassword (a libpq option, unused without a key) appear nowhere."""
    database = scratch_database("postgresql", schema=True)
    schema = database.schema
    with server_admin("postgresql").connect() as connection:
        connection.execute(
            sa.text(f"CREATE TABLE {schema}.notes (id serial PRIMARY KEY, body text NOT NULL)")
        )
    secret = f"S3cr{uuid.uuid4().hex[:10]}"
    url = database.url.set(
        password=f"{secret}-userinfo", query={"sslpassword": secret}
    ).render_as_string(hide_password=False)
    project = tmp_path / "p"
    project.mkdir()
    generated = _invoke(
        "generate", "--url", url, "--schema", schema, "--out", "app/db", project=project
    )
    assert generated.exit_code == 0, generated.output
    inspected = _invoke("inspect", "--url", url, "--schema", schema, project=project)
    assert inspected.exit_code == 0, inspected.output
    checked = _invoke("check", "--url", url, "--schema", schema, "--out", "app/db", project=project)
    assert checked.exit_code == 0, checked.output
    files = [path for path in (project / "app").rglob("*") if path.is_file()]
    assert any(path.name == ".sublimate.json" for path in files)
    assert len(files) > 5
    for path in files:
        assert secret not in path.read_text(encoding="utf-8"), path
    for result in (generated, inspected, checked):
        assert secret not in result.stdout + result.stderr


def test_a_driver_message_that_echoes_the_connection_string_is_scrubbed() -> None:
    """libpq may quote its connection string in an error: the remembered secrets go, in the
    spellings a driver uses (as is, URL-quoted, escaped in a conninfo string)."""
    redact.forget()
    secret = "p@ss w'rd"
    redact.remember(f"postgresql://app:{quote(secret)}@db/app?sslpassword=tok3n-value")

    class DriverError(Exception):
        pass

    echoed = (
        "could not connect: host=db user=app password='p@ss w\\'rd' sslpassword=tok3n-value"
        " dsn=postgresql://app:p%40ss%20w%27rd@db/app"
    )
    error = sa.exc.OperationalError("connect", {}, DriverError(echoed))
    message = driver_message(error)
    redact.forget()
    assert "tok3n" not in message and "w'rd" not in message and "w\\'rd" not in message
    assert "p%40ss" not in message
    assert message.count("***") == 3 and "host=db user=app" in message


def test_masked_urls_keep_what_is_not_secret() -> None:
    url = "mysql+pymysql://app:pw@db:3306/shop?charset=utf8mb4&PASSWD=x&ssl_key=/k.pem&token=t"
    assert redact.mask_url(url) == (
        "mysql+pymysql://app:***@db:3306/shop?PASSWD=***&charset=utf8mb4&ssl_key=***&token=***"
    )
    assert redact.mask_url("not a url at all") == "***"
