"""Identity holds for every shape: ``stamp`` writes each id where the shape carries it and
changes no other byte; stamped lessons keep every GUID; and editing a stamped lesson in any
shape updates the learner's notes in place, with their review history, in a real collection."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import build_decks, import_apkg, new_collection

SHAPES = Path(__file__).resolve().parent / "data" / "shapes"
LESSONS = sorted(p for p in SHAPES.glob("*.md") if p.name != "README.md")
ID_COMMENT_RE = re.compile(rb" ?<!-- id: [0-9a-f]{16} -->(\r\n|\r|\n)?")


def _guids(result) -> dict[int, str]:
    return {n.spec.location.line: n.spec.guid for n in result.planned}


def _stamp(path: Path):
    from ankideploy.stamp import stamp_paths
    return stamp_paths([path])


@pytest.fixture
def course(tmp_path) -> Path:
    folder = tmp_path / "course"
    folder.mkdir()
    for lesson in LESSONS:
        shutil.copy(lesson, folder / lesson.name)
    return folder


def test_stamping_every_shape_keeps_every_guid_and_adds_only_id_comments(tmp_path, course):
    before = {p.name: p.read_bytes() for p in course.glob("*.md")}
    unstamped = build_decks([course], tmp_path / "d1", use_state=False, write=False)
    guids = sorted(n.spec.guid for n in unstamped.planned)
    result = _stamp(course)
    assert not result.diagnostics.error_count, [str(d) for d in result.diagnostics.items]
    assert sum(count for _, count in result.stamped) == len(guids)
    stamped = build_decks([course], tmp_path / "d2", use_state=False, write=False)
    assert sorted(n.spec.guid for n in stamped.planned) == guids
    assert all(n.spec.stamped for n in stamped.planned), [n.spec.label for n in stamped.planned if not n.spec.stamped]
    for path in course.glob("*.md"):
        data = path.read_bytes()
        # Removing the comments (and the line a comment was given under a heading) gives the original back.
        assert _without_ids(data) == before[path.name], path.name
    assert _stamp(course).stamped == []  # idempotent


def _without_ids(data: bytes) -> bytes:
    lines = re.findall(rb"[^\r\n]*(?:\r\n|\r|\n|$)", data)
    out = []
    for line in lines:
        if re.fullmatch(rb"<!-- id: [0-9a-f]{16} -->(\r\n|\r|\n)?", line):
            continue
        out.append(re.sub(rb" <!-- id: [0-9a-f]{16} -->", b"", line))
    return b"".join(out)


def test_ids_go_where_each_shape_carries_them(tmp_path):
    lesson = tmp_path / "course" / "9.90-shapes.md"
    lesson.parent.mkdir()
    lesson.write_bytes(
        b"# Sites\n\n## Beginner\n\n### Q1. Heading?\n\nA heading answer.\n\n## Senior\n\n**Q2. Bold line?**\n\nBold answer.\n\n"
        b"Q: Plain q?\r\nA: Plain answer.\n\n1. **List question?**\n   List answer.\n\n"
        b"<details>\n<summary>Details question?</summary>\n\nDetails answer.\n\n</details>\n\n"
        b"## Rapid-fire\n\n- Q: Arrow? \xe2\x86\x92 yes\n- **Bold row?** sure\n\n"
        b"Question | Answer\n--- | ---\nPipe at end? | a \\|\n| Outer? | b |\n")
    assert not _stamp(lesson).diagnostics.error_count
    text = lesson.read_bytes().decode()
    for pattern in [r"### Q1\. Heading\?\n<!-- id: \w+ -->\n", r"\*\*Q2\. Bold line\?\*\* <!-- id: \w+ -->\n",
                    r"Q: Plain q\? <!-- id: \w+ -->\r\nA: Plain", r"1\. \*\*List question\?\*\* <!-- id: \w+ -->\n",
                    r"<summary>Details question\? <!-- id: \w+ --></summary>", r"- Q: Arrow\? → yes <!-- id: \w+ -->\n",
                    r"- \*\*Bold row\?\*\* sure <!-- id: \w+ -->\n", r"Pipe at end\? \| a \\\| <!-- id: \w+ -->\n",
                    r"\| Outer\? \| b <!-- id: \w+ --> \|\n"]:
        assert re.search(pattern, text), (pattern, text)
    result = build_decks([lesson.parent], tmp_path / "d", use_state=False)
    assert not result.diagnostics.error_count and all(n.spec.stamped for n in result.planned)
    pipe = next(n.spec for n in result.planned if n.spec.fields[0] == "Pipe at end?")
    assert pipe.fields[1] == "a |"  # the escaped pipe is still the answer's own


def test_stamp_keeps_every_other_byte_mode_and_links(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    real = folder / "9.91-real.md"
    data = (b"\xef\xbb\xbf# Bytes\r\n\r\n## Senior\r\n\r\n### Q1. Mixed endings?\n\nForm\x0cfeed and trailing  \r\n"
            b"stay.\r\n\r\n### Q2. Last?\rLone CR line.\r")
    real.write_bytes(data)
    os.chmod(real, 0o640)
    link = folder / "9.92-link.md"
    hard = tmp_path / "elsewhere.md"
    os.link(real, hard)
    os.symlink(real.name, link)
    assert not _stamp(link).diagnostics.error_count
    assert link.is_symlink() and os.stat(real).st_mode & 0o777 == 0o640
    stamped = real.read_bytes()
    assert hard.read_bytes() == stamped and os.stat(hard).st_ino == os.stat(real).st_ino
    assert _without_ids(stamped) == data
    assert b"\x0c" in stamped and b"trailing  \r\n" in stamped and b"Last?\r<!-- id: " in stamped


def _review_all(col) -> dict[int, int]:
    """Answer every card once; the number of review-log rows per note."""
    from anki.scheduler.v3 import CardAnswer

    for cid in col.find_cards(""):
        card = col.get_card(cid)
        card.start_timer()
        states = col._backend.get_scheduling_states(card.id)
        answer = col.sched.build_answer(card=card, states=states, rating=CardAnswer.GOOD)
        col.sched.answer_card(answer)
    counts: dict[int, int] = {}
    for nid in col.find_notes(""):
        cids = col.card_ids_of_note(nid)
        counts[nid] = sum(col.db.scalar(f"select count() from revlog where cid = {cid}") for cid in cids)
    return counts


def test_edited_stamped_lessons_update_notes_in_place_with_their_history(tmp_path, course):
    assert not _stamp(course).diagnostics.error_count
    first = build_decks([course], tmp_path / "d1", epoch=1_800_000_000)
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, first.packages[0])
        note_ids = sorted(col.find_notes(""))
        history = _review_all(col)
        edited = _edit_one_question_per_shape(course)
        second = build_decks([course], tmp_path / "d2", epoch=1_800_000_100)
        log = import_apkg(col, second.packages[0])
        assert sorted(col.find_notes("")) == note_ids  # no note added, none lost
        assert len(log.updated) == len(edited) and not log.new
        texts = " ".join(col.get_note(nid).fields[0] for nid in note_ids)
        for marker in edited:
            assert marker in texts
        after = {nid: sum(col.db.scalar(f"select count() from revlog where cid = {cid}")
                          for cid in col.card_ids_of_note(nid)) for nid in note_ids}
        assert after == history
    finally:
        col.close()


def _edit_one_question_per_shape(course: Path) -> list[str]:
    """Change the wording of one question of each shape; the markers the new texts carry."""
    from ankideploy.diagnostics import Diagnostics
    from ankideploy.sources import SourceFile, read_lesson

    wanted = {"heading": "01-house-variants.md", "bold": "02-bold-questions.md", "q-a": "03-qa-pairs.md",
              "list": "04-numbered-list.md", "details": "05-details-blocks.md"}
    markers = []
    for shape, name in wanted.items():
        path = course / name
        lesson = read_lesson(SourceFile(path, name, name, course), Diagnostics())
        question = next(q for q in lesson.questions if q.shape == shape)
        marker = f"reworded {shape}"
        lines = path.read_bytes().split(b"\n")
        index = question.location.line - 1
        words = question.text.split()[-1].encode()
        assert words in lines[index], (name, lines[index])
        lines[index] = lines[index].replace(words, marker.encode() + b" " + words, 1)
        path.write_bytes(b"\n".join(lines))
        markers.append(marker)
    path = course / "13-quickfire-shapes.md"
    lesson = read_lesson(SourceFile(path, path.name, path.name, course), Diagnostics())
    for row in [r for r in lesson.quick_fire if r.shape in ("bullet", "q-a")][:2]:
        marker = f"reworded {row.shape} row"
        lines = path.read_bytes().split(b"\n")
        words = row.question.split()[0].encode()
        lines[row.location.line - 1] = lines[row.location.line - 1].replace(words, marker.encode() + b" " + words, 1)
        path.write_bytes(b"\n".join(lines))
        markers.append(marker)
    return markers
