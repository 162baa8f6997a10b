"""When a model goes away its generated files go; its user module stays, with a warning; files
the manifest does not list are never touched (issue 5, point 4)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ._support import BIN, add_review, out, remove_review, run, tree

REVIEW_FILES = ("dtos/review.py", "repositories/review.py", "services/review.py")


def test_removing_a_model_removes_its_files_and_keeps_the_user_module(project: Path) -> None:
    add_review(project)
    added = run("extend", "Review", cwd=project)
    assert added.returncode == 0, added.stderr
    assert all((out(project) / path).exists() for path in REVIEW_FILES)
    user_module = out(project) / "custom" / "review.py"
    user_module.write_text(user_module.read_text() + "\n# my review code\n")
    foreign = {
        "dtos/notes.md": b"my notes\n",
        "repositories/handwritten.py": b"X = 1\n",
        "custom/helpers.py": b"Y = 2\n",
    }
    for path, content in foreign.items():
        (out(project) / path).write_bytes(content)
    user_before = user_module.read_bytes()

    remove_review(project)
    removed = run("generate", cwd=project)

    assert removed.returncode == 0, removed.stderr
    assert not any((out(project) / path).exists() for path in REVIEW_FILES)
    assert user_module.read_bytes() == user_before
    warnings = [line for line in removed.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "custom/review.py" in warnings[0] and "Review" in warnings[0]
    assert "3 removed" in removed.stderr
    for path, content in foreign.items():
        assert (out(project) / path).read_bytes() == content, path
    manifest = json.loads((out(project) / ".sublimate.json").read_text())
    assert not set(REVIEW_FILES) & set(manifest["files"])
    assert "Review" not in manifest["schema"]
    assert "Review" not in (out(project) / "__init__.py").read_text()
    imported = subprocess.run(
        [str(BIN / "python"), "-c", "import shop.db; print(len(shop.db.__all__))"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr
    # The orphan is still warned about while it exists, and is not a reason to fail `check`.
    checked = run("check", cwd=project)
    assert checked.returncode == 0, checked.stdout
    assert "custom/review.py" in checked.stderr


def test_a_hand_edited_file_of_a_removed_model_needs_force(project: Path, pristine: Path) -> None:
    add_review(project)
    assert run("extend", "Review", cwd=project).returncode == 0
    edited = out(project) / "repositories" / "review.py"
    edited.write_text(edited.read_text() + "# mine\n")
    remove_review(project)
    before = tree(project)
    refused = run("generate", cwd=project)
    assert refused.returncode == 1
    assert "repositories/review.py" in refused.stderr
    assert tree(project) == before
    forced = run("generate", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert not edited.exists()
    expected = tree(out(pristine))
    expected["custom/review.py"] = (out(project) / "custom" / "review.py").read_bytes()
    manifest = json.loads(expected.pop(".sublimate.json"))
    manifest["user_files"]["custom/review.py"] = "Review"  # an orphan, listed while it exists
    actual = tree(out(project))
    assert json.loads(actual.pop(".sublimate.json")) == manifest
    assert actual == expected
