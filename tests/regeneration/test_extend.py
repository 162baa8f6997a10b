"""User modules on request: `sublimate extend` writes one, `generate` never does on its own.

A model nobody extends exports its generated classes from the package; extending it writes
custom/<model>.py once and changes no generated module but the package's `__init__.py`; the
user module is then the user's for good (never rewritten, a second `extend` leaves it), and
deleting it gives the generated classes back. Bad names are one line, exit 2, nothing written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ._support import BIN, add_review, example, out, remove_review, run, tree


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example generated as a new user gets it: no model extended."""
    return example(tmp_path_factory.mktemp("plain") / "example", extend=False)


@pytest.fixture
def fresh(plain: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(plain, tmp_path / "example", symlinks=True))


def _exported(project: Path, name: str) -> str:
    """The module the package's `name` is defined in."""
    done = subprocess.run(
        [str(BIN / "python"), "-c", f"import shop.db as db; print(db.{name}.__module__)"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_generate_writes_no_user_module_and_exports_the_generated_classes(fresh: Path) -> None:
    files = tree(out(fresh))
    assert not [path for path in files if path.startswith("custom/")]
    manifest = json.loads(files[".sublimate.json"])
    assert manifest["user_files"] == {}
    assert _exported(fresh, "CustomerService") == "shop.db.services.customer"
    assert _exported(fresh, "AsyncOrderRepository") == "shop.db.repositories.order"
    assert run("check", cwd=fresh).returncode == 0


def test_extend_writes_the_user_module_and_changes_only_the_package_init(fresh: Path) -> None:
    before = tree(out(fresh))

    result = run("extend", "Customer", "order_lines", cwd=fresh)  # a class and a table name

    assert result.returncode == 0, result.stderr
    assert "3 user modules created" in result.stderr  # and custom/__init__.py
    assert (
        "yours from now on, never rewritten: shop/db/custom/customer.py,"
        " shop/db/custom/order_line.py\n"
    ) in result.stderr
    after = tree(out(fresh))
    added = set(after) - set(before)
    assert added == {"custom/__init__.py", "custom/customer.py", "custom/order_line.py"}
    changed = {path for path in before if before[path] != after[path]}
    assert changed == {"__init__.py", ".sublimate.json"}, changed
    assert _exported(fresh, "CustomerService") == "shop.db.custom.customer"
    assert _exported(fresh, "AsyncOrderLineRepository") == "shop.db.custom.order_line"
    assert _exported(fresh, "OrderService") == "shop.db.services.order"  # not asked for
    manifest = json.loads(after[".sublimate.json"])
    assert manifest["user_files"]["custom/customer.py"] == "Customer"
    checked = run("check", cwd=fresh)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_user_module_is_never_rewritten_and_regenerate_keeps_using_it(fresh: Path) -> None:
    assert run("extend", "Customer", cwd=fresh).returncode == 0
    user_module = out(fresh) / "custom" / "customer.py"
    mine = user_module.read_text() + "\n\nMINE = 1\n"
    user_module.write_text(mine)

    again = run("extend", "customer", cwd=fresh)  # the module name, already extended
    regenerated = run("generate", cwd=fresh)

    assert again.returncode == 0 and regenerated.returncode == 0, again.stderr
    assert "user module" not in again.stderr  # nothing created
    assert user_module.read_text() == mine
    assert _exported(fresh, "CustomerService") == "shop.db.custom.customer"


def test_extend_all_writes_one_for_every_model(fresh: Path) -> None:
    result = run("extend", "--all", cwd=fresh)

    assert result.returncode == 0, result.stderr
    modules = {p.name for p in (out(fresh) / "custom").glob("*.py")} - {"__init__.py"}
    generated = {p.name for p in (out(fresh) / "services").glob("*.py")} - {"__init__.py"}
    assert modules == generated and len(modules) == 6
    assert "7 user modules created" in result.stderr  # and custom/__init__.py
    assert ", shop/db/custom/order.py and 3 more\n" in result.stderr


def test_deleting_a_user_module_gives_the_generated_classes_back(fresh: Path) -> None:
    assert run("extend", "Tag", cwd=fresh).returncode == 0
    (out(fresh) / "custom" / "tag.py").unlink()

    result = run("generate", cwd=fresh)

    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr  # not an orphan: the model is there
    assert not (out(fresh) / "custom" / "tag.py").exists()
    assert _exported(fresh, "TagService") == "shop.db.services.tag"
    manifest = json.loads((out(fresh) / ".sublimate.json").read_text())
    assert "custom/tag.py" not in manifest["user_files"]
    assert run("check", cwd=fresh).returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("Custmer",), "no model named 'Custmer' (closest: Customer)"),
        (("Customer", "nope"), "no model named 'nope'"),
        ((), "name the models to extend"),
    ],
)
def test_a_bad_request_is_one_line_and_writes_nothing(
    fresh: Path, args: tuple[str, ...], says: str
) -> None:
    before = tree(fresh)

    result = run("extend", *args, cwd=fresh)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(fresh) == before


def test_a_hand_edit_of_a_model_without_user_module_says_how_to_get_one(fresh: Path) -> None:
    service = out(fresh) / "services" / "product.py"
    service.write_text(service.read_text() + "\n# mine\n")

    result = run("generate", cwd=fresh)

    assert result.returncode == 1
    assert (
        "services/product.py (move it to custom/product.py, which `sublimate extend Product`"
        " writes)" in result.stderr
    ), result.stderr


def test_a_hand_edit_of_a_removed_model_does_not_suggest_extending_it(fresh: Path) -> None:
    add_review(fresh)
    assert run("generate", cwd=fresh).returncode == 0
    edited = out(fresh) / "repositories" / "review.py"
    edited.write_text(edited.read_text() + "# mine\n")
    remove_review(fresh)

    result = run("generate", cwd=fresh)

    assert result.returncode == 1
    assert "repositories/review.py (move it to custom/)" in result.stderr, result.stderr
    assert "sublimate extend" not in result.stderr  # Review is gone: there is nothing to extend
