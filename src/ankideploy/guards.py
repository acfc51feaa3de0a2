"""Measures of a Markdown block that python-markdown would take more than linear time over.

python-markdown (and the ``html.parser`` it uses for raw HTML) has inputs on which
it is quadratic: very long lines, paragraphs with thousands of inline tokens
(``&amp;``, ``*``, backticks ...), tag openers such as ``<a`` that no ``>``
closes (each one is scanned to the end of the block), unmatched brackets, deep
nesting. The renderer asks these functions first and shows such text plain, with
a warning, instead of stalling the build. Every function here is a single pass
over the text with regular expressions that cannot backtrack.
"""
from __future__ import annotations

import bisect
import re

# Characters python-markdown's inline patterns start at: each is a token it may stash and rescan.
INLINE_TOKEN_RE = re.compile(r"[&*_`\[\]<>!\\~]")
FENCE_LINE_RE = re.compile(r"[ ]*(`{3,}|~{3,})")
FENCE_ONLY_RE = re.compile(r"`{3,}|~{3,}")
TAG_OPENER_RE = re.compile(r"<[A-Za-z/!?]")


def longest_line(text: str) -> int:
    return max(map(len, text.split("\n")), default=0)


def busiest_paragraph(text: str) -> int:
    """The most inline tokens in one paragraph (lines between blank lines). Fenced code, which is
    never scanned for inline markup, does not count, but only a fence that is closed: an opener
    without its closer is text to python-markdown, and counts."""
    lines = text.split("\n")
    closers: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        bare = line.strip(" ")
        if bare[:1] in ("`", "~") and FENCE_ONLY_RE.fullmatch(bare):
            closers.setdefault(bare, []).append(i)
    most = count = i = 0
    while i < len(lines):
        line = lines[i]
        if m := FENCE_LINE_RE.match(line):
            found = closers.get(m.group(1), [])
            k = bisect.bisect_right(found, i)
            if k < len(found):
                i = found[k] + 1
                continue
        if line.strip():
            count += len(INLINE_TOKEN_RE.findall(line))
            most = max(most, count)
        else:
            count = 0
        i += 1
    return most


def unclosed_tag_openers(text: str) -> tuple[list[int], int]:
    """The positions of tag openers (``<a``, ``</x``, ``<!``, ``<?``) that another ``<`` follows before
    any ``>``, and the characters ``html.parser`` would scan for them: from each to the next ``>``
    (or the end). Both pointers only move forward, so this is linear."""
    openers = [m.start() for m in TAG_OPENER_RE.finditer(text)]
    unclosed, cost = [], 0
    next_gt = next_lt = -1
    for pos in openers:
        if next_gt <= pos:
            next_gt = text.find(">", pos)
            next_gt = len(text) if next_gt == -1 else next_gt
        if next_lt <= pos:
            next_lt = text.find("<", pos + 1)
            next_lt = len(text) + 1 if next_lt == -1 else next_lt
        if next_lt < next_gt:
            unclosed.append(pos)
            cost += next_gt - pos
    return unclosed, cost


def escape_at(text: str, positions: list[int]) -> str:
    """``text`` with the ``<`` at each position written as ``&lt;``."""
    parts, start = [], 0
    for pos in positions:
        parts.append(text[start:pos])
        parts.append("&lt;")
        start = pos + 1
    parts.append(text[start:])
    return "".join(parts)
