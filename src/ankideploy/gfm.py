"""What GitHub shows is what the card shows: python-markdown taught the GitHub habits
authors write by.

* A list or a table right after a paragraph line, with no blank line between (GitHub,
  like CommonMark, lets a list interrupt a paragraph; python-markdown does not): a blank
  line is put in front of it.
* A backslash at the end of a line breaks the line, as on GitHub.
* ``~~strikethrough~~``, bare ``https://`` and ``www.`` links, and task list items
  (``- [ ]`` / ``- [x]``, shown as ☐ / ☑ since cards hold no form controls).
* ``<image_name>`` or ``<Component />`` is not HTML (GitHub hides only real tags): it
  stays on the card as the text it is, instead of being removed as an unknown element.
* Text that would reach the card as ``\\(``, ``\\)``, ``\\[`` or ``\\]`` would be typeset
  as maths by Anki and AnkiDroid (both run MathJax over card text): an empty element
  between the backslash and the bracket keeps it literal, since MathJax only finds
  delimiters inside one run of text.

Every pattern is anchored or bounded, and each pass is one scan of the text.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.inlinepatterns import HTML_RE, HtmlInlineProcessor, InlineProcessor, SimpleTagInlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

LIST_START_RE = re.compile(r"^[ ]{0,3}(?:[-*+]|(?P<number>\d{1,9})[.)])[ \t]+\S")
LIST_LINE_RE = re.compile(r"^[ ]{0,12}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
TABLE_SEPARATOR_RE = re.compile(r"^[ ]{0,3}\|?[ \t]{0,3}:?-{1,}:?[ \t]{0,3}(?:\|[ \t]{0,3}:?-{1,}:?[ \t]{0,3})*\|?[ \t]*$")
BLOCK_START_RE = re.compile(r"^[ ]{0,3}(?:#{1,6}(?:[ \t]|$)|>|```|~~~|<|\|)")
TASK_RE = re.compile(r"^(?P<lead>[ ]{0,12}(?:[-*+]|\d{1,9}[.)])[ \t]+)\[(?P<mark>[ xX])\](?=[ \t])")
# A URL ends at a placeholder too (\x02...\x03): a line break or code span right after it is not part of it.
URL_RE = r"(?<![\w/@.:\-])(?:https?://|www\.)[^\s<>\"'`\x02\x03]{1,2000}"
TRAILING_PUNCTUATION = ".,:;!?*_~'\""
MATH_DELIMITER_RE = re.compile(r"(\\|&#92;|&#x0*5c;|&bsol;)(?=[()\[\]])", re.I)
TEXT_OR_TAG_RE = re.compile(r"<[^>]*>|[^<]+")
SKIP_TAGS = ("pre", "code", "script", "style")
TAG_NAME_RE = re.compile(r"/?([A-Za-z][^\s/>]{0,100})")
INLINE_EXTRAS_RE = re.compile(r"~~|https?://|www\.")
HTML_ELEMENTS = frozenset("""a abbr address applet area article aside audio b base basefont bdi bdo big blink blockquote
    body br button canvas caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em
    embed fieldset figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i
    iframe img input ins kbd label legend li link main map mark marquee math menu meta meter nav noembed noframes
    noscript object ol optgroup option output p param picture plaintext pre progress q rp rt ruby s samp script search
    section select slot small source span strike strong style sub summary sup svg table tbody td template textarea
    tfoot th thead time title tr track tt u ul var video wbr xmp""".split())
BREAK = '<span class="nomath"></span>'


class ParagraphBreaks(Preprocessor):
    """A blank line before a list or table that starts right under a paragraph line."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        previous = ""  # "", "paragraph", "list" or "other"
        for index, line in enumerate(lines):
            if not line.strip():
                out.append(line)
                previous = ""
                continue
            starts_list = LIST_START_RE.match(line)
            starts_table = "|" in line and index + 1 < len(lines) and TABLE_SEPARATOR_RE.match(lines[index + 1]) \
                and "-" in lines[index + 1]
            if previous == "paragraph" and (_may_interrupt(starts_list) or starts_table):
                out.append("")
            if line.endswith("\\") and not line.endswith("\\\\") and index + 1 < len(lines) and lines[index + 1].strip():
                line = line[:-1] + "  "  # GitHub's backslash line break, as python-markdown writes one
            out.append(line)
            previous = _kind(line, previous)
        return out


def _may_interrupt(match: re.Match | None) -> bool:
    """GitHub lets a bullet list, or an ordered list starting at 1, interrupt a paragraph."""
    return bool(match) and (match.group("number") in (None, "1"))


def _kind(line: str, previous: str) -> str:
    if LIST_LINE_RE.match(line):
        return "list"
    if previous == "list" and line[:1] in (" ", "\t"):
        return "list"  # a continuation line of a list item
    if previous == "list":
        return "list"  # a lazy continuation: still inside the item, as GitHub reads it
    if BLOCK_START_RE.match(line) or line.startswith(("    ", "\t")):
        return "other"
    return "paragraph"


class TaskItems(Preprocessor):
    """``- [ ] step`` and ``- [x] done`` as ☐ and ☑."""

    def run(self, lines: list[str]) -> list[str]:
        return [TASK_RE.sub(lambda m: m.group("lead") + ("\u2610" if m.group("mark") == " " else "\u2611"), line)
                if "[" in line else line for line in lines]


class BareLinks(InlineProcessor):
    """``https://example.com`` and ``www.example.com`` as links, without trailing punctuation."""

    def handleMatch(self, m: re.Match, data: str):
        url = m.group(0)
        url = _trim(url)
        if len(url) <= len("https://") or url.endswith(("://", "www.")):
            return None, None, None
        element = etree.Element("a")
        element.set("href", url if not url.startswith("www.") else "http://" + url)
        element.text = url
        return element, m.start(0), m.start(0) + len(url)


def _trim(url: str) -> str:
    """GitHub's rule: trailing punctuation is not part of a link, nor is an unbalanced ')'."""
    while url and (url[-1] in TRAILING_PUNCTUATION or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


class HtmlOrPlaceholder(HtmlInlineProcessor):
    """Raw inline HTML as python-markdown reads it, except that '<image_name>' or '<Component />'
    is a placeholder in prose, not an element: kept as the text it is. (It replaces python-
    markdown's own 'html' pattern, so it costs nothing more per text.)"""

    def handleMatch(self, m: re.Match, data: str):
        name = TAG_NAME_RE.match(m.group(2) or "")
        if name and name.group(1).lower() not in HTML_ELEMENTS:
            return self.md.htmlStash.store(html.escape(m.group(0))), m.start(0), m.end(0)
        return super().handleMatch(m, data)


class LiteralBrackets(Postprocessor):
    """``\\(`` in card text stays text: MathJax would typeset it (not inside code, which it skips)."""

    def run(self, text: str) -> str:
        if "\\" not in text and "&#" not in text and "&bsol;" not in text:
            return text
        out, skipping = [], 0
        for m in TEXT_OR_TAG_RE.finditer(text):
            piece = m.group(0)
            if piece.startswith("<"):
                name = piece[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(piece) > 2 else ""
                if name in SKIP_TAGS:
                    skipping += -1 if piece.startswith("</") else (0 if piece.endswith("/>") else 1)
                    skipping = max(skipping, 0)
                out.append(piece)
            elif skipping:
                out.append(piece)
            else:
                out.append(MATH_DELIMITER_RE.sub(lambda d: d.group(1) + BREAK, piece))
        return "".join(out)


def needs_inline_extras(text: str) -> bool:
    """Whether a text may hold strikethrough or a bare link: only then are those patterns worth
    trying on every piece of its text (python-markdown tries each pattern on each text node)."""
    return bool(INLINE_EXTRAS_RE.search(text))


class GithubHabits(Extension):
    def __init__(self, inline_extras: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.inline_extras = inline_extras

    def extendMarkdown(self, md) -> None:
        md.registerExtension(self)
        # After the fences are stashed (25), before the block parser sees the lines.
        md.preprocessors.register(ParagraphBreaks(md), "gfm_paragraph_breaks", 20)
        md.preprocessors.register(TaskItems(md), "gfm_task_items", 19)
        md.inlinePatterns.register(HtmlOrPlaceholder(HTML_RE, md), "html", 90)
        if self.inline_extras:
            md.inlinePatterns.register(SimpleTagInlineProcessor(r"()~~(?!~)(\S(?:[^~]|~(?!~)){0,2000}?)~~", "del"),
                                       "gfm_strikethrough", 65)
            md.inlinePatterns.register(BareLinks(URL_RE, md), "gfm_bare_links", 5)
        # After raw HTML (and highlighted code) is put back (30).
        md.postprocessors.register(LiteralBrackets(md), "gfm_literal_brackets", 5)
