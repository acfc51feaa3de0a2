"""Smaller habits seen in authors' files, each read as a person reads it (questions and
answers written out by hand), and what cannot be read refused at the line to change."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import answer_of, build_decks

FRONT = '---\nlesson: "8.1"\ntitle: Habits\n---\n# Habits\n\n'


def unmarked(answer: str) -> str:
    """The answer as rendered, without the marks Check yourself puts on its passages."""
    answer = re.sub(r'<span id="ad-say-\w+" class="ad-say-target">(.*?)</span>', r"\1", answer)
    return re.sub(r' id="ad-say-\w+" class="ad-say-target"', "", answer)


def read(tmp_path: Path, body: str):
    lesson = tmp_path / "course" / "8.1-habits.md"
    lesson.parent.mkdir(parents=True, exist_ok=True)
    lesson.write_text(FRONT + body, encoding="utf-8")
    result = build_decks([lesson.parent], tmp_path / "dist", use_state=False)
    # the answer after its "Check yourself" block (none of these answers has a part to point at)
    cards = [(n.spec.fields[0], unmarked(answer_of(n.spec.fields[1])) if n.spec.kind == "interview" else n.spec.fields[1])
             for n in result.planned]
    problems = [(d.line - 6, d.severity, d.message) for d in result.diagnostics.sorted() if d.severity != "note"]
    return cards, problems


@pytest.mark.parametrize("body, cards", [
    ("Q.1 What is a pod?\nAns.The smallest unit Kubernetes schedules.\n",
     [("What is a pod?", "<p>The smallest unit Kubernetes schedules.</p>")]),
    ("Q.2 What is a node?\nAns A machine that runs pods.\n",
     [("What is a node?", "<p>A machine that runs pods.</p>")]),
    ("Q3) What is a label?\nAns_1. A key and value on an object.\n",
     [("What is a label?", "<p>A key and value on an object.</p>")]),
    ("**Q:** Is a Service stable?\nNo answer label at all, just this line.\n",
     [("Is a Service stable?", "<p>No answer label at all, just this line.</p>")]),
    ("Q: Why use a Deployment\nrather than bare pods?\nA: It keeps the wanted number of pods running.\n",
     [("Why use a Deployment rather than bare pods?", "<p>It keeps the wanted number of pods running.</p>")]),
    ("Q: What is etcd?\nThe store that holds the cluster's state.\n",
     [("What is etcd?", "<p>The store that holds the cluster's state.</p>")]),
])
def test_question_and_answer_label_spellings(tmp_path, body, cards):
    got, problems = read(tmp_path, body)
    assert got == cards and problems == []


def test_bullets_with_indented_answers_are_questions_when_the_list_is_made_of_them(tmp_path):
    body = ("## Basic\n\n* What is a pod?\n  * The smallest unit.\n* What is a node?\n  * A machine.\n"
            "* Why labels?\n  * To select objects.\n* Predict the output\n  * It prints 3.\n* A plain bullet\n")
    got, problems = read(tmp_path, body)
    assert [q for q, _ in got] == ["What is a pod?", "What is a node?", "Why labels?", "Predict the output"]
    assert got[3][1] == "<ul>\n<li>It prints 3.</li>\n</ul>"
    assert problems == [(11, "warning", "text outside the questions of 'Basic' is not part of any card")]


def test_a_fence_opened_inside_a_fence_is_refused_at_the_line_with_what_to_change(tmp_path):
    body = ("## Basic\n\n### Q1. What is shown?\n\n```\nouter\n   ```python\n   x = 1\n   ```\n```\n\n"
            "### Q2. And then?\n\nThis.\n")
    _, problems = read(tmp_path, body)
    assert problems == [(10, "error", "this code fence is never closed: everything after it would vanish into it"
                             " (line 13 opened a fence inside the one opened at line 11, and line 15 closed the outer"
                             " one; give the outer block a longer fence, such as ````)")]


def test_a_file_with_no_questions_points_at_what_nearly_was_one(tmp_path):
    _, problems = read(tmp_path, "## Notes\n\nSome prose.\n\n**Any questions?**\n")
    assert len(problems) == 1 and problems[0][1] == "error"
    assert "not an interview-question lesson" in problems[0][2] and "line 11 looks like one" in problems[0][2]


def test_numbered_questions_set_in_code_with_the_answer_on_the_next_line(tmp_path):
    body = ("## Basic\n\n`1) Tell me about a project you led.`<br>\nThe billing rewrite: I planned it and shipped it.\n\n"
            "`2) Why this team?`<br>\nIts product is one I use every day.\n")
    got, problems = read(tmp_path, body)
    assert got == [("Tell me about a project you led.", "<p>The billing rewrite: I planned it and shipped it.</p>"),
                   ("Why this team?", "<p>Its product is one I use every day.</p>")]
    assert problems == []


def test_a_numbered_item_with_an_indented_answer_label_is_a_question(tmp_path):
    body = ("## Hard\n\n1. Explain how a mark-and-sweep collector works\n\n"
            "    `Answer`: It marks what the roots reach, then frees the rest.\n")
    got, problems = read(tmp_path, body)
    assert got == [("Explain how a mark-and-sweep collector works",
                    "<p>It marks what the roots reach, then frees the rest.</p>")]
    assert problems == []


def test_a_list_of_questions_with_answers_on_the_next_line(tmp_path):
    body = ("- What is a slice?\nA view over an array with a length and a capacity.\n"
            "- What is a map?\nA hash table from keys to values.\n"
            "- Why is a nil slice usable?\nAppending to it allocates.\n"
            "- Explain what a rune is.\nAn int32 holding one Unicode code point.\n")
    got, problems = read(tmp_path, body)
    assert [q for q, _ in got] == ["What is a slice?", "What is a map?", "Why is a nil slice usable?",
                                   "Explain what a rune is."]
    assert got[3][1] == "<p>An int32 holding one Unicode code point.</p>" and problems == []


def test_a_plain_line_titling_the_next_questions_is_not_part_of_the_answer_above(tmp_path):
    body = ("Q: What is a bean?\nA: An object the container creates and wires.\n\nInjection and Scopes\n\n"
            "Q: What is constructor injection?\nA: Dependencies given through the constructor.\n")
    got, problems = read(tmp_path, body)
    assert got == [("What is a bean?", "<p>An object the container creates and wires.</p>"),
                   ("What is constructor injection?", "<p>Dependencies given through the constructor.</p>")]
    assert problems == [(4, "warning", "text outside the questions of this section is not part of any card")]


def test_numbered_bold_questions_keep_their_numbering_even_without_a_question_mark(tmp_path):
    body = ("**1. What is an index?**\n\nA structure that finds rows without a full scan.\n\n"
            "**2. What are the join types? Name them.**\n\nInner, left, right and full.\n\n"
            "**3. What is a view?**\n\nA stored query. It is built in two steps:\n\n**1. Define** the query.\n\n"
            "**2. Name** it.\n\n**4. What does VACUUM do?**\n\nIt reclaims space from dead rows.\n")
    got, problems = read(tmp_path, body)
    assert [q for q, _ in got] == ["What is an index?", "What are the join types? Name them.", "What is a view?",
                                   "What does VACUUM do?"]
    assert "Define" in got[2][1] and "Name" in got[2][1] and problems == []


def test_a_stray_fence_after_the_last_answer_is_a_warning_not_a_lost_lesson(tmp_path):
    got, problems = read(tmp_path, "## Basic\n\n### Q1. What is a pod?\n\nThe smallest unit.\n\n```\nleftover chat\n")
    assert [q for q, _ in got] == ["What is a pod?"]
    assert problems == [(7, "warning", "this code fence is never closed: the rest of the file is shown as part of the"
                                       " answer above")]


def test_questions_set_as_quotes_dotted_numbers_and_anchors(tmp_path):
    body = ("## Basic\n\n> What is hoisting?\n\n**Answer:** Declarations move to the top of their scope.\n\n"
            "> Why use strict mode?\n**Answer:** It turns silent mistakes into errors.\n\n"
            "## Runtime\n\n### <a name=\"q21\"></a> 2.1 What is a stack?\n\nMemory for calls.\n\n"
            "### 2.2 Compare heap and stack\n\nThe heap holds what outlives a call.\n")
    got, problems = read(tmp_path, body)
    assert [q for q, _ in got] == ["What is hoisting?", "Why use strict mode?", "What is a stack?",
                                   "Compare heap and stack"]
    assert got[2][1] == "<p>Memory for calls.</p>" and problems == []
