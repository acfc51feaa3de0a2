"""What a build says about its version: the retired memory in the state file, the manifest
inside the package, course.json beside it, the report, and the changelog in the deck
description, checked after a real re-import into Anki."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile

from click.testing import CliRunner

from ankideploy.cli import main
from conftest import build_decks, import_apkg, new_collection

LESSON = "episode-6-scaling-reliability-microservices-web3/6.9-interview-questions.md"
DECK = "Episode 6 — Scaling Reliability Microservices Web3::6.9 — Final Production Deployment"
Q4_ID = "d3e85bf19ee44b72"
Q4_TEXT = "How do you connect a custom domain to your server and enable HTTPS?"
T1, T2, T3 = 1_800_000_000, 1_800_086_400, 1_800_172_800


def delete_q4(content):
    lesson = content / LESSON
    text = lesson.read_text(encoding="utf-8")
    block = re.search(r"### Q4\. .*?(?=### Q|## )", text, re.S).group(0)
    lesson.write_text(text.replace(block, ""), encoding="utf-8")
    return block


def manifest_of(package) -> tuple[str, dict]:
    with zipfile.ZipFile(package) as archive:
        media = json.loads(archive.read("media"))
        [(key, name)] = [(k, v) for k, v in media.items() if v.startswith("_ankideploy-")]
        return name, json.loads(archive.read(key))


def test_retired_note_is_remembered_in_the_state_file_until_it_comes_back(tmp_path, content_copy):
    state_path = content_copy / "ankideploy-state.json"
    build_decks([content_copy], tmp_path / "dist", epoch=T1)
    assert "retired" not in json.loads(state_path.read_text())  # older state files stay as they were
    block = delete_q4(content_copy)
    second = build_decks([content_copy], tmp_path / "dist", epoch=T2)
    state = json.loads(state_path.read_text())
    assert state["retired"] == {f"ad:{Q4_ID}": {
        "id": Q4_ID, "lesson": "6.9", "label": "6.9 Q4", "question": Q4_TEXT,
        "file": LESSON, "deck": DECK, "retired": T2}}
    assert f"ad:{Q4_ID}" not in state["notes"]
    assert second.rows[0].counts["retired"] == 1
    # a later build, with the question still gone, still reports it (not counted again)
    third = build_decks([content_copy], tmp_path / "dist", epoch=T3)
    assert third.rows[0].counts["retired"] == 0
    assert [(r["guid"], r["since"], r["this_build"], r["question"]) for r in third.retired] == [
        (f"ad:{Q4_ID}", T2, False, Q4_TEXT)]
    report = json.loads((tmp_path / "dist" / "ankideploy-report.json").read_text())
    assert [r["guid"] for r in report["retired"]] == [f"ad:{Q4_ID}"]
    # it comes back under the same id: un-retired, and a change (newer than its retirement)
    lesson = content_copy / LESSON
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("## Quick-fire", block + "## Quick-fire", 1),
                      encoding="utf-8")
    back = build_decks([content_copy], tmp_path / "dist", epoch=T3 + 10)
    assert back.rows[0].counts["changed"] == 1 and back.rows[0].counts["new"] == 0 and back.retired == []
    assert "retired" not in json.loads(state_path.read_text())
    assert [n.mod for n in back.planned if n.spec.guid == f"ad:{Q4_ID}"] == [T3 + 10]


def test_manifest_and_course_json(tmp_path, content_copy):
    build_decks([content_copy], tmp_path / "dist", epoch=T1)
    delete_q4(content_copy)
    (content_copy / LESSON).write_text((content_copy / LESSON).read_text(encoding="utf-8").replace(
        "in front of Node.js?", "in front of a Node.js app?"), encoding="utf-8")
    result = build_decks([content_copy], tmp_path / "dist", epoch=T2, release="v2")
    name, manifest = manifest_of(result.packages[0])
    assert name == "_ankideploy-final-production-deployment-v2-20270116T080000Z.json"
    assert manifest["course"] == "Final Production Deployment" and manifest["version"] == "v2"
    assert manifest["time"] == T2 and len(manifest["guids"]) == 20 and f"ad:{Q4_ID}" not in manifest["guids"]
    assert manifest["retired"] == [{"guid": f"ad:{Q4_ID}", "lesson": "6.9", "label": "6.9 Q4",
                                    "question": Q4_TEXT, "since": T2}]
    assert manifest["changelog"] == {
        "new": [],
        "changed": [{"guid": "ad:fa35f75dd3f7d042", "lesson": "6.9", "label": "6.9 Q2",
                     "question": "Why do you need a reverse proxy like Nginx in front of a Node.js app?"}],
        "retired": [{"guid": f"ad:{Q4_ID}", "lesson": "6.9", "label": "6.9 Q4", "question": Q4_TEXT}]}
    course = json.loads((tmp_path / "dist" / "course.json").read_text())
    package = result.packages[0]
    assert course["name"] == "Final Production Deployment" and course["version"] == "v2"
    assert course["packages"] == [{"file": "interview-questions.apkg", "size": package.stat().st_size,
                                   "sha256": hashlib.sha256(package.read_bytes()).hexdigest(), "manifest": name}]
    assert course["changelog"] == manifest["changelog"]


def test_a_rebuild_from_the_committed_state_gives_the_same_bytes(tmp_path, content_copy):
    """The workflow's CI build after the author's local build: same package, same course.json."""
    build_decks([content_copy], tmp_path / "v1", epoch=T1)
    delete_q4(content_copy)
    local = build_decks([content_copy], tmp_path / "local", epoch=T2)
    ci = build_decks([content_copy], tmp_path / "ci", epoch=T3)
    assert ci.rows[0].counts["unchanged"] == 20
    for name in ("interview-questions.apkg", "course.json"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ci" / name).read_bytes(), name
    assert [c.guid for c in local.release.changelog.retired] == [f"ad:{Q4_ID}"]


def test_per_lesson_packages_each_have_their_own_manifest(tmp_path, content_copy):
    extra = content_copy / "episode-7-extra" / "7.1-extra.md"
    extra.parent.mkdir()
    extra.write_text("# Extra\n\n## Beginner\n\n### Q1. Extra?\n\n**Model answer:** Yes.\n", encoding="utf-8")
    result = build_decks([content_copy], tmp_path / "dist", epoch=T1, per_lesson=True)
    names = [manifest_of(p)[0] for p in result.packages]
    assert len(set(names)) == 2
    course = json.loads((tmp_path / "dist" / "course.json").read_text())
    assert [p["file"] for p in course["packages"]] == [p.name for p in result.packages]
    assert [p["manifest"] for p in course["packages"]] == names


def test_reimport_updates_the_deck_description_with_the_changelog(tmp_path, content_copy):
    first = build_decks([content_copy], tmp_path / "dist", epoch=T1)
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, first.packages[0])
        desc = col.decks.by_name(DECK)["desc"]
        assert "Model answers for Docker deployment" in desc
        assert "<b>Final Production Deployment 2027-01-15</b>: 21 questions." in desc
        delete_q4(content_copy)
        second = build_decks([content_copy], tmp_path / "dist", epoch=T2)
        import_apkg(col, second.packages[0])
        desc = col.decks.by_name(DECK)["desc"]
        assert "What changed in Final Production Deployment 2027-01-16" in desc
        assert f"Retired:</p><ul><li>6.9 Q4: {Q4_TEXT}</li></ul>" in desc
        search = re.search(r"<code>(nid:[\d,]+)</code>", desc).group(1)
        found = col.find_notes(search)
        assert [col.get_note(n).guid for n in found] == [f"ad:{Q4_ID}"]
    finally:
        col.close()


def test_release_option_on_the_command_line(tmp_path, content_copy):
    result = CliRunner().invoke(main, ["build", str(content_copy), "-o", str(tmp_path / "dist"), "--no-cache",
                                       "--release", "2026-12-01"])
    assert result.exit_code == 0, result.output
    course = json.loads((tmp_path / "dist" / "course.json").read_text())
    assert course["version"] == "2026-12-01" and course["label"] == "2026-12-01"
    assert "version 2026-12-01: 21 new, 0 changed, 0 retired" in result.output
    report = json.loads((tmp_path / "dist" / "ankideploy-report.json").read_text())
    assert report["course"]["version"] == "2026-12-01" and report["course"]["changelog"]["new"] == 21


def test_a_retired_question_without_its_old_package_is_named_by_its_label(tmp_path, content_copy):
    build_decks([content_copy], tmp_path / "v1", epoch=T1)
    delete_q4(content_copy)
    shutil.rmtree(tmp_path / "v1")
    result = build_decks([content_copy], tmp_path / "v2", epoch=T2)
    assert result.release.changelog.retired[0].question == "6.9 Q4"


def test_the_workflow_publishes_course_json_with_the_packages():
    import yaml
    from conftest import REPO
    flow = yaml.safe_load((REPO / ".github" / "workflows" / "decks.yml").read_text())
    release = " ".join(str(step.get("run", "")) for step in flow["jobs"]["release"]["steps"])
    assert "dist/course.json" in release and "dist/*.apkg" in release
    assert "releases/latest/download/course.json" in release
