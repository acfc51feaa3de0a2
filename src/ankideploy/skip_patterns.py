"""python-markdown's passes without the patterns that cannot match.

python-markdown tries every inline pattern (code spans, escapes, links, images, autolinks,
line breaks, HTML, entities, emphasis, ...) on every run of text, one regular expression
search each, and most of a build's Markdown time goes there. A pattern cannot match text
that lacks the character it starts with: a link needs ``[``, an entity ``&``, emphasis
``*`` or ``_``. Matching only replaces text with placeholders (which hold none of those
characters), so a pattern whose trigger is absent from the text when its turn comes would
find nothing: skipping it changes nothing in the output, only the time. The same holds for
the block processors that search a whole block: a heading needs ``#``, a quote ``>``, a
table ``|``.

Patterns this module does not know are always tried, and when python-markdown's inline
processor is not built the way this relies on, its own pass runs unchanged.
"""
from __future__ import annotations

from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString

# Registered pattern name -> one or two strings of which the text must hold one for it to match.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_reference": ("[",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "linebreak": ("  \n",),
    "html": ("<",),
    "entity": ("&",),
    "em_strong": ("*", "_"),
    "em_strong2": ("_",),
    "not_strong": ("*", "_"),
    "gfm_strikethrough": ("~~",),
    "gfm_bare_links": ("http", "www."),
}
# Registered block processor name -> whether a block can pass its test at all.
BLOCK_TRIGGERS = {
    "hashheader": lambda block: "#" in block,
    "setextheader": lambda block: "\n=" in block or "\n-" in block,  # the second line underlines the first
    "hr": lambda block: block.count("-") >= 3 or block.count("*") >= 3 or block.count("_") >= 3,
    "quote": lambda block: ">" in block,
    "reference": lambda block: "]:" in block,
    "table": lambda block: "|" in block,
}
_PRIVATE = ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern")


class _SkippingInlineProcessor(InlineProcessor):
    """The inline pass, each pattern tried only on text that holds its trigger."""

    def __init__(self, md):
        super().__init__(md)
        # The registry in priority order, as python-markdown walks it; a plain list is faster to index.
        registry = self.inlinePatterns
        self._patterns = [registry[i] for i in range(len(registry))]
        self._triggers = [TRIGGERS.get(item.name) for item in registry._priority]

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802 (overrides)
        if isinstance(data, AtomicString):
            return data
        apply, patterns, triggers = self._InlineProcessor__applyPattern, self._patterns, self._triggers
        start, count = 0, len(patterns)
        while patternIndex < count:
            needed = triggers[patternIndex]
            if needed is not None and not (needed[0] in data or (len(needed) > 1 and needed[1] in data)):
                patternIndex, start = patternIndex + 1, 0  # as python-markdown does after a miss
                continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class SkipImpossiblePatterns(Extension):
    """Put last among the extensions: it reads the inline patterns they registered."""

    def extendMarkdown(self, md) -> None:
        if all(hasattr(InlineProcessor, name) for name in _PRIVATE) and hasattr(md.inlinePatterns, "_priority"):
            md.treeprocessors.register(_SkippingInlineProcessor(md), "inline", 20)
        for name, can_pass in BLOCK_TRIGGERS.items():
            if name in md.parser.blockprocessors:
                processor = md.parser.blockprocessors[name]
                processor.test = _prefiltered(processor.test, can_pass)


def _prefiltered(test, can_pass):
    return lambda parent, block: can_pass(block) and test(parent, block)
