"""A cache of processed lesson files, so a rebuild only renders what changed.

An entry is keyed by everything the result depends on: the file's bytes and
names, the build settings, the renderer and library versions. Images are files
of their own, so each entry also records the images it looked at (present or
not, size, mtime) and is ignored when any of them changed. A cache that could
return stale HTML would be a bug; deleting the folder at any time is safe.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from . import __version__
from .atomic import write_atomically


def default_folder() -> Path:
    if value := os.environ.get("ANKIDEPLOY_CACHE_DIR"):
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ankideploy"


def _library_versions() -> str:
    import markdown
    import nh3
    import pygments
    return f"{markdown.__version__},{pygments.__version__},{nh3.__version__}"


def _code_digest() -> str:
    """The package's own source: any change to the code that renders invalidates every entry."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\x00" + source.read_bytes())
    return digest.hexdigest()[:16]


def file_stat(path: Path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return (False, 0, 0)
    return (True, st.st_size, st.st_mtime_ns)


class RenderCache:
    def __init__(self, folder: Path | None):
        self.folder = folder
        self._salt = None

    def key(self, file, settings) -> str | None:
        if self.folder is None:
            return None
        from .render import RENDERER_VERSION
        if self._salt is None:
            self._salt = f"{__version__}|{RENDERER_VERSION}|{_code_digest()}|{_library_versions()}"
        from .sources.files import MAX_LESSON_BYTES
        try:
            if not file.path.is_file() or file.path.stat().st_size > MAX_LESSON_BYTES:
                return None  # the reader reports it; nothing to cache
            data = file.path.read_bytes()
        except OSError:
            return None  # reading fails again in the worker, which reports it
        digest = hashlib.sha256()
        for part in (self._salt, repr(settings), file.shown, file.source, str(file.root),
                     str(file.path.resolve().parent)):
            digest.update(part.encode("utf-8") + b"\x00")
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.pickle"

    def get(self, key: str | None):
        if key is None:
            return None
        try:
            with open(self._path(key), "rb") as handle:
                result, deps = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError, ImportError):
            return None
        if any(file_stat(Path(path)) != tuple(stat) for path, stat in deps.items()):
            return None
        return result

    def put(self, key: str | None, result, deps: dict[str, tuple]) -> None:
        if key is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, pickle.dumps((result, deps), protocol=pickle.HIGHEST_PROTOCOL), durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time
