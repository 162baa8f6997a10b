"""The second process of the two-process test: reads accounts through its own region.

Usage: ``python child.py DATABASE_URL NAMESPACE``; then one command per line on stdin:
``get ID`` answers ``NAME STATEMENTS`` (the statements that read sent), ``quit`` ends.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1] / "runtime")]

from sublimate_runtime import Cache, create_engine, session_factory  # noqa: E402

from cache.app import AccountRepository, statements  # noqa: E402
from cache.conftest import Backend  # noqa: E402


def main() -> None:
    url, namespace = sys.argv[1], sys.argv[2]
    engine = create_engine(url)
    backend = Backend("redis", namespace)
    factory = Cache(backend.region(), namespace=namespace).attach(session_factory(engine))
    sql = statements(engine)
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "quit":
            break
        sql.clear()
        with factory() as session:
            name = AccountRepository(session).get(int(args[0])).name
        print(f"{name.replace(' ', '_')} {len(sql)}", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
