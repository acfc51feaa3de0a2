"""Lesson 6.9 built and imported into a real Anki collection: notes, fields, tags, decks, order."""
from __future__ import annotations

import re

import pytest

from conftest import CONTENT, LESSON_MD, SEED_TXT, build_decks, import_apkg

EPISODE_DECK = "Episode 6 — Scaling Reliability Microservices Web3"
LESSON_DECK = f"{EPISODE_DECK}::6.9 — Final Production Deployment"


def seed_questions() -> list[dict]:
    """Questions read straight from the seed text (independently of the code under test)."""
    lines = SEED_TXT.read_text(encoding="utf-8").split("\n")
    questions, level = [], None
    for i, line in enumerate(lines):
        if m := re.match(r"^(Beginner|Intermediate|Advanced) \(", line):
            level = m.group(1)
        if m := re.match(r"^Q(\d+)\. (.*)$", line):
            body = []
            j = lines.index("Model answer:", i) + 1
            while j < len(lines) and not re.match(r"^(Q\d+\. |Quick-fire$|Advanced \(|Intermediate \()", lines[j]):
                if lines[j].strip():  # list numbers are <ol> markup in the card, not text
                    body.append(re.sub(r"^\d+\. ", "", lines[j].strip()))
                j += 1
            why = next(l for l in lines[i:] if l.startswith("Why interviewers ask: "))
            questions.append({"n": int(m.group(1)), "text": m.group(2), "level": level,
                              "why": why[len("Why interviewers ask: "):], "first": body[0], "last": body[-1]})
    return questions


def seed_quick_fire() -> list[tuple[str, str]]:
    text = SEED_TXT.read_text(encoding="utf-8")
    block = text.split("#QuestionOne-line answer\n", 1)[1].split("\n\n", 1)[0]
    rows = []
    for n, line in enumerate(block.strip().split("\n"), start=1):
        assert line.startswith(str(n))
        question, answer = line[len(str(n)):].split("?", 1)
        rows.append((question + "?", answer))
    return rows


def plain(html: str) -> str:
    """The text a learner reads; element boundaries (a link inside a sentence) add no space before punctuation."""
    from bs4 import BeautifulSoup
    text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
    return re.sub(r" ([,.;:!?])(?=\s|$)", r"\1", text)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from conftest import new_collection
    folder = tmp_path_factory.mktemp("core")
    result = build_decks([CONTENT], folder / "dist", use_state=False)
    assert result.diagnostics.items == []
    assert len(result.packages) == 1
    col = new_collection(folder / "anki")
    log = import_apkg(col, result.packages[0])
    yield col, log
    col.close()


def split_check_yourself(field: str) -> tuple[str, str]:
    """The "Check yourself" block that opens a Model Answer field, and the answer after it."""
    head, sep, answer = field.partition("</ul></div>")
    assert sep and head.startswith('<div class="ad-check"'), field[:80]
    return head + sep, answer


def notes_by_type(col, name_part: str):
    return [col.get_note(nid) for nid in col.find_notes("")
            if name_part in col.get_note(nid).note_type()["name"]]


def test_note_counts_per_level(imported):
    col, log = imported
    assert len(log.new) == 21
    assert len(col.find_notes("tag:level::beginner")) == 4
    assert len(col.find_notes("tag:level::intermediate")) == 4
    assert len(col.find_notes("tag:level::advanced")) == 3
    assert len(col.find_notes("tag:quick-fire")) == 10
    assert len(col.find_notes("tag:lesson::6.9 tag:episode::6")) == 21
    assert col.card_count() == 21  # one card per note


def test_question_fields_hold_the_seed_text(imported):
    col, _ = imported
    by_question = {plain(n["Question"]): n for n in notes_by_type(col, "Interview")}
    seed = seed_questions()
    assert len(seed) == 11
    for q in seed:
        note = by_question[q["text"]]
        check, answer = split_check_yourself(note["Model Answer"])
        assert plain(check).startswith("Check yourself Definition"), q["n"]
        answer = plain(answer)
        assert answer.startswith(q["first"]), q["n"]
        assert answer.endswith(q["last"]), q["n"]
        assert plain(note["Why Interviewers Ask"]) == q["why"]
        assert note["Level"] == q["level"]
        assert f"level::{q['level'].lower()}" in note.tags
        assert note["Lesson"] == "6.9 — Final Production Deployment"
        assert note["Episode"] == EPISODE_DECK
        assert re.fullmatch(r".+\.md:\d+", note["Source"])


def test_source_field_points_at_the_question_heading(imported):
    col, _ = imported
    lines = LESSON_MD.read_text(encoding="utf-8").split("\n")
    for note in notes_by_type(col, "Interview"):
        path, line = note["Source"].rsplit(":", 1)
        assert path.endswith("6.9-interview-questions.md")
        assert lines[int(line) - 1].startswith("### Q")
        assert plain(note["Question"]) in lines[int(line) - 1]


def test_quick_fire_rows(imported):
    col, _ = imported
    notes = {plain(n["Question"]): plain(n["Answer"]) for n in notes_by_type(col, "Quick-fire")}
    assert notes == dict(seed_quick_fire())


def test_answers_keep_lists_and_code(imported):
    col, _ = imported
    by_question = {plain(n["Question"])[:6]: n for n in notes_by_type(col, "Interview")}
    q9 = next(n for q, n in by_question.items() if q.startswith("Design"))
    # the YAML block is the answer's example: it carries the id "Check yourself" points at
    assert '<div class="hl ad-say-target" id="ad-say-example"><pre>' in q9["Model Answer"]
    assert "services/user-service/**" in plain(q9["Model Answer"])
    q5 = next(n for q, n in by_question.items() if q.startswith("Walk m"))
    assert split_check_yourself(q5["Model Answer"])[1].count("<li>") == 10


def test_decks_and_description(imported):
    col, _ = imported
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert {EPISODE_DECK, LESSON_DECK} <= names
    for cid in col.find_cards(""):
        assert col.decks.name(col.get_card(cid).did) == LESSON_DECK
    desc = col.decks.by_name(LESSON_DECK)["desc"]
    assert "Model answers for Docker deployment" in desc
    assert "Practice out loud -- definition --&gt; example --&gt; pitfall." in desc


def test_new_cards_come_in_document_order(imported):
    col, _ = imported
    cards = sorted((col.get_card(cid) for cid in col.find_cards("is:new")), key=lambda c: c.due)
    order = [plain(c.note()["Question"]) for c in cards]
    expected = [q["text"] for q in seed_questions()] + [q for q, _ in seed_quick_fire()]
    assert order == expected
    col.decks.select(col.decks.id_for_name(LESSON_DECK))
    first = col.sched.getCard()
    assert plain(first.note()["Question"]) == expected[0]


def test_level_subdecks(tmp_path):
    from conftest import new_collection
    result = build_decks([CONTENT], tmp_path / "dist", use_state=False, level_subdecks=True)
    col = new_collection(tmp_path / "anki")
    import_apkg(col, result.packages[0])
    counts = {}
    for cid in col.find_cards(""):
        name = col.decks.name(col.get_card(cid).did)
        counts[name] = counts.get(name, 0) + 1
    assert counts == {f"{LESSON_DECK}::Beginner": 4, f"{LESSON_DECK}::Intermediate": 4,
                      f"{LESSON_DECK}::Advanced": 3, f"{LESSON_DECK}::Quick-fire": 10}
    col.close()


def test_plain_text_seed_gives_the_same_notes(tmp_path):
    """Field for field, except Source (another file, other lines); the same GUIDs too."""
    md = build_decks([CONTENT], tmp_path / "md", use_state=False)
    txt = build_decks([SEED_TXT], tmp_path / "txt", use_state=False)
    assert txt.diagnostics.items == []

    def notes(result_dir):
        import sqlite3, zipfile
        with zipfile.ZipFile(next(result_dir.glob("*.apkg"))) as zf:
            data = zf.read("collection.anki2")
        path = result_dir / "c.db"
        path.write_bytes(data)
        db = sqlite3.connect(path)
        rows = {guid: (mid, flds.split("\x1f"), tags) for guid, mid, flds, tags in
                db.execute("SELECT guid, mid, flds, tags FROM notes")}
        db.close()
        return rows

    a, b = notes(tmp_path / "md"), notes(tmp_path / "txt")
    assert len(a) == 21 and a.keys() == b.keys()
    for guid in a:
        mid_a, fields_a, tags_a = a[guid]
        mid_b, fields_b, tags_b = b[guid]
        assert (mid_a, tags_a) == (mid_b, tags_b)
        assert fields_a[:-1] == fields_b[:-1], fields_a[0]
        assert fields_b[-1].startswith("6.9-seed.txt:")


def test_note_types_have_fixed_ids_fields_and_templates(imported, tmp_path):
    col, _ = imported
    interview, quick = col.models.get(1794512603101), col.models.get(1794512603102)
    assert interview["name"] == "Interview Question (ankideploy)" and quick["name"] == "Quick-fire (ankideploy)"
    assert [f["name"] for f in interview["flds"]] == ["Question", "Model Answer", "Why Interviewers Ask", "Level",
                                                      "Lesson", "Episode", "Source"]
    assert [f["name"] for f in quick["flds"]] == ["Question", "Answer", "Lesson", "Episode", "Source"]
    assert interview["sortf"] == 0 and quick["sortf"] == 0
    # A second collection, a second build: the same field and template ids (never random).
    from conftest import new_collection
    other = new_collection(tmp_path / "other")
    import_apkg(other, build_decks([CONTENT], tmp_path / "again", use_state=False).packages[0])
    again = other.models.get(1794512603101)
    assert [f["id"] for f in again["flds"]] == [f["id"] for f in interview["flds"]]
    assert [t["id"] for t in again["tmpls"]] == [t["id"] for t in interview["tmpls"]]
    assert all(f["id"] for f in interview["flds"])
    other.close()
