"""Regenerating decks: v1 imported and reviewed, content edited, v2 re-imported with
Anki's default options. Identity, fields, tags, history and import counts are
checked in the real collection."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from conftest import build_decks, import_apkg, new_collection

LESSON = "episode-6-scaling-reliability-microservices-web3/6.9-interview-questions.md"
T1, T2 = 1_800_000_000, 1_800_000_500
IDS = {  # the stamped ids in content/ (checked against the file below)
    "Q1": "f464e7371f19496c", "Q2": "fa35f75dd3f7d042", "Q3": "a7e309bb6bc29fa6", "Q4": "d3e85bf19ee44b72",
    "Q5": "97a0b41b072c6dba", "QF3": "c5cb39e5cf422559",
}


def guid(key: str) -> str:
    return f"ad:{IDS[key]}"


class Scenario:
    """Builds v1, imports and reviews it, then builds and imports v2 after an edit."""

    def __init__(self, tmp_path: Path, content: Path, **options):
        self.tmp, self.content, self.options = tmp_path, content, options
        self.lesson = content / LESSON
        text = self.lesson.read_text(encoding="utf-8")
        for value in IDS.values():
            assert f"<!-- id: {value} -->" in text
        self.v1 = build_decks([content], tmp_path / "v1", epoch=T1, **options)
        assert self.v1.diagnostics.error_count == 0
        self.col = new_collection(tmp_path / "anki")
        log = import_apkg(self.col, self.v1.packages[0])
        assert len(log.new) == 21
        self.review()
        self.before = self.snapshot()

    def review(self):
        """Answer one card of each of Q1-Q5 and QF3 (twice for Q1) so they have history."""
        for key in ["Q1", "Q2", "Q3", "Q4", "Q5", "QF3", "Q1"]:
            card = self.card(guid(key))
            card.start_timer()
            self.col.sched.answerCard(card, 3)

    def card(self, g: str):
        nid = self.col.db.scalar("SELECT id FROM notes WHERE guid = ?", g)
        return self.col.get_note(nid).cards()[0]

    def snapshot(self) -> dict:
        notes = {}
        for nid, g in self.col.db.all("SELECT id, guid FROM notes"):
            note = self.col.get_note(nid)
            card = note.cards()[0]
            revlog = self.col.db.all("SELECT id, ease, ivl, lastIvl, factor, type FROM revlog WHERE cid = ?", card.id)
            notes[g] = {"nid": nid, "cid": card.id, "fields": list(note.fields), "tags": sorted(note.tags),
                        "schedule": (card.type, card.queue, card.due, card.ivl, card.factor, card.reps, card.lapses,
                                     card.did),
                        "revlog": revlog}
        return notes

    def edit(self, old: str, new: str, count: int = 1):
        text = self.lesson.read_text(encoding="utf-8")
        assert text.count(old) == count, old
        self.lesson.write_text(text.replace(old, new), encoding="utf-8")

    def rebuild(self):
        self.v2 = build_decks([self.content], self.tmp / "v2", epoch=T2, **self.options)
        assert self.v2.diagnostics.error_count == 0
        self.log = import_apkg(self.col, self.v2.packages[0])
        self.after = self.snapshot()
        return self.log

    def updated(self) -> set[str]:
        return {self.col.get_note(n.id.nid).guid for n in self.log.updated}

    def assert_history_kept(self):
        """Every note that existed keeps its id, card, schedule and every revlog row."""
        assert self.col.db.scalar("SELECT count() FROM revlog") == 7
        for g, old in self.before.items():
            new = self.after[g]
            assert (new["nid"], new["cid"]) == (old["nid"], old["cid"]), g
            assert new["schedule"] == old["schedule"], g
            assert new["revlog"] == old["revlog"], g
        assert len({a["fields"][0] for a in self.after.values()}) == len(self.after)  # no duplicate note

    def close(self):
        self.col.close()


@pytest.fixture
def scenario(tmp_path, content_copy):
    made = []

    def start(**options):
        made.append(Scenario(tmp_path, content_copy, **options))
        return made[0]

    yield start
    for s in made:
        s.close()


def question_text(s: Scenario, key: str) -> str:
    return s.after[guid(key)]["fields"][0]


def test_1_typo_fixed_in_a_question(scenario):
    s = scenario()
    s.edit("in front of Node.js?", "in front of a Node.js app?")
    log = s.rebuild()
    assert s.updated() == {guid("Q2")}
    assert len(log.new) == 0 and len(log.duplicate) == 20
    assert question_text(s, "Q2").endswith("in front of a Node.js app?")
    s.assert_history_kept()


def test_2_model_answer_rewritten(scenario):
    s = scenario()
    s.edit("Continuous Integration (CI) is the practice of automatically building and testing code every time "
           "someone pushes a commit.", "CI means every push is built and tested automatically, on a shared server.")
    s.rebuild()
    assert s.updated() == {guid("Q3")}
    assert "every push is built and tested automatically" in s.after[guid("Q3")]["fields"][1]
    s.assert_history_kept()


NEW_QUESTION = """### Q3. What is a container registry?

**Why interviewers ask:** Checks the basics of shipping images.

**Model answer:**

A registry stores and serves images, for example ECR or Docker Hub.

---

"""


def test_3_question_inserted_and_later_numbers_shift(scenario):
    s = scenario()
    text = s.lesson.read_text(encoding="utf-8")
    for n in range(11, 2, -1):  # renumber Q3..Q11 -> Q4..Q12, as an author would
        text = text.replace(f"### Q{n}.", f"### Q{n + 1}.")
    text = text.replace("## Beginner (Q1--Q4)", "## Beginner (Q1--Q5)").replace(
        "## Intermediate (Q5--Q8)", "## Intermediate (Q6--Q9)").replace("## Advanced (Q9--Q11)", "## Advanced (Q10--Q12)")
    text = text.replace("### Q4. What is the difference", NEW_QUESTION + "### Q4. What is the difference")
    s.lesson.write_text(text, encoding="utf-8")
    log = s.rebuild()
    assert len(log.new) == 1 and "container registry" in log.new[0].fields[0]
    assert s.updated() == set()  # renumbering and shifted lines are not edits
    assert len(s.after) == 22
    s.assert_history_kept()


def _block(text: str, number: int) -> str:
    m = re.search(rf"### Q{number}\. .*?(?=### Q|## )", text, re.S)
    return m.group(0)


def test_4_two_questions_swapped(scenario):
    s = scenario()
    text = s.lesson.read_text(encoding="utf-8")
    q1, q2 = _block(text, 1), _block(text, 2)
    swapped = text.replace(q1 + q2, q2.replace("### Q2.", "### Q1.") + q1.replace("### Q1.", "### Q2."))
    assert swapped != text
    s.lesson.write_text(swapped, encoding="utf-8")
    s.rebuild()
    assert s.updated() == set()
    # Q1's history (two reviews) stays with Q1's text, Q2's (one review) with Q2's.
    assert "multi-stage Docker build" in question_text(s, "Q1") and len(s.after[guid("Q1")]["revlog"]) == 2
    assert "reverse proxy" in question_text(s, "Q2") and len(s.after[guid("Q2")]["revlog"]) == 1
    s.assert_history_kept()


def test_5_question_moved_from_beginner_to_advanced(scenario):
    s = scenario()
    text = s.lesson.read_text(encoding="utf-8")
    q1 = _block(text, 1)
    text = text.replace(q1, "").replace("## Quick-fire", q1.replace("### Q1.", "### Q12.") + "## Quick-fire")
    s.lesson.write_text(text, encoding="utf-8")
    s.rebuild()
    assert s.updated() == {guid("Q1")}
    moved = s.after[guid("Q1")]
    assert moved["fields"][3] == "Advanced"
    assert "level::advanced" in moved["tags"] and "level::beginner" not in moved["tags"]
    s.assert_history_kept()


def test_6_quick_fire_row_edited_and_table_reordered(scenario):
    s = scenario()
    text = s.lesson.read_text(encoding="utf-8")
    rows = [line for line in text.split("\n") if re.match(r"^\| \d+ \|", line)]
    assert len(rows) == 10
    edited = [r.replace("Limits blast radius", "Shrinks the blast radius") for r in reversed(rows)]
    s.lesson.write_text(text.replace("\n".join(rows), "\n".join(edited)), encoding="utf-8")
    s.rebuild()
    assert s.updated() == {guid("QF3")}
    assert "Shrinks the blast radius" in s.after[guid("QF3")]["fields"][1]
    s.assert_history_kept()


def test_7_question_deleted_is_reported_as_retired(scenario, tmp_path):
    s = scenario()
    text = s.lesson.read_text(encoding="utf-8")
    s.lesson.write_text(text.replace(_block(text, 4), ""), encoding="utf-8")
    log = s.rebuild()
    assert [r["guid"] for r in s.v2.retired] == [guid("Q4")]
    assert s.v2.rows[0].counts["retired"] == 1
    assert len(log.new) == 0 and s.updated() == set()
    assert s.after.keys() == s.before.keys()  # the learner's note stays; nothing else changes
    s.assert_history_kept()
    from ankideploy.report import write_report
    report = json.loads(write_report(s.v2, tmp_path).read_text())
    assert report["retired"][0]["guid"] == guid("Q4") and report["retired"][0]["lesson"] == "6.9"


def test_8_template_and_css_change_updates_the_note_type_in_place(scenario, monkeypatch):
    s = scenario()
    from ankideploy import notetypes
    original = notetypes._read

    def changed(name):
        text = original(name)
        if name == "interview_front.html":
            return text.replace('<div class="ad-question">', '<div class="ad-question" data-v="2">')
        if name == "cards.css":
            return text + "\n.ad-v2 { color: #000; }\n"
        return text

    monkeypatch.setattr(notetypes, "_read", changed)
    log = s.rebuild()
    assert s.updated() == set() and len(log.new) == 0
    names = [m["name"] for m in s.col.models.all()]
    assert names.count("Interview Question (ankideploy)") == 1
    assert names.count("Quick-fire (ankideploy)") == 1
    assert not any(n.endswith("+") for n in names)
    card = s.card(guid("Q2"))
    assert 'data-v="2"' in card.render_output().question_text
    assert ".ad-v2" in card.render_output().css
    s.assert_history_kept()


def test_field_change_is_reported_with_what_learners_must_do(tmp_path, content_copy, monkeypatch):
    build_decks([content_copy], tmp_path / "v1", epoch=T1)
    from ankideploy import notetypes
    original = notetypes._read

    def more_fields(name):
        text = original(name)
        if name == "notetypes.json":
            spec = json.loads(text)
            spec["interview"]["fields"].append("Notes")
            return json.dumps(spec)
        return text

    monkeypatch.setattr(notetypes, "_read", more_fields)
    v2 = build_decks([content_copy], tmp_path / "v2", epoch=T2)
    notices = [n for n in v2.notices if "Interview Question" in n]
    assert len(notices) == 1 and "Merge note types" in notices[0] and "Notes" in notices[0]


def test_level_move_with_level_subdecks_is_reported_as_staying_in_old_deck(scenario):
    s = scenario(level_subdecks=True)
    text = s.lesson.read_text(encoding="utf-8")
    q1 = _block(text, 1)
    text = text.replace(q1, "").replace("## Quick-fire", q1.replace("### Q1.", "### Q12.") + "## Quick-fire")
    s.lesson.write_text(text, encoding="utf-8")
    s.rebuild()
    moved = [n for n in s.v2.notices if n.startswith("6.9 Q12 moved")]
    assert len(moved) == 1 and "::Beginner" in moved[0] and "::Advanced" in moved[0]
    # ...and that is what Anki does: the card stays where it was, the tags follow.
    assert s.col.decks.name(s.card(guid("Q1")).did).endswith("::Beginner")
    assert "level::advanced" in s.after[guid("Q1")]["tags"]
    s.assert_history_kept()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_builds_are_byte_identical(tmp_path, content_copy, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = build_decks([content_copy], tmp_path / "a")
    second = build_decks([content_copy], tmp_path / "b")
    assert sha(first.packages[0]) == sha(second.packages[0])
    assert all(row.counts["unchanged"] == 21 for row in second.rows)


def test_source_date_epoch_pins_a_build_without_state(tmp_path, content_copy):
    first = build_decks([content_copy], tmp_path / "a", epoch=T1, use_state=False)
    second = build_decks([content_copy], tmp_path / "b", epoch=T1, use_state=False)
    assert sha(first.packages[0]) == sha(second.packages[0])


def test_changed_note_gets_a_later_mtime_even_with_an_older_clock(tmp_path, content_copy):
    """A clock (or SOURCE_DATE_EPOCH) behind the previous build must not hide an edit."""
    build_decks([content_copy], tmp_path / "v1", epoch=T2)
    lesson = content_copy / LESSON
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("in front of Node.js?", "in front of Node?"),
                      encoding="utf-8")
    build_decks([content_copy], tmp_path / "v2", epoch=T1)
    state = json.loads((content_copy / "ankideploy-state.json").read_text())
    assert state["notes"][guid("Q2")]["mod"] == T2 + 1
    assert state["notes"][guid("Q1")]["mod"] == T2


def test_unstamped_question_keeps_identity_when_stamped(tmp_path, content_copy):
    """Stamping writes the id the build already derived: no note changes identity."""
    lesson = content_copy / LESSON
    unstamped = re.sub(r"\n<!-- id: [0-9a-f]+ -->", "", lesson.read_text(encoding="utf-8"))
    unstamped = re.sub(r" <!-- id: [0-9a-f]+ -->", "", unstamped)
    lesson.write_text(unstamped, encoding="utf-8")
    before = build_decks([content_copy], tmp_path / "a", use_state=False)
    from ankideploy.stamp import stamp_paths
    assert stamp_paths([content_copy]).stamped[0][1] == 21
    after = build_decks([content_copy], tmp_path / "b", use_state=False)
    guids = lambda r: sorted(n.spec.guid for n in r.planned)  # noqa: E731
    assert guids(before) == guids(after)
    assert guid("Q1") in guids(after)


def test_clashing_ids_are_an_error_naming_both_places(tmp_path, content_copy):
    lesson = content_copy / LESSON
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace(IDS["Q2"], IDS["Q1"]), encoding="utf-8")
    result = build_decks([content_copy], tmp_path / "out", use_state=False)
    errors = sorted((d.line, d.message) for d in result.diagnostics.items if d.severity == "error")
    lines = text.split("\n")
    q1 = lines.index("### Q1. What is a multi-stage Docker build and why should you use one?") + 1
    q2 = lines.index("### Q2. Why do you need a reverse proxy like Nginx in front of Node.js?") + 1
    assert [line for line, _ in errors] == [q1, q2]
    assert f":{q2}" in errors[0][1] and f":{q1}" in errors[1][1]
    assert result.packages == []


def test_a_copied_lesson_with_the_same_ids_builds_neither(tmp_path, content_copy):
    """Whichever file sorts first, a copy must never take over the original's notes."""
    lesson = content_copy / LESSON
    copy = lesson.parent / "6.10-interview-questions.md"
    copy.write_text(lesson.read_text(encoding="utf-8").replace("6.9 — Final", "6.10 — Final"), encoding="utf-8")
    result = build_decks([content_copy], tmp_path / "out", use_state=False)
    files = {d.path.rsplit("/", 1)[-1] for d in result.diagnostics.items if d.severity == "error"}
    assert files == {"6.9-interview-questions.md", "6.10-interview-questions.md"}
    assert result.planned == [] or not {n.spec.guid for n in result.planned} & {guid(k) for k in IDS}


def test_building_one_lesson_of_a_course_names_it_as_the_course_does(tmp_path, content_copy):
    full = build_decks([content_copy], tmp_path / "a", epoch=T1)
    one = build_decks([content_copy / LESSON], tmp_path / "b", epoch=T2)
    assert [n.spec.fields for n in one.planned] == [n.spec.fields for n in full.planned]
    assert one.rows[0].counts["unchanged"] == 21  # the course's state file was found and used
    assert not (content_copy / LESSON).parent.joinpath("ankideploy-state.json").exists()


def test_shipped_state_file_matches_the_shipped_content(tmp_path, content_copy):
    """content/ankideploy-state.json is current: rebuilding the shipped lessons changes no note."""
    import shutil
    from conftest import CONTENT
    shutil.copy(CONTENT / "ankideploy-state.json", content_copy / "ankideploy-state.json")
    result = build_decks([content_copy], tmp_path / "dist")
    assert result.rows[0].counts["unchanged"] == 21 and result.retired == []
    assert (content_copy / "ankideploy-state.json").read_bytes() == (CONTENT / "ankideploy-state.json").read_bytes()


def test_deleted_lesson_file_is_retired_when_the_whole_course_is_built(tmp_path, content_copy):
    build_decks([content_copy], tmp_path / "v1", epoch=T1)
    extra = content_copy / "episode-7-extra" / "7.1-extra.md"
    extra.parent.mkdir()
    extra.write_text("## Beginner\n\n### Q1. Extra?\n\n**Model answer:** Yes.\n", encoding="utf-8")
    build_decks([content_copy], tmp_path / "v2", epoch=T2)
    extra.unlink()
    one = build_decks([content_copy / LESSON], tmp_path / "v3", epoch=T2 + 1)
    assert one.retired == []  # a build of one lesson says nothing about the others
    whole = build_decks([content_copy], tmp_path / "v4", epoch=T2 + 2)
    assert [(r["lesson"], r["file"]) for r in whole.retired] == [("7.1", "episode-7-extra/7.1-extra.md")]


def test_a_lesson_that_fails_retires_nothing(tmp_path, content_copy):
    build_decks([content_copy], tmp_path / "v1", epoch=T1)
    lesson = content_copy / LESSON
    text = lesson.read_text(encoding="utf-8")
    empty_cell = text.replace("| Image size -- 80%+ reduction by excluding build tools and devDependencies", "| ")
    assert empty_cell != text
    lesson.write_text(empty_cell, encoding="utf-8")
    result = build_decks([content_copy], tmp_path / "v2", epoch=T2)
    assert result.diagnostics.error_count and result.retired == []
    state = json.loads((content_copy / "ankideploy-state.json").read_text())
    assert len(state["notes"]) == 21


def test_refresh_marks_every_note_changed(tmp_path, content_copy):
    build_decks([content_copy], tmp_path / "v1", epoch=T1)
    again = build_decks([content_copy], tmp_path / "v2", epoch=T2, refresh=True)
    assert again.rows[0].counts["changed"] == 21
    assert {n.mod for n in again.planned} == {T2}
