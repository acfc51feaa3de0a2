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
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .diagnostics import Diagnostics
from .guards import busiest_paragraph, escape_at, longest_line, unclosed_tag_openers
from .highlight import HighlightedFences, warm_up
from .lists import NESTED_ITEM_RE, nesting_depth, normalise_lists
from .media import Bundler, Media
from .sanitise import Locator, clean, nothing_to_remove, printable, removals

__all__ = ["RENDERER_VERSION", "Media", "Renderer", "is_plain_inline"]

# Part of every cache key: bump it whenever the HTML produced for the same text changes.
RENDERER_VERSION = "4"
MAX_NESTING = 40
MAX_BRACKETS = 500
MAX_LINE = 10_000  # characters; no real answer has a line near this
MAX_PARAGRAPH_TOKENS = 2_000  # inline markup characters in one paragraph; a busy real one has a few hundred
# Unclosed tag openers may cost html.parser this many scans of the whole block before they are escaped.
MAX_TAG_SCAN_FACTOR = 8
MAX_TAG_SCAN_SLACK = 200_000
MAX_BLOCKS = 5_000  # blank-line separated blocks in one answer; a long real one has a hundred
MAX_REMOVAL_WARNINGS = 50  # per block; the rest is one count
IMG_RE = re.compile(r"<img\b[^>]*>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
# Markdown can only produce attributes (URLs) from link and image syntax, and tags from raw HTML:
# text with neither comes out of python-markdown already safe, so the sanitiser can be skipped.
NEEDS_SANITISER_RE = re.compile(r"<|\]\(|\]:|javascript:|data:|vbscript:", re.I)
# Inline text without any of these renders to itself: no need to run Markdown at all.
PLAIN_INLINE_RE = re.compile(r"[\\`*_\[\]<>&!#|~\n]|https?:|www\.|^\s*(?:[-+=]|\d+[.)])(?:\s|$)|^\s{4}|\s{2}$")


def is_plain_inline(text: str) -> bool:
    return not PLAIN_INLINE_RE.search(text)


def _markdown(inline_extras: bool = True, checking: bool = False) -> markdown.Markdown:
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    from .gfm import GithubHabits
    from .skip_patterns import SkipImpossiblePatterns
    # Objects, not names: a name makes python-markdown look through every installed package's
    # entry points, which costs more than building the converter.
    extensions = [HighlightedFences(colour=not checking), TableExtension(), SaneListExtension(),
                  GithubHabits(inline_extras), SkipImpossiblePatterns()]
    return markdown.Markdown(extensions=extensions + ([_CheckOnly()] if checking else []), output_format="html")


class _NothingToCheck(Exception):
    """The text outside code blocks holds nothing the sanitiser would remove and no image."""


class _StopUnlessCheckable(Preprocessor):
    """When only checking, the rest of python-markdown's work is skipped for text that cannot
    raise a problem: no tag or link target the sanitiser would touch, no image. It runs after
    the code blocks are taken out (their code is escaped, never HTML), so code does not count."""

    def run(self, lines: list[str]) -> list[str]:
        prose = "\n".join(lines)
        if not NEEDS_SANITISER_RE.search(prose) or nothing_to_remove(prose):
            raise _NothingToCheck
        return lines


class _CheckOnly(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_StopUnlessCheckable(md), "ankideploy_check_only", 24)  # after fences (25)


def _without_code(raw: str, highlighted) -> str:
    """The HTML with each highlighted block (in document order) reduced to an empty one: one pass."""
    out, position = [], 0
    for block in highlighted:
        at = raw.find(block, position)
        if at >= 0:
            out += [raw[position:at], '<div class="hl"></div>']
            position = at + len(block)
    out.append(raw[position:])
    return "".join(out)


class Renderer:
    """Renders the Markdown of one lesson file; reports problems against that file."""

    # With and without the inline patterns few texts need; for building or only checking.
    _md: dict[tuple[bool, bool], markdown.Markdown] = {}

    def __init__(self, path: str, lesson_dir: Path, root: Path, diags: Diagnostics, media: Media,
                 validate_only: bool = False):
        self.path, self.lesson_dir, self.root = path, lesson_dir, root
        self.diags, self.media = diags, media
        # Checking only needs the text that can raise a problem: raw HTML, links and images.
        self.validate_only = validate_only

    @classmethod
    def warm_up(cls, checking: bool, languages: set[str]) -> None:
        """Build the Markdown converters (and load the lexers) before any text is rendered, so
        worker processes started after this share them instead of each building its own."""
        for text in ("", "~~"):
            cls.markdown(text, checking)
        if not checking:
            warm_up(languages)

    @classmethod
    def markdown(cls, text: str = "~~", checking: bool = False) -> markdown.Markdown:
        from .gfm import needs_inline_extras
        kind = (needs_inline_extras(text), checking)
        if kind not in cls._md:
            cls._md[kind] = _markdown(*kind)
        return cls._md[kind].reset()

    @classmethod
    def _discard(cls, md: markdown.Markdown) -> None:
        """Forget a converter that stopped half-way: its block parser still holds the state it was in
        (inside a list, say), which ``reset()`` does not clear and which would change every later text."""
        for kind in [kind for kind, known in cls._md.items() if known is md]:
            del cls._md[kind]

    def block(self, text: str, line: int) -> str:
        """A Markdown block (an answer) as safe HTML."""
        if (why := self._too_costly(text)) is not None:
            self.diags.warning(self.path, line, f"{why}; shown as plain text")
            return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())
        text = self._guard_input(text, line)
        if text is None or (self.validate_only and not NEEDS_SANITISER_RE.search(text)):
            return ""
        if NESTED_ITEM_RE.search(text):
            text = normalise_lists(text)
        md = self.markdown(text, checking=self.validate_only)
        try:
            raw = md.convert(text)
        except _NothingToCheck:
            return ""
        except RecursionError:
            self._discard(md)
            self.diags.error(self.path, line, "this text is nested too deeply to render")
            return ""
        if not NEEDS_SANITISER_RE.search(text):
            return raw
        return self._safe(raw, text, line, getattr(md, "highlighted", ()))

    @staticmethod
    def _too_costly(text: str) -> str | None:
        """Why python-markdown would take more than linear time over this block, if it would: it is
        quadratic in the inline tokens of one paragraph (and so of one line)."""
        if (longest := longest_line(text)) > MAX_LINE:
            return f"a line of {longest} characters is too long to format"
        if (tokens := busiest_paragraph(text)) > MAX_PARAGRAPH_TOKENS:
            return f"a paragraph with {tokens} markup characters (& * _ ` [ ] < > ! \\ ~) is too busy to format"
        if (blocks := text.count("\n\n")) > MAX_BLOCKS:
            # python-markdown takes each block off the front of a list: quadratic in their number.
            return f"an answer of {blocks} paragraphs is too long to format"
        return None

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
        unclosed, cost = unclosed_tag_openers(text)
        if cost > MAX_TAG_SCAN_FACTOR * len(text) + MAX_TAG_SCAN_SLACK:
            # html.parser scans each unclosed '<a' to the next '>': show them as text instead.
            self.diags.warning(self.path, line, f"{len(unclosed)} '<' that no '>' closes in one block: shown as text")
            text = escape_at(text, unclosed)
        return text

    def inline(self, text: str, line: int) -> str:
        """A short Markdown text (a question, a table cell) without its paragraph wrapper."""
        if is_plain_inline(text):
            return text.strip()
        html_text = self.block(text, line)
        if html_text.startswith("<p>") and html_text.endswith("</p>") and html_text.count("<p>") == 1:
            return html_text[3:-4]
        return html_text

    def _safe(self, raw: str, source: str, line: int, highlighted=()) -> str:
        locate = Locator(source, line)
        # Highlighted code is Pygments' own markup (classes on spans, the code escaped): nothing in it
        # can be removed, so the scan for removals skips it; it is most of the HTML of a code answer.
        found = removals(_without_code(raw, highlighted))
        for what, needles in found[:MAX_REMOVAL_WARNINGS]:
            self.diags.warning(self.path, locate(*needles), f"removed {printable(what)}: not allowed in cards")
        if len(found) > MAX_REMOVAL_WARNINGS:
            self.diags.warning(self.path, line, f"removed {len(found) - MAX_REMOVAL_WARNINGS} more elements,"
                               " attributes or URLs not allowed in cards from this block")
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
