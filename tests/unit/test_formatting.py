"""The formatters behind `render`: ruff's scratch copy and what a formatting failure says."""

from __future__ import annotations

from pathlib import Path

import pytest

from sublimate import formatting

UGLY = "x = {  'a':1 }\ndef f( a ):\n  return a\n"
NEAT = 'x = {"a": 1}\n\n\ndef f(a):\n    return a\n'


def test_ruff_formats_like_black() -> None:
    items = [("pkg/a.py", UGLY), ("pkg/b.py", "y=2\n")]
    assert formatting.format_all(items, 88, "ruff") == formatting.format_all(items, 88, "black")
    assert formatting.format_all(items, 88, "ruff")["pkg/a.py"] == NEAT


def test_ruff_falls_back_to_the_disk_when_memory_cannot_hold_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A memory directory that fails as a full one would (it does not exist: OSError).
    monkeypatch.setattr(formatting, "_memory_dir", lambda size: str(tmp_path / "gone"))
    assert formatting.format_all([("pkg/a.py", UGLY)], 88, "ruff") == {"pkg/a.py": NEAT}


def test_no_memory_directory_for_more_than_it_can_hold() -> None:
    assert formatting._memory_dir(1 << 60) is None


@pytest.mark.parametrize("formatter", ["ruff", "black"])
def test_a_render_that_does_not_parse_names_its_file(formatter: str) -> None:
    items = [("pkg/fine.py", "x = 1\n"), ("repositories/broken.py", "def f(:\n")]
    with pytest.raises(formatting.RenderError) as raised:
        formatting.format_all(items, 88, formatter)
    assert "repositories/broken.py" in str(raised.value)
    assert "does not parse" in str(raised.value)
