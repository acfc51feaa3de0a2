"""Markdown to safe card HTML: highlighted code, sanitised markup, bundled media.

Everything an author writes passes through ``Renderer``: python-markdown with
Pygments highlighting (classes; the palettes live in the note type CSS), then
nh3 with an allow-list. What the sanitiser removes is reported with its line,
so an author learns why part of a card vanished.
"""
from __future__ import annotations

import functools
import hashlib
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import Preprocessor

from .diagnostics import Diagnostics

# Part of every cache key: bump it whenever the HTML produced for the same text changes.
RENDERER_VERSION = "1"
MAX_MEDIA_BYTES = 5 * 1024 * 1024

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "ol": {"start", "type"},
    "span": {"style"},
    "p": {"style"},
    "div": {"style"},
    "td,th": set(),
}
ALLOWED_ATTRIBUTES.pop("td,th")
ALLOWED_STYLES = {"color", "background-color", "text-align", "font-weight", "font-style", "text-decoration"}
URL_SCHEMES = {"http", "https", "mailto", "data"}
# Removed with their content: what they hold is code or a foreign document, never card text.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template",
                        "frameset", "frame", "applet", "svg", "math", "title", "xmp", "noembed"}
IMG_RE = re.compile(r"<img\b[^>]*>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
RISKY_RE = re.compile(r"<|javascript:|data:|vbscript:", re.I)
# Markdown can only produce attributes (URLs) from link and image syntax, and tags from raw HTML:
# text with neither comes out of python-markdown already safe, so the sanitiser can be skipped.
NEEDS_SANITISER_RE = re.compile(r"<|\]\(|\]:|javascript:|data:|vbscript:", re.I)
# Inline text without any of these renders to itself: no need to run Markdown at all.
PLAIN_INLINE_RE = re.compile(r"[\\`*_\[\]<>&!#|~\n]|^\s*(?:[-+=]|\d+[.)])(?:\s|$)|^\s{4}|\s{2}$")


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=[HighlightedFences(), "tables", "sane_lists"], output_format="html")


class _FencePreprocessor(Preprocessor):
    """Fenced code highlighted with Pygments into classes (the palettes live in the note type CSS).

    python-markdown's codehilite builds a new lexer and formatter for every block, which costs
    more than the highlighting itself; here each language's lexer and one formatter are reused.
    """

    FENCE_RE = FencedBlockPreprocessor.FENCED_BLOCK_RE

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        index = 0
        while m := self.FENCE_RE.search(text, index):
            lang = m.group("lang") or (m.group("attrs") or "").strip("{} .").split(" ")[0]
            placeholder = self.md.htmlStash.store(highlight(m.group("code"), lang))
            text = f"{text[:m.start()]}\n{placeholder}\n{text[m.end():]}"
            index = m.start() + 1 + len(placeholder)
        return text.split("\n")


class HighlightedFences(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_FencePreprocessor(md), "fenced_code_block", 25)


@functools.lru_cache(maxsize=None)
def _lexer(lang: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.lexers.special import TextLexer
    from pygments.util import ClassNotFound
    try:
        return get_lexer_by_name(lang or "text", stripnl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False)  # an unknown language is plain code, never an error


@functools.lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters.html import HtmlFormatter
    return HtmlFormatter(cssclass="hl", wrapcode=True)


def highlight(code: str, lang: str) -> str:
    from pygments import highlight as pygments_highlight
    return pygments_highlight(code.strip("\n") + "\n", _lexer(lang.lower()), _formatter())


@dataclass
class Media:
    """Files a lesson's cards point at, by the name they get in the package."""

    files: dict[str, Path] = field(default_factory=dict)
    # Every image path looked at, with what was there: a cached result is only valid while these hold.
    checked: dict[str, tuple] = field(default_factory=dict)


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
        if self.validate_only and not NEEDS_SANITISER_RE.search(text):
            return ""
        if NESTED_ITEM_RE.search(text):
            text = normalise_lists(text)
        raw = self.markdown().convert(text)
        if not NEEDS_SANITISER_RE.search(text):
            return raw
        return self._safe(raw, text, line)

    def inline(self, text: str, line: int) -> str:
        """A short Markdown text (a question, a table cell) without its paragraph wrapper."""
        if not PLAIN_INLINE_RE.search(text):
            return text.strip()
        html_text = self.block(text, line)
        if html_text.startswith("<p>") and html_text.endswith("</p>") and html_text.count("<p>") == 1:
            return html_text[3:-4]
        return html_text

    def _safe(self, raw: str, source: str, line: int) -> str:
        if RISKY_RE.search(source):
            cursor = 0  # removals come in document order: look for each after the previous one
            for what, needle in removals(raw):
                found = source.lower().find(needle.lower(), cursor) if needle else -1
                cursor = found if found >= 0 else cursor
                self.diags.warning(self.path, line + source.count("\n", 0, cursor),
                                   f"removed {_printable(what)}: not allowed in cards")
        clean = nh3.clean(raw, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                          attributes=ALLOWED_ATTRIBUTES, attribute_filter=_attribute_filter,
                          url_schemes=URL_SCHEMES, filter_style_properties=ALLOWED_STYLES,
                          link_rel="noopener noreferrer", strip_comments=True)
        if "<img" in clean:
            clean = IMG_RE.sub(lambda m: self._image(m.group(0), source, line), clean)
        return clean

    def _image(self, tag: str, source: str, line: int) -> str:
        attrs = dict(ATTR_RE.findall(tag))
        src = html.unescape(attrs.get("src", ""))
        if not src or src.startswith("data:image/"):
            return tag
        where = line + _offset(source, src)
        if urlsplit(src).scheme in ("http", "https"):
            self.diags.warning(self.path, where, f"remote image {src} will not show offline; kept as a link")
            label = html.escape(html.unescape(attrs.get("alt", "")) or src)
            return f'<a href="{html.escape(src)}" rel="noopener noreferrer">{label}</a>'
        name = self._bundle(src, where)
        if name is None:
            return ""
        return tag.replace(f'src="{attrs["src"]}"', f'src="{html.escape(name)}"', 1)

    def _bundle(self, src: str, line: int) -> str | None:
        relative = unquote(urlsplit(src).path)
        candidate = Path(relative)
        if candidate.is_absolute() or urlsplit(src).scheme:
            self.diags.error(self.path, line, f"image path {src} must be relative to the lesson")
            return None
        target = (self.lesson_dir / candidate).resolve()
        from .cache import file_stat
        self.media.checked[str(target)] = file_stat(target)
        if not target.is_relative_to(self.root):
            self.diags.error(self.path, line, f"image {src} is outside the content folder; refused")
            return None
        if not target.is_file():
            self.diags.error(self.path, line, f"image {src} not found")
            return None
        data = target.read_bytes()
        if len(data) > MAX_MEDIA_BYTES:
            self.diags.warning(self.path, line, f"image {src} is {len(data) / 1e6:.1f} MB;"
                               " large media slow down syncing to phones")
        name = hashlib.sha256(data).hexdigest()[:20] + target.suffix.lower()
        self.media.files[name] = target
        return name


NESTED_ITEM_RE = re.compile(r"^ {1,3}(?:[-*+]|\d+[.)]) ", re.M)
LIST_MARKER_RE = re.compile(r"^( *)([-*+]|\d+[.)])( +|$)")
FENCE_LINE_RE = re.compile(r"^\s*(`{3,}|~{3,})")


def normalise_lists(text: str) -> str:
    """Re-indent list items to python-markdown's four spaces a level.

    Authors (and GitHub) nest with two or three spaces, CommonMark style; python-
    markdown needs four, or the nested items silently flatten into the parent list.
    """
    out, stack, fence = [], [], ""  # stack: (content column in source, depth)
    for line in text.split("\n"):
        if not line.strip():
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and indent < stack[-1][0]:
            stack.pop()
        marker = None if fence else LIST_MARKER_RE.match(line)
        fence_match = FENCE_LINE_RE.match(line)
        if fence_match:
            fence = "" if fence and fence_match.group(1)[0] == fence[0] else (fence or fence_match.group(1))
        if marker and (stack or indent < 4):
            depth = len(stack)
            content = indent + len(marker.group(2)) + max(1, len(marker.group(3)))
            stack.append((content, depth))
            out.append(" " * (4 * depth) + line.lstrip(" "))
        elif stack:
            source_column, depth = stack[-1]
            out.append(" " * (4 * (depth + 1) + indent - source_column) + line.lstrip(" "))
        else:
            out.append(line)
    return "\n".join(out)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src") and value.strip().lower().startswith("data:"):
        return value if tag == "img" and value.strip().lower().startswith("data:image/") else None
    return value


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _offset(source: str, needle: str) -> int:
    """Lines between the start of ``source`` and the first line holding ``needle``."""
    index = source.lower().find(needle.lower()) if needle else -1
    return source.count("\n", 0, index) if index >= 0 else 0


class _Scanner(HTMLParser):
    """Lists what the sanitiser is about to remove, so each removal can be reported."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.found.append((f"<{tag}> element", f"<{tag}"))
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.found.append((f"'{name}' attribute on <{tag}>", name))
            elif name in ("href", "src") and value and _bad_url(tag, value):
                self.found.append((f"{value.split(':', 1)[0].strip()}: URL on <{tag}>", value[:20]))
            elif name == "style" and value and "url(" in value.lower():
                self.found.append((f"CSS url() on <{tag}>", "url("))

    def handle_comment(self, data):
        pass


def _bad_url(tag: str, value: str) -> bool:
    scheme = urlsplit(value.strip()).scheme.lower()
    if not scheme or len(scheme) == 1:  # relative, or a Windows drive letter
        return False
    if scheme == "data":
        return not (tag == "img" and value.strip().lower().startswith("data:image/"))
    return scheme not in URL_SCHEMES


def removals(raw_html: str) -> list[tuple[str, str]]:
    scanner = _Scanner()
    scanner.feed(raw_html)
    scanner.close()
    return scanner.found
