"""Reads the plain-text rendering of a lesson: Markdown with the markup gone.

Headings are recognised by their words (``Beginner (Q1--Q4)``, ``Q1. ...``),
prose is escaped so it stays literal, and what lost its markup is restored:
numbered paragraphs become lists, multi-line blocks become code, and the
quick-fire rows, whose cell borders are gone, are split again.
"""
from __future__ import annotations

import re

from ..diagnostics import Diagnostics
from ..lesson import IdSite, Skipped
from .labels import label_of
from .levels import heading_level, level_word
from .structure import (LIST_ITEM_RE, QUICK_FIRE_RE, HOW_TO_RE, RANGE_RE, Dialect, Heading, Parsed, RawQuestion,
                        Section, classify, meaningful, quick_fire_row)
from .metadata import is_breadcrumb

QUESTION_LINE_RE = re.compile(r"^Q(?:uestion)?\s*\d+[a-z]?\s*[.:)]\s+\S", re.I)
SHORT = 80
MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]])")


def is_section_heading(text: str) -> bool:
    stripped = text.strip()
    if not stripped or text[:1].isspace() or len(stripped) > SHORT:
        return False
    if QUICK_FIRE_RE.match(stripped) or HOW_TO_RE.match(stripped):
        return True
    if RANGE_RE.search(stripped) and re.match(r"^[A-Za-z]", stripped):
        return True
    words = re.findall(r"[A-Za-z]+", stripped)
    return bool(heading_level(stripped)) and len(words) <= 3 and level_word(words[0]) is not None


def split_structure(lines: list[tuple[int, str]]) -> Parsed:
    parsed = Parsed()
    target = parsed.preamble
    section: Section | None = None
    previous_blank = True
    for number, text in lines:
        blank = not text.strip()
        if parsed.h1 is None and not blank and not is_breadcrumb(text):
            parsed.h1 = Heading(1, text.strip(), number)
            target = parsed.intro
        elif parsed.h1 is not None and previous_blank and is_section_heading(text):
            kind = classify(text.strip())
            section = Section(Heading(2, text.strip(), number), kind=kind,
                              level=heading_level(text.strip()) if kind == "level" else None)
            parsed.sections.append(section)
            target = section.lines
        elif parsed.h1 is not None and previous_blank and QUESTION_LINE_RE.match(text):
            if section is None:
                section = Section(Heading(2, "", number), kind="topic")
                parsed.sections.append(section)
            raw = RawQuestion(Heading(3, escape(text.strip()), number), site=IdSite(number, "below"))
            section.questions.append(raw)
            target = raw.lines
        else:
            target.append((number, text))
        previous_blank = blank
    return parsed


def escape(text: str) -> str:
    """Plain text as Markdown that renders to exactly that text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = MD_SPECIAL_RE.sub(r"\\\1", text)
    return re.sub(r"^(\s*)([#>+\-=]|\d+[.)])(\s|$)", r"\1\\\2\3", text)


def guess_language(lines: list[str]) -> str:
    body = [t for t in lines if t.strip()]
    if body and all(re.match(r"^\s*(?:- |[\w.\-'\"]+\s*:(?:\s|$))", t) for t in body):
        return "yaml"
    if body and body[0].lstrip().startswith(("{", "[")):
        return "json"
    if body and re.match(r"^(FROM|RUN|COPY|WORKDIR|CMD|ENTRYPOINT)\b", body[0]):
        return "dockerfile"
    if body and re.match(r"^\s*(\$ |sudo |npm |docker |git |curl |aws |kubectl )", body[0]):
        return "bash"
    return ""


class TextDialect(Dialect):
    def read(self, lines: list[tuple[int, str]]) -> Parsed:
        return split_structure(lines)

    def prose(self, lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        for paragraph in _paragraphs(lines):
            texts = [t for _, t in paragraph]
            if all(LIST_ITEM_RE.match(t) for t in texts):
                out.extend((n, _list_line(t)) for n, t in paragraph)
            elif len(paragraph) == 1 or any(_is_label(t) for t in texts):
                out.extend((n, escape(t)) for n, t in paragraph)
            else:
                first, last = paragraph[0][0], paragraph[-1][0]
                out.append((first, "```" + guess_language(texts)))
                out.extend(paragraph)
                out.append((last, "```"))
            out.append((paragraph[-1][0], ""))
        return out

    def quick_fire(self, section: Section, path: str, diags: Diagnostics, skipped: list[Skipped]) -> list:
        rows, numbered = [], None
        for number, text in meaningful(section.lines):
            stripped = text.strip()
            if numbered is None and re.match(r"^#?\s*question", stripped, re.I):
                numbered = stripped.startswith("#")
                continue
            if "\t" in stripped:
                cells = [c.strip() for c in stripped.split("\t")]
            else:
                cells = _split_borderless(stripped, len(rows) + 1, bool(numbered))
            if cells is None or len(cells) not in (2, 3):
                diags.error(path, number, "cannot split this quick-fire row into question and answer"
                            " (expected '<n><question>?<answer>')")
                continue
            label = cells[0] if len(cells) == 3 else str(len(rows) + 1)
            row = quick_fire_row(label, escape(cells[-2]), escape(cells[-1]), number, path, diags)
            if row:
                rows.append(row)
        if not rows and not meaningful(section.lines):
            diags.warning(path, section.heading.line, "quick-fire section has no rows")
        return rows


def _paragraphs(lines):
    paragraph = []
    for number, text in lines:
        if text.strip():
            paragraph.append((number, text))
        elif paragraph:
            yield paragraph
            paragraph = []
    if paragraph:
        yield paragraph


def _is_label(text: str) -> bool:
    return label_of(text) is not None


def _list_line(text: str) -> str:
    m = re.match(r"^\s*(\d+[.)]|[-*+\u2022])\s+(.*)$", text)
    marker = "-" if m.group(1) == "\u2022" else m.group(1)
    return f"{marker} {escape(m.group(2))}"


def _split_borderless(text: str, expected: int, numbered: bool) -> list[str] | None:
    """``1Multi-stage build saves what?Image size...`` -> ["1", question, answer]."""
    label = ""
    if numbered:
        if not text.startswith(str(expected)):
            m = re.match(r"^(\d+)", text)
            if not m:
                return None
            label = m.group(1)
        else:
            label = str(expected)
        text = text[len(label):]
    # The question ends at a "?" glued to the answer; a "?" followed by a space is inside it.
    m = re.search(r"\?(?=\S)", text) or re.search(r"\?", text)
    if not m or m.end() >= len(text):
        return None
    cells = [text[:m.end()].strip(), text[m.end():].strip()]
    return [label, *cells] if numbered else cells
