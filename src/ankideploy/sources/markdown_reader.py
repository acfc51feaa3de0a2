"""Reads a Markdown lesson: ATX headings outside code fences give the structure."""
from __future__ import annotations

import re

from ..diagnostics import Diagnostics
from .structure import (STRICT_QUESTION_RE, Dialect, classify, Heading, Parsed, RawQuestion, Section, meaningful,
                        quick_fire_row)

HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")  # "## Title ##": the closing run is not text
FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")


COMMENT_OPEN_RE = re.compile(r"^\s{0,3}<!--")


def scan_blocks(lines: list[tuple[int, str]]) -> tuple[list[bool], tuple[int, str] | None]:
    """For each line, whether it is inside a fenced code block or a multi-line HTML comment (its
    opening and closing lines included); and the line and kind of a block never closed."""
    flags, fence, comment, opened = [], "", False, None
    for number, text in lines:
        m = FENCE_RE.match(text)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not text.strip()[len(m.group(1)):].strip():
                fence = ""
        elif comment:
            comment = "-->" not in text
        elif m:
            fence, opened = m.group(1), (number, "code fence")
        elif COMMENT_OPEN_RE.match(text) and "-->" not in text:
            comment, opened = True, (number, "HTML comment")
        else:
            flags.append(False)
            continue
        flags.append(True)
    return flags, (opened if fence or comment else None)


def fence_flags(lines: list[tuple[int, str]]) -> list[bool]:
    return scan_blocks(lines)[0]


def _heading_text(m: re.Match) -> str:
    return CLOSING_HASHES_RE.sub("", m.group(2) or "").strip()


def split_structure(lines: list[tuple[int, str]]) -> Parsed:
    parsed = Parsed()
    target = parsed.preamble
    section: Section | None = None
    flags, parsed.unclosed = scan_blocks(lines)
    for (number, text), in_fence in zip(lines, flags):
        m = None if in_fence else HEADING_RE.match(text)
        depth = len(m.group(1)) if m else 0
        if depth == 1 and parsed.h1 is None and section is None:
            parsed.h1 = Heading(1, _heading_text(m), number)
            target = parsed.intro
        elif depth in (1, 2):
            section = Section(Heading(2, _heading_text(m), number))
            parsed.sections.append(section)
            target = section.lines
        elif depth == 3 and section is not None and classify(section.heading.text) == "quick-fire":
            target.append((number, text))  # a sub-heading among quick-fire tables, not a question
        elif depth == 3 and section is not None:
            raw = RawQuestion(Heading(3, _heading_text(m), number))
            section.questions.append(raw)
            target = raw.lines
        elif depth == 3:
            # A question before any level heading: keep it so it is reported, not lost.
            section = Section(Heading(2, "", number))
            parsed.sections.append(section)
            raw = RawQuestion(Heading(3, _heading_text(m), number))
            section.questions.append(raw)
            target = raw.lines
        else:
            if depth >= 4 and STRICT_QUESTION_RE.match(_heading_text(m)):
                parsed.misplaced.append(Heading(depth, _heading_text(m), number))
            target.append((number, text))
    return parsed


class MarkdownDialect(Dialect):
    def fenced(self, lines):
        return fence_flags(lines)

    def quick_fire(self, section: Section, path: str, diags: Diagnostics) -> list:
        rows, header, table_lines = [], None, set()
        lines = section.lines
        for i, (number, text) in enumerate(lines):
            if "|" not in text:
                header = None
                continue
            if header is None:
                if i + 1 < len(lines) and SEPARATOR_RE.match(lines[i + 1][1]):
                    header = _columns(split_cells(text))
                    table_lines.add(number)
                continue
            table_lines.add(number)
            if SEPARATOR_RE.match(text):
                continue
            cells = split_cells(text)
            if len(cells) != header["count"]:
                diags.error(path, number, f"quick-fire row has {len(cells)} cells; the header has {header['count']}")
                continue
            label = cells[header["number"]] if header["number"] is not None else str(len(rows) + 1)
            others = tuple(c for i, c in enumerate(cells) if i not in (header["question"], header["answer"]))
            row = quick_fire_row(label, cells[header["question"]], cells[header["answer"]], number, path, diags,
                                 others)
            if row:
                rows.append(row)
        stray = [(n, t) for n, t in meaningful(lines) if n not in table_lines and not HEADING_RE.match(t)]
        if not table_lines:
            diags.warning(path, section.heading.line, "quick-fire section has no table")
        elif stray:
            diags.warning(path, stray[0][0], "text in the quick-fire section outside the table is not turned into cards")
        return rows


def split_cells(row: str) -> list[str]:
    """Cells of a table row; ``\\|`` and pipes inside code spans do not split."""
    text = row.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    cells, current, in_code, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] == "|":
            current.append("|")
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    cells.append("".join(current).strip())
    return cells


def _columns(header: list[str]) -> dict:
    lowered = [h.lower() for h in header]
    question = next((i for i, h in enumerate(lowered) if "question" in h), None)
    answer = next((i for i, h in enumerate(lowered) if "answer" in h), None)
    number = next((i for i, h in enumerate(lowered) if h in ("#", "no", "no.", "n", "nr")), None)
    if question is None or answer is None:
        rest = [i for i in range(len(header)) if i != number]
        question, answer = (rest + [0, 0])[:2] if len(rest) >= 2 else (0, min(1, len(header) - 1))
    return {"count": len(header), "question": question, "answer": answer, "number": number}
