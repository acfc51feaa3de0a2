"""Package the "Say it aloud" add-on folder as a byte-reproducible .ankiaddon.

An .ankiaddon is a zip of the add-on folder's *contents* (manifest.json at the
root). Entries are sorted and carry a fixed date and mode, so the same folder
always gives the same bytes, whoever builds it and whenever.
"""
from __future__ import annotations

import importlib.util
import json
import os
import zipfile
from pathlib import Path

from .atomic import open_temporary

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
FILE_MODE = 0o100644  # regular file, rw-r--r--
# Never shipped: bytecode, and meta.json, which Anki writes per user (it holds their config).
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}
_SKIP_NAMES = {"meta.json"}


def default_source() -> Path:
    """The checkout's addon/ folder, or the copy installed with ankideploy.

    The installed copy is found without importing it: it imports aqt, which only Anki has."""
    checkout = Path(__file__).resolve().parents[2] / "addon"
    if checkout.is_dir():
        return checkout
    spec = importlib.util.find_spec("ankideploy.addon_source")
    if spec is None or not spec.submodule_search_locations:
        return checkout  # reported as missing by package_addon
    return Path(list(spec.submodule_search_locations)[0])


def read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{folder} has no manifest.json; is it an add-on folder?") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    package = manifest.get("package") if isinstance(manifest, dict) else None
    if not isinstance(package, str) or not package or Path(package).name != package or package in (".", ".."):
        raise ValueError(f"{path}: 'package' must be a plain folder name")
    return manifest


def addon_files(folder: Path) -> list[str]:
    """The files to ship, as sorted zip names (forward slashes)."""
    names = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if not path.is_file() or _skipped(relative):
            continue
        names.append(relative.as_posix())
    return sorted(names)


def _skipped(relative: Path) -> bool:
    if any(part in _SKIP_DIRS or part.startswith(".") for part in relative.parts):
        return True
    return relative.suffix in _SKIP_SUFFIXES or relative.as_posix() in _SKIP_NAMES


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the mode below means the same on every OS
    info.external_attr = FILE_MODE << 16
    return info


def package_addon(source: Path | None, out_dir: Path) -> Path:
    """Write out_dir/<package>.ankiaddon and return its path."""
    folder = Path(source) if source is not None else default_source()
    if not folder.is_dir():
        raise ValueError(f"add-on folder not found: {folder}")
    manifest = read_manifest(folder)
    if not (folder / "__init__.py").is_file():
        raise ValueError(f"{folder} has no __init__.py; Anki would not load it")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{manifest['package']}.ankiaddon"
    _write_atomically(folder, addon_files(folder), target)
    return target


def _write_atomically(folder: Path, names: list[str], target: Path) -> None:
    # A temp file beside the target, then a rename: readers never see half a zip.
    fd, temp = open_temporary(target)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            for name in names:
                archive.writestr(_entry(name), (folder / name).read_bytes(), compresslevel=9)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
