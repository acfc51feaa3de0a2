"""Lesson files are named relative to the course root: as the paths were given, else as found
through symlinks, else by their name alone."""
from __future__ import annotations

from pathlib import Path

import pytest

from ankideploy.diagnostics import Diagnostics
from ankideploy.sources.files import _below, discover


def pathlib_below(path: str, folder: str) -> str | None:
    """What pathlib says: the reference the string comparison must agree with."""
    inner, outer = Path(path), Path(folder)
    return inner.relative_to(outer).as_posix() if inner.is_relative_to(outer) else None


@pytest.mark.parametrize("path, folder", [
    ("/a/b/c.md", "/a/b"), ("/a/bc/c.md", "/a/b"), ("/a/b", "/a/b"), ("/c.md", "/"), ("/a/b/c/d.md", "/a"),
    ("/x/c.md", "/a"), ("/a/b/c.md", "/a/b/c.md/d"),
])
def test_a_path_is_below_a_folder_as_pathlib_says(path, folder):
    assert _below(path, folder) == pathlib_below(path, folder)


@pytest.fixture
def linked_course(tmp_path) -> tuple[Path, Path]:
    real = tmp_path / "real"
    (real / "ep").mkdir(parents=True)
    (real / "ep" / "1.1-a.md").write_text("## Beginner\n", encoding="utf-8")
    link = tmp_path / "course"
    link.symlink_to(real)
    return real, link


def test_a_lesson_is_named_below_the_root_as_given(linked_course):
    _, link = linked_course
    [found] = discover([link], Diagnostics(), link)
    assert found.source == "ep/1.1-a.md" and found.path == link / "ep" / "1.1-a.md"


def test_a_lesson_given_through_a_symlink_is_named_below_the_real_root(linked_course):
    real, link = linked_course
    [found] = discover([link / "ep"], Diagnostics(), real)
    assert found.source == "ep/1.1-a.md"


def test_a_lesson_outside_the_root_is_named_by_its_name(linked_course, tmp_path):
    _, link = linked_course
    [found] = discover([link / "ep"], Diagnostics(), tmp_path / "elsewhere")
    assert found.source == "1.1-a.md"


def test_a_lesson_found_twice_through_a_symlink_is_kept_once(linked_course):
    real, link = linked_course
    assert [f.source for f in discover([real, link], Diagnostics(), real)] == ["ep/1.1-a.md"]


def test_case_is_compared_as_the_system_compares_it(monkeypatch):
    """Where the file system ignores case (Windows: os.path.normcase lowers it), so does the check."""
    monkeypatch.setattr("os.path.normcase", str.lower)
    assert _below("/Course/Ep/1.1.md", "/course") == "Ep/1.1.md" and _below("/Other/1.1.md", "/course") is None
