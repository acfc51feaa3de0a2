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
otherwise the id goes on the whole paragraph. The answer's HTML is kept byte for byte: the
ids, classes and spans are inserted into it, nothing is re-serialised. What this module
avoids: reading Markdown (it works on the HTML the card shows, so the ids always exist on
the card), a general HTML parser (the renderer's output is well formed; a small tokenizer
keeps every offset), and anything slower than linear in the answer's size (answers over
``MAX_MAPPED_CHARS`` are left unmapped: every part missing).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

PARTS = ("definition", "example", "pitfall")
TITLES = {"definition": "Definition", "example": "Example", "pitfall": "Pitfall"}
TARGET_ID = "ad-say-{}"
TARGET_CLASS = "ad-say-target"
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
# Every match of the pattern holds one of these (lower case): an ASCII text without any cannot match.
HOLDS_ONE_OF = {
    EXAMPLE_RE: ("for example", "for instance", "e."),
    PITFALL_RE: ("pitfall", "mistake", "gotcha", "watch out", "beware", "avoid", "never", "don", "do not",
                 "must not", "should", "trade", "caveat", "risk", "danger", "anti", "downside", "drawback", "secure"),
}
SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])")
CODE_CLASS = "hl"
CHECK_PART_RE = re.compile(r'<(?:a|span) class="ad-check-part[^"]*"(?: href="[^"]*")? data-say-part="(\w+)"'
                           r'(?: data-target="([^"]*)" data-found="(\w+)" data-rule="([^"]*)"| data-missing="")')

# The renderer's HTML, token by token: a tag (with quoted attribute values), a comment, or text.
# No "<" inside a tag: the renderer escapes it in attribute values, and a failed match then ends
# at the next "<", so scanning stays linear on any input.
TOKEN_RE = re.compile(r"""<(/?)([A-Za-z][A-Za-z0-9]*)((?:[^<>"']|"[^<"]*"|'[^<']*')*)>|<!--|[^<]+|<""")
CLASS_RE = re.compile(r"""\sclass=(?:"([^"]*)"|'([^']*)')""")
ENTITY_RE = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,8};?|[A-Za-z][A-Za-z0-9]{0,31};?)")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

TEXT_BLOCKS = {"p", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th", "figcaption"}
BLOCKS = TEXT_BLOCKS | {"ul", "ol", "dl", "pre", "div", "table", "thead", "tbody", "tr", "hr", "details",
                        "summary", "figure"}



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


# --- a small tree that remembers where everything is -------------------------------------------


class _Text:
    __slots__ = ("start", "end", "raw", "text", "parent")

    def __init__(self, raw: str, start: int, parent: "_Element"):
        self.raw, self.start, self.end, self.parent = raw, start, start + len(raw), parent
        self.text = html.unescape(raw) if "&" in raw else raw

    def source_offset(self, index: int) -> int:
        """Where the index-th character of the decoded text starts in the HTML."""
        if self.text is self.raw:
            return self.start + index
        decoded, source = 0, 0
        for match in ENTITY_RE.finditer(self.raw):
            plain = match.start() - source
            if decoded + plain >= index:
                return self.start + source + (index - decoded)
            decoded += plain
            width = len(html.unescape(match.group(0)))
            if decoded + width > index:
                return self.start + match.start()
            decoded, source = decoded + width, match.end()
        return self.start + source + (index - decoded)


class _Element:
    __slots__ = ("name", "start", "open_end", "end", "attrs", "children", "parent", "in_code", "code", "id", "_text")

    def __init__(self, name: str, start: int, open_end: int, attrs: str, parent: "_Element | None"):
        self.name, self.start, self.open_end, self.attrs, self.parent = name, start, open_end, attrs, parent
        self.end = open_end + 1  # moved past the closing tag when it is met
        self.children: list = []
        self.in_code = bool(parent and (parent.in_code or parent.code))
        self.code = name == "pre" or (name == "div" and CODE_CLASS in self.classes())
        self.id = ""
        self._text: str | None = None

    def classes(self) -> list[str]:
        match = CLASS_RE.search(self.attrs)
        return (match.group(1) or match.group(2) or "").split() if match else []


    @property
    def text(self) -> str:
        """All the text below this element (without recursion: answers can nest deeply)."""
        if self._text is None:
            parts, stack = [], list(reversed(self.children))
            while stack:
                node = stack.pop()
                if isinstance(node, _Text):
                    parts.append(node.text)
                else:
                    stack.extend(reversed(node.children))
            self._text = "".join(parts)
        return self._text



class _NotRendered(ValueError):
    """A "<" that starts no tag: not HTML the renderer made, so nothing is inserted into it."""


def _parse(source: str) -> tuple[_Element, list[_Element]]:
    """The tree, and every element in it in document order (the order they are met)."""
    root = _Element("#root", -1, -1, "", None)
    node, position, elements = root, 0, []
    size, match_token = len(source), TOKEN_RE.match
    while position < size:
        match = match_token(source, position)
        closing, name, attrs = match.groups()
        if name is None:
            token = match.group(0)
            if token == "<!--":
                close = source.find("-->", position + 4)
                position = size if close < 0 else close + 3
                continue
            if token == "<":
                raise _NotRendered(position)
            node.children.append(_Text(token, position, node))
        elif closing:
            name, ancestor = name.lower(), node
            while ancestor is not root and ancestor.name != name:
                ancestor = ancestor.parent
            if ancestor is not root:  # a stray closing tag closes nothing
                for open_node in _chain(node, ancestor):
                    open_node.end = match.end() if open_node is ancestor else match.start()
                node = ancestor.parent
        else:
            element = _Element(name.lower(), position, match.end() - 1, attrs, node)
            node.children.append(element)
            elements.append(element)
            if element.name == "pre":
                # Code is pointed at whole, never looked into: skip its (highlighted) markup.
                close = source.find("</pre>", match.end())
                element.end = len(source) if close < 0 else close + len("</pre>")
                position = element.end
                continue
            if element.name not in VOID and not attrs.rstrip().endswith("/"):
                node = element
        position = match.end()
    for open_node in _chain(node, root):
        if open_node is not root:
            open_node.end = len(source)
    return root, elements


def _chain(node: _Element, ancestor: _Element):
    while True:
        yield node
        if node is ancestor or node.parent is None:
            return
        node = node.parent


# --- finding passages ---------------------------------------------------------------------------


def _own_children(block: _Element) -> list:
    """A block's inline content: its children up to the first nested block."""
    children = []
    for child in block.children:
        if isinstance(child, _Element) and child.name in BLOCKS:
            break
        children.append(child)
    return children


def _text_of(nodes: list) -> str:
    return "".join(node.text for node in nodes)


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
    block: _Element
    span: tuple[int, int] | None  # a sentence of the block's own text; None: the whole block


class _Finder:
    def __init__(self, root: _Element, elements: list[_Element]):
        self.root, self.elements = root, elements
        self.own: dict[int, str] = {}
        self.blocks = [element for element in elements
                       if element.name in TEXT_BLOCKS and not element.in_code and self.text(element).strip()]

    def text(self, block: _Element) -> str:
        if id(block) not in self.own:
            self.own[id(block)] = _text_of(_own_children(block))
        return self.own[id(block)]

    def labelled(self) -> dict[str, tuple[str, _Element]]:
        labels: dict[str, tuple[str, _Element]] = {}
        for block in self.blocks:
            text = self.text(block)
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
        first = next((c for c in self.root.children if isinstance(c, _Element) or c.text.strip()), None)
        if not isinstance(first, _Element) or first.name != "p" or not self.blocks or self.blocks[0] is not first:
            return None
        text = self.text(first)
        sentences = _sentences(text)
        if not sentences:
            return None
        s, e = sentences[0]
        sentence = text[s:e]
        if sentence.rstrip().endswith(":") or LEAD_IN_RE.match(sentence) or not DEFINING_RE.search(sentence):
            return None
        return _Passage(first, (s, e))

    def code_block(self) -> _Element | None:
        return next((e for e in self.elements if e.code and not e.in_code), None)

    def sentence_matching(self, pattern: re.Pattern, skip: _Passage | None) -> tuple[_Passage, str] | None:
        stems = HOLDS_ONE_OF.get(pattern, ())
        for block in self.blocks:
            text = self.text(block)
            if _cannot_hold(text, stems):
                continue
            if not pattern.search(text):  # no sentence of it can match: one search instead of one each
                continue
            for s, e in _sentences(text):
                if skip and skip.block is block and skip.span == (s, e):
                    continue
                match = pattern.search(text, s, e)
                if match:
                    return _Passage(block, (s, e)), match.group(0)
        return None


def _cannot_hold(text: str, stems: tuple[str, ...]) -> bool:
    """True when an ASCII text holds none of the stems: a few string tests, much cheaper than the
    pattern they stand for (for ASCII text, re.I matching is matching the lower case)."""
    if not stems or not text.isascii():
        return False
    lower = text.lower()
    return not any(stem in lower for stem in stems)


def _next_block(block: _Element) -> _Element | None:
    siblings = block.parent.children
    for sibling in siblings[siblings.index(block) + 1:]:
        if isinstance(sibling, _Element):
            return sibling
        if sibling.text.strip():
            return None
    return None


# --- pointing at them: insertions into the HTML, never a rewrite --------------------------------


class _Marks:
    """The insertions that put ids on passages, applied at the end in one pass."""

    def __init__(self):
        self.inserts: list[tuple[int, int, str]] = []  # (offset, order at that offset, text)
        self.wrapped: dict[int, list[tuple[int, int]]] = {}  # block -> source ranges of its spans

    def id_for(self, element: _Element, part: str) -> str:
        if element.id:
            return element.id
        element.id = TARGET_ID.format(part)
        match = CLASS_RE.search(element.attrs)
        if match:  # one more class in the existing attribute, then the id
            group = 1 if match.group(1) is not None else 2
            at = element.start + 1 + len(element.name) + match.end(group)
            self.inserts.append((at, 1, f" {TARGET_CLASS}"))
            self.inserts.append((element.open_end, 1, f' id="{element.id}"'))
        else:
            self.inserts.append((element.open_end, 1, f' id="{element.id}" class="{TARGET_CLASS}"'))
        return element.id

    def mark(self, passage: _Passage, part: str, text: str) -> str:
        """The id of the passage: a span around its sentence where it can, else its block's."""
        block, span = passage.block, passage.span
        if span is not None and (text[:span[0]].strip() or text[span[1]:].strip()):
            wrapped = self.wrap(block, span, part)
            if wrapped:
                return wrapped
        return self.id_for(block, part)

    def wrap(self, block: _Element, span: tuple[int, int], part: str) -> str:
        start, end = span
        offset, pieces = 0, []
        for node in _own_children(block):
            pieces.append((node, offset, offset + len(node.text)))
            offset += len(node.text)
        inside = [(node, s, e) for node, s, e in pieces if e > start and s < end]
        if not inside:
            return ""
        node, s, _ = inside[0]
        opening = node.source_offset(start - s) if isinstance(node, _Text) and start > s else node.start
        node, s, e = inside[-1]
        closing = node.source_offset(end - s) if isinstance(node, _Text) and end < e else node.end
        taken = self.wrapped.setdefault(id(block), [])
        if any(opening < b and a < closing for a, b in taken):
            return ""  # it would cut across another part's span: point at the block instead
        taken.append((opening, closing))
        target = TARGET_ID.format(part)
        self.inserts.append((opening, 1, f'<span id="{target}" class="{TARGET_CLASS}">'))
        self.inserts.append((closing, 0, "</span>"))  # before any span opening at the same place
        return target

    def apply(self, source: str) -> str:
        out, position = [], 0
        for offset, _, text in sorted(self.inserts, key=lambda item: (item[0], item[1])):
            out.append(source[position:offset])
            out.append(text)
            position = offset
        out.append(source[position:])
        return "".join(out)


# --- the answer, mapped -------------------------------------------------------------------------


def map_answer(answer_html: str) -> Mapped:
    """The answer with ids on its definition, example and pitfall passages, and where each is."""
    parts: dict[str, Found | None] = dict.fromkeys(PARTS)
    if not answer_html.strip() or len(answer_html) > MAX_MAPPED_CHARS:
        return Mapped(answer_html, parts)
    try:
        root, elements = _parse(answer_html)
    except _NotRendered:
        return Mapped(answer_html, parts)
    finder, marks = _Finder(root, elements), _Marks()
    for part, (label, element) in finder.labelled().items():
        parts[part] = Found(part, "label", label, marks.id_for(element, part))
    marked: list[tuple[_Passage, str]] = []

    def point(part: str, passage: _Passage, detail: str) -> None:
        same = next((target for other, target in marked
                     if other.block is passage.block and other.span == passage.span), None)
        target = same or marks.mark(passage, part, finder.text(passage.block))
        marked.append((passage, target))
        parts[part] = Found(part, "rule", detail, target)

    definition = None
    if parts["definition"] is None and (definition := finder.definition()):
        point("definition", definition, "first sentence")
    if parts["example"] is None:
        code = finder.code_block()
        if code is not None:
            parts["example"] = Found("example", "rule", "code block", marks.id_for(code, "example"))
        elif found := finder.sentence_matching(EXAMPLE_RE, definition):
            point("example", found[0], f'"{found[1].lower()}"')
    if parts["pitfall"] is None and (found := finder.sentence_matching(PITFALL_RE, definition)):
        point("pitfall", found[0], f'"{found[1].lower()}"')
    return Mapped(marks.apply(answer_html), parts)


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
