"""What both readers share: sections and the questions under them, assembled into the
lesson model.

A reader turns its file into a ``Parsed`` outline: sections (level, topic, quick-fire,
how-to) with the lines under each, and raw questions of any shape with their lines.
Everything from there on (labels, levels, ids, tags, checks) happens here, so Markdown
and the plain-text rendering give the same notes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..diagnostics import Diagnostics
from ..identity import normalise
from ..lesson import Block, IdSite, Level, Location, Question, QuickFire, Skipped
from .labels import ID_RE, LOOSE_ID_RE, comments, label_of, safe_tag, split_tags, tags_in, without_comments
from .levels import difficulty_line, heading_level, nearest_level, take_marker, topic_name, topic_tag
from .shapes import QUESTION_NUMBER_RE, bold_question, q_label

DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015"
RANGE_RE = re.compile(rf"\(\s{{0,3}}Q?\s{{0,3}}(\d+)\s{{0,3}}[{DASHES}]{{1,3}}\s{{0,3}}Q?\s{{0,3}}(\d+)\s{{0,3}}\)", re.I)
QUICK_FIRE_RE = re.compile(r"(?:quick|rapid|lightning)[ \t\-\u2010\u2011]{0,3}(?:fire|round)|quick[ \t\-]{0,3}reference|"
                           r"flash[ \t\-]{0,3}cards?\b|^flash\b|cheat[ \t\-]{0,3}sheet", re.I)
HOW_TO_RE = re.compile(r"^how\s{1,3}to\s{1,3}use\b", re.I)
COMMENT_ONLY_RE = re.compile(r"^\s*<!--.*-->\s*$")
# A thematic break ('---'), or a line of long dashes some authors use as one ('⸻', '───')
RULE_RE = re.compile(r"^\s{0,3}(?:([-*_])(?:[ \t]{0,3}\1){2,}|[\u2e3a\u2e3b]{1,10}|[\u2500\u2501]{3,80})[ \t]*$")
RULE_STARTS = ("-", "*", "_", "\u2e3a", "\u2e3b", "\u2500", "\u2501")
QUOTE_RE = re.compile(r"^[ ]{0,3}>[ ]?")
ANCHOR_RE = re.compile(r"^<a\b[^<>]{0,200}>\s{0,3}</a>")  # '<a name="q3"></a> 3. Why?': a link target, no text
KEYCAP_RE = re.compile("^(\\d{1,3})\ufe0f?\u20e3")  # "1️⃣ What is Docker?"
ATX_OPEN_RE = re.compile(r"[ ]{0,3}(#{1,6})(?=[ \t]|$)")


@dataclass
class Heading:
    depth: int  # 1 to 6 for a Markdown heading; 0 for a question that is not a heading
    text: str
    line: int


@dataclass
class RawQuestion:
    heading: Heading
    lines: list[tuple[int, str]] = field(default_factory=list)
    shape: str = "heading"
    site: IdSite | None = None


@dataclass
class Section:
    heading: Heading
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    questions: list[RawQuestion] = field(default_factory=list)
    kind: str = ""  # level, topic, quick-fire, how-to, other; "" until classified
    level: Level | None = None
    topic: str = ""


@dataclass
class Parsed:
    """A reader's view of a file: headings found, with the lines under each."""

    preamble: list[tuple[int, str]] = field(default_factory=list)  # before the H1
    h1: Heading | None = None
    intro: list[tuple[int, str]] = field(default_factory=list)  # between H1 and first section
    sections: list[Section] = field(default_factory=list)
    unclosed: tuple[int, str] | None = None  # (line, kind) of a code fence or comment never closed
    in_code: set[int] = field(default_factory=set)  # lines inside code fences or comments
    swallowed: list[str] = field(default_factory=list)  # the lines after a block never closed


@dataclass(frozen=True)
class LevelDefault:
    """The level of questions the lesson gives none: front matter ``level:`` or ``--default-level``."""

    level: Level | None = None
    source: str = ""  # "front matter" or "default"


class Dialect:
    """What differs between Markdown and the plain-text rendering."""

    def read(self, lines: list[tuple[int, str]]) -> "Parsed":
        """The file's outline: sections, and the questions under them."""
        raise NotImplementedError

    def fenced(self, lines: list[tuple[int, str]]) -> list[bool]:
        return [False] * len(lines)

    def quick_fire(self, section: Section, path: str, diags: Diagnostics, skipped: list[Skipped]) -> list:
        raise NotImplementedError

    def prose(self, lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Body lines as Markdown."""
        return lines

    def tables(self, lines: list[tuple[int, str]], path: str, diags: Diagnostics) -> tuple[list, set[int]]:
        """Rows of question-and-answer tables standing outside a quick-fire section; their lines."""
        return [], set()


def classify(title: str) -> str:
    stripped = title.strip()
    if QUICK_FIRE_RE.search(stripped[:120]) and not stripped.endswith("?"):
        return "quick-fire"
    if HOW_TO_RE.match(stripped):
        return "how-to"
    if heading_level(stripped):
        return "level"
    return "other"


def atx_heading(line: str) -> tuple[int, str] | None:
    """(depth, text) of an ATX heading line ('## Title ##' gives (2, 'Title')); None for any
    other line. Plain string work, linear in the line (a regex for the closing run is not)."""
    m = ATX_OPEN_RE.match(line)
    if not m:
        return None
    text = line[m.end():].strip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return len(m.group(1)), text


def split_question_heading(text: str) -> tuple[str, str] | None:
    """(number, question) for ``Q1. Why?``, ``Q3: Why?``, ``3. Why?``; None otherwise."""
    stripped = ANCHOR_RE.sub("", text.strip(), count=1).strip()
    head, keycap = stripped[:60], 0
    if "\u20e3" in head[:6] and (k := KEYCAP_RE.match(head)):
        keycap = len(k.group(0)) - len(k.group(1)) - 1
        head = k.group(1) + "." + head[k.end():]
    m = QUESTION_NUMBER_RE.match(head)
    if not m:
        return None
    return (m.group(1) or m.group(2) or m.group(3) or m.group(4)), stripped[m.end() + keycap:].strip()


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


LIST_ITEM_RE = re.compile(r"^\s{0,12}(?:\d{1,9}[.)]|[-*+\u2022])\s{1,4}(.*)$")
LINK_ONLY_RE = re.compile(r"^\s*\[[^\]]*\]\([^)]*\)\s*$|^\s*(?:<-+|\u2190|&larr;)\s*back\b", re.I)


def meaningful(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Lines that carry text: not blank, not a rule, not a comment, not a back-link."""
    return [(n, t) for n, t in lines if t.strip() and not RULE_RE.match(t)
            and not COMMENT_ONLY_RE.match(t) and not LINK_ONLY_RE.match(t)]


# --- one question ------------------------------------------------------------------------------

@dataclass
class _Context:
    """What the questions of one section share."""

    path: str
    diags: Diagnostics
    skipped: list[Skipped]
    level: Level | None
    topic: str
    default: LevelDefault
    fenced: object = None

    def skip(self, line: int, what: str, why: str) -> None:
        self.skipped.append(Skipped(line, what, why))
        self.diags.warning(self.path, line, f"{what} skipped: {why}")


def assemble_question(raw: RawQuestion, ctx: _Context) -> Question | None:
    """Split a question's lines into question detail, why and answer parts; settle its level."""
    heading, path, diags = raw.heading, ctx.path, ctx.diags
    head = heading.text
    _check_id_comment(head, heading.line, False, False, path, diags)
    on_heading = ID_RE.search(head)
    tags = _safe_tags(tags_in(head), heading.line, ctx)
    text, marker = take_marker(without_comments(head))
    parts = split_question_heading(text)
    number, text = parts if parts else ("", text.strip())
    if raw.shape != "heading":
        text = _unbold(text)
    if not text:
        if raw.shape == "heading":
            diags.error(path, heading.line, "question heading has no text")
        else:
            ctx.skip(heading.line, f"empty question '{short(head)}'", "it has no text")
        return None
    inside = ctx.fenced(raw.lines) if ctx.fenced else [False] * len(raw.lines)
    lines = _unwrap_reveal(raw.lines, inside)
    lines, line_level = _take_difficulty(lines, inside)
    lines = _unquote_answer(lines, inside)
    lines = _cut_after_rule(lines, inside, ctx)
    labels = [None if f else label_of(t) for (_, t), f in zip(lines, inside)]  # once: lines are many
    lines, stamp, more_tags = take_stamps(lines, inside, bool(on_heading), path, diags, labels)
    stamp = stamp or (on_heading.group(1) if on_heading else "")
    for tag, line in more_tags:
        tags += _safe_tags([tag], line, ctx)
    split, answer_label_line = _split_parts(lines, labels)
    detail, why, answer = split["detail"], split["why"], split["answer"]
    if not answer_label_line:
        # No "Model answer:" label: the text under the question is the answer; when the why comes
        # first, the answer is what follows the why paragraph.
        if trim(detail):
            detail, answer = [], detail
        elif why:
            why, answer = _split_first_paragraph(why)
    answer_block = to_block(answer)
    if answer_block is None:
        _no_answer(raw, number, answer_label_line, ctx)
        return None
    level, level_from = _level(marker or line_level, ctx)
    return Question(number=number, text=text, level=level, answer=answer_block, why=to_block(why),
                    detail=to_block(detail), location=Location(path, heading.line), stamp=stamp, tags=tags,
                    level_from=level_from, topic=ctx.topic, shape=raw.shape,
                    id_site=raw.site or IdSite(heading.line, "below"))


def _cut_after_rule(lines, inside, ctx: _Context) -> list[tuple[int, str]]:
    """An answer ends at a '---' rule followed by text that is no part of it (a sign-off, a
    note to the reader): that text is reported, and blanked so every line keeps its number."""
    for index, ((_, text), in_fence) in enumerate(zip(lines, inside)):
        if in_fence or text.lstrip(" ")[:1] not in RULE_STARTS or not RULE_RE.match(text):
            continue
        after = [(n, t) for (n, t), f in zip(lines[index + 1:], inside[index + 1:]) if not f]
        if not meaningful(after) or any(label_of(t) for _, t in after):
            return lines
        first = meaningful(after)[0][0]
        ctx.diags.warning(ctx.path, first, "text after the rule ('---') that closes the answer above is not part of any"
                          " card")
        ctx.skipped.append(Skipped(first, f"text '{short(meaningful(after)[0][1])}'",
                                   "it follows the rule ('---') that closes the answer above"))
        return lines[:index] + [(n, "") for n, _ in lines[index:]]
    return lines


def _no_answer(raw: RawQuestion, number: str, label_line: int, ctx: _Context) -> None:
    """A numbered heading or a labelled question without an answer is an error; an unnumbered
    question-like line with nothing under it ("**Any questions?**") is reported and skipped."""
    if number or label_line:
        ctx.diags.error(ctx.path, label_line or raw.heading.line,
                        f"question{' Q' + number if number else ''} has no answer")
    else:
        ctx.skip(raw.heading.line, f"{_SHAPE_NAMES.get(raw.shape, 'question')} '{short(raw.heading.text)}'",
                 "nothing under it is an answer")


_SHAPE_NAMES = {"bold": "bold question", "q-a": "'Q:' question", "list": "list question",
                "details": "<details> question", "heading": "question heading"}


def short(text: str, width: int = 60) -> str:
    """Text for a message: whitespace collapsed, at most ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def _unbold(text: str) -> str:
    stripped = text.strip()
    for mark in ("**", "__"):
        if stripped.startswith(mark) and stripped.endswith(mark) and len(stripped) > 4:
            return stripped[2:-2].strip()
    return stripped


def _level(marker: Level | None, ctx: _Context) -> tuple[Level | None, str]:
    if marker:
        return marker, "marker"
    if ctx.level:
        return ctx.level, "heading"
    if ctx.default.level:
        return ctx.default.level, ctx.default.source
    return None, ""


REVEAL_RE = re.compile(r"^(?:show|reveal|click|tap|see|view|expand|toggle|open)\b|^(?:model\s+|sample\s+)?answer\b|"
                       r"^solution\b", re.I)


def _unwrap_reveal(lines, inside) -> list[tuple[int, str]]:
    """An answer hidden in '<details><summary>Show answer</summary> … </details>' is the answer:
    the wrapper and its summary are not part of it (the card's back already hides it)."""
    from .shapes import DETAILS_OPEN_RE, SUMMARY_RE, TAG_RE
    out = list(lines)
    for i, ((_, text), in_fence) in enumerate(zip(lines, inside)):
        if in_fence or "<" not in text or not DETAILS_OPEN_RE.match(text):
            continue
        for k in range(i, min(i + 3, len(lines))):
            m = SUMMARY_RE.search(lines[k][1])
            if m and REVEAL_RE.match(TAG_RE.sub("", m.group("inner")).strip()):
                out[i] = (lines[i][0], DETAILS_OPEN_RE.sub("", out[i][1], count=1))
                out[k] = (lines[k][0], SUMMARY_RE.sub("", out[k][1], count=1))
                _drop_close(out, inside, k)
                break
    return out


def _drop_close(out, inside, start: int) -> None:
    depth = 1
    for j in range(start, len(out)):
        if inside[j]:
            continue
        lowered = out[j][1].lower()
        depth += lowered.count("<details") - lowered.count("</details")
        if depth <= 0:
            index = lowered.rfind("</details")
            end = out[j][1].find(">", index)
            out[j] = (out[j][0], out[j][1][:index] + (out[j][1][end + 1:] if end >= 0 else ""))
            return


def _take_difficulty(lines, inside) -> tuple[list[tuple[int, str]], Level | None]:
    """A 'Difficulty: Medium' line among the first lines under a question sets its level and is
    not part of the answer."""
    seen = 0
    for index, ((number, text), in_fence) in enumerate(zip(lines, inside)):
        if in_fence or not text.strip() or COMMENT_ONLY_RE.match(text):
            continue
        if level := difficulty_line(text):
            return lines[:index] + [(number, "")] + lines[index + 1:], level
        seen += 1
        if seen >= 3:
            break
    return lines, None


def _unquote_answer(lines, inside) -> list[tuple[int, str]]:
    """``> A: ...``: an answer written as a quote is the answer, without the quote marks."""
    out, quoting = [], False
    for (number, text), in_fence in zip(lines, inside):
        if not in_fence and not quoting and ">" in text[:4] and QUOTE_RE.match(text) \
                and label_of(QUOTE_RE.sub("", text, count=1)):
            quoting = True
        if quoting and ">" in text[:4] and QUOTE_RE.match(text):
            text = QUOTE_RE.sub("", text, count=1)
        elif quoting and not text.strip():
            quoting = False
        out.append((number, text))
    return out


def take_stamps(lines, inside, has_id: bool, path: str, diags: Diagnostics, labels=None):
    """The id and tags comments under a question (before its labels, or, with no labels, before
    its first line of text), blanked out so every other line keeps its number; plus the id and
    the tags. An id comment anywhere else is reported: as an error when it is the question's only
    id, since using a derived id instead would make a new note and lose the learner's history."""
    if labels is None:
        labels = [None if f else label_of(t) for (_, t), f in zip(lines, inside)]
    labelled = any(labels)
    kept, stamp, tags, header = [], "", [], True
    for (number, text), in_fence, label in zip(lines, inside, labels):
        if not in_fence and (label or (not labelled and text.strip() and not COMMENT_ONLY_RE.match(text))):
            header = False
        if not in_fence and header:
            if (m := ID_RE.search(text)) and not stamp:
                stamp = m.group(1)
            tags.extend((tag, number) for tag in tags_in(text))
            _check_id_comment(text, number, False, False, path, diags)
            text = without_comments(text)
        elif not in_fence:
            _check_id_comment(text, number, True, has_id or bool(stamp), path, diags)
        kept.append((number, text))
    if not stamp and not has_id:
        _unused_ids_are_errors(kept, inside, path, diags)
    return kept, stamp, tags


def _unused_ids_are_errors(lines, inside, path: str, diags: Diagnostics) -> None:
    for (number, text), in_fence in zip(lines, inside):
        if not in_fence and LOOSE_ID_RE.search(text):
            diags.error(path, number, "this id comment is not used, and the question has no other id: a derived id"
                        " would make a new note and lose its history; put the id right under the question")


def _check_id_comment(text: str, line: int, in_answer: bool, has_id: bool, path: str, diags: Diagnostics) -> None:
    if not LOOSE_ID_RE.search(text):
        return
    if not ID_RE.search(text):
        if not in_answer:
            diags.warning(path, line, "id comment not understood: write it as <!-- id: 3f9a1c0b7d2e4f60 -->"
                          " (3 to 64 letters, digits, '-', '_' or '.')")
    elif in_answer and has_id:
        diags.warning(path, line, "id comment inside the answer is ignored; put it right under the question heading")


def _safe_tags(tags: list[str], line: int, ctx: _Context) -> list[str]:
    return safe_tags(tags, line, ctx.path, ctx.diags)


def safe_tags(tags: list[str], line: int, path: str, diags: Diagnostics) -> list[str]:
    """Tags in the safe alphabet; anything removed is reported at the line."""
    kept = []
    for tag in tags:
        clean, removed = safe_tag(tag)
        if removed:
            diags.warning(path, line, f"tag '{short(tag, 40)}': removed {removed!r}; tags may hold letters,"
                          " digits, '_', '-', ':' and '.' only")
        if clean:
            kept.append(clean)
    return kept


def _split_parts(lines, labels) -> tuple[dict[str, list], int]:
    """Lines sorted into question detail, why and answer by their labels (found beforehand, None
    for every other line and inside code); the answer label's line."""
    parts: dict[str, list] = {"detail": [], "why": [], "answer": []}
    current, answer_line = "detail", 0
    for (number, line), found in zip(lines, labels):
        label = _label(found, current, parts) if found else None
        if label:
            current, line = label
            answer_line = number if current == "answer" else answer_line
        parts[current].append((number, line))
    return parts, answer_line


def _label(found: tuple[str, str], current: str, parts: dict[str, list]) -> tuple[str, str] | None:
    """The part a label opens and the text after it; None where the label opens nothing."""
    kind, rest = found
    if kind == "why" and current != "why" and not parts["why"]:
        return "why", rest
    if kind == "answer" and (current == "detail" or (current == "why" and not parts["answer"])):
        return "answer", rest
    return None


def _split_first_paragraph(lines):
    for i, (_, text) in enumerate(lines):
        if i and not text.strip():
            return lines[:i], lines[i:]
    return lines, []


# --- numbering checks ---------------------------------------------------------------------------

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
        numbers = [n for n, _ in numbered if n]
        if numbers and _number(numbers[0]) == 1:
            first_seen = {}  # numbering restarts in each section: "Q1" again is not a duplicate
        for number, line in numbered:
            if number and number in first_seen:
                diags.warning(path, line, f"duplicate question number Q{number} (also at line"
                              f" {first_seen[number]}); both are kept as separate notes")
            elif number:
                first_seen[number] = line
    for section, numbered in groups:
        m = RANGE_RE.search(section.heading.text[:200])
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


def _heading_number(raw: RawQuestion) -> tuple[str, int]:
    text, _ = take_marker(without_comments(raw.heading.text))
    parts = split_question_heading(text)
    return (parts[0] if parts else ""), raw.heading.line


def check_repeats(questions: list[Question], path: str, diags: Diagnostics) -> None:
    """Two questions with the same text are one question twice for a learner, whatever their ids."""
    first: dict[str, int] = {}
    for question in questions:
        key = normalise(question.text)
        if key in first:
            diags.warning(path, question.location.line, f"this question repeats the one at line {first[key]}:"
                          " a learner would see the same question twice")
        else:
            first[key] = question.location.line


# --- the whole lesson ---------------------------------------------------------------------------

def collect(parsed: Parsed, dialect: Dialect, path: str, diags: Diagnostics, default: LevelDefault = LevelDefault()):
    """Questions, quick-fire rows, how-to steps and skipped blocks from the parsed sections."""
    questions, quick_fire, how_to, groups, skipped = [], [], [], [], []
    parsed.intro = _take_tables(parsed.intro, dialect, path, diags, quick_fire)
    report_suspicious(parsed.intro, dialect, path, diags, skipped, "it is in the lesson's introduction, not under a question")
    for position, section in enumerate(parsed.sections):
        kind = section.kind or classify(section.heading.text)
        if kind not in ("quick-fire", "how-to"):
            section.lines = _take_tables(section.lines, dialect, path, diags, quick_fire)
        if kind == "quick-fire":
            quick_fire.extend(dialect.quick_fire(section, path, diags, skipped))
        elif kind == "how-to":
            how_to.extend(_how_to(section, dialect, path, diags, skipped))
        elif kind == "level" or section.questions:
            nested = _nested_questions(parsed.sections, position)
            found = _question_section(section, kind, dialect, path, diags, skipped, default, nested)
            questions.extend(found)
            groups.append((section, [_heading_number(raw) for raw in section.questions if raw.shape == "heading"]))
        else:
            _other_section(section, dialect, path, diags, skipped)
    _report_unclosed(parsed, questions, quick_fire, path, diags)
    check_numbering(groups, path, diags)
    check_repeats(questions, path, diags)
    _note_unlevelled(questions, path, diags)
    return questions, quick_fire, how_to, skipped


def _report_unclosed(parsed: Parsed, questions, quick_fire, path: str, diags: Diagnostics) -> None:
    """A fence or comment never closed swallows what follows it: an error when a card stands after it,
    a warning when it only runs to the end of the last answer (a stray fence after it, say)."""
    if not parsed.unclosed:
        return
    line, kind = parsed.unclosed
    kind, _, hint = kind.partition(" (")
    hint = f" ({hint}" if hint else ""
    last = max([q.location.line for q in questions] + [r.location.line for r in quick_fire], default=0)
    cards_after = any(atx_heading(t) or suspicious(t) for t in parsed.swallowed[:100_000])
    if last and line > last and not cards_after:
        diags.warning(path, line, f"this {kind} is never closed: the rest of the file is shown as part of the"
                      f" answer above{hint}")
    else:
        diags.error(path, line, f"this {kind} is never closed: everything after it would vanish into it{hint}")


def _take_tables(lines, dialect: Dialect, path: str, diags: Diagnostics, rows: list) -> list:
    """The lines without their question-and-answer tables, whose rows join the quick-fire rows."""
    found, used = dialect.tables(lines, path, diags)
    if not used:
        return lines
    rows.extend(found)
    return [(n, t) for n, t in lines if n not in used]


def _note_unlevelled(questions: list[Question], path: str, diags: Diagnostics) -> None:
    unlevelled = [q for q in questions if q.level is None]
    if unlevelled:
        count = len(unlevelled)
        diags.note(path, unlevelled[0].location.line, f"{count} question{'s' * (count != 1)}"
                   f" {'have' if count != 1 else 'has'} no level (the first is here): the lesson names none for"
                   " them; add 'level:' front matter or build with --default-level")


def _nested_questions(sections: list[Section], position: int) -> bool:
    """Whether a section's sub-sections hold questions ('## Beginner' over '### Docker')."""
    depth = sections[position].heading.depth
    for section in sections[position + 1:]:
        if section.heading.depth <= depth:
            return False
        if section.questions:
            return True
    return False


def _question_section(section: Section, kind: str, dialect: Dialect, path: str, diags: Diagnostics,
                      skipped: list[Skipped], default: LevelDefault, nested: bool = False) -> list[Question]:
    level = section.level if section.level else (heading_level(section.heading.text) if kind == "level" else None)
    topic = section.topic if section.topic else ("" if kind == "level" or not section.heading.text
                                                 else topic_name(section.heading.text))
    ctx = _Context(path, diags, skipped, level, topic, default, dialect.fenced)
    _stray_in_section(section, kind, dialect, path, diags, skipped)
    if kind == "level" and not section.questions and not nested:
        diags.warning(path, section.heading.line, f"level section '{section.heading.text}' has no questions")
    if kind != "level" and section.heading.text and not section.level and (hint := nearest_level(section.heading.text)):
        diags.warning(path, section.heading.line, f"'{section.heading.text}' is not a level, so its questions are"
                      f" read as the topic '{topic}' with no level from it; did you mean '{hint}'?")
    found = []
    for raw in sorted(section.questions, key=lambda r: r.heading.line):
        raw.lines = dialect.prose(raw.lines)
        question = assemble_question(raw, ctx)
        if question:
            found.append(question)
    return found


def _stray_in_section(section: Section, kind: str, dialect: Dialect, path: str, diags: Diagnostics,
                      skipped: list[Skipped]) -> None:
    stray = meaningful(section.lines)
    for number, text in stray:
        if label_of(text) and not atx_heading(text):
            diags.error(path, number, "answer with no question: this label is not under a question heading")
            return
    where = f"'{section.heading.text}'" if section.heading.text else "this section"
    if report_suspicious(section.lines, dialect, path, diags, skipped, f"it stands in {where} but is not a question"
                         " the lesson's shape allows here"):
        return
    if stray:
        first_question = min((raw.heading.line for raw in section.questions), default=0)
        place = "before the first question of" if stray[0][0] < first_question else "outside the questions of"
        diags.warning(path, stray[0][0], f"text {place} {where} is not part of any card")


def report_suspicious(lines, dialect: Dialect, path: str, diags: Diagnostics, skipped: list[Skipped],
                      why: str) -> int:
    """Warnings for lines that look like a question or an answer and are not used; their count."""
    inside = dialect.fenced(lines)
    count = 0
    for (number, text), in_fence in zip(lines, inside):
        what = None if in_fence else suspicious(text)
        if what:
            skipped.append(Skipped(number, what, why))
            diags.warning(path, number, f"{what} skipped: {why}")
            count += 1
    return count


def suspicious(text: str) -> str | None:
    """What a line that looks like part of a card looks like, or None."""
    stripped = text.strip()
    if not stripped or len(stripped) > 2000:
        return None
    if heading := atx_heading(text):
        inner = without_comments(heading[1]).strip()
        if take_marker(inner)[0].endswith("?"):
            return f"question heading '{short(inner)}'"
        return None
    if q_label(text):
        return f"'Q:' line '{short(stripped)}'"
    if (item := LIST_ITEM_RE.match(text)) and without_comments(item.group(1)).strip().endswith("?"):
        return f"list question '{short(stripped)}' (nothing is indented under it as its answer)"
    if bold_question(text):
        return f"bold question '{short(stripped)}'"
    if (found := label_of(text)) and found[0] == "answer":
        return f"answer label '{short(stripped)}'"
    return None


def _other_section(section: Section, dialect: Dialect, path: str, diags: Diagnostics,
                   skipped: list[Skipped]) -> None:
    report_suspicious(section.lines, dialect, path, diags, skipped,
                      f"section '{short(section.heading.text)}' holds no questions the lesson's shape allows")


def _how_to(section: Section, dialect: Dialect, path: str, diags: Diagnostics, skipped: list[Skipped]) -> list[Block]:
    """The steps of 'How to use this material'; a question or answer standing there is reported."""
    inside = dialect.fenced(section.lines)
    odd = {n for (n, t), f in zip(section.lines, inside) if not f and suspicious(t)}
    report_suspicious(section.lines, dialect, path, diags, skipped, "it stands in the 'How to use' section, whose"
                      " lines become the deck description, not cards")
    return _list_items([(n, t) for n, t in section.lines if n not in odd])


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
                   diags: Diagnostics, other_cells: tuple[str, ...] = (), shape: str = "table",
                   site: IdSite | None = None) -> QuickFire | None:
    """A QuickFire from one row's question and answer, or None (with an error) if one is empty.
    The row's id and tags comments may stand in any of its cells."""
    stamp, tags = "", []
    for cell_text in (question, answer, *other_cells):
        if m := ID_RE.search(cell_text):
            stamp = stamp or m.group(1)
        tags.extend(tags_in(cell_text))
    question = without_comments(question).strip()
    answer = without_comments(answer).strip()
    for name, value in (("question", question), ("answer", answer)):
        if not value:
            what = "cell" if shape == "table" else "text"
            diags.error(path, line, f"quick-fire row {number or ''} has an empty {name} {what}".replace("  ", " "))
            return None
    return QuickFire(number=number, question=question, answer=answer, location=Location(path, line), stamp=stamp,
                     tags=safe_tags(tags, line, path, diags), shape=shape, id_site=site or IdSite(line, "row"))


__all__ = ["Heading", "RawQuestion", "Section", "Parsed", "Dialect", "LevelDefault", "classify", "collect",
           "meaningful", "quick_fire_row", "summary_of", "split_question_heading", "split_tags", "topic_tag",
           "comments", "trim", "to_block", "LIST_ITEM_RE", "RANGE_RE", "QUICK_FIRE_RE", "HOW_TO_RE", "DASHES"]
