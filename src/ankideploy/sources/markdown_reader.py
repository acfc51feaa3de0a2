"""Reads a Markdown lesson: headings outside code fences give the outline, and the shape
of the whole file decides what each heading is.

Which headings are questions is read from the file, not assumed: question headings are
those numbered ("Q1.", "3.") or ending in "?", at whatever depth most of them use; a
heading whose text is followed by an answer label is a question too. When the questions
are numbered, an unnumbered heading without "?" under a question is part of its answer
("### Example"). Headings above the question depth are sections: a level ("Senior",
"Fresher Level (0-1 years)"), quick-fire, how-to, or a topic. Lines of a section that
are under no question heading are searched for the other shapes (bold questions,
``Q:``/``A:``, list items, ``<details>``).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..diagnostics import Diagnostics
from ..lesson import IdSite, Skipped
from .labels import label_of, without_comments
from .levels import difficulty_line, heading_level, take_marker, topic_name
from .quick_fire import question_tables, read_quick_fire
from .shapes import is_numbered, q_alone, q_label, question_like, split_region
from .structure import (COMMENT_ONLY_RE, RULE_RE, Dialect, Heading, Parsed, RawQuestion, Section, atx_heading, classify,
                        split_question_heading)

FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
COMMENT_OPEN_RE = re.compile(r"^[ ]{0,3}<!--")
# Headings that are a part of an answer whatever the file's shape ("### Example")
ANSWER_PART_RE = re.compile(r"^(?:examples?|for example|code(?: example| sample)?|sample code|explanation|key points|"
                            r"key takeaways|takeaways?|pitfalls?|common (?:mistakes|pitfalls)|gotchas?|trade[\s\-]?offs?|"
                            r"follow[\s\-]?ups?|notes?|tips?|how to (?:explain|answer|say)|in an interview|diagram|"
                            r"output|usage|syntax|analogy|real[\s\-]world|use cases?|when to use|advantages|"
                            r"disadvantages|pros|cons|best practices|approach|complexity|why it matters)\b", re.I)
# Sections that close a lesson rather than continue an answer
CLOSING_RE = re.compile(r"^(?:further\s+reading|reading\s+list|resources|references|see\s+also|related|next\s+steps|"
                        r"conclusion|summary|wrap[\s\-]?up|credits|sources|links|appendix|what's\s+next)\b", re.I)


def scan_blocks(lines: list[tuple[int, str]]) -> tuple[list[bool], tuple[int, str] | None]:
    """For each line, whether it is inside a fenced code block or a multi-line HTML comment (its
    opening and closing lines included); and the line and kind of a block never closed."""
    flags, fence, comment, opened, fence_char = [], "", False, None, "`"
    inner, nested = 0, ""  # a fence opened inside a fence, and what it led to
    for number, text in lines:
        if not fence and not comment and "`" not in text and "~" not in text and "<!--" not in text:
            flags.append(False)  # the common case, decided without a regex
            continue
        m = FENCE_RE.match(text)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not text.strip()[len(m.group(1)):].strip():
                fence = ""
                if inner:
                    nested = (f" (line {inner} opened a fence inside the one opened at line {opened[0]}, and line"
                              f" {number} closed the outer one; give the outer block a longer fence, such as"
                              f" {fence_char * 4})")
                inner = 0
            elif m and m.group(1)[0] == fence[0]:
                inner = inner or number
        elif comment:
            comment = "-->" not in text
        elif m:
            fence, opened = m.group(1), (number, "code fence" + nested)
            fence_char = fence[0]
        elif COMMENT_OPEN_RE.match(text) and "-->" not in text:
            comment, opened = True, (number, "HTML comment")
        else:
            flags.append(False)
            continue
        flags.append(True)
    return flags, (opened if fence or comment else None)


def fence_flags(lines: list[tuple[int, str]]) -> list[bool]:
    return scan_blocks(lines)[0]


@dataclass
class _Head:
    """One heading and what the outline needs to know of it."""

    index: int  # into the lines
    depth: int
    text: str
    line: int
    kind: str  # quick-fire, how-to, label, qlabel, question, level, plain
    label_body: bool = False  # the first text under it is an answer or why label
    question_body: bool = False  # the first text under it is a 'Question:' label: the heading is a title
    has_text: bool = True  # some text stands under it before the next heading


def _kind(text: str) -> str:
    bare = take_marker(without_comments(text))[0]
    if not bare:
        return "question"  # '###' with nothing after it: a question whose text is missing
    if q_alone(bare):
        return "qlabel"  # '#### Question:' over the question's text
    if label_of(bare):
        return "label"
    if question_like(bare):
        return "question"
    kind = classify(bare)
    return "plain" if kind == "other" else kind


def _headings(lines, flags) -> list[_Head]:
    heads = []
    for index, ((number, text), in_fence) in enumerate(zip(lines, flags)):
        if in_fence or not text.lstrip(" ").startswith("#"):
            continue
        if heading := atx_heading(text):
            heads.append(_Head(index, heading[0], heading[1], number, _kind(heading[1])))
    for position, head in enumerate(heads):
        end = heads[position + 1].index if position + 1 < len(heads) else len(lines)
        first = _first_text(lines, flags, head.index + 1, end)
        head.label_body = first is not None and label_of(first) is not None
        head.has_text = first is not None
        following = heads[position + 1] if position + 1 < len(heads) else None
        head.question_body = (first is not None and (q_alone(first) or q_label(first) is not None)) or \
            (first is None and following is not None and following.kind == "qlabel")
    return heads


def _first_text(lines, flags, start: int, end: int) -> str | None:
    """The first line of text under a heading (before the next one), if any."""
    for index in range(start, end):
        text = lines[index][1]
        if flags[index] or not text.strip() or COMMENT_ONLY_RE.match(text) or difficulty_line(text):
            continue
        return text
    return None


def _question_depth(heads: list[_Head]) -> tuple[int | None, bool]:
    """The depth most question headings use, and whether those questions are numbered (then a
    plain heading beside them belongs to the answer above)."""
    depths = Counter(h.depth for h in heads if h.kind == "question" and h.depth >= 2)
    if depths:
        depth = min(depths, key=lambda d: (-depths[d], d))
        at_depth = [h for h in heads if h.kind == "question" and h.depth == depth]
        numbered = sum(is_numbered(take_marker(without_comments(h.text))[0]) for h in at_depth)
        return depth, numbered * 2 >= len(at_depth)
    depths = Counter(h.depth for h in heads if h.kind == "plain" and h.label_body and h.depth >= 2)
    if depths:
        return min(depths, key=lambda d: (-depths[d], d)), False
    return None, False


class _Outline:
    """Walks the lines once, putting each into the preamble, intro, a section or a question."""

    def __init__(self, lines, flags, heads: list[_Head]):
        self.lines, self.flags, self.heads = lines, flags, heads
        self.depth, self.numbered = _question_depth(heads)
        self.parsed = Parsed()
        self.stack: list[Section] = []
        self.question: RawQuestion | None = None
        self.target = self.parsed.preamble

    def run(self) -> Parsed:
        by_index = {h.index: (position, h) for position, h in enumerate(self.heads)}
        for index, line in enumerate(self.lines):
            if index in by_index:
                self._heading(*by_index[index], line)
            else:
                self.target.append(line)
        return self.parsed

    def _heading(self, position: int, head: _Head, line) -> None:
        if head.depth == 1 and self.parsed.h1 is None and not self.stack and self.question is None:
            self.parsed.h1 = Heading(1, head.text, head.line)
            self.target = self.parsed.intro
            return
        role = self._role(position, head)
        if role == "answer" or role == "text":
            self.target.append(line)
        elif role == "question":
            self._start_question(head)
        else:
            self._start_section(head)

    def _role(self, position: int, head: _Head) -> str:
        container = self.stack[-1] if self.stack else None
        current = self.question.heading.depth if self.question else None
        if container and container.kind in ("quick-fire", "how-to") and head.depth > container.heading.depth:
            return "text"
        if head.depth == 1:
            return "section"
        if head.kind == "label":
            return "answer" if current else "text"
        if head.kind == "qlabel":
            return "text"  # read with the lines around it, by the shapes
        if head.kind in ("quick-fire", "how-to", "level"):
            return "answer" if current and head.depth > current else "section"
        if head.kind == "question":
            return self._question_role(position, head, current)
        return self._plain_role(position, head, current)

    def _question_role(self, position: int, head: _Head, current: int | None) -> str:
        following = self.heads[position + 1] if position + 1 < len(self.heads) else None
        if head.question_body:
            return "section"  # "### 1.1 Design a cache" over "**Question:** ..."
        numbered = is_numbered(take_marker(without_comments(head.text))[0])
        if following and following.depth > head.depth and (not head.has_text or (
                self.depth and head.depth < self.depth and following.kind == "question" and not numbered)):
            return "section"  # "## 1. Caching" or "## Why Kafka?" over its own questions
        if current and self.depth and head.depth > self.depth and not head.label_body \
                and not is_numbered(take_marker(without_comments(head.text))[0]):
            return "answer"  # "#### What if it fails?" inside an answer
        return "question"

    def _plain_role(self, position: int, head: _Head, current: int | None) -> str:
        if head.question_body:
            return "section"
        if head.label_body and (current is None or head.depth >= current):
            return "question"  # "### Docker volumes" followed by "**Answer:**"
        if current and head.depth == current and (CLOSING_RE.match(head.text) or self._after_rule(head)):
            return "section"  # "## Further reading" after the last answer's closing rule
        if current and (head.depth > current or (head.depth == current and (
                self.numbered or ANSWER_PART_RE.match(head.text) or not self._has_body(position, head)))):
            return "answer"  # "### Example" under a numbered question, or under any question
        if self.depth is None or head.depth < self.depth:
            return "section"
        if not self.numbered and self._has_body(position, head):
            return "question"
        return "text"

    def _after_rule(self, head: _Head) -> bool:
        """Whether a '---' rule (skipping blank lines) ends what stands above the heading."""
        for index in range(head.index - 1, max(-1, head.index - 50), -1):
            text = self.lines[index][1]
            if text.strip():
                return bool(RULE_RE.match(text)) and not self.flags[index]
        return False

    def _has_body(self, position: int, head: _Head) -> bool:
        end = self.heads[position + 1].index if position + 1 < len(self.heads) else len(self.lines)
        return any(self.lines[i][1].strip() and not self.flags[i] for i in range(head.index + 1, end))

    def _start_question(self, head: _Head) -> None:
        section = self.stack[-1] if self.stack else self._implicit_section(head)
        raw = RawQuestion(Heading(head.depth, head.text, head.line), site=IdSite(head.line, "below"))
        section.questions.append(raw)
        self.question = raw
        self.target = raw.lines

    def _implicit_section(self, head: _Head) -> Section:
        """Questions before any section heading: a section without a title, level or topic."""
        section = Section(Heading(0, "", head.line), kind="topic")
        self.parsed.sections.append(section)
        self.stack.append(section)
        return section

    def _start_section(self, head: _Head) -> None:
        self.question = None
        while self.stack and self.stack[-1].heading.depth >= head.depth:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        kind = head.kind if head.kind in ("quick-fire", "how-to", "level") else "topic"
        level = heading_level(take_marker(head.text)[0]) if kind == "level" else (parent.level if parent else None)
        topic = topic_name(head.text) if kind == "topic" else (parent.topic if parent else "")
        section = Section(Heading(head.depth, head.text, head.line), kind=kind, level=level, topic=topic)
        self.parsed.sections.append(section)
        self.stack.append(section)
        self.target = section.lines


def split_structure(lines: list[tuple[int, str]]) -> Parsed:
    flags, unclosed = scan_blocks(lines)
    parsed = _Outline(lines, flags, _headings(lines, flags)).run()
    parsed.unclosed = unclosed
    parsed.in_code = {number for (number, _), flag in zip(lines, flags) if flag}
    if unclosed:
        parsed.swallowed = [text for number, text in lines if number > unclosed[0]]
    if parsed.h1 is None:
        _untitled(parsed)
    _shape_questions(parsed)
    return parsed


def _untitled(parsed: Parsed) -> None:
    """A file without a '#' title: what stands before its first section is its introduction
    (and may hold its questions), except a breadcrumb line."""
    from .metadata import is_breadcrumb
    parsed.intro = [(n, t) for n, t in parsed.preamble if not is_breadcrumb(t)]
    parsed.preamble = [(n, t) for n, t in parsed.preamble if is_breadcrumb(t)]


def _shape_questions(parsed: Parsed) -> None:
    """Questions of the other shapes, in the lines of each section under no question heading and
    in the introduction (a lesson of bold questions right under its title)."""
    for section in parsed.sections:
        if section.kind in ("quick-fire", "how-to"):
            continue
        stray, found = split_region(section.lines, _flags(parsed, section.lines))
        if found:
            section.lines = stray
            section.questions.extend(_raw(q) for q in found)
        for raw in [q for q in section.questions if q.shape == "heading"]:
            kept, inner = split_region(raw.lines, _flags(parsed, raw.lines), after=_number_of(raw.heading.text))
            if inner:
                raw.lines = kept
                section.questions.extend(_raw(q) for q in inner)
    stray, found = split_region(parsed.intro, _flags(parsed, parsed.intro))
    if found:
        first = found[0].line
        parsed.intro = [(n, t) for n, t in stray if n < first]
        section = Section(Heading(0, "", first), lines=[(n, t) for n, t in stray if n >= first], kind="topic",
                          questions=[_raw(q) for q in found])
        parsed.sections.insert(0, section)


def _flags(parsed: Parsed, lines) -> list[bool]:
    """Whether each line is inside code or a comment, as the whole file reads: scanned once."""
    return [number in parsed.in_code for number, _ in lines]


def _number_of(text: str) -> int:
    """The number of a question heading ('### 3. Why?' gives 3), -1 without one."""
    parts = split_question_heading(take_marker(without_comments(text))[0])
    digits = re.match(r"\d{1,6}", parts[0]) if parts else None
    return int(digits.group()) if digits else -1


def _raw(question) -> RawQuestion:
    return RawQuestion(Heading(0, question.text, question.line), question.lines, question.shape, question.site)


class MarkdownDialect(Dialect):
    def __init__(self):
        self.in_code: set[int] | None = None  # the file's lines inside code or comments, once read

    def read(self, lines: list[tuple[int, str]]) -> Parsed:
        parsed = split_structure(lines)
        self.in_code = parsed.in_code
        return parsed

    def fenced(self, lines):
        if self.in_code is None:
            return fence_flags(lines)
        return [number in self.in_code for number, _ in lines]

    def quick_fire(self, section: Section, path: str, diags: Diagnostics, skipped: list[Skipped]) -> list:
        return read_quick_fire(section, self.fenced(section.lines), path, diags, skipped)

    def tables(self, lines, path: str, diags: Diagnostics):
        return question_tables(lines, self.fenced(lines), path, diags)
