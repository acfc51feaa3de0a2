"""`ankideploy addon`: the add-on folder as a reproducible .ankiaddon."""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankideploy import addon_package
from ankideploy.addon_package import package_addon
from ankideploy.cli import main
from conftest import REPO

ADDON = REPO / "addon"


@pytest.fixture
def addon_copy(tmp_path) -> Path:
    """The add-on folder plus the clutter a working copy collects."""
    folder = tmp_path / "addon"
    shutil.copytree(ADDON, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "prompt.cpython-311.pyc").write_bytes(b"\0")
    (folder / "web" / "__pycache__").mkdir()
    (folder / "web" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (folder / "stray.pyc").write_bytes(b"\0")
    (folder / "meta.json").write_text('{"config": {"timer_seconds": 5}}')  # a user's, from a live install
    (folder / ".DS_Store").write_bytes(b"\0")
    return folder


def _expected_names(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
                  and p.name not in ("meta.json", ".DS_Store"))


def test_default_source_is_the_checkouts_addon_folder(tmp_path):
    target = package_addon(None, tmp_path / "dist")
    assert target == tmp_path / "dist" / "say_it_aloud.ankiaddon"
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["package"] == "say_it_aloud"
    assert "__init__.py" in names and "web/say_aloud.js" in names and "web/say_aloud.css" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_zip_holds_the_folder_contents_sorted_without_clutter(addon_copy, tmp_path):
    target = package_addon(addon_copy, tmp_path / "dist")
    with zipfile.ZipFile(target) as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
    names = [info.filename for info in infos]
    assert names == _expected_names(addon_copy)
    assert names == sorted(names) and "manifest.json" in names  # at the root, no folder prefix
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.create_system == 3


def test_byte_reproducible_whatever_the_file_times(addon_copy, tmp_path):
    first = package_addon(addon_copy, tmp_path / "one").read_bytes()
    for path in addon_copy.rglob("*"):
        os.utime(path, (1_800_000_000, 1_800_000_000))
    (addon_copy / "config.md").chmod(0o600)
    second = package_addon(addon_copy, tmp_path / "two").read_bytes()
    assert first == second


def test_rewrite_replaces_atomically_and_leaves_no_temp_files(addon_copy, tmp_path):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "say_it_aloud.ankiaddon").write_text("old")
    target = package_addon(addon_copy, out)
    assert zipfile.is_zipfile(target)
    assert sorted(p.name for p in out.iterdir()) == ["say_it_aloud.ankiaddon"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_the_old_file_and_no_temp(addon_copy, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "say_it_aloud.ankiaddon").write_text("old")

    def boom(name):
        raise OSError("disk full")
    monkeypatch.setattr(addon_package, "_entry", boom)
    with pytest.raises(OSError):
        package_addon(addon_copy, out)
    assert [p.name for p in out.iterdir()] == ["say_it_aloud.ankiaddon"]
    assert (out / "say_it_aloud.ankiaddon").read_text() == "old"


def test_missing_default_folder_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(addon_package, "default_source", lambda: tmp_path / "nowhere" / "addon")
    with pytest.raises(ValueError, match="add-on folder not found: .*nowhere"):
        package_addon(None, tmp_path / "dist")


@pytest.mark.parametrize("manifest, message", [
    (None, "no manifest.json"),
    ("{not json", "not valid JSON"),
    ('{"name": "x"}', "'package' must be a plain folder name"),
    ('{"package": "../evil", "name": "x"}', "'package' must be a plain folder name"),
    ('["package"]', "'package' must be a plain folder name"),
])
def test_bad_manifest_is_a_clear_error(addon_copy, tmp_path, manifest, message):
    if manifest is None:
        (addon_copy / "manifest.json").unlink()
    else:
        (addon_copy / "manifest.json").write_text(manifest)
    with pytest.raises(ValueError, match=message):
        package_addon(addon_copy, tmp_path / "dist")
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_folder_without_init_is_refused(addon_copy, tmp_path):
    (addon_copy / "__init__.py").unlink()
    with pytest.raises(ValueError, match="no __init__.py"):
        package_addon(addon_copy, tmp_path / "dist")


def test_cli_writes_the_ankiaddon(tmp_path):
    result = CliRunner().invoke(main, ["addon", "-o", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "say_it_aloud.ankiaddon" in result.output
    assert (tmp_path / "dist" / "say_it_aloud.ankiaddon").is_file()


def test_cli_reports_a_bad_folder_without_a_traceback(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["addon", "-o", str(tmp_path / "dist"), "--source", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "no manifest.json" in result.output and "Traceback" not in result.output


def test_the_add_on_stays_small_and_ships_the_course_update_modules(tmp_path):
    target = package_addon(None, tmp_path / "dist")
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
    assert {"course.py", "fetch.py", "updates_gui.py"} <= set(names)
    assert target.stat().st_size < 48 * 1024
