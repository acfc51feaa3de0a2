"""Questions that are not headings: bold question lines, ``Q:``/``A:`` pairs, numbered
list items holding a bold question and its indented answer, and ``<details>`` blocks.

Each shape has a cheap ``starts`` test on one line and a reader that returns the
question and where its lines end; ``split_region`` tries them in priority order over the
lines of a section that are not under a question heading (like Python-Markdown's block
processors). A question's lines run to the next question of any shape; the caller sorts
them into question detail, why and answer by their labels.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..lesson import IdSite
from .labels import comments, label_of, without_comments

QUESTION_NUMBER_RE = re.compile(r"(?:Q(?:uestion)?\.?[ \t]{0,2}(\d{1,6}(?:\.\d{1,4}){0,3}[a-z]?)[ \t]{0,2}[.:)\]]?|"
                                r"(\d{1,6}(?:\.\d{1,4}){0,3}[a-z]?)[ \t]{0,2}[.:)]|(\d{1,6})[ \t]?-(?=[ \t])|"
                                r"(\d{1,6}(?:\.\d{1,4}){1,3})(?=[ \t]))"
                                r"(?:[ \t]+|$)", re.I)
# "**Q1. What is X?**", "__What is Y?__ rest"
BOLD_LINE_RE = re.compile(r"[ ]{0,3}(\*\*|__)(?P<inner>[^*_].*?)\1(?P<rest>.*)$")
# "Q:", "**Q:**", "Q1:", "**Question 2:**" then the question; "Q1." and "Q1)" too
Q_LABEL_RE = re.compile(r"[ ]{0,3}(?:[-*+][ \t]{1,3})?(?P<open>\*\*|__)?[ \t]{0,2}(?:Q|Question)\.?(?:[ \t]{0,2}(?P<n>\d{1,6}[a-z]?))?"
                        r"[ \t]{0,2}(?:(?P=open)[ \t]{0,2}[:.)]|[:.)][ \t]{0,2}(?P=open)|[:.)])[ \t]*(?P<rest>\S.*)?$", re.I)
Q_LABEL_PLAIN_RE = re.compile(r"[ ]{0,3}(?:[-*+][ \t]{1,3})?(?:Q|Question)(?:\.[ \t]{0,2}(?P<n>\d{1,6}[a-z]?)[ \t]{0,2}[:.)]?|"
                              r"[ \t]{0,2}(?P<n2>\d{1,6}[a-z]?)[ \t]{0,2}[:.)]|[ \t]{0,2}[:.)])[ \t]+(?P<rest>\S.*)?$", re.I)
# A question label alone on its line ("Question:", "#### Question:", "**Q:**"); the question follows
Q_ALONE_RE = re.compile(r"[ ]{0,3}(?:#{1,6}[ \t]{1,3})?(?:\*\*|__)?[ \t]{0,2}(?:Q|Question)"
                        r"[ \t]{0,2}(?:\*\*|__)?[ \t]{0,2}:?[ \t]{0,2}(?:\*\*|__)?[ \t]*$", re.I)
# "Q.3" with nothing after it: a question its author never wrote
Q_EMPTY_RE = re.compile(r"[ ]{0,3}(?:\*\*|__)?Q(?:uestion)?\.?[ \t]{0,2}(\d{1,6})[ \t]{0,2}[:.)]?(?:\*\*|__)?[ \t]*$", re.I)
# A list item: "- What is a JVM?" with its answer indented under it
LIST_ITEM_RE = re.compile(r"(?P<indent>[ ]{0,3})(?P<marker>\d{1,9}[.)]|[-*+])(?P<gap>[ \t]{1,4})(?P<inner>\S.*?)"
                          r"(?P<rest>)$")
LIST_BOLD_RE = re.compile(r"(?P<indent>[ ]{0,3})(?P<marker>\d{1,9}[.)]|[-*+])(?P<gap>[ \t]{1,4})(\*\*|__)"
                          r"(?P<inner>[^*_].*?)\4(?P<rest>.*)$")
DETAILS_OPEN_RE = re.compile(r"[ ]{0,3}<details\b[^>]{0,200}>", re.I)
SUMMARY_RE = re.compile(r"<summary\b[^>]{0,200}>(?P<inner>.*?)</summary\s{0,3}>", re.I)
DETAILS_CLOSE = "</details"
TAG_RE = re.compile(r"<(?!!--)[^<>]{0,200}>")
BOLD_Q_LABEL_RE = re.compile(r"[ ]{0,3}(?:\*\*|__)[ \t]{0,2}Q(?:uestion)?[ \t.]{0,2}(?:\d{1,6}[a-z]?)?[ \t]{0,2}[:.)]", re.I)
# "`1) Tell me about yourself.`<br>": a numbered question set in code, the answer on the next line
CODE_QUESTION_RE = re.compile(r"`(?P<q>\d{1,4}[.)][ \t][^`]{1,500})`[ \t]{0,3}(?:<br\s{0,3}/?>)?[ \t]*$")
BR_RE = re.compile(r"<br\s{0,3}/?>", re.I)
WINDOW = 2000  # a question line longer than this is prose
QUOTE_LINES = 10  # a question set as a quote is a line or a few
ANSWER_REACH = 80  # lines between such a question and its answer label (a code block it shows)
SHAPE_STARTS = frozenset("<*_-+#Qq0123456789`\t>")  # the first character of every question shape
ANSWER_SHAPE_STARTS = frozenset("<*_Qq")  # of those that may stand inside an answer (numbered, continuing)


@dataclass
class ShapeQuestion:
    """A question found by its shape: its text, where it stands and the lines under it."""

    text: str
    line: int
    shape: str
    site: IdSite
    lines: list[tuple[int, str]] = field(default_factory=list)
    numbered: bool = False
    number: str = ""  # as written, "" when unnumbered
    closed: bool = False  # a list item or <details> block has ended: later lines are not its
    unasked: bool = False  # a numbered bold line without '?' among questions that have one


def question_like(text: str) -> bool:
    """Numbered ('Q1.', '3.', 'Question 2:') or ending in '?'."""
    stripped = text.strip().rstrip("*_ ").strip()
    return bool(QUESTION_NUMBER_RE.match(stripped[:40])) or stripped.endswith("?")


def is_numbered(text: str) -> bool:
    return bool(QUESTION_NUMBER_RE.match(text.strip()[:40]))


def bold_question(text: str) -> tuple[str, str] | None:
    """(question, rest of line) for a line that opens with a bold question."""
    if len(text) > WINDOW or not text.lstrip(" ").startswith(("**", "__")):
        return None
    m = BOLD_LINE_RE.match(text)
    if not m or label_of(text):
        return None
    inner = m.group("inner").strip()
    if q_label(text):
        return None
    if labelled := q_label(inner):
        number, rest = labelled
        return (f"{number}. {rest}" if number else rest), m.group("rest").strip()
    if not question_like(inner):
        return None
    rest = m.group("rest").strip()
    if rest[:1] in (":", "\u2014", "\u2013", "-") and not _plain(inner).endswith("?"):
        return None  # "**1. Notice**: sysmon sees ...": a labelled step of an answer
    return inner, rest


def q_label(text: str) -> tuple[str, str] | None:
    """(number, question) for a ``Q:`` line."""
    if len(text) > WINDOW or not re.match(r"[ ]{0,3}(?:[-*+][ \t]{1,3})?(?:\*\*|__)?[ \t]{0,2}Q", text, re.I):
        return None
    bold = re.match(r"[ ]{0,3}(?:[-*+][ \t]{1,3})?(?:\*\*|__)", text)
    m = (Q_LABEL_RE if bold else Q_LABEL_PLAIN_RE).match(text)
    if m and bold and text[:m.start("rest") if m.group("rest") else len(text)].count(m.group("open")) < 2:
        return None  # "**Q2. What is X?**": a bold question line, not a "Q:" label
    if not m or not without_comments(m.group("rest") or "").strip():
        return None
    number = m.group("n") or (m.groupdict().get("n2") or "")
    return number, m.group("rest").strip()


def list_question(text: str, list_style: bool = False) -> tuple[re.Match, bool] | None:
    """A list item whose text opens with a bold question, or is a question ending in '?'; and
    whether it is bold (a plain one is a question only when an answer is indented under it)."""
    if len(text) > WINDOW:
        return None
    m = LIST_BOLD_RE.match(text)
    if m and not label_of(m.group("inner") + ":"):
        inner = m.group("inner").strip()
        if question_like(inner) or (list_style and m.group("marker")[0].isdigit()):
            return m, True
        return None  # "1. **Intro** (5 min)": a step of an answer, not a question
    m = LIST_ITEM_RE.match(text)
    if m and _plain(m.group("inner")).endswith("?") and not q_label(text):
        return m, False
    return None


def q_alone(text: str) -> bool:
    """A question label with nothing after it: the question is on the lines below."""
    if len(text) > WINDOW:
        return False
    bare = without_comments(text)
    return len(bare) < 80 and bool(Q_ALONE_RE.match(bare))


def split_region(lines: list[tuple[int, str]], fenced: list[bool],
                 after: int | None = None) -> tuple[list[tuple[int, str]], list[ShapeQuestion]]:
    """The region's lines that belong to no question, and its questions, in order.

    With ``after`` (the number of the question heading these lines stand under, -1 if it has
    none), the lines are an answer: only a question that continues the numbering ('**Q2. ...**'
    under '### 1.') starts there, so an answer's own bold lines and lists stay in it."""
    answer = after is not None
    numbered_bold = False if answer else _numbered_bold_style(lines, fenced)
    list_style = False if answer else _list_question_style(lines, fenced) or _bold_list_style(lines, fenced)
    loose = False if answer else _loose_style(lines, fenced)
    code_style = not answer and sum(bool(CODE_QUESTION_RE.match(t)) for (_, t), f in zip(lines, fenced)
                                    if not f and t[:1] == "`") >= 2
    ends = _details_ends(lines, fenced)
    stray: list[tuple[int, str]] = []
    found: list[ShapeQuestion] = []
    i = 0
    while i < len(lines):
        number, text = lines[i]
        skip = fenced[i] or (answer and text.lstrip(" ")[:1] not in ANSWER_SHAPE_STARTS)
        question = None if skip else _start(lines, fenced, i, numbered_bold, ends, list_style, loose, code_style)
        if question and after is not None:
            expected = _number(found[-1]) + 1 if found else after + 1
            if question[0].shape == "list" or after < 0 or _number(question[0]) != expected:
                question = None
        if question and question[0].unasked and not (found and _number(question[0]) == _number(found[-1]) + 1):
            question = None  # "**3. Edge sites**" in an answer; "**3. Name them.**" after Q2 is a question
        elif question and numbered_bold and question[0].shape == "bold" and question[0].numbered and found \
                and found[-1].numbered and 0 <= _number(question[0]) <= _number(found[-1]):
            question = None  # "**1. Define** the query." inside the answer to "**3. ...?**": numbers only go up
        if question is None:
            (found[-1].lines if found and _open(found[-1]) else stray).append((number, text))
            i += 1
            continue
        question, i = question
        if found and _open(found[-1]):
            stray.extend(_section_label(found[-1]))
        found.append(question)
    return stray, found


def _section_label(question: ShapeQuestion) -> list[tuple[int, str]]:
    """A short line standing alone at the end of an open question's lines, just before the next
    question ('Dependency Injection & Bean Management'), titles what follows: it leaves the answer."""
    body = question.lines
    end = len(body)
    while end and not body[end - 1][1].strip():
        end -= 1
    if end < 3 or body[end - 2][1].strip():
        return []
    number, text = body[end - 1]
    stripped = text.strip()
    if len(stripped) > 60 or len(stripped.split()) > 8 or stripped[-1:] in ".:;?!,)" or text[:1] in (" ", "\t") \
            or stripped[:1] in "-*+|<#>`0123456789" or not any(t.strip() for _, t in body[:end - 2]):
        return []
    question.lines = body[:end - 1] + body[end:]
    return [(number, text)]


def _number(question: ShapeQuestion) -> int:
    m = None if question.number else QUESTION_NUMBER_RE.match(question.text.strip()[:40])
    written = question.number or ((m.group(1) or m.group(2) or m.group(3) or m.group(4)) if m else "")
    digits = re.match(r"\d{1,6}", written)
    return int(digits.group()) if digits else -2


def _open(question: ShapeQuestion) -> bool:
    """Whether lines that follow still belong to this question (a list item or <details> block
    ends with its indentation or its closing tag)."""
    return not question.closed


def _numbered_bold_style(lines, fenced) -> str:
    """When most bold questions are numbered, an unnumbered bold line is part of an answer
    ("numbered"); when most of those also end in '?', so is a numbered one without it, such as a
    step '**3. Edge sites**' inside an answer ("asked"); "" otherwise."""
    numbered = plain = asked = 0
    for (_, text), in_fence in zip(lines, fenced):
        if not in_fence and text.lstrip(" ")[:2] in ("**", "__") and (parts := bold_question(text)):
            if is_numbered(parts[0]):
                numbered += 1
                asked += _plain(parts[0]).endswith("?")
            else:
                plain += 1
    if numbered < 2 or numbered <= plain:
        return ""
    return "asked" if asked * 4 >= numbered * 3 else "numbered"


def _details_ends(lines, fenced) -> dict[int, int]:
    """For each line opening a ``<details>`` block, the index after the line that closes it (the
    end of the lines when it is never closed): one pass, so nested or unclosed blocks stay linear."""
    ends, stack = {}, []
    for index, ((_, text), in_fence) in enumerate(zip(lines, fenced)):
        if in_fence or "<" not in text:
            continue
        lowered = text.lower()
        for _ in range(lowered.count("<details")):
            stack.append(index)
        for _ in range(lowered.count(DETAILS_CLOSE)):
            if stack:
                ends[stack.pop()] = index + 1
    for index in stack:
        ends[index] = len(lines)
    return ends


def _list_question_style(lines, fenced) -> bool:
    """When several bullets ending in '?' carry an indented answer, every bullet with an indented
    answer is a question ('* Predict the output' among '* What is a JVM?')."""
    count = 0
    for index, ((_, text), in_fence) in enumerate(zip(lines, fenced)):
        if in_fence or len(text) > WINDOW or not (m := LIST_ITEM_RE.match(text)):
            continue
        following = lines[index + 1][1] if index + 1 < len(lines) else ""
        answered = following.strip() and (following[:1] in (" ", "\t") or _lazy(following))
        if _plain(m.group("inner")).endswith("?") and answered:
            count += 1
            if count >= 3:
                return True
    return False


def _bold_list_style(lines, fenced) -> bool:
    """Whether questions here are numbered list items in bold ('1. **What is X?**'): then an
    item such as '3. **Name the join types.**' is one of them too."""
    count = 0
    for (_, text), in_fence in zip(lines, fenced):
        if in_fence or len(text) > WINDOW or text[:1] in (" ", "\t"):
            continue
        m = LIST_BOLD_RE.match(text)
        if m and m.group("marker")[0].isdigit() and question_like(m.group("inner")):
            count += 1
            if count >= 2:
                return True
    return False


def _loose_style(lines, fenced) -> bool:
    """Whether questions here are list items ending in '?' with their answers at the margin
    after a blank line ('1. What is X?', '', 'X is ...'): at least two of them."""
    count = 0
    for index, ((_, text), in_fence) in enumerate(zip(lines, fenced)):
        if in_fence or len(text) > WINDOW or text[:1] in (" ", "\t") or not _ends_in_question(text):
            continue
        following = next((t for _, t in lines[index + 1:index + 4] if t.strip()), "")
        if following and following[:1] not in (" ", "\t") and not LIST_ITEM_RE.match(following):
            count += 1
            if count >= 2:
                return True
    return False


def _start(lines, fenced, i, numbered_bold: str, ends: dict[int, int], list_style: bool = False,
           loose: bool = False, code_style: bool = False):
    """The question starting at line ``i`` and the index after what it consumed, or None."""
    number, text = lines[i]
    if text.lstrip(" ")[:1] not in SHAPE_STARTS:
        return None  # prose: no shape starts with a letter other than Q
    if DETAILS_OPEN_RE.match(text):
        return _details(lines, i, ends.get(i, i + 1))
    if (m := LIST_ITEM_RE.match(text[:WINDOW])) and not m.group("indent") and (
            list_style or _labelled_below(lines, fenced, i)):
        if item := _list_item(lines, fenced, i, m, False):
            return item
    if found := list_question(text, list_style):
        if item := _list_item(lines, fenced, i, *found, loose=loose and _ends_in_question(text)):
            return item
    if code_style and (m := CODE_QUESTION_RE.match(text)):
        shape = ShapeQuestion(m.group("q"), number, "bold", IdSite(number, "end"), numbered=True)
        return shape, i + 1
    if parts := q_label(text):
        qn, question = parts
        question, j = _continued(lines, fenced, i + 1, question)
        return ShapeQuestion(question, number, "q-a", IdSite(number, "end"), numbered=bool(qn), number=qn), j
    if q_alone(text):
        return _question_below(lines, fenced, i)
    if text.lstrip(" ")[:1] == ">" and (quoted := _quoted_question(lines, fenced, i)):
        return quoted
    if m := Q_EMPTY_RE.match(text[:80]):
        return ShapeQuestion(text.strip(), number, "q-a", IdSite(number, "end"), numbered=True,
                             number=m.group(1)), i + 1
    if parts := bold_question(text):
        question, rest = parts
        labelled = bool(BOLD_Q_LABEL_RE.match(text))  # "**Q: Compare A and B**" says it is a question
        if not labelled and numbered_bold and not is_numbered(question):
            return None
        unasked = not labelled and numbered_bold == "asked" and not _plain(question).endswith("?")
        rest, stamps = _stamps_apart(rest)
        shape = ShapeQuestion(question + stamps, number, "bold", IdSite(number, "end"), numbered=is_numbered(question),
                              unasked=unasked)
        if rest:
            shape.lines.append((number, rest))
        return shape, i + 1
    return None


def _continued(lines, fenced, j: int, question: str) -> tuple[str, int]:
    """A question that goes on over the next lines (no blank line, no label, no other block)."""
    while j < len(lines) and not fenced[j] and not question.rstrip().endswith("?") and _continues(lines[j][1]):
        question += " " + lines[j][1].strip()
        j += 1
    return question, j


def _continues(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and len(stripped) < WINDOW and not label_of(text) and not q_label(text) \
        and not stripped.startswith(("#", ">", "|", "```", "~~~", "<", "- ", "* ", "+ ")) \
        and not BOLD_LINE_RE.match(text) and not re.match(r"\d{1,9}[.)][ \t]", stripped)


def _quoted_question(lines, fenced, i: int):
    """'> What is hoisting?' (a quote of a line or a few) with an answer label after it, perhaps past a
    code block the question shows: a question set as a quote."""
    parts, j = [], i
    while j < len(lines) and lines[j][1].strip() and not fenced[j] and len(parts) <= QUOTE_LINES \
            and not (j > i and label_of(lines[j][1])):
        parts.append(re.sub(r"^[ ]{0,3}>[ ]?", "", lines[j][1]).strip())
        j += 1
    question = " ".join(parts)
    if len(question) > WINDOW or "?" not in question or len(parts) > QUOTE_LINES:
        return None
    for k in range(j, min(j + ANSWER_REACH, len(lines))):
        text = lines[k][1]
        if fenced[k] or not text.strip():
            continue
        if text.lstrip(" ")[:1] in (">", "#"):
            return None
        if (found := label_of(text)) and found[0] == "answer":
            number = lines[i][0]
            return ShapeQuestion(question, number, "q-a", IdSite(number, "end")), j
    return None


def _question_below(lines, fenced, i: int):
    """'Question:' alone on its line: the question is the paragraph under it (quote marks gone)."""
    j = i + 1
    while j < len(lines) and not lines[j][1].strip():
        j += 1
    parts = []
    while j < len(lines) and not fenced[j] and lines[j][1].strip() and not label_of(lines[j][1]) \
            and not q_alone(lines[j][1]) and len(lines[j][1]) < WINDOW:
        parts.append(re.sub(r"^[ ]{0,3}>[ ]?", "", lines[j][1]).strip())
        j += 1
    if not parts:
        return None
    number = lines[i][0]
    stamps = _stamps_apart(lines[i][1])[1]  # stamp writes the id at the end of the label line
    shape = ShapeQuestion(" ".join(parts) + stamps, number, "q-a", IdSite(number, "end"))
    return shape, j


def _list_item(lines, fenced, i, m: re.Match, bold: bool = True, loose: bool = False):
    number = lines[i][0]
    content = len(m.group("indent")) + len(m.group("marker")) + len(m.group("gap"))
    rest, stamps = _stamps_apart(m.group("rest").strip())
    shape = ShapeQuestion(m.group("inner").strip() + stamps, number, "list", IdSite(number, "end"),
                          numbered=m.group("marker")[0].isdigit())
    if rest:
        shape.lines.append((number, rest.lstrip(":\u2014\u2013- ").strip() if rest[:1] in ":\u2014\u2013-" else rest))
    j = i + 1
    while j < len(lines) and _lazy(lines[j][1]) and not fenced[j] and not shape.lines:
        shape.lines.append((lines[j][0], lines[j][1].strip()))  # "- What is X?" then "X is ..." below it
        j += 1
    while j < len(lines):
        n, text = lines[j]
        indent = len(text) - len(text.lstrip(" \t"))
        if text.strip() and indent < 1 and not fenced[j]:
            break
        shape.lines.append((n, text[min(indent, content):] if text.strip() else ""))
        j += 1
    while shape.lines and not shape.lines[-1][1].strip():
        j -= 1
        shape.lines.pop()
    if not shape.lines and loose:
        return _loose_answer(lines, fenced, j, shape)
    if not bold and not shape.lines:
        return None  # "- Is it fast?" with nothing under it: a list, not a question
    shape.closed = True
    return shape, j


def _labelled_below(lines, fenced, i: int) -> bool:
    """'1. Explain how GC works' with '    Answer: ...' indented under it: a question by its label."""
    for j in range(i + 1, min(i + 4, len(lines))):
        text = lines[j][1]
        if text.strip():
            return not fenced[j] and text[:1] in (" ", "\t") and bool(label_of(text)) and label_of(text)[0] == "answer"
    return False


def _lazy(text: str) -> bool:
    """A line right under a list item that GitHub reads as part of it: text at the margin."""
    stripped = text.strip()
    return bool(stripped) and text[:1] not in (" ", "\t") and not LIST_ITEM_RE.match(text) \
        and not stripped.startswith(("#", "```", "~~~", "<", "|", ">")) and not label_of(text)


def _loose_answer(lines, fenced, j: int, shape: "ShapeQuestion"):
    """'1. What is X?', a blank line, then the answer at the margin, up to the next such question."""
    while j < len(lines):
        n, text = lines[j]
        if not fenced[j] and (LIST_ITEM_RE.match(text) and _ends_in_question(text) or text.lstrip().startswith("#")):
            break
        shape.lines.append((n, text))
        j += 1
    while shape.lines and not shape.lines[-1][1].strip():
        j -= 1
        shape.lines.pop()
    return (shape, j) if shape.lines else None


def _ends_in_question(text: str) -> bool:
    m = LIST_ITEM_RE.match(text)
    return bool(m) and _plain(m.group("inner")).endswith("?")


def _plain(text: str) -> str:
    """Text without comments and the marks around it ('`3) Why?`<br>', '**Why?**')."""
    return BR_RE.sub("", without_comments(text)).strip().strip("`*_ ").strip()


def _details(lines, i: int, end: int):
    """A ``<details>`` block (lines ``i`` to ``end``): the question is its summary, the answer
    what follows the summary."""
    summary, summary_line, body = None, lines[i][0], []
    for j in range(i, end):
        n, text = lines[j]
        if summary is None and (m := SUMMARY_RE.search(text[:WINDOW])):
            summary, summary_line = m.group("inner"), n
            after = text[m.end():]
            if after.strip() and DETAILS_CLOSE not in after.lower():
                body.append((n, after))
        elif summary is not None:
            lowered = text.lower()
            if j == end - 1 and DETAILS_CLOSE in lowered:
                before = text[:lowered.rfind(DETAILS_CLOSE)]
                if before.strip():
                    body.append((n, before))
            else:
                body.append((n, text))
        elif j > i + 2:
            return None  # no summary near the top: not a question
    if summary is None:
        return None
    question = html.unescape(TAG_RE.sub("", summary)).strip()
    shape = ShapeQuestion(question, summary_line, "details", IdSite(summary_line, "summary"),
                          numbered=is_numbered(question), lines=_dedent(body))
    shape.closed = True
    return shape, end


def _stamps_apart(rest: str) -> tuple[str, str]:
    """The rest of a question line without its id and tags comments, and those comments: they
    stand at the end of the line (where ``stamp`` writes them) but belong to the question."""
    stamps = "".join(" " + rest[start:end] for start, end, inner in comments(rest)
                     if without_comments(rest[start:end]) == "")
    return without_comments(rest).strip(), stamps


def _dedent(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    indents = [len(t) - len(t.lstrip(" ")) for _, t in lines if t.strip()]
    cut = min(indents) if indents else 0
    return [(n, t[cut:] if t.strip() else "") for n, t in lines]
