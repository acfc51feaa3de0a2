"""Skipping the Markdown patterns that cannot match changes no byte of the HTML."""
from __future__ import annotations

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from ankideploy.gfm import GithubHabits
from ankideploy.highlight import HighlightedFences
from ankideploy.skip_patterns import BLOCK_TRIGGERS, TRIGGERS, SkipImpossiblePatterns

PIECES = ["word", "two words", " ", "  ", "\n", "\n\n", "    ", "`code`", "``", "\\", "\\*", "*", "**", "_", "__",
          "[", "]", "(", ")", "[link](https://example.com)", "![alt](pic.png)", "[ref]", "[ref]: https://e.com",
          "<", ">", "<b>", "</b>", "<https://example.com>", "<me@example.com>", "&", "&amp;", "&#60;", "~~",
          "https://example.com/x", "www.example.com", "#", "## Heading", "\n---\n", "\n===\n", "- item",
          "1. item", "> quote", "| a | b |\n|---|---|\n| 1 | 2 |", "```python\nx = 1\n```", "<!-- c -->",
          "  \n", "-", "***", "___", ":", "|", "!"]


def _markdown(skip: bool, extras: bool) -> markdown.Markdown:
    extensions = [HighlightedFences(), "tables", "sane_lists", GithubHabits(extras)]
    return markdown.Markdown(extensions=extensions + ([SkipImpossiblePatterns()] if skip else []),
                             output_format="html")


CONVERTERS = {(skip, extras): _markdown(skip, extras) for skip in (False, True) for extras in (False, True)}


def _both(text: str, extras: bool) -> tuple[str, str]:
    plain, skipping = (CONVERTERS[(skip, extras)].reset().convert(text) for skip in (False, True))
    return plain, skipping


def test_the_shortcuts_are_in_place():
    md = CONVERTERS[(True, True)]
    assert type(md.treeprocessors["inline"]).__name__ == "_SkippingInlineProcessor"
    names = {item.name for item in md.inlinePatterns._priority}
    assert names <= set(TRIGGERS), names - set(TRIGGERS)  # every pattern python-markdown registers is known
    assert set(BLOCK_TRIGGERS) <= {item.name for item in md.parser.blockprocessors._priority}


@given(st.lists(st.sampled_from(PIECES), max_size=25), st.booleans())
@settings(max_examples=600, deadline=None)
def test_skipping_changes_no_byte(pieces, extras):
    text = "".join(pieces)
    plain, skipping = _both(text, extras)
    assert skipping == plain


def test_every_kind_of_markup_still_renders():
    text = ("# H\n\nSetext\n===\n\n> q\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[r]: https://e.com\n\n"
            "`c` \\* *e* **s** [l](https://e.com) [r] ![i](p.png) <b>h</b> <https://a.b> &amp; ~~d~~ www.e.com  \nx")
    plain, skipping = _both(text, True)
    assert skipping == plain
    for piece in ("<h1>", "<h1>Setext</h1>", "<blockquote>", "<hr>", "<table>", "<code>c</code>", "*", "<em>e</em>",
                  "<strong>s</strong>", 'href="https://e.com"', "<img", "<b>h</b>", "&amp;", "<del>d</del>",
                  'href="http://www.e.com"', "<br>"):
        assert piece in skipping, piece
