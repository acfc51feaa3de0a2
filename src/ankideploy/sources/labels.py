"""The labels inside a question ("Model answer:", "Why interviewers ask:", "A:") and
the comments that carry an item's id and tags.

Labels come in many spellings: bold or not, the colon inside or outside the bold, an
emoji in front ("✅ **Answer:**"), as a small heading ("#### Model answer"), or alone on
their line without a colon. Every match looks at a bounded window at the start of the
line, and comments are found with ``str.find``, so a line of any length costs time linear
in its length.
"""
from __future__ import annotations

import re

from ..identity import ID_RE  # the id comment: identity owns its syntax

LABEL_WINDOW = 160  # a label starts a line: nothing past this can be part of one
HEADING_PREFIX_RE = re.compile(r"#{1,6}[ \t]{1,3}")
DECORATION_RE = re.compile(r"(?:[^\w\s*_#>`\[(<]{1,4}[ \t]{0,2})?")  # an emoji or a symbol before a label
_S = r"[ \t]{1,3}"
ANSWER_WORDS = (rf"(?:(?:model|sample|strong|short|good|ideal|expected|suggested|example|best|full|your|"
                rf"interview){_S})?(?:answer|response)|explanation|solution|a")
WHY_WORDS = (rf"why{_S}(?:do{_S}|would{_S})?(?:interviewers?|they|companies|employers){_S}asks?(?:{_S}this)?"
             rf"(?:{_S}question)?|why{_S}(?:this|it){_S}(?:is|gets){_S}asked|why{_S}it{_S}matters|"
             rf"what{_S}(?:they(?:'|\u2019)re|they{_S}are|interviewers?{_S}(?:are|is)|the{_S}interviewer{_S}is)"
             rf"{_S}(?:testing|looking{_S}for|evaluating|checking)(?:{_S}for)?|what{_S}(?:it|this){_S}tests")
# "Ans. It is", "Ans.It is", "Ans_1.", "Ans It is" (a capital after a space)
# Every label's first word starts with one of these (after heading marks, bold and an emoji).
LABEL_STARTS = ("a", "why", "what", "explanation", "solution", "response", "model", "sample", "strong", "short",
                "good", "ideal", "expected", "suggested", "example", "best", "full", "your", "interview")
LABEL_FIRST = frozenset("".join({w[0] for w in LABEL_STARTS}) + "".join({w[0].upper() for w in LABEL_STARTS}))
ANS_DOT_RE = re.compile(r"(?:\*\*|__)?(?i:ans)(?:_?\d{1,2})?(?:[.:](?:\*\*|__)?[ \t]{0,3}|[ \t]{1,3}(?=[A-Z]))")
LABEL_RE = re.compile(rf"(?P<open>\*\*|__|\*|_)?[ \t]{{0,2}}(?:[^\w\s*_#>`\[(<]{{1,4}}[ \t]{{0,2}})?(?:(?P<why>{WHY_WORDS})|(?P<answer>{ANSWER_WORDS}))"
                      r"[ \t]{0,2}(?P<close>\*\*:|__:|\*:|_:|:\*\*|:__|:\*|:_|:|\*\*|__|\*|_)?[ \t]{0,2}", re.I)

LOOSE_ID_RE = re.compile(r"<!--[ \t]{0,8}id\b", re.I)  # what an author meant as an id comment
TAGS_OPEN_RE = re.compile(r"<!--[ \t]{0,8}tags[ \t]{0,8}:", re.I)
WORDISH_RE = re.compile(r"[\w`<\[(!]")
UNSAFE_TAG_CHAR_RE = re.compile(r"[^\w:.\-]")


def label_of(line: str) -> tuple[str, str] | None:
    """("why" | "answer", the text after the label) for a label line; None for any other line."""
    if not _may_be_label(line):
        return None  # most lines: no label word at their start
    text = line.strip()
    if text[:1] == "`":
        text = text.replace("`", "", 2)  # "`Answer`:" as some authors set their labels
    if m := ANS_DOT_RE.match(text, 0, LABEL_WINDOW):
        return "answer", text[m.end():]
    start = 0
    if m := HEADING_PREFIX_RE.match(text, 0, LABEL_WINDOW):
        start = m.end()
    start = DECORATION_RE.match(text, start, LABEL_WINDOW).end()
    m = LABEL_RE.match(text, start, start + LABEL_WINDOW)
    if not m:
        return None
    opener, close = m.group("open") or "", m.group("close") or ""
    rest = text[m.end():]
    colon = ":" in close
    closing = close.replace(":", "")
    if opener and closing != opener:
        return None  # "**Answer the question**": bold text, not a label
    if not opener and closing:
        return None
    if not colon and rest.strip() and not opener:
        return None  # "Answer the door" is prose; "Answer" alone on its line is a label
    if m.group("answer") and m.group("answer").lower() == "a" and not colon:
        return None  # a lone "A" is a label only as "A:"
    if rest and not WORDISH_RE.search(rest[:20]):
        rest = ""  # "**Strong answer** ✅": the emoji is decoration
    return ("why" if m.group("why") else "answer"), rest


def _may_be_label(line: str) -> bool:
    """A cheap first test with string operations only: most lines fail it at once."""
    text = line[:40].lstrip(" \t#>*_`")
    first = text[:1]
    if first in LABEL_FIRST:
        return text[:12].lower().startswith(LABEL_STARTS)
    if first and not first.isalnum():
        text = text[1:5].lstrip("\ufe0f \t*_") + text[5:]  # an emoji or a symbol before the label
        return text[:12].lower().startswith(LABEL_STARTS)
    return False


def comments(line: str):
    """(start, end, inner text) of every ``<!-- ... -->`` on the line, in order."""
    index = 0
    while (start := line.find("<!--", index)) >= 0:
        end = line.find("-->", start + 4)
        if end < 0:
            return
        yield start, end + 3, line[start + 4:end]
        index = end + 3


def tags_in(line: str) -> list[str]:
    """The words of every ``<!-- tags: ... -->`` comment on the line."""
    found = []
    for _, _, inner in comments(line):
        if m := TAGS_OPEN_RE.match("<!--" + inner):
            found.extend(split_tags(inner[m.end() - 4:]))
    return found


def without_comments(line: str, keep=lambda inner: False) -> str:
    """The line with its id and tags comments removed (other comments kept)."""
    if "<!--" not in line:
        return line
    out, index = [], 0
    for start, end, inner in comments(line):
        if _is_stamp(inner) and not keep(inner):
            out.append(line[index:start])
            index = end
    out.append(line[index:])
    return "".join(out)


def _is_stamp(inner: str) -> bool:
    return bool(ID_RE.match(f"<!--{inner}-->") or TAGS_OPEN_RE.match("<!--" + inner))


def split_tags(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", text.strip()) if t]


def safe_tag(tag: str) -> tuple[str, str]:
    """The tag in Anki's safe alphabet (letters, digits, ``_ - : .``), and what was removed.

    Anki shows tags as HTML in any template with {{Tags}}, so nothing else may reach one."""
    spaced = re.sub(r"\s+", "_", tag.strip())
    removed = "".join(dict.fromkeys(UNSAFE_TAG_CHAR_RE.findall(spaced)))
    return UNSAFE_TAG_CHAR_RE.sub("", spaced).strip("_"), removed
