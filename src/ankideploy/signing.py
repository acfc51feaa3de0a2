"""The key that signs render cache entries: a per-user secret kept outside the cache folder.

A plain digest in an entry only catches corruption: whoever can write the cache
folder can recompute it. An HMAC with a secret the cache folder does not hold
also keeps out entries written by anyone else. The secret is 32 random bytes,
written as 64 hex digits and a newline to ``$XDG_CONFIG_HOME/ankideploy/cache-secret``
(default ``~/.config/ankideploy/cache-secret``), readable by its owner only. It
is made on first use: written whole to a temporary, then hard-linked into place,
which fails when another process got there first; either way every process then
reads the one file that won.

A secret file that is not exactly what this module writes (another size or
content, a symlink, not a regular file, open to other users, owned by someone
else) is never repaired or replaced: the caller runs without a cache and says why.
"""
from __future__ import annotations

import hmac
import os
import re
import stat
from pathlib import Path

SECRET_RE = re.compile(rb"[0-9a-f]{64}\n")
SECRET_SIZE = 65


class SecretError(Exception):
    """Why there is no usable secret: the cache is off for this run."""


def secret_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".config")
    if not os.path.isabs(base):  # "~" itself: no home folder to be found
        raise SecretError("no home folder to keep the cache secret in")
    return Path(base) / "ankideploy" / "cache-secret"


def load_secret(path: Path | None = None) -> bytes:
    """The secret, made first if there is none; SecretError when it cannot be had."""
    path = path or secret_path()
    try:
        try:
            return _read(path)
        except FileNotFoundError:
            _create(path)
            return _read(path)
    except OSError as exc:
        raise SecretError(f"cannot read or make the secret {path}: {exc.strerror or exc}") from exc


def sign(secret: bytes, *pieces: bytes) -> str:
    """The HMAC-SHA256 of the pieces one after the other, in hex."""
    mac = hmac.new(secret, digestmod="sha256")
    for piece in pieces:
        mac.update(piece)
    return mac.hexdigest()


def verified(secret: bytes, mac: bytes, *pieces: bytes) -> bool:
    """Whether ``mac`` (hex) is the HMAC of the pieces."""
    return hmac.compare_digest(sign(secret, *pieces).encode(), mac)


def _read(path: Path) -> bytes:
    if path.is_symlink():
        raise SecretError(f"{path} is a symlink; delete it and a new secret is made")
    # O_NOFOLLOW: no symlink swapped in since; O_NONBLOCK: a FIFO put there cannot hang the build.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if problem := _problem(info):
            raise SecretError(f"{path} {problem}")
        data = os.read(fd, SECRET_SIZE + 1)
    finally:
        os.close(fd)
    if not SECRET_RE.fullmatch(data):
        raise SecretError(f"{path} is not a secret this tool wrote (64 hex digits and a newline); delete it"
                          " and a new one is made")
    return bytes.fromhex(data[:64].decode("ascii"))


def _problem(info: os.stat_result) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_size != SECRET_SIZE:
        return f"is {info.st_size} bytes long, not {SECRET_SIZE}; delete it and a new one is made"
    if os.name == "posix" and info.st_uid != os.geteuid():
        return "belongs to another user"
    if os.name == "posix" and info.st_mode & 0o077:
        return "can be read or written by other users (chmod 600 it)"
    return None


def _create(path: Path) -> None:
    import secrets  # only here: made once per user
    import tempfile
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".cache-secret.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_hex(32).encode("ascii") + b"\n")
            out.flush()
            os.fsync(out.fileno())  # a crash must not leave a short secret behind
        _place(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _place(temporary: str, path: Path) -> None:
    """Put the complete secret at ``path`` unless a secret is there already (then that one stays)."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    except OSError:  # no hard links on this file system: exclusive creation, written at once
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "wb") as out:
            out.write(Path(temporary).read_bytes())
