"""Fenced code blocks highlighted with Pygments, as a python-markdown extension.

Code is highlighted at build time into classes (the light and night palettes
live in the note type CSS), so cards load nothing. It avoids codehilite, which
builds a new lexer and formatter for every block: here each language's lexer
and one formatter are reused. An unknown language is plain code, never an error.
"""
from __future__ import annotations

import functools
import re

import markdown
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import Preprocessor

from .lists import LIST_MARKER_RE

INDENTED_FENCE_HINT_RE = re.compile(r"^[ ]+(?:`{3}|~{3})", re.M)


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
