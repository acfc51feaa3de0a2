"""The command line for lessons in other shapes: ``check --explain`` shows the reading,
``--default-level`` and front matter give unlevelled questions a level (never a guess),
``--topic-subdecks`` files topics into subdecks, and ``--strict`` fails on skipped blocks."""
from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from conftest import build_decks, import_apkg, new_collection

SHAPES = Path(__file__).resolve().parent / "data" / "shapes"


def run_cli(*args):
    from ankideploy.cli import main
    return CliRunner().invoke(main, [str(a) for a in args])


def test_explain_lists_every_card_with_its_level_source_and_every_skipped_block(tmp_path):
    lesson = SHAPES / "17-warnings-intro.md"
    result = run_cli("check", "--explain", lesson)
    out = result.stdout
    assert result.exit_code == 0, result.output
    assert "lesson 9.17" in out
    assert "   27  question (heading) Q1 'Why is Redis fast?': beginner (from its section heading)" in out
    assert "   19  skipped: answer label" in out and "   69  skipped: question heading 'Still have questions?'" in out
    assert "6 cards: 6 questions, 0 quick-fire rows; 4 skipped blocks" in out
    lines = [line for line in out.splitlines() if line.startswith("  ") and line.strip()[:1].isdigit()
             and " cards: " not in line]
    numbers = [int(line.split()[0]) for line in lines]
    assert numbers == sorted(numbers) == [12, 19, 23, 27, 33, 41, 47, 55, 61, 69]


def test_explain_names_markers_front_matter_and_missing_levels(tmp_path):
    out = run_cli("check", "--explain", SHAPES / "16-topics-under-levels.md").stdout
    assert "beginner (from a marker on the question), topic 'Networking'" in out
    out = run_cli("check", "--explain", SHAPES / "11-front-matter-level.md").stdout
    assert "intermediate (from front matter 'level:')" in out
    out = run_cli("check", "--explain", SHAPES / "12-no-levels.md").stdout
    assert "no level (the lesson states none)" in out and "6 without a level" in out


def test_default_level_fills_only_questions_the_lesson_gives_none(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    for name in ("12-no-levels.md", "11-front-matter-level.md", "06-emoji-topics.md"):
        shutil.copy(SHAPES / name, course / name)
    result = build_decks([course], tmp_path / "dist", use_state=False, default_level="advanced")
    levels = {}
    for note in result.planned:
        if note.spec.kind == "interview":
            levels.setdefault(Path(note.spec.source_file).name, set()).add(note.spec.fields[3])
    assert levels["12-no-levels.md"] == {"Advanced"}
    assert levels["11-front-matter-level.md"] == {"Intermediate"}  # front matter wins
    assert levels["06-emoji-topics.md"] == {"Beginner", "Intermediate", "Advanced"}  # markers win
    assert not [d for d in result.diagnostics.items if d.severity == "note"]


def test_without_a_default_unlevelled_questions_have_no_level_and_one_note_per_file(tmp_path):
    result = run_cli("check", SHAPES / "12-no-levels.md")
    assert result.exit_code == 0
    notes = [line for line in result.stderr.splitlines() if ": note: " in line]
    assert len(notes) == 1 and "6 questions have no level" in notes[0]


def test_strict_makes_a_skipped_block_an_error(tmp_path):
    assert run_cli("check", SHAPES / "17-warnings-intro.md").exit_code == 0
    assert run_cli("check", "--strict", SHAPES / "17-warnings-intro.md").exit_code == 1
    assert run_cli("check", "--strict", SHAPES / "12-no-levels.md").exit_code == 0  # a note is not a warning


def test_topic_subdecks_only_when_asked(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(SHAPES / "16-topics-under-levels.md", course / "16.md")
    plain = build_decks([course], tmp_path / "d1", use_state=False)
    assert {n.spec.deck.split("::")[-1] for n in plain.planned} == {"9.16 — Cloud Infrastructure"} or \
        len({n.spec.deck for n in plain.planned}) == 1
    result = run_cli("build", course, "-o", tmp_path / "d2", "--no-state", "--topic-subdecks", "--no-cache")
    assert result.exit_code == 0, result.output
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, tmp_path / "d2" / "interview-questions.apkg")
        decks = {name.split("::")[-1] for name in col.decks.all_names()}
        assert {"Storage", "Compute", "Networking", "Reliability"} <= decks
        storage = col.find_notes('"deck:*::Storage"')
        assert storage and all("topic::storage" in col.get_note(n).tags for n in storage)
    finally:
        col.close()


def test_a_question_without_a_level_shows_no_level_badge(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(SHAPES / "12-no-levels.md", course / "12.md")
    shutil.copy(SHAPES / "01-house-variants.md", course / "01.md")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, result.packages[0])
        for cid in col.find_cards("note:Interview*"):
            card = col.get_card(cid)
            level = card.note()["Level"]
            assert ("class=\"ad-badge" in card.question()) == bool(level), level
        assert any(not col.get_card(c).note()["Level"] for c in col.find_cards("note:Interview*"))
    finally:
        col.close()
