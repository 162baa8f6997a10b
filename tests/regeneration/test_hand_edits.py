"""Hand edits to generated files are detected: `generate` stops before writing anything, names
each file and says how to keep or discard the change (issue 5, point 3). Files sublimate does
not own are never touched, `--force` or not."""

from __future__ import annotations

from pathlib import Path

from ._support import add_review, out, run, tree, widen_customer_email


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in stderr
    return lines[0]


def test_an_edited_file_stops_generate_before_anything_is_written(project: Path) -> None:
    service = out(project) / "services" / "customer.py"
    line = "repository_class = CustomerRepository"
    edited = service.read_text().replace(line, f"{line}  # mine", 1)
    assert edited != service.read_text()
    service.write_text(edited)
    widen_customer_email(project)  # there is something else to write, too
    add_review(project)
    before = tree(project)

    result = run("generate", cwd=project)

    assert result.returncode == 1
    line = _one_line(result.stderr)
    assert "services/customer.py (move it to custom/customer.py)" in line
    assert "--force" in line
    assert tree(project) == before, "nothing was written"


def test_every_edited_file_is_named(project: Path) -> None:
    for path in ("dtos/tag.py", "repositories/order.py"):
        target = out(project) / path
        target.write_text(target.read_text() + "\n# a note\n")
    line = _one_line(run("generate", cwd=project).stderr)
    assert "dtos/tag.py (move it to custom/tag.py)" in line
    assert "repositories/order.py (move it to custom/order.py)" in line


def test_a_tampered_header_counts_as_an_edit(project: Path) -> None:
    target = out(project) / "dtos" / "order.py"
    first, _, body = target.read_text().split("\n", 2)
    target.write_text(f"{first}\n# sublimate-hash: 0123456789abcdef0123456789abcdef\n{body}")
    result = run("generate", cwd=project)
    assert result.returncode == 1
    assert "dtos/order.py" in result.stderr


def test_an_edited_header_less_file_is_detected_through_the_manifest(project: Path) -> None:
    mako = out(project) / "migrations" / "script.py.mako"
    mako.write_text(mako.read_text() + "# my revision footer\n")
    result = run("generate", cwd=project)
    assert result.returncode == 1
    assert "migrations/script.py.mako" in result.stderr


def test_force_discards_the_edit(project: Path, pristine: Path) -> None:
    service = out(project) / "services" / "customer.py"
    service.write_text("# gone\n")
    result = run("generate", "--force", cwd=project)
    assert result.returncode == 0, result.stderr
    assert service.read_bytes() == (out(pristine) / "services" / "customer.py").read_bytes()
    assert run("check", cwd=project).returncode == 0


def test_a_file_sublimate_does_not_own_is_never_overwritten(project: Path) -> None:
    # dtos/tag.py is not in the manifest, and what is there has no sublimate header.
    manifest = out(project) / ".sublimate.json"
    manifest.write_text(manifest.read_text().replace('"dtos/tag.py"', '"dtos/tag_old.py"'))
    mine = out(project) / "dtos" / "tag.py"
    mine.write_text("# my own module, not generated\n")
    before = tree(project)
    for args in (("generate",), ("generate", "--force")):
        result = run(*args, cwd=project)
        assert result.returncode == 1
        line = _one_line(result.stderr)
        assert "dtos/tag.py" in line and "does not own" in line
        assert tree(project) == before


def test_a_directory_where_a_file_goes_is_in_the_way(project: Path) -> None:
    add_review(project)
    (out(project) / "dtos" / "review.py").mkdir()
    before = tree(project)
    result = run("generate", cwd=project)
    assert result.returncode == 1
    assert "dtos/review.py" in _one_line(result.stderr)
    assert tree(project) == before


def test_a_lost_manifest_is_rebuilt_from_intact_headers(project: Path, pristine: Path) -> None:
    (out(project) / ".sublimate.json").unlink()
    custom = out(project) / "custom" / "order.py"
    custom.write_text("# kept\n")
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert custom.read_text() == "# kept\n"
    expected = tree(out(pristine))
    expected["custom/order.py"] = b"# kept\n"
    assert tree(out(project)) == expected


def test_a_conflicted_manifest_is_rebuilt_with_a_warning(project: Path, pristine: Path) -> None:
    manifest = out(project) / ".sublimate.json"
    text = manifest.read_text()
    manifest.write_text("<<<<<<< ours\n" + text + "=======\n" + text + ">>>>>>> theirs\n")
    checked = run("check", cwd=project)
    assert checked.returncode == 1
    assert "shop/db/.sublimate.json is missing or unreadable" in checked.stdout
    assert "warning: .sublimate.json is not a readable manifest" in checked.stderr
    result = run("generate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "warning: .sublimate.json is not a readable manifest" in result.stderr
    assert tree(out(project)) == tree(out(pristine))


def test_after_a_merge_conflict_force_restores_everything(project: Path, pristine: Path) -> None:
    manifest = out(project) / ".sublimate.json"
    manifest.write_text("<<<<<<< ours\n" + manifest.read_text() + ">>>>>>> theirs\n")
    service = out(project) / "services" / "order.py"
    service.write_text(service.read_text() + "<<<<<<< ours\n=======\n>>>>>>> theirs\n")
    refused = run("generate", cwd=project)
    assert refused.returncode == 1
    assert "services/order.py (move it to custom/order.py)" in refused.stderr
    forced = run("generate", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert tree(out(project)) == tree(out(pristine))
