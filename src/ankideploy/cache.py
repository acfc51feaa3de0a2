"""The render cache: what processing each lesson file gave, so a rebuild redoes only what changed.

The cache holds data, never code: one entry per lesson file and build settings,
with two parts, each signed on its own. The *result* is the whole outcome of
processing the file for one exact source (its SHA-256): the notes with their final
HTML, the deck, the description, the images, the diagnostics and the lesson facts
the build reports. When the file's bytes are unchanged it is used as it is: the
lesson is not parsed or rendered at all. The *calls* map each text the renderer
was given (with its line) to the HTML, diagnostics and images it produced: after
an edit, the lesson is parsed again and only the answers that changed are rendered.

An entry's bytes: a line naming the entry format and the key, a line per part
(its HMAC in hex and its length), then the two parts. The result part is JSON,
``[result, lengths]``, a newline, and the result's long texts (each note's fields,
joined, and its sort field) one after the other, as they are: ``lengths`` (in bytes)
cuts them apart, so the bulk of a
result is neither escaped when written nor scanned as JSON when read. The calls
part is JSON. A rebuild reads the result part of most entries and the calls
part of few: each is verified and parsed only when it is used.

An entry is trusted only when it proves itself. Each part is signed with an
HMAC-SHA256 (over the first line, the part's name and the part) whose key is a
per-user secret kept outside the cache folder (see ``signing``), so an entry
someone else wrote, or edited and re-hashed, is a miss. It must name the key it
was written for and hold only values of the expected types; every
image it names must still be the file it was (size and mtime) inside the course
folder; and a result is used only if its file still hashes the same and every
stamped id in it appears as an id comment in that file (``file_result``). Anything
else, including a file that is not JSON at all, is a miss: the build processes
the file afresh and gets exactly what ``--no-cache`` would. Without a usable
secret the cache is off for the run. Deleting the folder at any time is safe.

It avoids pickle (a crafted entry would run code), re-serialising an entry to
check it (the HMAC covers the bytes as written), verifying or parsing the calls
part when the result is used, and keeps no state between builds besides its files.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import stat
import sys
from pathlib import Path

from . import __version__, signing
from .atomic import write_atomically
from .diagnostics import ERROR, NOTE, WARNING
from .media import file_stat

ENTRY_FORMAT = 4
ENTRY_SUFFIX = ".entry"
MEDIA_NAME_RE = re.compile(r"^[0-9a-f]{20}\.[a-z0-9]{1,8}$")
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # an entry larger than any lesson could produce is not read
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This folder is the ankideploy render cache; backup tools may skip it.\n")
# After an entry's first line: each part's HMAC in hex and its length in bytes, a line each.
HEAD_BYTES = 256  # enough for an entry's first three lines
PARTS_RE = re.compile(rb"([0-9a-f]{64}) (0|[1-9][0-9]{0,11})\n([0-9a-f]{64}) (0|[1-9][0-9]{0,11})\n")
RESULT, CALLS = b"result\n", b"calls\n"  # the parts' names, signed with them: one cannot pass for the other
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
    """An entry laid out as this cache writes them; each part is verified and parsed only when asked for."""

    def __init__(self, secret: bytes, data: bytes, first_line: bytes, parts: list[tuple[bytes, int, int]]):
        self.secret, self.data, self.first_line, self.parts = secret, data, first_line, parts

    def result(self) -> tuple[object, list[str]] | None:
        """The file's whole result as stored (checked by ``file_result``) and its texts, or None."""
        span = self._verified(0, RESULT)
        newline = -1 if span is None else self.data.find(b"\n", *span)  # JSON as written holds none
        if newline < 0:
            return None
        view = memoryview(self.data)
        try:
            stored = _JSON.decode(str(view[span[0]:newline], "utf-8"))
            if not (type(stored) is list and len(stored) == 2):
                return None
            texts = _cut(view, newline + 1, span[1], stored[1])
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return None
        return None if texts is None else (stored[0], texts)

    def calls(self) -> dict:
        """The stored renderer calls: call key -> raw JSON value, each checked when used."""
        span = self._verified(1, CALLS)
        try:
            calls = None if span is None else _JSON.decode(str(memoryview(self.data)[span[0]:span[1]], "utf-8"))
        except (ValueError, RecursionError):
            return {}
        return calls if isinstance(calls, dict) else {}

    def _verified(self, index: int, name: bytes) -> tuple[int, int] | None:
        """Where part ``index`` is in the entry's bytes, if they hold it and it is signed with the
        secret as this part of this entry."""
        mac, start, end = self.parts[index]
        body = memoryview(self.data)[start:end]
        if end > len(self.data) or not signing.verified(self.secret, mac, self.first_line, name, body):
            return None  # someone else's entry, an edit, a flipped byte, a part moved from another entry
        return start, end


def _cut(view: memoryview, start: int, end: int, lengths) -> list[str] | None:
    """The bytes from ``start`` to ``end``, cut into texts of these lengths in bytes; None unless they
    cover them exactly. (Each text decoded on its own costs less than decoding them all and slicing.)"""
    if not (type(lengths) is list and set(map(type, lengths)) <= {int} and min(lengths, default=0) >= 0
            and sum(lengths) == end - start):
        return None
    texts = []
    for length in lengths:
        texts.append(str(view[start:start + length], "utf-8"))
        start += length
    return texts


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
                     os.path.dirname(os.path.realpath(file.path))):  # the folder the file really is in
            digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{ENTRY_SUFFIX}"

    @staticmethod
    def _first_line(key: str) -> bytes:
        return f"ankideploy render cache {ENTRY_FORMAT} {key}\n".encode("ascii")

    def load(self, key: str) -> Entry | None:
        """The entry, or None when it is missing or not laid out as this cache writes them for ``key``
        (its parts are verified when they are used)."""
        return self.entry(key, self.read(key))

    def read(self, key: str, result_only: bool = False) -> bytes | None:
        """The entry's bytes as they are on disk, not yet verified (None: there is none to read, or
        it is not laid out as this cache writes them); with ``result_only``, up to the end of its
        result part, which is all a file whose bytes are unchanged needs."""
        if not KEY_RE.match(key):
            return None
        try:
            # Not blocking: a FIFO put where an entry belongs would otherwise wait for a writer forever.
            # Nor followed, if a symbolic link: the cache never writes one.
            fd = os.open(self._path(key), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY)
            with open(fd, "rb") as source:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
                    return None
                size, head = info.st_size, source.read(HEAD_BYTES)
                parts = self._parts(key, head)
                if parts is None or parts[1][2] != size:
                    return None  # not an entry for this key, or cut short, or more than was written
                end = parts[0][2] if result_only else size
                return head[:end] + source.read(end - len(head)) if end > len(head) else head[:end]
        except (OSError, ValueError):
            return None

    def claims(self, key: str, data: bytes | None, digest: str) -> bool:
        """Whether the entry's bytes ``data`` say its result is for the source with this SHA-256, read
        without verifying or parsing them: this only sorts files into those worth serving from the
        cache and those to process. (``file_result.to_entry`` writes the digest first.)"""
        parts = None if data is None else self._parts(key, data)
        return parts is not None and data.startswith(b'[{"source":"%s"' % digest.encode("ascii"), parts[0][1])

    def entry(self, key: str, data: bytes | None) -> Entry | None:
        """The entry in ``data`` (all of it, or up to the end of its result part: see ``read``) when
        it is laid out as this cache writes them for ``key``; its parts are not verified yet."""
        parts = None if data is None else self._parts(key, data)
        if parts is None or len(data) not in (parts[0][2], parts[1][2]):
            return None
        return Entry(self.secret, data, self._first_line(key), parts)

    def _parts(self, key: str, data: bytes) -> list[tuple[bytes, int, int]] | None:
        """Each part's HMAC and where it is (start, end), as the start of the entry ``data`` says."""
        first_line = self._first_line(key)
        found = PARTS_RE.match(data, len(first_line)) if data.startswith(first_line) else None
        if found is None:
            return None
        result_end = found.end() + int(found[2])
        return [(found[1], found.end(), result_end), (found[3], result_end, result_end + int(found[4]))]

    def save(self, key: str, calls: dict, result: object, texts: list[str]) -> None:
        """Write the entry: ``calls`` (call key -> JSON value), the file's ``result`` (JSON; or None)
        and its long ``texts``, stored as they are."""
        try:
            first_line = self._first_line(key)
            encoded = [text.encode("utf-8") for text in texts]
            result_part = b"".join([_dump([result, [len(text) for text in encoded]]), b"\n", *encoded])
            calls_part = _dump(dict(sorted(calls.items())))
            data = b"".join([first_line, *(b"%s %d\n" % (signing.sign(self.secret, first_line, name, part).encode(),
                                                           len(part))
                                           for name, part in ((RESULT, result_part), (CALLS, calls_part))),
                             result_part, calls_part])
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
