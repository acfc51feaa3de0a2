"""Finding lesson files and reading them as text, with every problem reported."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostics

LESSON_SUFFIXES = (".md", ".markdown", ".txt")
# Folders that never hold lessons: build output, VCS data, our own state.
SKIPPED_DIRS = {".git", ".github", "dist", "node_modules", "__pycache__", ".venv"}


@dataclass(frozen=True)
class SourceFile:
    path: Path  # where to read it
    shown: str  # how diagnostics name it (as the user would type it)
    source: str  # how cards name it: relative to the folder that was built
    root: Path  # the folder media must stay inside
    explicit: bool  # named on the command line, not found by a folder walk


def shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def discover(paths: list[Path], diags: Diagnostics) -> list[SourceFile]:
    """Every lesson file under the given files and folders, in a stable order."""
    found: list[SourceFile] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            for file in _walk(given):
                _add(found, seen, file, root, file.relative_to(given).as_posix(), False)
        elif given.is_file():
            _add(found, seen, given, given.resolve().parent, given.name, True)
        else:
            diags.error(shown_path(given), 1, "no such file or folder")
    return found


def _walk(folder: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.lower().endswith(LESSON_SUFFIXES) and name.lower() != "readme.md":
                files.append(Path(dirpath) / name)
    return files


def _add(found, seen, file: Path, root: Path, source: str, explicit: bool) -> None:
    key = file.resolve()
    if key not in seen:
        seen.add(key)
        found.append(SourceFile(file, shown_path(file), source, root, explicit))


def read_text(file: SourceFile, diags: Diagnostics) -> str | None:
    """The file's text with a BOM removed and line endings made ``\\n``; None if unusable."""
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        diags.error(file.shown, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        diags.error(file.shown, line, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
                    " cannot be decoded; save the file as UTF-8")
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        diags.error(file.shown, line, "file contains NUL bytes; it is not a text lesson")
        return None
    # CR LF and lone CR both end a line; counting them as one keeps line numbers true.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        diags.error(file.shown, 1, "file is empty")
        return None
    return text
