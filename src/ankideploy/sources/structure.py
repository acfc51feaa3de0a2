"""What both readers share: recognising headings, labels and ids, and
assembling questions from the lines under a heading.

A reader turns its file into a list of ``Heading`` and body lines; everything
from there on (levels, questions, quick-fire rows, checks) happens here, so
Markdown and the plain-text rendering give the same notes.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostics
from ..lesson import Block, Level, Location, Question

DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015"
RANGE_RE = re.compile(rf"\(\s*Q?\s*(\d+)\s*[{DASHES}]+\s*Q?\s*(\d+)\s*\)", re.I)
QUESTION_RE = re.compile(r"^(?:Q(?:uestion)?\s*(\d+[a-z]?)\s*[.:)\]]?|(\d+[a-z]?)\s*[.:)])(?:\s+|$)(.*)$", re.I)
QUICK_FIRE_RE = re.compile(r"^(?:quick|rapid)[\s\-\u2010\u2011]*fire\b", re.I)
HOW_TO_RE = re.compile(r"^how\s+to\s+use\b", re.I)
ID_RE = re.compile(r"<!--\s*(?i:id)\s*:\s*([A-Za-z0-9][A-Za-z0-9_.\-]{2,63})\s*-->")
LOOSE_ID_RE = re.compile(r"<!--\s*id\b", re.I)  # what an author meant as an id comment
TAGS_RE = re.compile(r"<!--\s*tags\s*:\s*(.*?)\s*-->", re.I)
COMMENT_ONLY_RE = re.compile(r"^\s*<!--.*-->\s*$")
_LABEL = r"^\s*(?:[*_]{{1,2}})?\s*{words}\s*(?::\s*(?:[*_]{{1,2}})?|(?:[*_]{{1,2}})\s*:)\s*(.*)$"
WHY_RE = re.compile(_LABEL.format(words=r"why\s+(?:do\s+)?(?:interviewers?|they)\s+asks?"), re.I)
ANSWER_RE = re.compile(_LABEL.format(words=r"(?:model\s+|sample\s+|short\s+)?answer"), re.I)
RULE_RE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
LEVEL_WORDS = {level.value: level for level in Level}


@dataclass
class Heading:
    depth: int  # 1, 2 or 3
    text: str
    line: int


@dataclass
class Section:
    heading: Heading
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    questions: list["RawQuestion"] = field(default_factory=list)


@dataclass
class RawQuestion:
    heading: Heading
    lines: list[tuple[int, str]] = field(default_factory=list)


def level_of(title: str) -> Level | None:
    words = re.findall(r"[a-z]+", title.lower())
    for word in words:
        if word in LEVEL_WORDS:
            return LEVEL_WORDS[word]
    return None


def nearest_level(title: str) -> str | None:
    words = re.findall(r"[a-z]+", title.lower())
    for word in words:
        match = difflib.get_close_matches(word, list(LEVEL_WORDS), n=1, cutoff=0.6)
        if match:
            return match[0].capitalize()
    return None


def split_question_heading(text: str) -> tuple[str, str] | None:
    """(number, question) for ``Q1. Why?``, ``Q3: Why?``, ``3. Why?``; None otherwise."""
    m = QUESTION_RE.match(text.strip())
    if not m:
        return None
    return (m.group(1) or m.group(2)), m.group(3).strip()


def take_stamps(lines: list[tuple[int, str]], inside: list[bool], path: str,
                diags: Diagnostics) -> tuple[list[tuple[int, str]], str, list[str]]:
    """The id and tags comments under a question heading (before any label, outside code),
    blanked out so every other line keeps its number; plus the id and the tags.
    An id comment that cannot be used is reported, never silently ignored."""
    kept, stamp, tags = [], "", []
    labels_seen = False
    for (number, text), in_fence in zip(lines, inside):
        labels_seen = labels_seen or (not in_fence and bool(WHY_RE.match(text) or ANSWER_RE.match(text)))
        if not in_fence:
            _check_id_comment(text, number, labels_seen, path, diags)
        if not labels_seen and not in_fence:
            if (id_match := ID_RE.search(text)) and not stamp:
                stamp = id_match.group(1)
            if tags_match := TAGS_RE.search(text):
                tags.extend(split_tags(tags_match.group(1)))
            text = TAGS_RE.sub("", ID_RE.sub("", text))
        kept.append((number, text))
    return kept, stamp, tags


def _check_id_comment(text: str, line: int, in_answer: bool, path: str, diags: Diagnostics) -> None:
    if not LOOSE_ID_RE.search(text):
        return
    if not ID_RE.search(text):
        diags.warning(path, line, "id comment not understood: write it as <!-- id: 3f9a1c0b7d2e4f60 -->"
                      " (3 to 64 letters, digits, '-', '_' or '.')")
    elif in_answer:
        diags.warning(path, line, "id comment inside the answer is ignored; put it right under the question heading")


def split_tags(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", text.strip()) if t]


def trim(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop blank lines and closing ``---`` rules at both ends."""
    start, end = 0, len(lines)
    while start < end and not lines[start][1].strip():
        start += 1
    while end > start and (not lines[end - 1][1].strip() or RULE_RE.match(lines[end - 1][1])):
        end -= 1
    return lines[start:end]


COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.S)


def to_block(lines: list[tuple[int, str]]) -> Block | None:
    """The lines as one block of Markdown; None when nothing in them would show on a card."""
    lines = trim(lines)
    text = "\n".join(text for _, text in lines)
    if not COMMENT_RE.sub("", text).strip():
        return None
    return Block(text, lines[0][0])


def assemble_question(raw: RawQuestion, level: Level, path: str, diags: Diagnostics,
                      fenced=None) -> Question | None:
    """Split a question's lines into question detail, why and answer parts."""
    heading = raw.heading
    parts = split_question_heading(heading.text)
    number, text = parts if parts else ("", heading.text.strip())
    _check_id_comment(text, heading.line, False, path, diags)
    on_heading = ID_RE.search(text)  # an id (or tags) on the heading line itself counts too
    heading_tags = split_tags(m.group(1)) if (m := TAGS_RE.search(text)) else []
    text = TAGS_RE.sub("", ID_RE.sub("", text)).strip()
    if not text:
        diags.error(path, heading.line, "question heading has no text")
        return None
    inside = fenced(raw.lines) if fenced else [False] * len(raw.lines)
    lines, stamp, tags = take_stamps(raw.lines, inside, path, diags)
    if on_heading and not stamp:
        stamp = on_heading.group(1)
    tags = heading_tags + tags
    parts, answer_label_line = _split_parts(lines, inside)
    detail, why, answer = parts["detail"], parts["why"], parts["answer"]
    if not answer_label_line:
        # No "Model answer:" label: the text under the heading is the answer; when the why comes
        # first, the answer is what follows the why paragraph.
        if trim(detail):
            detail, answer = [], detail
        elif why:
            why, answer = _split_first_paragraph(why)
    answer_block = to_block(answer)
    if answer_block is None:
        diags.error(path, answer_label_line or heading.line,
                    f"question{' Q' + number if number else ''} has no answer")
        return None
    return Question(number=number, text=text, level=level, answer=answer_block, why=to_block(why),
                    detail=to_block(detail), location=Location(path, heading.line), stamp=stamp,
                    tags=tags)


def _split_parts(lines, inside) -> tuple[dict[str, list], int]:
    """Lines sorted into question detail, why and answer by their labels; the answer label's line."""
    parts: dict[str, list] = {"detail": [], "why": [], "answer": []}
    current, answer_line = "detail", 0
    for (number, line), in_fence in zip(lines, inside):
        label = None if in_fence else _label(line, current, parts)
        if label:
            current, line = label
            answer_line = number if current == "answer" else answer_line
        parts[current].append((number, line))
    return parts, answer_line


def _label(line: str, current: str, parts: dict[str, list]) -> tuple[str, str] | None:
    """The part a label line opens and the text after the label; None for any other line."""
    if current != "why" and not parts["why"] and (m := WHY_RE.match(line)):
        return "why", m.group(1)
    if current == "detail" and (m := ANSWER_RE.match(line)):
        return "answer", m.group(1)
    if current == "why" and not parts["answer"] and (m := ANSWER_RE.match(line)):
        return "answer", m.group(1)
    return None


def _split_first_paragraph(lines):
    for i, (_, text) in enumerate(lines):
        if i and not text.strip():
            return lines[:i], lines[i:]
    return lines, []


MAX_NUMBER_DIGITS = 6  # beyond this a "number" is noise, not a question number


def _number(text: str) -> int | None:
    digits = re.match(r"\d+", text)
    return int(digits.group()) if digits and len(digits.group()) <= MAX_NUMBER_DIGITS else None


def check_numbering(groups: list[tuple[Section, list[tuple[str, int]]]], path: str,
                    diags: Diagnostics) -> None:
    """Warnings for duplicate numbers and numbers outside a section's (Q1--Q4) range.

    ``groups`` holds each level section with the (number, line) of every question heading in it,
    whether or not the question itself could be read."""
    first_seen: dict[str, int] = {}
    for _, numbered in groups:
        for number, line in numbered:
            if number and number in first_seen:
                diags.warning(path, line, f"duplicate question number Q{number} (also at line"
                              f" {first_seen[number]}); both are kept as separate notes")
            elif number:
                first_seen[number] = line
    for section, numbered in groups:
        m = RANGE_RE.search(section.heading.text)
        if not m:
            continue
        low, high = _number(m.group(1)), _number(m.group(2))
        if low is None or high is None or high - low > 1000:
            diags.warning(path, section.heading.line, "the section's question range is not plausible; not checked")
        elif numbered:
            _check_range(section.heading, low, high, numbered, path, diags)


def _check_range(heading: Heading, low: int, high: int, numbered: list[tuple[str, int]], path: str,
                 diags: Diagnostics) -> None:
    seen = set()
    for number, line in numbered:
        value = _number(number)
        if value is None:
            continue
        seen.add(value)
        if not low <= value <= high:
            diags.warning(path, line, f"Q{number} is outside this section's range Q{low}-Q{high}")
    missing = [n for n in range(low, high + 1) if n not in seen]
    if missing:
        listed = ", ".join(f"Q{n}" for n in missing[:10]) + (", ..." if len(missing) > 10 else "")
        diags.warning(path, heading.line, f"section says Q{low}-Q{high} but has no {listed}")


@dataclass
class Parsed:
    """A reader's view of a file: headings found, with the lines under each."""

    preamble: list[tuple[int, str]] = field(default_factory=list)  # before the H1
    h1: Heading | None = None
    intro: list[tuple[int, str]] = field(default_factory=list)  # between H1 and first section
    sections: list[Section] = field(default_factory=list)
    misplaced: list[Heading] = field(default_factory=list)  # "#### Q3." and the like
    unclosed: tuple[int, str] | None = None  # (line, kind) of a code fence or comment never closed


class Dialect:
    """What differs between Markdown and the plain-text rendering."""

    def fenced(self, lines: list[tuple[int, str]]) -> list[bool]:
        return [False] * len(lines)

    def quick_fire(self, section: Section, path: str, diags: Diagnostics) -> list:
        raise NotImplementedError

    def prose(self, lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Body lines as Markdown."""
        return lines


LIST_ITEM_RE = re.compile(r"^\s*(?:\d+[.)]|[-*+\u2022])\s+(.*)$")
LINK_ONLY_RE = re.compile(r"^\s*\[[^\]]*\]\([^)]*\)\s*$|^\s*(?:<-+|\u2190|&larr;)\s*back\b", re.I)


def classify(title: str) -> str:
    if QUICK_FIRE_RE.match(title.strip()):
        return "quick-fire"
    if HOW_TO_RE.match(title.strip()):
        return "how-to"
    if level_of(title):
        return "level"
    return "other"


def meaningful(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Lines that carry text: not blank, not a rule, not a comment, not a back-link."""
    return [(n, t) for n, t in lines if t.strip() and not RULE_RE.match(t)
            and not COMMENT_ONLY_RE.match(t) and not LINK_ONLY_RE.match(t)]


STRICT_QUESTION_RE = re.compile(r"^Q\d+[a-z]?\s*[.:)]\s*\S", re.I)


def collect(parsed: Parsed, dialect: Dialect, path: str, diags: Diagnostics):
    """Questions, quick-fire rows, how-to steps and summary from the parsed sections."""
    questions, quick_fire, how_to, groups = [], [], [], []
    if parsed.unclosed:
        line, kind = parsed.unclosed
        diags.error(path, line, f"this {kind} is never closed: everything after it would vanish into it")
    for heading in parsed.misplaced:
        diags.error(path, heading.line, f"'{heading.text}' looks like a question but is a level-{heading.depth}"
                    " heading, so it would be read as part of the answer above; write it as '### "
                    + heading.text + "'")
    for section in parsed.sections:
        kind = classify(section.heading.text)
        if kind == "level":
            level = level_of(section.heading.text)
            questions.extend(_level_section(section, level, dialect, path, diags))
            groups.append((section, [_heading_number(raw.heading) for raw in section.questions]))
        elif kind == "quick-fire":
            quick_fire.extend(dialect.quick_fire(section, path, diags))
        elif kind == "how-to":
            how_to.extend(_list_items(section.lines))
        else:
            _other_section(section, path, diags)
    check_numbering(groups, path, diags)
    return questions, quick_fire, how_to


def _heading_number(heading: Heading) -> tuple[str, int]:
    parts = split_question_heading(heading.text)
    return (parts[0] if parts else ""), heading.line


def _level_section(section: Section, level: Level, dialect: Dialect, path: str,
                   diags: Diagnostics) -> list[Question]:
    stray = meaningful(section.lines)
    for number, text in stray:
        if ANSWER_RE.match(text) or WHY_RE.match(text):
            diags.error(path, number, "answer with no question: this label is not under a question heading")
            break
    else:
        if stray:
            diags.warning(path, stray[0][0], f"text before the first question of '{section.heading.text}'"
                          " is not part of any card")
    if not section.questions:
        diags.warning(path, section.heading.line, f"level section '{section.heading.text}' has no questions")
    numbered = {id(raw) for raw in section.questions if split_question_heading(raw.heading.text)}
    if numbered:
        for raw in section.questions:
            if id(raw) not in numbered:
                diags.warning(path, raw.heading.line, f"'### {raw.heading.text}' has no question number while the"
                              " others do; it is read as a question (use '####' if it belongs to the answer above)")
    found = []
    for raw in section.questions:
        raw.lines = dialect.prose(raw.lines)
        question = assemble_question(raw, level, path, diags, dialect.fenced)
        if question:
            found.append(question)
    return found


def _other_section(section: Section, path: str, diags: Diagnostics) -> None:
    if STRICT_QUESTION_RE.match(section.heading.text):
        diags.error(path, section.heading.line, f"'{section.heading.text}' looks like a question but is not a"
                    " '###' heading, so it would be lost; write it as '### " + section.heading.text + "'")
    elif section.questions and not section.heading.text:
        diags.error(path, section.heading.line, "question is not under a Beginner, Intermediate"
                    " or Advanced heading, so it has no level")
    elif section.questions:
        hint = nearest_level(section.heading.text)
        suggestion = f"; did you mean '{hint}'?" if hint else ""
        diags.error(path, section.heading.line,
                    f"unknown level heading '{section.heading.text}': questions must be under"
                    f" Beginner, Intermediate or Advanced{suggestion}")
    elif meaningful(section.lines):
        diags.warning(path, section.heading.line,
                      f"section '{section.heading.text}' is not a level, quick-fire or how-to section;"
                      " its text is not turned into cards")


def _list_items(lines: list[tuple[int, str]]) -> list[Block]:
    items: list[Block] = []
    for number, text in meaningful(lines):
        m = LIST_ITEM_RE.match(text)
        if m:
            items.append(Block(m.group(1).strip(), number))
        elif items and text.startswith((" ", "\t")):
            items[-1].text += " " + text.strip()
        else:
            items.append(Block(text.strip(), number))
    return items


def summary_of(lines: list[tuple[int, str]]) -> Block | None:
    kept = [(n, re.sub(r"^\s*>\s?", "", t).strip()) for n, t in meaningful(lines)]
    kept = [(n, t) for n, t in kept if t]
    return Block(" ".join(t for _, t in kept), kept[0][0]) if kept else None


def quick_fire_row(number: str, question: str, answer: str, line: int, path: str,
                   diags: Diagnostics, other_cells: tuple[str, ...] = ()):
    """A QuickFire from one table row's cells, or None (with an error) if a cell is empty.
    The row's id and tags comments may stand in any of its cells."""
    from ..lesson import QuickFire

    stamp, tags = "", []
    for cell_text in (question, answer, *other_cells):
        if m := ID_RE.search(cell_text):
            stamp = stamp or m.group(1)
        if m := TAGS_RE.search(cell_text):
            tags.extend(split_tags(m.group(1)))
    question = TAGS_RE.sub("", ID_RE.sub("", question)).strip()
    answer = TAGS_RE.sub("", ID_RE.sub("", answer)).strip()
    for name, value in (("question", question), ("answer", answer)):
        if not value:
            diags.error(path, line, f"quick-fire row {number or ''} has an empty {name} cell".replace("  ", " "))
            return None
    return QuickFire(number=number, question=question, answer=answer,
                     location=Location(path, line), stamp=stamp, tags=tags)
