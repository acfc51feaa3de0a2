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
RENDERER_VERSION = "2"
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
}
ALLOWED_STYLES = {"color", "background-color", "text-align", "font-weight", "font-style", "text-decoration"}
URL_SCHEMES = {"http", "https", "mailto", "data"}
# Removed with their content: what they hold is code or a foreign document, never card text.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template",
                        "frameset", "frame", "applet", "svg", "math", "title", "xmp", "noembed"}
IMG_RE = re.compile(r"<img\b[^>]*>")
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
# Markdown can only produce attributes (URLs) from link and image syntax, and tags from raw HTML:
# text with neither comes out of python-markdown already safe, so the sanitiser can be skipped.
NEEDS_SANITISER_RE = re.compile(r"<|\]\(|\]:|javascript:|data:|vbscript:", re.I)
# Inline text without any of these renders to itself: no need to run Markdown at all.
PLAIN_INLINE_RE = re.compile(r"[\\`*_\[\]<>&!#|~\n]|https?:|www\.|^\s*(?:[-+=]|\d+[.)])(?:\s|$)|^\s{4}|\s{2}$")


def _markdown(inline_extras: bool = True) -> markdown.Markdown:
    from .gfm import GithubHabits
    return markdown.Markdown(extensions=[HighlightedFences(), "tables", "sane_lists", GithubHabits(inline_extras)],
                             output_format="html")


class _FencePreprocessor(Preprocessor):
    """Fenced code highlighted with Pygments into classes (the palettes live in the note type CSS).

    python-markdown's codehilite builds a new lexer and formatter for every block, which costs
    more than the highlighting itself; here each language's lexer and one formatter are reused.
    """

    FENCE_RE = FencedBlockPreprocessor.FENCED_BLOCK_RE
    # A fence indented under a list item (python-markdown's own fences must start at the margin).
    INDENTED_FENCE_RE = re.compile(r"^(?P<indent>[ ]{1,12})(?P<fence>`{3,}|~{3,})[ ]*\{?\.?(?P<lang>[\w#.+-]*)[^\n]*\n"
                                   r"(?P<code>(?:(?P=indent)[^\n]*\n|[ \t]*\n)*?)(?P=indent)(?P=fence)[ ]*$", re.M)

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        index = 0
        while m := self.FENCE_RE.search(text, index):
            lang = m.group("lang") or (m.group("attrs") or "").strip("{} .").split(" ")[0]
            placeholder = self.md.htmlStash.store(highlight(m.group("code"), lang))
            text = f"{text[:m.start()]}\n{placeholder}\n{text[m.end():]}"
            index = m.start() + 1 + len(placeholder)
        return self._indented(text).split("\n")

    def _indented(self, text: str) -> str:
        """An indented fence becomes a placeholder: inside a list item at that item's indent (four
        spaces a level, as python-markdown continues items), elsewhere at the margin."""
        def replace(m: re.Match) -> str:
            indent = m.group("indent")
            code = "".join(line[len(indent):] if line.startswith(indent) else line.lstrip(" \t")
                           for line in m.group("code").splitlines(keepends=True))
            level = " " * (4 * -(-len(indent) // 4)) if _in_list_item(text, m.start(), len(indent)) else ""
            return f"{level}{self.md.htmlStash.store(highlight(code, m.group('lang')))}"
        return self.INDENTED_FENCE_RE.sub(replace, text) if INDENTED_FENCE_HINT_RE.search(text) else text


INDENTED_FENCE_HINT_RE = re.compile(r"^[ ]+(?:`{3}|~{3})", re.M)


def _in_list_item(text: str, start: int, indent: int) -> bool:
    """Whether the line at ``start`` continues a list item: the nearest less indented line above it
    is a list item."""
    for line in reversed(text[:start].split("\n")):
        stripped = line.lstrip(" ")
        if stripped and len(line) - len(stripped) < indent:
            return bool(LIST_MARKER_RE.match(stripped))
    return False


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

    _md: dict[bool, markdown.Markdown] = {}  # with and without the inline patterns few texts need

    def __init__(self, path: str, lesson_dir: Path, root: Path, diags: Diagnostics, media: Media,
                 validate_only: bool = False):
        self.path, self.lesson_dir, self.root = path, lesson_dir, root
        self.diags, self.media = diags, media
        # Checking only needs the text that can raise a problem: raw HTML, links and images.
        self.validate_only = validate_only

    @classmethod
    def markdown(cls, text: str = "~~") -> markdown.Markdown:
        from .gfm import needs_inline_extras
        extras = needs_inline_extras(text)
        if extras not in cls._md:
            cls._md[extras] = _markdown(extras)
        return cls._md[extras].reset()

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
            raw = self.markdown(text).convert(text)
        except RecursionError:
            self.diags.error(self.path, line, "this text is nested too deeply to render")
            return ""
        if not NEEDS_SANITISER_RE.search(text):
            return raw
        return self._safe(raw, text, line)

    def _guard_input(self, text: str, line: int) -> str | None:
        """Refuse what python-markdown cannot render in reasonable time and space."""
        if _nesting_depth(text) > MAX_NESTING:
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
        if not PLAIN_INLINE_RE.search(text):
            return text.strip()
        html_text = self.block(text, line)
        if html_text.startswith("<p>") and html_text.endswith("</p>") and html_text.count("<p>") == 1:
            return html_text[3:-4]
        return html_text

    def _safe(self, raw: str, source: str, line: int) -> str:
        locate = _Locator(source, line)
        for what, needles in removals(raw):
            self.diags.warning(self.path, locate(*needles), f"removed {_printable(what)}: not allowed in cards")
        clean = nh3.clean(raw, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                          attributes=ALLOWED_ATTRIBUTES, attribute_filter=_attribute_filter,
                          url_schemes=URL_SCHEMES, filter_style_properties=ALLOWED_STYLES,
                          link_rel="noopener noreferrer", strip_comments=True)
        if "<img" in clean:
            locate_image = _Locator(source, line)
            clean = IMG_RE.sub(lambda m: self._image(m.group(0), locate_image), clean)
        return clean

    def _image(self, tag: str, locate: "_Locator") -> str:
        attrs = dict(ATTR_RE.findall(tag))
        src = html.unescape(attrs.get("src", ""))
        if not src or src.startswith("data:image/"):
            return tag
        where = locate(re.escape(src), re.escape(attrs.get("src", "")), r"!\[", r"<img\b")
        if urlsplit(src).scheme in ("http", "https"):
            self.diags.warning(self.path, where, f"remote image {src} will not show offline; kept as a link")
            label = html.escape(html.unescape(attrs.get("alt", "")) or src)
            return f'<a href="{html.escape(src)}" rel="noopener noreferrer">{label}</a>'
        name = self._bundle(src, where)
        if name is None:
            return ""
        return tag.replace(f'src="{attrs["src"]}"', f'src="{html.escape(name)}"', 1)

    def _bundle(self, src: str, line: int) -> str | None:
        try:
            return self._bundle_file(src, line)
        except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the file system, ...
            self.diags.error(self.path, line, f"image {src} cannot be read: {getattr(exc, 'strerror', None) or exc}")
            return None

    def _bundle_file(self, src: str, line: int) -> str | None:
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


MAX_NESTING = 40
MAX_BRACKETS = 500
MAX_LINE = 10_000  # characters; no real answer has a line near this
UNSAFE_CSS_VALUE_RE = re.compile(r"url\s*\(|expression|\\|javascript:|@import|behavior", re.I)


def _nesting_depth(text: str) -> int:
    """Deepest list (by indentation) or quote (by '>') in the text, roughly."""
    depth = 0
    for line in text.split("\n"):
        stripped = line.lstrip(" \t")
        indent = len(line) - len(stripped)
        if LIST_MARKER_RE.match(stripped):
            depth = max(depth, indent // 2 + 1)
        if stripped.startswith(">"):
            depth = max(depth, len(stripped) - len(stripped.lstrip("> ")))
    return depth


def _declarations(style: str) -> list[tuple[str, str]]:
    pairs = []
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            pairs.append((name.strip().lower(), value.strip()))
    return pairs


def _unsafe_declarations(style: str) -> list[str]:
    return [name for name, value in _declarations(style)
            if name not in ALLOWED_STYLES or UNSAFE_CSS_VALUE_RE.search(value)]


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src") and value.strip().lower().startswith("data:"):
        return value if tag == "img" and value.strip().lower().startswith("data:image/") else None
    if attribute == "style":
        kept = [f"{name}:{v}" for name, v in _declarations(value)
                if name in ALLOWED_STYLES and not UNSAFE_CSS_VALUE_RE.search(v)]
        return ";".join(kept) or None
    return value


class _Locator:
    """The source line of each reported thing: things are found in document order, so each
    search starts after the previous find (two alike on different lines get their own lines)."""

    def __init__(self, source: str, line: int):
        self.source, self.line, self.cursor = source, line, 0

    def __call__(self, *patterns: str) -> int:
        for pattern in patterns:
            if pattern and (m := re.compile(pattern, re.I).search(self.source, self.cursor)):
                self.cursor = m.end()
                return self.line + self.source.count("\n", 0, m.start())
        return self.line + self.source.count("\n", 0, self.cursor)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


class _Scanner(HTMLParser):
    """Lists what the sanitiser is about to remove, so each removal can be reported."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, tuple[str, ...]]] = []  # (what, where to look for it in the source)

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.found.append((f"<{tag}> element", (rf"<\s*{re.escape(tag)}\b",)))
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            at = (rf"\b{re.escape(name)}\s*=", rf"\b{re.escape(name)}\b")
            if name not in allowed:
                self.found.append((f"'{name}' attribute on <{tag}>", at))
            elif name in ("href", "src") and value and _bad_url(tag, value):
                scheme = value.split(":", 1)[0].strip()
                self.found.append((f"{scheme}: URL on <{tag}>", (re.escape(value[:20]), *at, r"\]\(")))
            elif name == "style" and value and (bad := _unsafe_declarations(value)):
                listed = ", ".join(f"'{b}'" for b in bad)
                self.found.append((f"CSS {listed} on <{tag}>", (r"\bstyle\s*=",)))

    def handle_comment(self, data):
        pass


def _bad_url(tag: str, value: str) -> bool:
    scheme = urlsplit(value.strip()).scheme.lower()
    if not scheme or len(scheme) == 1:  # relative, or a Windows drive letter
        return False
    if scheme == "data":
        return not (tag == "img" and value.strip().lower().startswith("data:image/"))
    return scheme not in URL_SCHEMES


def removals(raw_html: str) -> list[tuple[str, tuple[str, ...]]]:
    scanner = _Scanner()
    scanner.feed(raw_html)
    scanner.close()
    return scanner.found
