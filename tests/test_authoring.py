"""What authors really write: drafts in comments, unclosed fences, sub-headings, ids in odd places."""
from __future__ import annotations

from pathlib import Path

from conftest import answer_of, build_decks

HEAD = "## Beginner\n\n"


def build(tmp_path: Path, text: str, name: str = "1.1-lesson.md", **options):
    lesson = tmp_path / "course" / name
    lesson.parent.mkdir(parents=True, exist_ok=True)
    lesson.write_text(text, encoding="utf-8")
    result = build_decks([tmp_path / "course"], tmp_path / "dist", use_state=False, **options)
    problems = sorted((d.line, d.severity, d.message) for d in result.diagnostics.items)
    return result, problems


def questions(result) -> list[str]:
    return [n.spec.fields[0] for n in result.planned]


def test_unclosed_code_fence_is_an_error_at_its_line(tmp_path):
    text = HEAD + "### Q1. A?\n\n**Model answer:**\n\n```bash\nnpm ci\n\n### Q2. B?\n\n**Model answer:** b\n"
    _, problems = build(tmp_path, text)
    assert (7, "error") == problems[0][:2] and "never closed" in problems[0][2]


def test_commented_out_draft_question_stays_out(tmp_path):
    text = (HEAD + "### Q1. A?\n\n**Model answer:** a\n\n<!--\n### Q2. Draft?\n\n**Model answer:** draft\n-->\n\n"
            "### Q3. C?\n\n**Model answer:** c\n")
    result, problems = build(tmp_path, text)
    assert questions(result) == ["A?", "C?"] and problems == []
    assert "&lt;!--" not in result.planned[0].spec.fields[1] and "draft" not in result.planned[0].spec.fields[1]


def test_sub_headings_in_the_quick_fire_section_keep_their_tables(tmp_path):
    text = (HEAD + "### Q1. A?\n\n**Model answer:** a\n\n## Quick-fire\n\n### Docker\n\n| Question | Answer |\n|---|---|\n"
            "| One? | 1 |\n\n### Kubernetes\n\n| Question | Answer |\n|---|---|\n| Two? | 2 |\n")
    result, problems = build(tmp_path, text)
    assert questions(result) == ["A?", "One?", "Two?"] and problems == []


def test_unnumbered_heading_among_numbered_questions_belongs_to_the_answer_above(tmp_path):
    text = HEAD + "### Q1. A?\n\n**Model answer:** a\n\n### Example\n\nmore\n"
    result, problems = build(tmp_path, text)
    assert problems == [] and questions(result) == ["A?"]
    # "Example" alone on its heading is a label: the paragraph after it is the answer's example
    assert answer_of(result.planned[0].spec.fields[1]) == \
        '<p>a</p>\n<h3>Example</h3>\n<p id="ad-say-example" class="ad-say-target">more</p>'


def test_answer_without_label_and_why_after_it(tmp_path):
    text = HEAD + "### Q1. What is an image?\n\nA read-only template.\n\n**Why interviewers ask:** Basics.\n"
    result, problems = build(tmp_path, text)
    assert problems == []
    fields = result.planned[0].spec.fields
    # no sentence says what something is, nor gives an example or a pitfall: nothing is marked
    assert fields[0] == "What is an image?" and answer_of(fields[1]) == "<p>A read-only template.</p>"
    assert fields[2] == "Basics."


def test_front_matter_lesson_number_is_read_as_written(tmp_path):
    result, _ = build(tmp_path, "---\nlesson: 6.10\ntitle: Ten\n---\n" + HEAD + "### Q1. A?\n\n**Model answer:** a\n")
    assert "lesson::6.10" in result.planned[0].spec.tags and result.planned[0].spec.deck.endswith("6.10 — Ten")


def test_row_id_in_an_extra_column_is_found_and_stamp_is_idempotent(tmp_path):
    from ankideploy.stamp import stamp_paths
    text = "## Quick-fire\n\n| # | Question | Answer | Source |\n|---|---|---|---|\n| 1 | One? | 1 | book |\n"
    lesson = tmp_path / "course" / "1.1-lesson.md"
    build(tmp_path, text)
    assert stamp_paths([lesson]).stamped[0][1] == 1
    stamped = lesson.read_text(encoding="utf-8")
    assert stamp_paths([lesson]).stamped == [] and lesson.read_text(encoding="utf-8") == stamped
    result, _ = build(tmp_path, stamped)
    assert result.planned[0].spec.stamped and result.planned[0].spec.fields[:2] == ["One?", "1"]


def test_stamp_gives_repeated_questions_ids_of_their_own(tmp_path):
    from ankideploy.stamp import stamp_paths
    text = HEAD + "### Q1. Same?\n\n**Model answer:** a\n\n### Q2. Same?\n\n**Model answer:** b\n"
    _, problems = build(tmp_path, text)
    # one id for two questions: neither is built; and a learner would see the question twice
    assert [p[1] for p in problems] == ["error", "error", "warning"]
    lesson = tmp_path / "course" / "1.1-lesson.md"
    assert stamp_paths([lesson]).stamped[0][1] == 2
    result, problems = build(tmp_path, lesson.read_text(encoding="utf-8"))
    assert len({n.spec.guid for n in result.planned}) == 2
    assert [p[:2] for p in problems] == [(8, "warning")] and "repeats the one at line 3" in problems[0][2]


def test_plain_text_keeps_underscores_and_angle_brackets_literal(tmp_path):
    text = ("Interview Questions: Modules\n\nBeginner (Q1--Q1)\n\nQ1. What does __init__.py do?\n\n"
            "Model answer:\n\nIt marks a package; see <module> & friends.\n")
    result, problems = build(tmp_path, text, name="1.1-modules.txt")
    assert problems == []
    fields = result.planned[0].spec.fields
    assert fields[0] == "What does __init__.py do?"
    assert answer_of(fields[1]) == "<p>It marks a package; see &lt;module&gt; &amp; friends.</p>" or \
        answer_of(fields[1]) == "<p>It marks a package; see &lt;module> &amp; friends.</p>"


def test_fenced_code_inside_a_list_item_stays_code_in_that_item(tmp_path):
    text = HEAD + ("### Q1. How?\n\n**Model answer:**\n\n1. Install:\n\n   ```bash\n   # deps\n   npm ci\n   ```\n\n"
                   "2. Run it.\n")
    result, problems = build(tmp_path, text)
    answer = answer_of(result.planned[0].spec.fields[1])
    assert problems == []
    assert answer.count("<li>") == 2 and "<ol start" not in answer and "<h1>" not in answer
    item = answer.split("<li>")[1]
    # the answer's one code block is its example, so it carries the id "Check yourself" points at
    assert '<div class="hl ad-say-target" id="ad-say-example">' in item and '<span class="c1"># deps</span>' in item


def test_stamp_will_not_guess_which_repeated_question_owns_a_learners_note(tmp_path):
    from ankideploy.stamp import stamp_paths
    course = tmp_path / "course"
    lesson = course / "1.1-lesson.md"
    course.mkdir()
    lesson.write_text(HEAD + "### Q1. What is X?\n\n**Model answer:** old\n", encoding="utf-8")
    build_decks([course], tmp_path / "v1")  # learners now have the note of "What is X?"
    text = HEAD + "### Q0. What is X?\n\n**Model answer:** new\n\n### Q1. What is X?\n\n**Model answer:** old\n"
    lesson.write_text(text, encoding="utf-8")
    result = stamp_paths([course])
    assert sorted(d.line for d in result.diagnostics.items if d.severity == "error") == [3, 7]
    assert result.stamped == [] and lesson.read_text(encoding="utf-8") == text


def test_stamp_refuses_a_lesson_whose_number_is_a_guess(tmp_path):
    from ankideploy.stamp import stamp_paths
    lesson = tmp_path / "notes.md"
    lesson.write_text(HEAD + "### Q1. A?\n\n**Model answer:** a\n", encoding="utf-8")
    result = stamp_paths([lesson])
    assert result.stamped == [] and "no lesson number" in result.diagnostics.items[0].message
