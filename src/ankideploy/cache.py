"""The render cache: what processing each lesson file gave, so a rebuild redoes only what changed.

The cache holds data, never code: one JSON entry per lesson file and build
settings, with two parts. The *result* is the whole outcome of processing the
file for one exact source (its SHA-256): the notes with their final HTML, the
deck, the description, the images, the diagnostics and the lesson facts the build
reports. When the file's bytes are unchanged it is used as it is: the lesson is
not parsed or rendered at all. The *calls* map each text the renderer was given
(with its line) to the HTML, diagnostics and images it produced: after an edit,
the lesson is parsed again and only the answers that changed are rendered.

An entry is trusted only when it proves itself. It is signed with an HMAC-SHA256
whose key is a per-user secret kept outside the cache folder (see ``signing``),
so an entry someone else wrote, or edited and re-hashed, is a miss. It must name
the key it was written for and hold only values of the expected types; every
image it names must still be the file it was (size and mtime) inside the course
folder; and a result is used only if its file still hashes the same and every
stamped id in it appears as an id comment in that file (``file_result``). Anything
else, including a file that is not JSON at all, is a miss: the build processes
the file afresh and gets exactly what ``--no-cache`` would. Without a usable
secret the cache is off for the run. Deleting the folder at any time is safe.

It avoids pickle (a crafted entry would run code), re-serialising an entry to
check it (the HMAC covers the bytes as written), parsing the per-call part when
the result is used, and keeps no state between builds besides its files.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

from . import __version__, signing
from .atomic import write_atomically
from .diagnostics import ERROR, NOTE, WARNING
from .media import file_stat

ENTRY_FORMAT = 3
ENTRY_SUFFIX = ".json"
MEDIA_NAME_RE = re.compile(r"^[0-9a-f]{20}\.[a-z0-9]{1,8}$")
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # an entry larger than any lesson could produce is not read
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This folder is the ankideploy render cache; backup tools may skip it.\n")
# An entry's bytes: MAC_OPEN, the HMAC in hex, MAC_CLOSE, then the signed part as written.
MAC_OPEN, MAC_CLOSE, MAC_SIZE = b'{"mac":"', b'",', 64
# What a result depends on besides this package's code: import name -> distribution name.
LIBRARIES = {"markdown": "markdown", "pygments": "pygments", "nh3": "nh3", "yaml": "pyyaml"}
_JSON = json.JSONDecoder()


def default_folder() -> Path:
    if value := os.environ.get("ANKIDEPLOY_CACHE_DIR"):
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ankideploy"


@functools.cache
def salt() -> str:
    """What every key shares: the entry format, the tool, its code, the libraries and Python."""
    python = ".".join(map(str, sys.version_info[:3]))
    return f"{ENTRY_FORMAT}|{__version__}|{_code_digest()}|{_library_versions()}|{python}"


def _code_digest() -> str:
    """The package's own source: any change to the code that parses or renders invalidates every entry."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + b"\x00" + source.read_bytes())
    return digest.hexdigest()[:16]


def _library_versions() -> str:
    return ",".join(f"{module}={_installed_version(module, dist)}" for module, dist in LIBRARIES.items())


def _installed_version(module: str, dist: str) -> str:
    """The version in the name of the library's metadata folder beside it, found without importing
    it: importing markdown, Pygments and nh3 costs more than a rebuild's whole lookup. Where there
    is no such folder, the version the imported library states."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return "missing"
    location = next(iter(spec.submodule_search_locations or []), None) or spec.origin or ""
    try:
        names = sorted(os.listdir(os.path.dirname(os.path.abspath(location))))
    except OSError:
        names = []
    for name in names:
        stem, _, kind = name.rpartition(".")
        project, _, version = stem.partition("-")
        if kind in ("dist-info", "egg-info") and version and re.sub(r"[-_.]+", "-", project).lower() == dist:
            return version.split("-")[0]
    return str(getattr(__import__(module), "__version__", "unknown"))


class Entry:
    """A verified entry; each part is parsed only when asked for."""

    def __init__(self, text: str, start: int):
        self.text, self.start = text, start
        self._result, self._end = None, None

    def result(self):
        """The file's whole result as stored (checked by ``file_result``), or None."""
        if self._end is None:
            self._result, self._end = self._decode(self.start)
        return self._result

    def calls(self) -> dict:
        """The stored renderer calls: call key -> raw JSON value, each checked when used."""
        self.result()
        head = ',"calls":'
        if self._end < 0 or not self.text.startswith(head, self._end):
            return {}
        calls, end = self._decode(self._end + len(head))
        return calls if isinstance(calls, dict) and self.text[end:] == "}" else {}

    def _decode(self, start: int):
        try:
            return _JSON.raw_decode(self.text, start)
        except (ValueError, RecursionError):
            return None, -1


class RenderCache:
    """The cache folder and the secret that signs its entries."""

    def __init__(self, folder: Path, secret: bytes):
        self.folder, self.secret = folder, secret
        self.salt = salt()

    def key(self, file, settings) -> str:
        """One entry per lesson file and build settings. The file's text is not part of the key:
        the entry says which source its result is for, and each call inside it is keyed by its
        own text, so editing one answer re-renders only that answer."""
        digest = hashlib.sha256()
        for part in (self.salt, repr(settings), file.shown, file.source, str(file.root),
                     str(file.path.resolve().parent)):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{ENTRY_SUFFIX}"

    @staticmethod
    def _head(key: str) -> bytes:
        return f'"format":{ENTRY_FORMAT},"key":"{key}","result":'.encode("ascii")

    def load(self, key: str) -> Entry | None:
        """The entry, or None when it is missing, unsigned, signed with another secret or malformed."""
        return self.verified(key, self.read(key))

    def read(self, key: str) -> bytes | None:
        """The entry's bytes as they are on disk, not yet verified (None: there is none to read)."""
        if not KEY_RE.match(key):
            return None
        try:
            path = self._path(key)
            if path.stat().st_size > MAX_ENTRY_BYTES:
                return None
            return path.read_bytes()
        except (OSError, ValueError):
            return None

    def claims(self, key: str, data: bytes | None, digest: str) -> bool:
        """Whether the entry's bytes ``data`` say its result is for the source with this SHA-256, read
        without verifying or parsing them: this only sorts files into those worth serving from the
        cache and those to process. (``file_result.to_entry`` writes the digest first.)"""
        start = len(MAC_OPEN) + MAC_SIZE + len(MAC_CLOSE) + len(self._head(key))
        return data is not None and data.startswith(b'{"source":"%s"' % digest.encode("ascii"), start)

    def verified(self, key: str, data: bytes | None) -> Entry | None:
        """The entry in ``data`` when it is signed with this cache's secret and is for ``key``."""
        if data is None:
            return None
        signed = data[len(MAC_OPEN) + MAC_SIZE + len(MAC_CLOSE):]
        if not (data.startswith(MAC_OPEN) and data.startswith(MAC_CLOSE, len(MAC_OPEN) + MAC_SIZE)):
            return None
        if not signing.verified(self.secret, signed, data[len(MAC_OPEN):len(MAC_OPEN) + MAC_SIZE]):
            return None  # someone else's entry, an edit, a flipped byte, a truncated write
        head = self._head(key)
        if not signed.startswith(head):
            return None
        try:
            return Entry(signed.decode("utf-8"), len(head))
        except UnicodeDecodeError:
            return None

    def save(self, key: str, calls: dict, result: dict | None) -> None:
        """Write the entry: ``calls`` (call key -> JSON value) and the file's ``result`` (or None)."""
        try:
            signed = (self._head(key) + _dump(result) + b',"calls":' + _dump(dict(sorted(calls.items())))
                      + b"}")
            data = MAC_OPEN + signing.sign(self.secret, signed).encode("ascii") + MAC_CLOSE + signed
            path = self._path(key)
            self._tag()
            path.parent.mkdir(parents=True, exist_ok=True)
            # The temporary is made in the top folder: there, one listing finds those of killed builds.
            write_atomically(path, data, durable=False, temporary_in=self.folder)
        except (OSError, UnicodeError, ValueError):
            pass  # a cache that cannot be written only costs time

    def _tag(self) -> None:
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(tag, CACHEDIR_TAG.encode(), durable=False)


def _dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- what an entry may hold: each check is False for anything else -----------------------------

def valid_diagnostic(item, severities=(ERROR, WARNING)) -> bool:
    """[line, severity, message]."""
    return (isinstance(item, list) and len(item) == 3 and type(item[0]) is int and item[0] >= 1
            and item[1] in severities and isinstance(item[2], str))


def valid_file_diagnostic(item) -> bool:
    """[path, line, severity, message]."""
    return isinstance(item, list) and len(item) == 4 and isinstance(item[0], str) \
        and valid_diagnostic(item[1:], (ERROR, WARNING, NOTE))


def still_as_checked(checked) -> bool:
    """Every image path looked at still is what it was (present or not, size, mtime)."""
    return isinstance(checked, dict) and all(_valid_stat(path, stat) and file_stat(Path(path)) == tuple(stat)
                                             for path, stat in checked.items())


def valid_media(media, checked: dict, root: Path) -> bool:
    """Package name -> a file that was checked, inside the course folder."""
    return isinstance(media, dict) and all(
        isinstance(name, str) and MEDIA_NAME_RE.match(name) and isinstance(path, str) and path in checked
        and Path(path).is_relative_to(root) for name, path in media.items())


def _valid_stat(path, stat) -> bool:
    return (isinstance(path, str) and isinstance(stat, list) and len(stat) == 3 and type(stat[0]) is bool
            and all(type(n) is int and n >= 0 for n in stat[1:]))
