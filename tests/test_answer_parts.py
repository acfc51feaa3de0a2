"""Definition, example, pitfall: which passage of a model answer plays each role.

Answers are written here by hand as the HTML the renderer makes; what each part should point
at is written by hand too. The rule only points: the text of the answer never changes.
"""
from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup

from ankideploy.answer_parts import PARTS, check_yourself_html, coverage_of, map_answer, with_check_yourself
from ankideploy.diagnostics import Diagnostics
from ankideploy.render import Media, Renderer


def render(markdown: str) -> str:
    return Renderer("t.md", None, None, Diagnostics(), Media()).block(markdown, 1)


def pointed(html_text: str, target: str) -> str:
    """The text of the element with that id."""
    element = BeautifulSoup(html_text, "html.parser").find(id=target)
    assert element is not None, f"no element with id {target}"
    return " ".join(element.get_text().split())


def summary(mapped) -> dict:
    return {part: (found.how, found.detail, pointed(mapped.html, found.target)) if found else None
            for part, found in mapped.parts.items()}


def test_labels_win_and_are_reported_as_labels():
    html_text = render(
        "Docker images are layered.\n\n"
        "**Definition:** A multi-stage build copies only the build output into a clean image.\n\n"
        "**For example,** a Node build stage runs `tsc`, and the runtime stage copies `dist/`.\n\n"
        "**Watch out:** secrets copied into the builder stay in its layers.\n")
    mapped = map_answer(html_text)
    assert summary(mapped) == {
        "definition": ("label", "Definition", "Definition: A multi-stage build copies only the build output into a"
                                              " clean image."),
        "example": ("label", "For example", "For example, a Node build stage runs tsc, and the runtime stage"
                                            " copies dist/."),
        "pitfall": ("label", "Watch out", "Watch out: secrets copied into the builder stay in its layers."),
    }


@pytest.mark.parametrize("label, part", [
    ("Example:", "example"), ("Examples:", "example"), ("For instance,", "example"), ("E.g.,", "example"),
    ("Pitfall:", "pitfall"), ("Common mistake:", "pitfall"), ("Gotcha:", "pitfall"), ("Watch out:", "pitfall"),
    ("Caveat:", "pitfall"), ("Beware:", "pitfall"), ("Anti-pattern:", "pitfall"), ("Definition:", "definition"),
    ("In short:", "definition"), ("pitfall:", "pitfall"), ("*Gotcha*:", "pitfall"),
])
def test_every_synonym_is_a_label(label, part):
    mapped = map_answer(render(f"Some opening words here.\n\n{label} the passage itself.\n"))
    found = mapped.parts[part]
    assert found is not None and found.how == "label"
    assert pointed(mapped.html, found.target).endswith("the passage itself.")


def test_a_label_on_its_own_points_at_the_block_after_it():
    mapped = map_answer(render("Intro sentence.\n\n**Example:**\n\n```python\nprint('hi')\n```\n"))
    found = mapped.parts["example"]
    assert (found.how, found.detail) == ("label", "Example")
    assert pointed(mapped.html, found.target) == "print('hi')"


def test_words_that_only_look_like_labels_are_not_labels():
    mapped = map_answer(render("Examples include caching and queues.\n\nMistakes happen.\n"))
    assert mapped.parts["example"] is None
    # "Mistakes happen." has no colon: not a label, but the pitfall rule may still see "mistakes"
    assert mapped.parts["pitfall"].how == "rule"


def test_rule_first_sentence_is_the_definition_only_when_it_defines():
    mapped = map_answer(render("SSL termination is where TLS is decrypted. It costs CPU.\n"))
    assert summary(mapped)["definition"] == ("rule", "first sentence", "SSL termination is where TLS is decrypted.")
    for opening in ("Immediate rollback happens in under 5 minutes:\n\n1. Step one.\n",
                    "Repository structure: a monorepo is used with shared libs.\n",
                    "The process has three steps: DNS, SSL and Nginx.\n",
                    "- A list is not a definition, even if it is one.\n"):
        assert map_answer(render(opening)).parts["definition"] is None, opening


def test_rule_code_block_then_for_example_sentence_is_the_example():
    mapped = map_answer(render("A thing is a thing. For instance, this one.\n\n```yaml\na: 1\n```\n"))
    assert summary(mapped)["example"] == ("rule", "code block", "a: 1")
    mapped = map_answer(render("A thing is a thing. Push an image (e.g., to ECR) and deploy it.\n"))
    assert summary(mapped)["example"] == ("rule", '"e.g."', "Push an image (e.g., to ECR) and deploy it.")


def test_rule_pitfall_is_the_first_sentence_about_mistakes_or_risks():
    mapped = map_answer(render(
        "A cache is a copy. It is fast.\n\n1. Keep it small.\n2. Never cache secrets. Rotate keys.\n\n"
        "The trade-off is staleness.\n"))
    assert summary(mapped)["pitfall"] == ("rule", '"never"', "Never cache secrets.")


def test_nothing_found_means_missing_not_guessed():
    mapped = map_answer(render("Step 1: do this.\n\nStep 2: do that.\n"))
    assert mapped.parts == {"definition": None, "example": None, "pitfall": None}
    assert mapped.html == render("Step 1: do this.\n\nStep 2: do that.\n")


def test_a_sentence_gets_its_own_span_and_the_text_never_changes():
    source = render("Node.js is *single-threaded* by design. Without a proxy it is **less secure**. The end.\n")
    mapped = map_answer(source)
    definition, pitfall = mapped.parts["definition"], mapped.parts["pitfall"]
    assert pointed(mapped.html, definition.target) == "Node.js is single-threaded by design."
    assert pointed(mapped.html, pitfall.target) == "Without a proxy it is less secure."
    assert BeautifulSoup(mapped.html, "html.parser").get_text() == BeautifulSoup(source, "html.parser").get_text()
    assert mapped.html == (
        '<p><span id="ad-say-definition" class="ad-say-target">Node.js is <em>single-threaded</em> by design.</span>'
        ' <span id="ad-say-pitfall" class="ad-say-target">Without a proxy it is <strong>less secure</strong>.</span>'
        ' The end.</p>')


def test_a_whole_paragraph_gets_the_id_itself():
    mapped = map_answer("<p>A proxy is a server.</p>\n\n<p>Never skip TLS.</p>")
    soup = BeautifulSoup(mapped.html, "html.parser")
    assert soup.find(id="ad-say-definition").name == "p" and soup.find(id="ad-say-pitfall").name == "p"
    assert mapped.html.replace(' id="ad-say-definition" class="ad-say-target"', "").replace(
        ' id="ad-say-pitfall" class="ad-say-target"', "") == "<p>A proxy is a server.</p>\n\n<p>Never skip TLS.</p>"


def test_the_rest_of_the_html_is_kept_byte_for_byte():
    source = ('<p>Tokens &amp; keys &lt;b&gt; were "quoted" \u2014 here.</p>\n\n<div class="hl"><pre><span></span>'
              '<code>x  =  1\n\n\ny</code></pre></div>\n<p><img src="a.png" alt="A" width="3"><br>\nnext</p>')
    mapped = map_answer(source)
    assert mapped.parts["example"].detail == "code block"
    assert mapped.html == source.replace('<div class="hl">', '<div class="hl ad-say-target" id="ad-say-example">')


def test_hostile_and_huge_answers_are_safe():
    assert map_answer("").parts == dict.fromkeys(PARTS)
    big = "<p>" + "Never. " * 40_000 + "</p>"
    mapped = map_answer(big)
    assert mapped.html == big and mapped.parts == dict.fromkeys(PARTS)
    nested = "<ul><li>" * 300 + "Avoid this." + "</li></ul>" * 300
    assert map_answer(nested).parts["pitfall"] is not None
    deep = "<p>" + "<em>" * 5000 + "A stack is a list. Never overflow it." + "</em>" * 5000 + "</p>"
    assert map_answer(deep).parts["definition"] is not None  # no recursion, however deep
    # not what the renderer makes (a bare "<"): left exactly as it is rather than guessed at
    odd = "<p>A is less than B: a < b. Never compare floats with ==.</p>"
    assert map_answer(odd).html == odd and map_answer(odd).parts == dict.fromkeys(PARTS)
    for hostile in ("<a " * 30_000, '<p title="' * 30_000, "<p>" + "&amp;" * 30_000, "<!--" * 30_000):
        started = time.perf_counter()
        map_answer(hostile)
        assert time.perf_counter() - started < 2, hostile[:12]


def test_entities_and_unclosed_tags_keep_offsets_right():
    source = "<p>Caf&eacute; &amp; bar is a place. Never &lt;skip&gt; it &#x263A;. End</p><p>open <b>bold"
    mapped = map_answer(source)
    assert pointed(mapped.html, "ad-say-definition") == "Café & bar is a place."
    assert pointed(mapped.html, "ad-say-pitfall") == "Never <skip> it ☺."
    assert mapped.html == ('<p><span id="ad-say-definition" class="ad-say-target">Caf&eacute; &amp; bar is a place.'
                           '</span> <span id="ad-say-pitfall" class="ad-say-target">Never &lt;skip&gt; it &#x263A;.'
                           '</span> End</p><p>open <b>bold')


def test_check_yourself_block_follows_the_contract():
    field = with_check_yourself(render("Docker is a runtime. Never run as root.\n"))
    soup = BeautifulSoup(field, "html.parser")
    parts = soup.select("[data-say-part]")
    assert [p["data-say-part"] for p in parts] == ["definition", "example", "pitfall"]
    for part in parts:
        if part.has_attr("data-missing"):
            assert not part.has_attr("data-target")
        else:
            assert soup.find(id=part["data-target"]) is not None
    assert parts[1].has_attr("data-missing") and "not in this answer" in parts[1].get_text()
    assert soup.select_one("div.ad-check").get_text(" ", strip=True).startswith("Check yourself")


def test_coverage_reads_back_what_the_block_says():
    field = with_check_yourself(render("**Pitfall:** x.\n\nA thing is a thing <b>a\"b</b>.\n"))
    coverage = coverage_of(field)
    assert coverage["pitfall"].how == "label" and coverage["pitfall"].detail == "Pitfall"
    assert coverage["example"] is None
    assert coverage_of("<p>no block</p>") == dict.fromkeys(PARTS)
    block = check_yourself_html({"definition": None, "example": None, "pitfall": None})
    assert block.count("data-missing") == 3


PITFALL_WORDS = ["pitfall", "Pitfalls", "MISTAKE", "mistakes", "gotcha", "Gotchas", "watch out", "Beware", "avoid",
                 "avoids", "Avoided", "avoiding", "never", "don't", "Don\u2019t", "do not", "must not", "should not",
                 "shouldn't", "shouldn\u2019t", "trade-off", "tradeoffs", "Caveat", "caveats", "risk", "Risks",
                 "risky", "dangerous", "anti-pattern", "antipatterns", "downside", "drawbacks", "less secure",
                 "insecure"]
EXAMPLE_WORDS = ["for example", "For Instance", "e.g.", "E. g.", "e.g"]


@pytest.mark.parametrize("pattern, words", [("PITFALL_RE", PITFALL_WORDS), ("EXAMPLE_RE", EXAMPLE_WORDS)])
def test_the_cheap_string_test_never_rules_out_a_match(pattern, words):
    """The stems stand in for the pattern only where the pattern cannot match."""
    from ankideploy import answer_parts
    regex = getattr(answer_parts, pattern)
    stems = answer_parts.HOLDS_ONE_OF[regex]
    matched = 0
    for word in words:
        text = f"In practice {word} here."
        if regex.search(text):
            matched += 1
            assert not answer_parts._cannot_hold(text, stems), word
    assert matched >= len(words) - 1  # "e.g" without its last dot is no match: the list is the pattern's
    assert answer_parts._cannot_hold("Nothing to see here", stems)
    assert not answer_parts._cannot_hold("Ni\u00f1o text is not ASCII", stems)  # left to the pattern
