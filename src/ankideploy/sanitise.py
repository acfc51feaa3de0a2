"""Card HTML made safe: an allow-list sanitiser (nh3), and a report of what it removed.

``clean`` keeps only the tags, attributes, URL schemes and CSS properties cards
need. ``removals`` lists, in document order, what ``clean`` is about to drop, and
``Locator`` finds each one's line in the Markdown source, so an author learns
why part of a card vanished. It avoids regular-expression rewriting of HTML:
the parsing is nh3's (html5ever) and the standard library's.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

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
    # Markdown writes a table column's alignment as style="text-align: ..." on its cells.
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "style"},
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
# A start or end tag as python-markdown writes it; its attributes as html.parser would list them.
SIMPLE_TAG_RE = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:[ ]+[a-z][a-z0-9-]*="[^"<>&]*")*)[ ]?/?>')
SIMPLE_ATTRIBUTE_RE = re.compile(r'[ ]+([a-z][a-z0-9-]*)="([^"]*)"')
RAW_TEXT_TAGS = {"script", "style"}  # html.parser does not look for tags inside these
# What in Markdown source can give a removal or an image besides tags and link targets.
REMOVABLE_WORDS_RE = re.compile(r"javascript:|vbscript:|data:|!\[|<img\b", re.I)
LINK_TARGET_RE = re.compile(r"""\]\(\s*([^\s()<>&\\"']*)\s*(?:"[^"\n]*"|'[^'\n]*')?\s*\)""")
DEFINITION_TARGET_RE = re.compile(r"\]:[ \t]*([^\s<>&\\]+)")
UNSAFE_CSS_VALUE_RE = re.compile(r"url\s*\(|expression|\\|javascript:|@import|behavior", re.I)


def clean(raw: str) -> str:
    return nh3.clean(raw, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
                     attributes=ALLOWED_ATTRIBUTES, attribute_filter=_attribute_filter,
                     url_schemes=URL_SCHEMES, filter_style_properties=ALLOWED_STYLES,
                     link_rel="noopener noreferrer", strip_comments=True)


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


class Locator:
    """The source line of each reported thing: things are found in document order, so each
    search starts after the previous find (two alike on different lines get their own lines).

    Linear in the source however many things are reported: lines are counted only over the
    text between two finds, a pattern once missed is not searched again (the cursor only moves
    forward, so it cannot appear later), and after ``MAX_MISSES`` misses nothing is searched."""

    MAX_MISSES = 20

    def __init__(self, source: str, line: int):
        self.source, self.line, self.cursor = source, line, 0
        self.counted, self.newlines = 0, 0  # newlines in source[:counted]
        self.missed: set[str] = set()

    def __call__(self, *patterns: str) -> int:
        for pattern in patterns:
            if not pattern or pattern in self.missed or len(self.missed) >= self.MAX_MISSES:
                continue
            m = re.compile(pattern, re.I).search(self.source, self.cursor)
            if m is None:
                self.missed.add(pattern)
                continue
            self.cursor = m.end()
            return self.line + self._newlines_before(m.start())
        return self.line + self._newlines_before(self.cursor)

    def _newlines_before(self, position: int) -> int:
        if position >= self.counted:
            self.newlines += self.source.count("\n", self.counted, position)
            self.counted = position
            return self.newlines
        return self.newlines - self.source.count("\n", position, self.counted)


def printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


# Each allowed tag's attributes, its own and those every tag may have (looked up once per tag seen).
ALLOWED_ON = {tag: ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set()) for tag in ALLOWED_TAGS}
Found = list[tuple[str, tuple[str, ...]]]  # (what, where to look for it in the source)


def _check_tag(tag: str, attrs: list[tuple[str, str | None]], found: Found) -> None:
    """What the sanitiser will remove from one start tag."""
    if tag not in ALLOWED_TAGS:
        found.append((f"<{tag}> element", (rf"<\s*{re.escape(tag)}\b",)))
        return
    allowed = ALLOWED_ON[tag]
    for name, value in attrs:
        at = (rf"\b{re.escape(name)}\s*=", rf"\b{re.escape(name)}\b")
        if name not in allowed:
            found.append((f"'{name}' attribute on <{tag}>", at))
        elif name in ("href", "src") and value and _bad_url(tag, value):
            scheme = value.split(":", 1)[0].strip()
            found.append((f"{scheme}: URL on <{tag}>", (re.escape(value[:20]), *at, r"\]\(")))
        elif name == "style" and value and (bad := _unsafe_declarations(value)):
            listed = ", ".join(f"'{b}'" for b in bad)
            found.append((f"CSS {listed} on <{tag}>", (r"\bstyle\s*=",)))


class _Scanner(HTMLParser):
    """Lists what the sanitiser is about to remove, so each removal can be reported."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: Found = []

    def handle_starttag(self, tag, attrs):
        _check_tag(tag, attrs, self.found)

    def handle_comment(self, data):
        pass


def _bad_url(tag: str, value: str) -> bool:
    scheme = urlsplit(value.strip()).scheme.lower()
    if not scheme or len(scheme) == 1:  # relative, or a Windows drive letter
        return False
    if scheme == "data":
        return not (tag == "img" and value.strip().lower().startswith("data:image/"))
    return scheme not in URL_SCHEMES


def removals(raw_html: str) -> Found:
    found = _simple_removals(raw_html)
    if found is not None:
        return found
    scanner = _Scanner()
    scanner.feed(raw_html)
    scanner.close()
    return scanner.found


def _simple_removals(raw_html: str) -> Found | None:
    """The same list for the HTML Markdown writes, read with one regular expression: every "<"
    opens a plain tag (lower-case names, double-quoted values without "&"). Anything else
    (comments, character references in values, script or style content, odd quoting) returns
    None, and the HTML parser reads it."""
    found: Found = []
    position = 0
    while (position := raw_html.find("<", position)) >= 0:
        match = SIMPLE_TAG_RE.match(raw_html, position)
        if match is None:
            return None
        if not match.group(1):
            tag = match.group(2)
            if tag in RAW_TEXT_TAGS:
                return None
            _check_tag(tag, SIMPLE_ATTRIBUTE_RE.findall(match.group(3)), found)
        position = match.end()
    return found


def nothing_to_remove(markdown_text: str) -> bool:
    """Whether the HTML Markdown makes of this text (its code blocks taken out) surely holds
    nothing ``clean`` removes and no image: every "<" opens a plain tag kept whole, and every
    link target is a plain URL of an allowed scheme. False whenever that is not plain to see."""
    if REMOVABLE_WORDS_RE.search(markdown_text):
        return False
    if "<" in markdown_text and _simple_removals(markdown_text) != []:
        return False
    for marker, target_re in (("](", LINK_TARGET_RE), ("]:", DEFINITION_TARGET_RE)):
        position = 0
        while (position := markdown_text.find(marker, position)) >= 0:
            match = target_re.match(markdown_text, position)
            if match is None or _bad_url("a", match.group(1)):
                return False
            position += len(marker)
    return True
