"""Definition, example, pitfall: where a model answer says each, and the "Check yourself" block.

The "say it aloud" drill asks for a definition, an example and a pitfall. This module
finds the passage of a rendered model answer (the sanitised HTML of one answer) that
plays each role, gives that passage an id, and writes a small "Check yourself" block
whose three parts point at those ids. It only points: no text is ever written,
summarised or moved, and a part it cannot find is marked missing rather than guessed.

How a passage is found, in this order (the first that applies wins):

1. **A label.** A paragraph or list item that starts with a label, bold or not:
   ``Definition:``, ``In short:``; ``Example:``, ``For example,``, ``For instance,``,
   ``E.g.,``; ``Pitfall:``, ``Common mistake:``, ``Gotcha:``, ``Watch out:``,
   ``Caveat:``, ``Beware:``, ``Anti-pattern:``. The whole paragraph is the passage (when
   the label stands alone, the block after it is).
2. **The conservative rule**, for what is not labelled:
   - definition: the first sentence of the answer, when the answer opens with a paragraph,
     that sentence says what something is (``is``, ``are``, ``means``, ``refers to``,
     ``describes``, ``stands for``, ``uses``) and is not a lead-in (ending in ``:``) or a
     ``Topic: ...`` line;
   - example: the first fenced code block; else the first sentence saying
     "for example", "for instance" or "e.g.";
   - pitfall: the first sentence about mistakes, risks or what to avoid (``never``,
     ``avoid``, ``don't``, ``must not``, ``mistake``, ``pitfall``, ``trade-off``, ``risk``,
     ``caveat``, ``less secure`` ...).

A sentence gets a ``<span id>`` of its own when it lies in its paragraph's own text;
otherwise the id goes on the whole paragraph. What this module avoids: reading Markdown
(it works on the HTML the card shows, so the ids always exist on the card), network,
and anything slower than linear in the answer's size (answers over ``MAX_MAPPED_CHARS``
are left unmapped: every part missing).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.formatter import HTMLFormatter

PARTS = ("definition", "example", "pitfall")
TITLES = {"definition": "Definition", "example": "Example", "pitfall": "Pitfall"}
TARGET_ID = "ad-say-{}"
CHECK_CLASS = "ad-check"
CHECK_END = "</ul></div>"
MAX_MAPPED_CHARS = 200_000

LABEL_RE = re.compile(
    r"^\s*(?P<label>"
    r"(?P<definition>definition|in short|what it is)"
    r"|(?P<example>examples?|for example|for instance|e\.\s?g\.?)"
    r"|(?P<pitfall>pitfalls?|common (?:mistakes?|pitfalls?|errors?)|mistakes?|gotchas?|watch out|caveats?"
    r"|beware|anti-?patterns?)"
    r")\s*(?P<sep>:|,|\u2014|--|$)", re.I)
DEFINING_RE = re.compile(r"\b(?:is|are|means|mean|refers? to|describes?|stands? for|uses)\b", re.I)
LEAD_IN_RE = re.compile(r"^[^.:!?]{1,40}:\s")  # "Repository structure: Monorepo ..."
EXAMPLE_RE = re.compile(r"\b(?:for example|for instance)\b|(?<![\w.])e\.\s?g\.", re.I)
PITFALL_RE = re.compile(
    r"\b(?:pitfalls?|mistakes?|gotchas?|watch out|beware|avoid(?:s|ed|ing)?|never|don['\u2019]t|do not"
    r"|must not|should not|shouldn['\u2019]t|trade-?offs?|caveats?|risks?|risky|dangerous|anti-?patterns?"
    r"|downsides?|drawbacks?|less secure|insecure)\b", re.I)
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])")
CODE_CLASS = "hl"
CHECK_PART_RE = re.compile(r'<(?:a|span) class="ad-check-part[^"]*"(?: href="[^"]*")? data-say-part="(\w+)"'
                           r'(?: data-target="([^"]*)" data-found="(\w+)" data-rule="([^"]*)"| data-missing="")')

TEXT_BLOCKS = {"p", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th", "figcaption"}
BLOCKS = TEXT_BLOCKS | {"ul", "ol", "dl", "pre", "div", "table", "thead", "tbody", "tr", "hr", "details",
                        "summary", "figure"}


class _Format(HTMLFormatter):
    """Writes the answer back as it came: attributes in their order, "<br>" not "<br/>"."""

    def __init__(self):
        super().__init__(entity_substitution=lambda text: html.escape(text, quote=False),
                         void_element_close_prefix="")

    def attributes(self, tag):
        return list(tag.attrs.items())


_FORMAT = _Format()
# Inside a whitespace-keeping element, the parser keeps the blank lines between blocks as they are.
_WRAPPER = "pre"


@dataclass
class Found:
    part: str
    how: str  # "label" or "rule"
    detail: str  # the label as written, or which rule: 'first sentence', 'code block', '"never"'
    target: str  # the id of the element pointed at


@dataclass
class Mapped:
    html: str  # the answer, with ids on the passages pointed at
    parts: dict[str, Found | None]


# --- finding passages ---------------------------------------------------------------------------


def _own_children(block: Tag) -> list:
    """A block's inline content: its children up to the first nested block."""
    children = []
    for child in block.children:
        if isinstance(child, Tag) and child.name in BLOCKS:
            break
        children.append(child)
    return children


def _text_of(nodes: list) -> str:
    return "".join(n.get_text() if isinstance(n, Tag) else str(n) for n in nodes)


def _text_blocks(root: Tag) -> list[Tag]:
    """Blocks with text of their own, in document order (a list item's paragraphs, not the item)."""
    found = []
    for tag in root.find_all(TEXT_BLOCKS):
        if tag.find_parent("div", class_=CODE_CLASS) or _in_code(tag):
            continue
        if _text_of(_own_children(tag)).strip():
            found.append(tag)
    return found


def _in_code(tag: Tag) -> bool:
    return any(parent.name == "pre" and parent.parent is not None and parent.parent.name != "[document]"
               for parent in tag.parents)


def _sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) of each sentence, without the spaces around it."""
    spans, start = [], 0
    for match in SENTENCE_END_RE.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            result.append((s, e))
    return result


@dataclass
class _Passage:
    block: Tag
    span: tuple[int, int] | None  # a sentence of the block's own text; None: the whole block


class _Finder:
    def __init__(self, root: Tag):
        self.root = root
        self.blocks = _text_blocks(root)

    def labelled(self) -> dict[str, tuple[str, Tag]]:
        labels: dict[str, tuple[str, Tag]] = {}
        for block in self.blocks:
            text = _text_of(_own_children(block))
            match = LABEL_RE.match(text)
            if not match:
                continue
            part = next(name for name in PARTS if match.group(name))
            if part in labels:
                continue
            target = block
            if not text[match.end():].strip():  # a label on its own: the passage is what follows
                target = _next_block(block) or block
            labels[part] = (match.group("label").strip(), target)
        return labels

    def definition(self) -> _Passage | None:
        first = next((c for c in self.root.children if isinstance(c, Tag) or str(c).strip()), None)
        if not isinstance(first, Tag) or first.name != "p" or not self.blocks or self.blocks[0] is not first:
            return None
        text = _text_of(_own_children(first))
        sentences = _sentences(text)
        if not sentences:
            return None
        s, e = sentences[0]
        sentence = text[s:e]
        if sentence.rstrip().endswith(":") or LEAD_IN_RE.match(sentence) or not DEFINING_RE.search(sentence):
            return None
        return _Passage(first, (s, e))

    def code_block(self) -> Tag | None:
        for tag in self.root.find_all(["div", "pre"]):
            if tag.name == "div" and CODE_CLASS in (tag.get("class") or []):
                return tag
            if tag.name == "pre" and tag is not self.root and not tag.find_parent("div", class_=CODE_CLASS):
                return tag
        return None

    def sentence_matching(self, pattern: re.Pattern, skip: _Passage | None) -> tuple[_Passage, str] | None:
        for block in self.blocks:
            text = _text_of(_own_children(block))
            for s, e in _sentences(text):
                if skip and skip.block is block and skip.span == (s, e):
                    continue
                match = pattern.search(text, s, e)
                if match:
                    return _Passage(block, (s, e)), match.group(0)
        return None


def _next_block(block: Tag) -> Tag | None:
    for sibling in block.next_siblings:
        if isinstance(sibling, Tag):
            return sibling
        if str(sibling).strip():
            return None
    return None


# --- pointing at them ---------------------------------------------------------------------------


def _mark(soup: BeautifulSoup, passage: _Passage, part: str) -> str:
    """The id of the passage's element: a sentence gets a span of its own where it can."""
    block, span = passage.block, passage.span
    if span is not None:
        children = _own_children(block)
        text = _text_of(children)
        if text[:span[0]].strip() or text[span[1]:].strip():
            wrapped = _wrap(soup, children, span, part)
            if wrapped is not None:
                return wrapped
    return _id_for(block, part)


def _id_for(element: Tag, part: str) -> str:
    if not element.get("id"):
        element["id"] = TARGET_ID.format(part)
        element["class"] = [*(element.get("class") or []), "ad-say-target"]
    return element["id"]


def _wrap(soup: BeautifulSoup, children: list, span: tuple[int, int], part: str) -> str | None:
    """Put the children covering text[span] into a span; an element cut by the span is taken whole."""
    start, end = span
    offset, first, last = 0, None, None
    pieces = []  # (node, node_start, node_end)
    for node in children:
        length = len(node.get_text() if isinstance(node, Tag) else str(node))
        pieces.append((node, offset, offset + length))
        offset += length
    for index, (node, s, e) in enumerate(pieces):
        if first is None and e > start:
            first = index
        if s < end:
            last = index
    if first is None or last is None:
        return None
    if any(isinstance(node, Tag) and node.get("id") for node, _, _ in pieces[first:last + 1]):
        return None  # already points somewhere: keep one id per element
    node, s, e = pieces[last]
    if isinstance(node, NavigableString) and end < e:
        left, _ = _split(node, end - s)
        pieces[last] = (left, s, end)
    node, s, e = pieces[first]
    if isinstance(node, NavigableString) and start > s:
        _, right = _split(node, start - s)
        pieces[first] = (right, start, e)
    wrapper = soup.new_tag("span", attrs={"id": TARGET_ID.format(part), "class": "ad-say-target"})
    members = [node for node, _, _ in pieces[first:last + 1]]
    members[0].insert_before(wrapper)
    for member in members:
        wrapper.append(member.extract())
    return wrapper["id"]


def _split(node: NavigableString, at: int) -> tuple[NavigableString, NavigableString]:
    text = str(node)
    left, right = NavigableString(text[:at]), NavigableString(text[at:])
    node.replace_with(left)
    left.insert_after(right)
    return left, right


# --- the answer, mapped -------------------------------------------------------------------------


def map_answer(answer_html: str) -> Mapped:
    """The answer with ids on its definition, example and pitfall passages, and where each is."""
    parts: dict[str, Found | None] = dict.fromkeys(PARTS)
    if not answer_html.strip() or len(answer_html) > MAX_MAPPED_CHARS:
        return Mapped(answer_html, parts)
    soup = BeautifulSoup(f"<{_WRAPPER}>{answer_html}</{_WRAPPER}>", "html.parser")
    root = soup.contents[0]
    finder = _Finder(root)
    for part, (label, element) in finder.labelled().items():
        parts[part] = Found(part, "label", label, _id_for(element, part))
    marked: list[tuple[_Passage, str]] = []

    def point(part: str, passage: _Passage, detail: str) -> None:
        same = next((target for other, target in marked
                     if other.block is passage.block and other.span == passage.span), None)
        target = same or _mark(soup, passage, part)
        marked.append((passage, target))
        parts[part] = Found(part, "rule", detail, target)

    definition = None
    if parts["definition"] is None and (definition := finder.definition()):
        point("definition", definition, "first sentence")
    if parts["example"] is None:
        code = finder.code_block()
        if code is not None:
            parts["example"] = Found("example", "rule", "code block", _id_for(code, "example"))
        elif found := finder.sentence_matching(EXAMPLE_RE, definition):
            point("example", found[0], f'"{found[1].lower()}"')
    if parts["pitfall"] is None and (found := finder.sentence_matching(PITFALL_RE, definition)):
        point("pitfall", found[0], f'"{found[1].lower()}"')
    return Mapped("".join(child.decode(formatter=_FORMAT) if isinstance(child, Tag)
                          else child.output_ready(formatter=_FORMAT) for child in root.contents), parts)


def check_yourself_html(parts: dict[str, Found | None]) -> str:
    """Three parts, each a link to its passage or marked missing (data-* attributes: see README)."""
    items = []
    for part in PARTS:
        found, title = parts.get(part), TITLES[part]
        if found:
            items.append(f'<li><a class="ad-check-part" href="#{found.target}" data-say-part="{part}"'
                         f' data-target="{found.target}" data-found="{found.how}"'
                         f' data-rule="{html.escape(found.detail)}">{title}</a></li>')
        else:
            items.append(f'<li><span class="ad-check-part ad-check-missing" data-say-part="{part}"'
                         f' data-missing="">{title} <span class="ad-check-note">not in this answer</span>'
                         '</span></li>')
    # Only tags the sanitiser allows in fields (a <div>, not a <nav>): the field stays card-safe.
    return (f'<div class="{CHECK_CLASS}" role="group" aria-label="Check yourself"><span class="ad-check-title">'
            f'Check yourself</span><ul class="ad-check-parts">{"".join(items)}{CHECK_END}')


def with_check_yourself(answer_html: str) -> str:
    """The Model Answer field: the "Check yourself" block, then the answer with its passages marked."""
    mapped = map_answer(answer_html)
    return check_yourself_html(mapped.parts) + mapped.html


def coverage_of(field_html: str) -> dict[str, Found | None]:
    """Read back what a Model Answer field's "Check yourself" block points at."""
    parts: dict[str, Found | None] = dict.fromkeys(PARTS)
    head = field_html.partition(CHECK_END)[0] if field_html.startswith(f'<div class="{CHECK_CLASS}"') else ""
    for part, target, how, detail in CHECK_PART_RE.findall(head):
        if part in parts and target:
            parts[part] = Found(part, how, html.unescape(detail), target)
    return parts
