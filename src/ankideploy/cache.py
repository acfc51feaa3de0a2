"""A cache of rendered Markdown, so a rebuild only renders what changed.

The cache holds data, never code: one JSON file per lesson file, mapping each
text the renderer was given (with its line) to the HTML, the diagnostics and
the images that rendering produced. Everything that decides a note's identity
(ids, GUIDs, levels, tags) is parsed from the source on every build; the cache
only saves the Markdown, sanitising and highlighting work.

An entry is trusted only when it proves itself: it names the key it was written
for, carries a SHA-256 digest of its own content, and holds only values of the
expected types; every image it lists must still be the file it was (size and
mtime) inside the course folder. Anything else, including a file that is not
JSON at all, is a miss: the build renders afresh and gets exactly what
``--no-cache`` would. Deleting the folder at any time is safe.

It avoids pickle (a crafted entry would run code) and keeps no state between
builds besides its files.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, render
from .atomic import write_atomically
from .diagnostics import ERROR, WARNING, Diagnostic, Diagnostics
from .media import Media, file_stat

ENTRY_FORMAT = 2
ENTRY_SUFFIX = ".json"
MEDIA_NAME_RE = re.compile(r"^[0-9a-f]{20}\.[a-z0-9]{1,8}$")
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # an entry larger than any lesson could produce is not read
CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This folder is the ankideploy render cache; backup tools may skip it.\n")


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


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class Rendered:
    """What one renderer call produced: its HTML, the problems it reported, the images it bundled."""

    html: str
    diagnostics: list[tuple[int, str, str]] = field(default_factory=list)  # (line, severity, message)
    media: dict[str, str] = field(default_factory=dict)  # package name -> file
    checked: dict[str, list] = field(default_factory=dict)  # file -> [exists, size, mtime_ns]

    def to_json(self) -> dict:
        return {"html": self.html, "diagnostics": [list(d) for d in self.diagnostics], "media": self.media,
                "checked": self.checked}

    @classmethod
    def from_json(cls, data, root: Path) -> "Rendered | None":
        """The call's result, or None when anything in it is malformed or no longer true."""
        if not isinstance(data, dict) or set(data) != {"html", "diagnostics", "media", "checked"}:
            return None
        text, diagnostics, media, checked = data["html"], data["diagnostics"], data["media"], data["checked"]
        if not (isinstance(text, str) and isinstance(diagnostics, list) and isinstance(media, dict)
                and isinstance(checked, dict)):
            return None
        if not all(_valid_diagnostic(d) for d in diagnostics):
            return None
        if not all(_valid_stat(path, stat) and file_stat(Path(path)) == tuple(stat) for path, stat in checked.items()):
            return None  # an image it looked at changed (or appeared, or went)
        for name, path in media.items():
            if not (MEDIA_NAME_RE.match(name) and isinstance(path, str) and path in checked
                    and Path(path).is_relative_to(root)):
                return None
        return cls(text, [tuple(d) for d in diagnostics], dict(media), dict(checked))


def _valid_diagnostic(item) -> bool:
    return (isinstance(item, list) and len(item) == 3 and type(item[0]) is int and item[0] >= 1
            and item[1] in (ERROR, WARNING) and isinstance(item[2], str))


def _valid_stat(path, stat) -> bool:
    return (isinstance(path, str) and isinstance(stat, list) and len(stat) == 3 and type(stat[0]) is bool
            and all(type(n) is int and n >= 0 for n in stat[1:]))


class RenderCache:
    """The cache folder; ``None`` for no cache."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._salt = None

    def key(self, file, settings) -> str | None:
        """One entry per lesson file and build settings. The file's text is not part of the key:
        each call inside the entry is keyed by its own text, so editing one answer re-renders
        only that answer."""
        if self.folder is None:
            return None
        if self._salt is None:
            self._salt = f"{ENTRY_FORMAT}|{__version__}|{_code_digest()}|{_library_versions()}"
        digest = hashlib.sha256()
        for part in (self._salt, render.RENDERER_VERSION, repr(settings), file.shown, file.source,
                     str(file.root), str(file.path.resolve().parent)):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def load(self, key: str | None) -> dict:
        """The entry's calls (call key -> raw JSON value), or nothing when it is missing or bad."""
        if key is None or not KEY_RE.match(key):
            return {}
        try:
            path = self._path(key)
            if path.stat().st_size > MAX_ENTRY_BYTES:
                return {}
            data = json.loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or set(data) != {"format", "key", "calls", "digest"}:
            return {}
        body = {name: data[name] for name in ("format", "key", "calls")}
        if data["format"] != ENTRY_FORMAT or data["key"] != key or not isinstance(data["calls"], dict):
            return {}
        if data["digest"] != _digest(body):
            return {}  # a flipped byte, a truncated write, an edit by hand
        return data["calls"]

    def save(self, key: str | None, calls: dict[str, Rendered]) -> None:
        if key is None or self.folder is None:
            return
        body = {"format": ENTRY_FORMAT, "key": key, "calls": {k: r.to_json() for k, r in sorted(calls.items())}}
        data = json.dumps({**body, "digest": _digest(body)}, ensure_ascii=False, sort_keys=True)
        path = self._path(key)
        try:
            self._tag()
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data.encode("utf-8", "surrogateescape"), durable=False)
        except (OSError, UnicodeError):
            pass  # a cache that cannot be written only costs time

    def _tag(self) -> None:
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(tag, CACHEDIR_TAG.encode(), durable=False)


def call_key(method: str, text: str, line: int) -> str:
    return hashlib.sha256(f"{method}\x1f{line}\x1f{text}".encode("utf-8", "surrogateescape")).hexdigest()


class CachedRenderer:
    """A ``Renderer`` in front of a cache entry: the same ``block``/``inline`` calls, the same
    HTML, diagnostics and media as the renderer alone, each call served from the entry when it
    holds a valid result for exactly that text and line."""

    def __init__(self, renderer: render.Renderer, stored: dict, root: Path):
        self.renderer, self.stored, self.root = renderer, stored, root
        self.diags: Diagnostics = renderer.diags
        self.media: Media = renderer.media
        self.used: dict[str, Rendered] = {}
        self.misses = 0

    @property
    def validate_only(self) -> bool:
        return self.renderer.validate_only

    def block(self, text: str, line: int) -> str:
        return self._call("block", text, line)

    def inline(self, text: str, line: int) -> str:
        if render.is_plain_inline(text):
            return self.renderer.inline(text, line)  # cheaper than looking it up
        return self._call("inline", text, line)

    def _call(self, method: str, text: str, line: int) -> str:
        key = call_key(method, text, line)
        result = self.used.get(key) or Rendered.from_json(self.stored.get(key), self.root)
        if result is None:
            self.misses += 1
            result = self._render(method, text, line)
        self.used[key] = result
        self._replay(result)
        return result.html

    def _render(self, method: str, text: str, line: int) -> Rendered:
        """The renderer's own result, recorded: its diagnostics and media land in fresh holders."""
        diags, media = Diagnostics(), Media()
        self.renderer.diags, self.renderer.media = diags, media
        try:
            html = getattr(self.renderer, method)(text, line)
        finally:
            self.renderer.diags, self.renderer.media = self.diags, self.media
        return Rendered(html, [(d.line, d.severity, d.message) for d in diags.items],
                        {name: str(path) for name, path in media.files.items()},
                        {path: list(stat) for path, stat in media.checked.items()})

    def _replay(self, result: Rendered) -> None:
        path = self.renderer.path
        self.diags.items.extend(Diagnostic(path, line, severity, message)
                                for line, severity, message in result.diagnostics)
        self.media.files.update((name, Path(file)) for name, file in result.media.items())
        self.media.checked.update((file, tuple(stat)) for file, stat in result.checked.items())

    @property
    def changed(self) -> bool:
        """Whether the entry on disk should be rewritten: something was rendered, or dropped."""
        return bool(self.misses) or set(self.used) != set(self.stored)
