"""Fenced code blocks highlighted with Pygments, as a python-markdown extension.

Code is highlighted at build time into classes (the light and night palettes
live in the note type CSS), so cards load nothing. It avoids codehilite, which
builds a new lexer and formatter for every block: here each language's lexer
and one formatter are reused. An unknown language is plain code, never an error.
"""
from __future__ import annotations

import bisect
import functools
import html
import re

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

from .lists import LIST_MARKER_RE

MAX_FENCE_INDENT = 12
INDENTED_FENCE_HINT_RE = re.compile(r"[ ]+(?:`{3}|~{3})")
FENCE_START_RE = re.compile(r"~{3,}|`{3,}")
FENCE_ONLY_RE = re.compile(r"~{3,}|`{3,}")
LANG_RE = re.compile(r"\.?([\w#.+-]*)")
HL_LINES_RE = re.compile(r"""hl_lines=(["'])[^\n]*\1""")
# An indented fence's opener: its indent (the fence's code lines keep it), the fence, the language.
INDENTED_OPENER_RE = re.compile(r"(?P<indent>[ ]{1,12})(?P<fence>`{3,}|~{3,})[ ]*\{?\.?(?P<lang>[\w#.+-]*)")


class _FencePreprocessor(Preprocessor):
    """Fenced code highlighted with Pygments into classes (the palettes live in the note type CSS).

    python-markdown's codehilite builds a new lexer and formatter for every block, which costs
    more than the highlighting itself; here each language's lexer and one formatter are reused.
    Fences are found line by line, each opener's closer looked up in a sorted list of the closing
    lines, so a block of a thousand unclosed fences takes linear time, not quadratic (as
    python-markdown's ``FENCED_BLOCK_RE``, whose matches these are, would).
    """

    def __init__(self, md: markdown.Markdown, colour: bool):
        super().__init__(md)
        self.colour = colour

    def run(self, lines: list[str]) -> list[str]:
        self.md.highlighted = []  # this conversion's Pygments blocks: trusted markup, see Renderer._safe
        lines = margin_fences(lines, self._store)
        if not any(INDENTED_FENCE_HINT_RE.match(line) for line in lines):
            return lines
        return indented_fences(lines, self._store)

    def _store(self, code: str, lang: str) -> str:
        block = highlight(code, lang) if self.colour else plain(code)
        self.md.highlighted.append(block)
        return self.md.htmlStash.store(block)


def _closers(lines: list[str], indent: str = "") -> dict[str, list[int]]:
    """Each fence (``` or ~~~ of any length) -> the lines, in order, that are only that fence after
    ``indent`` (and trailing spaces)."""
    found: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.startswith(indent) and line[len(indent):len(indent) + 1] in ("`", "~"):
            rest = line[len(indent):].rstrip(" ")
            if FENCE_ONLY_RE.fullmatch(rest):
                found.setdefault(rest, []).append(i)
    return found


def _next(found: dict[str, list[int]], fence: str, after: int) -> int | None:
    lines = found.get(fence, [])
    k = bisect.bisect_right(lines, after)
    return lines[k] if k < len(lines) else None


def _margin_opener(line: str) -> tuple[str, str] | None:
    """(fence, language) when ``line`` opens a fence at the margin, as python-markdown reads one."""
    m = FENCE_START_RE.match(line)
    if not m:
        return None
    fence, rest = m.group(0), line[m.end():].lstrip(" ")
    if rest.startswith("{") and rest.endswith("}"):
        return fence, rest[1:-1].strip("{} .").split(" ")[0]
    if (k := rest.find("hl_lines=")) >= 0:  # a language (or none), spaces, then hl_lines="..."
        lang = LANG_RE.fullmatch(rest[:k].rstrip(" "))
        return (fence, lang.group(1)) if lang and HL_LINES_RE.fullmatch(rest[k:].rstrip(" ")) else None
    lang = LANG_RE.match(rest)
    return (fence, lang.group(1)) if not rest[lang.end():].strip(" ") else None


def margin_fences(lines: list[str], store) -> list[str]:
    """Fences at the margin replaced by ``store(code, lang)``: the opener's line, the code and the
    closer's line become an empty line, the placeholder and an empty line."""
    closers = _closers(lines)
    out, i = [], 0
    while i < len(lines):
        opener = _margin_opener(lines[i]) if lines[i][:1] in ("`", "~") else None
        j = _next(closers, opener[0], i) if opener else None
        if j is None:
            out.append(lines[i])
            i += 1
            continue
        code = "".join(line + "\n" for line in lines[i + 1:j])
        out += ["", store(code, opener[1]), ""]
        i = j + 1
    return out


def indented_fences(lines: list[str], store) -> list[str]:
    """An indented fence becomes a placeholder: inside a list item at that item's indent (four
    spaces a level, as python-markdown continues items), elsewhere at the margin. Every line of
    its code starts with the fence's indent or is blank."""
    closers_by_indent: dict[str, dict[str, list[int]]] = {}
    breaks_by_indent: dict[str, dict[str, list[int]]] = {}
    above = _LessIndented(lines)
    out, i = [], 0
    while i < len(lines):
        m = INDENTED_OPENER_RE.match(lines[i])
        j = None
        if m:
            indent, run = m.group("indent"), m.group("fence")
            if indent not in closers_by_indent:
                closers_by_indent[indent] = _closers(lines, indent)
                breaks_by_indent[indent] = {"": _breaks(lines, len(indent))}
            closers, stop = closers_by_indent[indent], _next(breaks_by_indent[indent], "", i)
            # The longest fence that closes, as the regular expression's backtracking would find it.
            for length in range(len(run), 2, -1):
                j = _next(closers, run[0] * length, i)
                if j is not None and (stop is None or j < stop):
                    break
                j = None
        if j is None:
            out.append(lines[i])
            i += 1
            continue
        code = "".join((line[len(indent):] if line.startswith(indent) else line.lstrip(" \t")) + "\n"
                       for line in lines[i + 1:j])
        level = " " * (4 * -(-len(indent) // 4)) if above.is_list_item(i, len(indent)) else ""
        out.append(level + store(code, m.group("lang")))
        i = j + 1
    return out


def _breaks(lines: list[str], indent: int) -> list[int]:
    """The lines that end an indented fence's code: not blank, and indented less than the fence."""
    return [i for i, line in enumerate(lines)
            if line.strip(" \t") and len(line) - len(line.lstrip(" ")) < indent]


class _LessIndented:
    """For line i and an indent, whether the nearest line above that is indented less (and not
    empty) is a list item. Lines are visited in order, so each is looked at once."""

    def __init__(self, lines: list[str]):
        self.lines, self.upto = lines, 0
        self.last = [-1] * (MAX_FENCE_INDENT + 1)  # leading spaces -> last line with that many

    def is_list_item(self, i: int, indent: int) -> bool:
        while self.upto < i:
            line = self.lines[self.upto]
            stripped = line.lstrip(" ")
            lead = len(line) - len(stripped)
            if stripped and lead <= MAX_FENCE_INDENT:
                self.last[lead] = self.upto
            self.upto += 1
        nearest = max(self.last[:indent], default=-1)
        return nearest >= 0 and bool(LIST_MARKER_RE.match(self.lines[nearest].lstrip(" ")))


class HighlightedFences(Extension):
    """``colour=False``: code blocks in the same place, escaped but not highlighted (for checking,
    which needs the structure of an answer but never shows its code)."""

    def __init__(self, colour: bool = True):
        super().__init__()
        self.colour = colour

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_FencePreprocessor(md, self.colour), "fenced_code_block", 25)


# A fence's language as the fence preprocessor reads it; for warming lexers up before work starts.
FENCE_LANGUAGE_RE = re.compile(rb"^[ ]{0,12}(?:`{3,}|~{3,})[ ]*\{?\.?([\w#.+-]{1,40})", re.M)
MAX_WARMED = 40


def fence_languages(data: bytes) -> set[str]:
    """The code languages a lesson's fences name (at most ``MAX_WARMED``)."""
    found: set[str] = set()
    for match in FENCE_LANGUAGE_RE.finditer(data):
        found.add(match.group(1).decode("ascii", "replace").lower())
        if len(found) >= MAX_WARMED:
            break
    return found


def warm_up(languages: set[str]) -> None:
    """Load the formatter and these languages' lexers now (worker processes then share them)."""
    _formatter()
    for lang in sorted(languages)[:MAX_WARMED]:
        _lexer(lang)


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


def plain(code: str) -> str:
    return f'<div class="hl"><pre><code>{html.escape(code.strip(chr(10)))}</code></pre></div>\n'


def highlight(code: str, lang: str) -> str:
    from pygments import highlight as pygments_highlight
    return pygments_highlight(code.strip("\n") + "\n", _lexer(lang.lower()), _formatter())
