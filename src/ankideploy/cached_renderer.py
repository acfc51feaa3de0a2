"""A renderer that answers from a cache entry's calls: after an edit, only changed text is rendered.

Each call (``block`` or ``inline``, its text and its line) is looked up in the
entry; a stored result is used only when it is well formed and every image it
looked at is still the same file inside the course folder (see ``cache``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from . import render
from .cache import still_as_checked, valid_diagnostic, valid_media
from .diagnostics import Diagnostic, Diagnostics
from .media import Media


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
        if not (isinstance(text, str) and isinstance(diagnostics, list)
                and all(valid_diagnostic(d) for d in diagnostics)):
            return None
        if not (still_as_checked(checked) and valid_media(media, checked, root)):
            return None  # an image it looked at changed (or appeared, or went), or is not the course's
        return cls(text, [tuple(d) for d in diagnostics], dict(media), dict(checked))


def call_key(method: str, text: str, line: int) -> str:
    return hashlib.sha256(f"{method}\x1f{line}\x1f{text}".encode("utf-8", "surrogateescape")).hexdigest()


class CachedRenderer:
    """A ``Renderer`` in front of a cache entry's calls: the same ``block``/``inline`` calls, the same
    HTML, diagnostics and media as the renderer alone, each call served from the entry when it
    holds a valid result for exactly that text and line."""

    def __init__(self, renderer: render.Renderer, stored: dict, root: Path):
        self.renderer, self.stored, self.root = renderer, stored, root
        self.diags: Diagnostics = renderer.diags
        self.media: Media = renderer.media
        self.used: dict[str, Rendered] = {}

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

    def calls_json(self) -> dict:
        """The calls this lesson made, as the entry stores them (calls no longer made are dropped)."""
        return {key: result.to_json() for key, result in self.used.items()}
