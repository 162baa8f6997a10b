"""Secrets in database URLs: the one place that decides what is secret and hides it.

A URL carries secrets in two places: the password of its user info, and query parameters that
drivers accept (`?password=` for psycopg, `?passwd=` for pymysql, `sslpassword`, tokens, API
keys). `mask_url` prints a URL with both replaced by `***`; `scrub` removes the secret values
from any other text, such as a driver's error message, which may echo the connection string.
The CLI remembers the URLs it is given (`remember`) and scrubs every message it prints, so a
secret never reaches the terminal, a log, a generated file or the manifest.

A query parameter is secret when its name contains one of `SECRET_WORDS` (any case): this errs
on the side of hiding (`sslkey`, a file path, is hidden too), which costs nothing.

SQLAlchemy is imported only when a URL is given as text: the generator's commands that read
models never pay for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    import sqlalchemy as sa

MASK = "***"
_PLACEHOLDER = "SUBLIMATEMASKED7F3A"
SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "signature")
_SECRET_NAME = re.compile("|".join(SECRET_WORDS), re.IGNORECASE)

_remembered: set[str] = set()


def is_secret(parameter: str) -> bool:
    """Whether a URL query parameter of this name carries a secret."""
    return _SECRET_NAME.search(parameter) is not None


def _url(url: sa.URL | str) -> sa.URL | None:
    if not isinstance(url, str):
        return url
    import sqlalchemy as sa

    try:
        return sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None


def mask_url(url: sa.URL | str) -> str:
    """The URL as text with its password and secret query parameters replaced by `***`.

    Text that is not a URL comes back as `***` whole: it may be anything, a secret included."""
    parsed = _url(url)
    if parsed is None:
        return MASK
    # SQLAlchemy would percent-quote `***` in a query: a plain placeholder, replaced once rendered.
    query = {
        name: (_PLACEHOLDER if is_secret(name) else value) for name, value in parsed.query.items()
    }
    text = parsed.set(query=query).render_as_string(hide_password=True)
    return text.replace(_PLACEHOLDER, MASK)


def secret_values(url: sa.URL | str) -> tuple[str, ...]:
    """The secret values a URL holds: its password and its secret query parameters."""
    parsed = _url(url)
    if parsed is None:
        return (url,) if isinstance(url, str) and url else ()
    values: list[str] = []
    if parsed.password:
        values.append(str(parsed.password))
    for name, value in parsed.query.items():
        if is_secret(name):
            values.extend([value] if isinstance(value, str) else value)
    return tuple(value for value in values if value)


def remember(url: sa.URL | str | None) -> None:
    """Note the secrets of a URL the process was given: `scrub` removes them from then on."""
    if url:
        _remembered.update(secret_values(url))


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without any of `secrets` or of the remembered ones (in the spellings a driver
    may echo them: as is, URL-quoted, or escaped as in a libpq connection string)."""
    spellings: set[str] = set()
    for secret in {*secrets, *_remembered}:
        if secret:
            escaped = secret.replace("\\", "\\\\").replace("'", "\\'")
            spellings.update({secret, quote(secret, safe=""), quote_plus(secret), escaped})
    # Longest first, so that a secret containing another is replaced whole. Only where it stands
    # alone (not inside a longer word): a password "postgres" must not turn "postgresql" into
    # "***ql", and a driver echoes a secret between delimiters (`password=...`, `:...@`).
    for spelling in sorted(spellings, key=len, reverse=True):
        if spelling in text:
            text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(spelling)}(?![0-9A-Za-z])", MASK, text)
    return text


def forget() -> None:
    """Drop the remembered secrets (for tests that run several commands in one process)."""
    _remembered.clear()
