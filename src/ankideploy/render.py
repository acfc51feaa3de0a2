"""Markdown to safe card HTML: the one place an author's text becomes markup.

``Renderer`` runs python-markdown (with the highlighting of ``highlight`` and the
list re-indenting of ``lists``), then the sanitiser of ``sanitise``, and hands
images to ``media``. Before any of that it checks what python-markdown cannot
do in linear time (very long lines, deep nesting, thousands of brackets) and
shows such text plain, with a warning, instead of stalling the build. Every
problem is reported against the lesson file and line.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import markdown

from .diagnostics import Diagnostics
from .highlight import HighlightedFences
from .lists import NESTED_ITEM_RE, nesting_depth, normalise_lists
from .media import Bundler, Media
from .sanitise import Locator, clean, printable, removals

__all__ = ["RENDERER_VERSION", "Media", "Renderer", "is_plain_inline"]

# Part of every cache key: bump it whenever the HTML produced for the same text changes.
RENDERER_VERSION = "1"
MAX_NESTING = 40
MAX_BRACKETS = 500
MAX_LINE = 10_000  # characters; no real answer has a line near this
IMG_RE = re.compile(r"<img\b[^>]*>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
# Markdown can only produce attributes (URLs) from link and image syntax, and tags from raw HTML:
# text with neither comes out of python-markdown already safe, so the sanitiser can be skipped.
NEEDS_SANITISER_RE = re.compile(r"<|\]\(|\]:|javascript:|data:|vbscript:", re.I)
# Inline text without any of these renders to itself: no need to run Markdown at all.
PLAIN_INLINE_RE = re.compile(r"[\\`*_\[\]<>&!#|~\n]|^\s*(?:[-+=]|\d+[.)])(?:\s|$)|^\s{4}|\s{2}$")


def is_plain_inline(text: str) -> bool:
    return not PLAIN_INLINE_RE.search(text)


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=[HighlightedFences(), "tables", "sane_lists"], output_format="html")


class Renderer:
    """Renders the Markdown of one lesson file; reports problems against that file."""

    _md: markdown.Markdown | None = None

    def __init__(self, path: str, lesson_dir: Path, root: Path, diags: Diagnostics, media: Media,
                 validate_only: bool = False):
        self.path, self.lesson_dir, self.root = path, lesson_dir, root
        self.diags, self.media = diags, media
        # Checking only needs the text that can raise a problem: raw HTML, links and images.
        self.validate_only = validate_only

    @classmethod
    def markdown(cls) -> markdown.Markdown:
        if cls._md is None:
            cls._md = _markdown()
        return cls._md.reset()

    def block(self, text: str, line: int) -> str:
        """A Markdown block (an answer) as safe HTML."""
        longest = max(len(part) for part in text.split("\n"))
        if longest > MAX_LINE:
            # python-markdown is quadratic in the inline tokens of one paragraph: such a line is
            # shown as the text it is, escaped, rather than stalling the build.
            self.diags.warning(self.path, line, f"a line of {longest} characters is too long to format;"
                               " shown as plain text")
            return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())
        text = self._guard_input(text, line)
        if text is None or (self.validate_only and not NEEDS_SANITISER_RE.search(text)):
            return ""
        if NESTED_ITEM_RE.search(text):
            text = normalise_lists(text)
        try:
            raw = self.markdown().convert(text)
        except RecursionError:
            self.diags.error(self.path, line, "this text is nested too deeply to render")
            return ""
        if not NEEDS_SANITISER_RE.search(text):
            return raw
        return self._safe(raw, text, line)

    def _guard_input(self, text: str, line: int) -> str | None:
        """Refuse what python-markdown cannot render in reasonable time and space."""
        if nesting_depth(text) > MAX_NESTING:
            self.diags.error(self.path, line, f"lists or quotes nested more than {MAX_NESTING} deep; not rendered")
            return None
        brackets = text.count("[")
        if brackets > MAX_BRACKETS:
            # Link parsing is quadratic in unmatched brackets: show them as text instead.
            self.diags.warning(self.path, line, f"{brackets} '[' in one block: too many to look for links;"
                               " shown as plain text")
            text = text.replace("[", "\\[")
        return text

    def inline(self, text: str, line: int) -> str:
        """A short Markdown text (a question, a table cell) without its paragraph wrapper."""
        if is_plain_inline(text):
            return text.strip()
        html_text = self.block(text, line)
        if html_text.startswith("<p>") and html_text.endswith("</p>") and html_text.count("<p>") == 1:
            return html_text[3:-4]
        return html_text

    def _safe(self, raw: str, source: str, line: int) -> str:
        locate = Locator(source, line)
        for what, needles in removals(raw):
            self.diags.warning(self.path, locate(*needles), f"removed {printable(what)}: not allowed in cards")
        safe = clean(raw)
        if "<img" in safe:
            locate_image = Locator(source, line)
            safe = IMG_RE.sub(lambda m: self._image(m.group(0), locate_image), safe)
        return safe

    def _image(self, tag: str, locate: Locator) -> str:
        attrs = dict(ATTR_RE.findall(tag))
        src = html.unescape(attrs.get("src", ""))
        if not src or src.startswith("data:image/"):
            return tag
        where = locate(re.escape(src), re.escape(attrs.get("src", "")), r"!\[", r"<img\b")
        if urlsplit(src).scheme in ("http", "https"):
            self.diags.warning(self.path, where, f"remote image {src} will not show offline; kept as a link")
            label = html.escape(html.unescape(attrs.get("alt", "")) or src)
            return f'<a href="{html.escape(src)}" rel="noopener noreferrer">{label}</a>'
        name = Bundler(self.path, self.lesson_dir, self.root, self.diags, self.media).bundle(src, where)
        if name is None:
            return ""
        return tag.replace(f'src="{attrs["src"]}"', f'src="{html.escape(name)}"', 1)
