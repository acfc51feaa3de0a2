"""Finding lesson files and reading them as text, with every problem reported."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Diagnostics
from ..identity import STATE_FILE

LESSON_SUFFIXES = (".md", ".markdown", ".txt")
# Folders that never hold lessons: build output, VCS data, our own state.
SKIPPED_DIRS = {".git", ".github", "dist", "node_modules", "__pycache__", ".venv"}


@dataclass(frozen=True)
class SourceFile:
    path: Path  # where to read it
    shown: str  # how diagnostics name it (as the user would type it)
    source: str  # how cards name it: relative to the course root, whatever path was given
    root: Path  # the course root (resolved): media must stay inside it


def shown_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def course_root(paths: list[Path]) -> Path:
    """One folder for the whole run: the nearest folder holding the state file at or above what
    was given (as typed, and through symlinks; never above the repository root), else the folder
    the paths have in common. Lessons are named, and notes kept, relative to it, so building one
    lesson of a course names and keeps it exactly as building the whole course does."""
    folders = [Path(os.path.abspath(p if p.is_dir() else p.parent)) for p in paths if p.exists()]
    common = Path(os.path.commonpath(folders)) if folders else Path(os.path.abspath("."))
    for start in dict.fromkeys([common, common.resolve()]):
        for folder in (start, *start.parents):
            if (folder / STATE_FILE).is_file():
                return folder
            if (folder / ".git").exists():
                break
    return common


def discover(paths: list[Path], diags: Diagnostics, root: Path | None = None) -> list[SourceFile]:
    """Every lesson file under the given files and folders, in a stable order, named relative to
    ``root`` (the course root of the paths when not given)."""
    found: list[SourceFile] = []
    seen: set[str] = set()
    root = root or course_root(paths)
    real_root = root.resolve()
    for given in paths:
        if not given.exists():
            diags.error(shown_path(given), 1, "no such file or folder")
            continue
        # A non-regular file named on the command line is kept: read_text reports it.
        for file in (_walk(given) if given.is_dir() else [given]):
            _add(found, seen, file, root, real_root)
    return found


def _walk(folder: Path) -> list[Path]:
    files, visited = [], set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:  # a symlink loop, or the same folder linked twice
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.lower().endswith(LESSON_SUFFIXES) and name.lower() != "readme.md":
                files.append(Path(dirpath) / name)
    return files


def _add(found, seen, file: Path, root: Path, real_root: Path) -> None:
    real = os.path.realpath(file)  # (strings, not Paths: a course has many files, and pathlib is slow)
    if real not in seen:
        seen.add(real)
        found.append(SourceFile(file, shown_path(file), _relative(file, real, root, real_root), real_root))


def _relative(file: Path, real: str, root: Path, real_root: Path) -> str:
    """The file as named below the root, else as found below it through symlinks, else its name."""
    for path, base in ((os.path.abspath(file), str(root)), (real, str(real_root))):
        below = _below(path, base)
        if below is not None:
            return below
    return file.name


def _below(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` (with ``/``), or None when it is not inside it. Both are absolute
    and normalised; case is compared as the system compares it (normcase: on Windows, without)."""
    prefix = folder if folder.endswith(os.sep) else folder + os.sep
    if os.path.normcase(path) == os.path.normcase(folder):
        return "."
    if not os.path.normcase(path).startswith(os.path.normcase(prefix)):
        return None
    return path[len(prefix):].replace(os.sep, "/")


MAX_LESSON_BYTES = 10 * 1024 * 1024  # far beyond any lesson; guards against devices and accidents
CONTROL_RE = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text(file: SourceFile, diags: Diagnostics) -> str | None:
    """The file's text with a BOM removed and line endings made ``\\n``; None if unusable."""
    data = read_bytes(file, diags)
    return None if data is None else decode_text(file, data, diags)


def decode_text(file: SourceFile, data: bytes, diags: Diagnostics) -> str | None:
    """The text of the file's bytes ``data``, as ``read_text`` gives it."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        diags.error(file.shown, _line_at(data, offset), f"not UTF-8: byte 0x{data[offset]:02x} at offset {offset}"
                    " cannot be decoded; save the file as UTF-8")
        return None
    # CR LF and lone CR both end a line; counting them as one keeps line numbers true.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        diags.error(file.shown, text.count("\n", 0, text.index("\x00")) + 1,
                    "file contains NUL bytes; it is not a text lesson")
        return None
    if m := CONTROL_RE.search(text):
        # U+001F separates fields inside Anki: one in a card would break the whole package.
        diags.warning(file.shown, text.count("\n", 0, m.start()) + 1,
                      f"invisible control character U+{ord(m.group()):04X} removed")
        text = CONTROL_RE.sub("", text)
    if not text.strip():
        diags.error(file.shown, 1, "file is empty")
        return None
    return text


def read_bytes(file: SourceFile, diags: Diagnostics) -> bytes | None:
    """The file's bytes; None (reported) when it is not a regular file, cannot be read or is too large."""
    try:
        if not file.path.is_file():
            diags.error(file.shown, 1, "not a regular file")
            return None
        with open(file.path, "rb") as handle:
            # Asking for the limit would allocate it for every file: ask for what the file holds (a
            # size of 0 may mean one the system does not know, as in /proc: then for the limit).
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, MAX_LESSON_BYTES) + 1 if size else MAX_LESSON_BYTES + 1)
    except OSError as exc:
        diags.error(file.shown, 1, f"cannot read file: {exc.strerror or exc}")
        return None
    if len(data) > MAX_LESSON_BYTES:
        diags.error(file.shown, 1, f"file is larger than {MAX_LESSON_BYTES // (1024 * 1024)} MB;"
                    " it is not a lesson")
        return None
    return data


def _line_at(data: bytes, offset: int) -> int:
    head = data[:offset]
    return head.count(b"\r\n") + head.replace(b"\r\n", b"").count(b"\r") + head.replace(b"\r\n", b"").count(b"\n") + 1
