"""Quick-fire rows in Markdown, in every shape authors use under a quick-fire, rapid-fire,
rapid round, quick reference or flashcards heading.

Shapes, tried in this order at each line: a table (any column names: the question and
answer columns are found by their names, else the first two that are not a number);
a ``Q:`` line with its answer after an arrow, after ``A:`` on the same line or on the
next; a list item ``question → answer`` or ``**question** answer``; a question heading
or bold question line with the answer under it. A line that looks like a question and
fits none of them is reported, never dropped in silence.
"""
from __future__ import annotations

import re

from ..diagnostics import Diagnostics
from ..lesson import IdSite, QuickFire, Skipped
from .labels import label_of, without_comments
from .shapes import bold_question, q_label, question_like
from .structure import Section, atx_heading, short, meaningful, quick_fire_row, split_question_heading, suspicious

SEPARATOR_RE = re.compile(r"^[ \t]{0,3}\|?[ \t]{0,3}:?-+:?[ \t]{0,3}(?:\|[ \t]{0,3}:?-+:?[ \t]{0,3})*\|?[ \t]*$")
ITEM_RE = re.compile(r"^(?P<indent>[ ]{0,3})(?P<marker>[-*+]|\d{1,9}[.)])[ \t]{1,4}(?P<text>.*)$")
ARROW_RE = re.compile(r"[ \t]{0,3}(?:\u2192|(?<!-)->|=>|\u21d2|\u27f6)[ \t]{0,3}")
INLINE_ANSWER_RE = re.compile(r"[ \t]{1,3}(?:\*\*|__)?A(?:\*\*|__)?[ \t]{0,2}:(?:\*\*|__)?[ \t]{0,3}")
BOLD_ITEM_RE = re.compile(r"^(\*\*|__)(?P<q>[^*_].*?)\1[ \t]{0,3}(?:[:\u2014\u2013\-][ \t]{0,3})?(?P<a>.*)$")
QUESTION_WORDS = ("question", "q", "prompt", "term", "concept", "ask", "topic")
ANSWER_WORDS = ("answer", "a", "expected", "definition", "response", "one-line", "one line", "meaning", "explanation",
                "30-second", "short", "reply")
NUMBER_HEADERS = ("#", "no", "no.", "n", "nr", "num", "number", "sl", "s.no", "sr", "sr.")
WINDOW = 4000
NO_SHAPE = "it fits no quick-fire shape (table row, 'Q: ... → answer', '- **question** answer', 'Q:'/'A:' lines)"
MAX_ROWS = 10_000  # per lesson: a real one has tens; this bounds the memory a hostile one takes
BULLET_RE = re.compile(r"^[-*+][ \t]{1,4}")


def read_quick_fire(section: Section, fenced: list[bool], path: str, diags: Diagnostics,
                    skipped: list[Skipped]) -> list[QuickFire]:
    reader = _Reader(section.lines, fenced, path, diags)
    reader.run()
    in_code = {n for (n, _), flag in zip(section.lines, fenced) if flag}
    stray = [(n, t) for n, t in meaningful(section.lines) if n not in reader.used and n not in in_code]
    reported = False
    for number, text in stray:
        what = suspicious(text) or (f"line '{short(text)}'" if "?" in text else None)
        if what:
            skipped.append(Skipped(number, what, NO_SHAPE))
            diags.warning(path, number, f"{what} skipped: {NO_SHAPE}")
            reported = True
    plain = [(n, t) for n, t in stray if not suspicious(t) and "?" not in t and not atx_heading(t)]
    if not reader.rows and not reader.used:
        diags.warning(path, section.heading.line, "quick-fire section has no rows")
    elif plain and not reported:
        diags.warning(path, plain[0][0], "text in the quick-fire section outside its rows is not turned into cards")
    return reader.rows


def question_tables(lines, fenced, path: str, diags: Diagnostics) -> tuple[list[QuickFire], set[int]]:
    """Question-and-answer tables outside a quick-fire section ('| Question | Ideal response |'
    under a topic heading): their rows, and the lines they took. Other tables are left alone."""
    reader = _Reader(lines, fenced, path, diags)
    i = 0
    while i < len(lines):
        number, text = lines[i]
        if not fenced[i] and "|" in text and i + 1 < len(lines) and SEPARATOR_RE.match(lines[i + 1][1]) \
                and _names_questions(split_cells(text)):
            i = reader._table(i) or i + 1
        else:
            i += 1
    return reader.rows, reader.used


def _names_questions(header: list[str]) -> bool:
    lowered = [re.sub(r"[*_`]", "", h).strip().lower() for h in header]
    number = next((i for i, h in enumerate(lowered) if h in NUMBER_HEADERS), None)
    question = _find(lowered, QUESTION_WORDS, number)
    return question is not None and _find(lowered, ANSWER_WORDS, number, exclude=question) is not None


class _Reader:
    def __init__(self, lines, fenced, path: str, diags: Diagnostics):
        self.lines, self.fenced, self.path, self.diags = lines, fenced, path, diags
        self.rows: list[QuickFire] = []
        self.used: set[int] = set()
        self.overflow = 0  # the line of the first row past MAX_ROWS

    def run(self) -> None:
        i = 0
        while i < len(self.lines):
            if self.fenced[i] or not self.lines[i][1].strip():
                i += 1
                continue
            i = self._table(i) or self._item(i) or self._pair(i) or self._question_block(i) or i + 1

    def _add(self, label, question, answer, line, shape, site, others=()) -> None:
        if len(self.rows) >= MAX_ROWS:
            if not self.overflow:
                self.overflow = line
                self.diags.error(self.path, line, f"more than {MAX_ROWS:,} quick-fire rows in one lesson: split it into"
                                 " several lessons (rows from here on are not read)")
            return
        row = quick_fire_row(label or str(len(self.rows) + 1), question, answer, line, self.path, self.diags,
                             others, shape, site)
        if row:
            self.rows.append(row)

    # -- tables ---------------------------------------------------------------------------------

    def _table(self, i: int) -> int | None:
        number, text = self.lines[i]
        if "|" not in text or i + 1 >= len(self.lines) or not SEPARATOR_RE.match(self.lines[i + 1][1]) \
                or "-" not in self.lines[i + 1][1]:
            return None
        header = _columns(split_cells(text))
        self.used.update((number, self.lines[i + 1][0]))
        j = i + 2
        while j < len(self.lines) and "|" in self.lines[j][1] and not self.fenced[j]:
            row_line, row_text = self.lines[j]
            self.used.add(row_line)
            cells = split_cells(row_text)
            if len(cells) != header["count"]:
                self.diags.error(self.path, row_line, f"quick-fire row has {len(cells)} cells; the header has"
                                 f" {header['count']}")
            else:
                label = cells[header["number"]] if header["number"] is not None else ""
                others = tuple(c for k, c in enumerate(cells) if k not in (header["question"], header["answer"]))
                self._add(label, cells[header["question"]], cells[header["answer"]], row_line, "table",
                          IdSite(row_line, "row"), others)
            j += 1
        return j

    # -- list items -----------------------------------------------------------------------------

    def _item(self, i: int) -> int | None:
        number, text = self.lines[i]
        m = ITEM_RE.match(text[:WINDOW])
        if not m:
            return None
        body, j = [m.group("text")], i + 1
        while j < len(self.lines) and self.lines[j][1].strip() and self.lines[j][1][:1] in (" ", "\t") \
                and not ITEM_RE.match(self.lines[j][1]) and not self.fenced[j]:
            body.append(self.lines[j][1].strip())
            j += 1
        parsed = _split_item(body)
        if parsed is None:
            return None
        question, answer = parsed
        self.used.update(n for n, _ in self.lines[i:j])
        self._add("", question, answer, number, "bullet", IdSite(number, "end"))
        return j

    # -- Q: / A: lines --------------------------------------------------------------------------

    def _pair(self, i: int) -> int | None:
        number, text = self.lines[i]
        found = q_label(text[:WINDOW])
        if not found:
            return None
        question, j = found[1], i + 1
        answer: list[str] = []
        while j < len(self.lines) and not self.fenced[j]:
            line_text = self.lines[j][1]
            if not line_text.strip():
                if answer:
                    break
                j += 1
                continue
            label = label_of(BULLET_RE.sub("", line_text.strip(), count=1))
            if not answer and label and label[0] == "answer":
                answer.append(label[1])
            elif answer and not q_label(line_text) and not atx_heading(line_text):
                answer.append(line_text.strip())
            else:
                break
            j += 1
        if not answer:
            return None
        self.used.update(n for n, _ in self.lines[i:j])
        self._add(found[0], question, "\n".join(answer), number, "q-a", IdSite(number, "end"))
        return j

    # -- a question heading or bold line with its answer under it --------------------------------

    def _question_block(self, i: int) -> int | None:
        number, text = self.lines[i]
        heading = atx_heading(text)
        if heading:
            question = without_comments(heading[1]).strip()
            if not question_like(question):
                self.used.add(number)
                return i + 1  # a sub-heading among the rows
            question, site, shape, rest = heading[1], IdSite(number, "below"), "heading", ""
        elif parts := bold_question(text):
            question, site, shape, rest = parts[0] + _trailing_comments(text), IdSite(number, "end"), "bold", parts[1]
        else:
            return None
        answer, j = ([rest] if rest else []), i + 1
        while j < len(self.lines):
            line_text = self.lines[j][1]
            if not self.fenced[j] and (atx_heading(line_text) or bold_question(line_text)
                                       or q_label(line_text) or ITEM_RE.match(line_text) or "|" in line_text):
                break
            if line_text.strip():
                answer.append(line_text.strip())
            elif answer:
                j += 1
                break
            j += 1
        if not answer:
            return None
        self.used.update(n for n, _ in self.lines[i:j])
        label, question = split_question_heading(question) or ("", question)
        self._add(label, question, "\n".join(answer), number, shape, site)
        return j


def _trailing_comments(text: str) -> str:
    """Id and tags comments at the end of a bold line belong to its row."""
    index = text.rfind("**") if "**" in text else text.rfind("__")
    tail = text[index + 2:] if index >= 0 else ""
    return " " + tail.strip() if "<!--" in tail else ""


def _split_item(body: list[str]) -> tuple[str, str] | None:
    """(question, answer) of a quick-fire list item; None when it is not one."""
    first, rest = body[0], body[1:]
    found = q_label(first)
    text = found[1] if found else first
    if m := ARROW_RE.search(text):
        return text[:m.start()].strip(), " ".join([text[m.end():].strip(), *rest]).strip()
    if m := INLINE_ANSWER_RE.search(text):
        return text[:m.start()].strip(), " ".join([text[m.end():].strip(), *rest]).strip()
    if found and rest and (label := label_of(rest[0])) and label[0] == "answer":
        return text.strip(), " ".join([label[1], *rest[1:]]).strip()
    if m := BOLD_ITEM_RE.match(first.strip()):
        answer = " ".join([m.group("a").strip(), *rest]).strip()
        if answer and not answer.startswith("<!--"):
            return m.group("q").strip(), answer
    return None


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
    lowered = [re.sub(r"[*_`]", "", h).strip().lower() for h in header]
    number = next((i for i, h in enumerate(lowered) if h in NUMBER_HEADERS), None)
    question = _find(lowered, QUESTION_WORDS, number)
    answer = _find(lowered, ANSWER_WORDS, number, exclude=question)
    if question is None or answer is None:
        rest = [i for i in range(len(header)) if i != number]
        question, answer = (rest + [0, 0])[:2] if len(rest) >= 2 else (0, min(1, len(header) - 1))
    return {"count": len(header), "question": question, "answer": answer, "number": number}


def _find(headers: list[str], words: tuple[str, ...], number, exclude=None) -> int | None:
    for i, header in enumerate(headers):
        if i in (number, exclude):
            continue
        tokens = re.findall(r"[a-z0-9\-]+", header)
        if any(w in tokens or (" " in w and w in header) or (len(w) > 3 and w in header) for w in words):
            return i
    return None
