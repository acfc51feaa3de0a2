"""Files that are either wholly old or wholly new: a temporary beside the target (or in another
folder of the same file system), then a rename.

Temporaries are named ``.<target>.<pid>.<random><suffix>``; a process killed before it
could clean up leaves one behind, and the next build removes those whose process is gone.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

TEMP_RE = re.compile(r"^\..+\.(\d+)\.[^.]+(?:\.db)?\.tmp$")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def open_temporary(target: Path, suffix: str = ".tmp", temporary_in: Path | None = None) -> tuple[int, str]:
    """A temporary file beside ``target`` (or in ``temporary_in``, on the same file system) with the
    permissions a plain new file would get."""
    fd, tmp = tempfile.mkstemp(dir=temporary_in or target.parent, prefix=f".{target.name}.{os.getpid()}.",
                               suffix=suffix)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def write_atomically(path: Path, data: bytes, durable: bool = True, mode: int | None = None,
                     temporary_in: Path | None = None) -> None:
    """Readers see the old file or the new one, never half of one; ``durable`` also survives power loss;
    ``mode``: the new file's permissions (default: a plain new file's); ``temporary_in``: the folder
    of the temporary, on the same file system (default: the file's own)."""
    fd, tmp = open_temporary(path, temporary_in=temporary_in)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap, safe liveness check: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(*folders: Path) -> None:
    """Remove temporaries left by killed processes (never those of a build still running)."""
    for folder in folders:
        try:
            entries = list(folder.iterdir()) if folder.is_dir() else []
        except OSError:
            continue
        for entry in entries:
            m = TEMP_RE.match(entry.name)
            if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
                entry.unlink(missing_ok=True)
