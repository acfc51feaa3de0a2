"""Course updates in the real `anki` backend: successive builds of a course (edit, insert,
delete, bring back, level move) imported into one collection with reviews between, each
followed by the add-on's update logic; and the download checks against a real HTTP server
on 127.0.0.1 (wrong sha256, truncated package, 404, server down, hostile zips)."""
from __future__ import annotations

import hashlib
import http.server
import json
import re
import shutil
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, build_decks, new_collection

sys.path.insert(0, str(REPO))  # the add-on folder as a package: addon.course, addon.fetch
from addon import course, fetch  # noqa: E402

LESSON = "episode-6-scaling-reliability-microservices-web3/6.9-interview-questions.md"
IDS = {"Q1": "f464e7371f19496c", "Q2": "fa35f75dd3f7d042", "Q4": "d3e85bf19ee44b72", "Q5": "97a0b41b072c6dba"}


def guid(key: str) -> str:
    return f"ad:{IDS[key]}"


def _block(text: str, number: int) -> str:
    return re.search(rf"### Q{number}\. .*?(?=### Q|## )", text, re.S).group(0)


def everything(col) -> dict:
    """Every note, card and revlog row: what 'untouched' is checked against."""
    return {"notes": col.db.all("SELECT * FROM notes ORDER BY id"),
            "cards": col.db.all("SELECT * FROM cards ORDER BY id"),
            "revlog": col.db.all("SELECT * FROM revlog ORDER BY id")}


class Course:
    """A course folder rebuilt step by step, its packages imported into one collection."""

    def __init__(self, tmp: Path, content: Path):
        self.tmp, self.content, self.lesson = tmp, content, content / LESSON
        self.col = new_collection(tmp / "anki")
        self.version, self.epoch = 0, 1_800_000_000

    def build(self, **options):
        self.version += 1
        self.epoch += 1000
        result = build_decks([self.content], self.tmp / "dist", epoch=self.epoch, **options)
        assert result.diagnostics.error_count == 0
        return result

    def update(self, result, policy: str = "suspend") -> course.Outcome:
        package = result.packages[0]
        manifest = fetch.check_package(str(package))
        outcome, _ = course.import_and_apply(self.col, [(str(package), manifest)], policy)
        # the changelog says what Anki's importer really did
        log = result.release.changelog
        assert guids_of(self.col, outcome.new) == {x.guid for x in log.new}
        assert guids_of(self.col, outcome.changed) == {x.guid for x in log.changed}
        return outcome

    def note(self, key: str):
        return self.col.get_note(self.col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid(key)))

    def review(self, *keys: str) -> None:
        for key in keys:
            card = self.note(key).cards()[0]
            card.start_timer()
            self.col.sched.answerCard(card, 3)

    def edit(self, old: str, new: str) -> None:
        text = self.lesson.read_text(encoding="utf-8")
        assert old in text, old
        self.lesson.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def course_run(tmp_path, content_copy):
    run = Course(tmp_path, content_copy)
    yield run
    run.col.close()


def guids_of(col, nids) -> set[str]:
    return {col.get_note(nid).guid for nid in nids}


def test_successive_builds_update_retire_and_revive(course_run):
    c = course_run
    v1 = c.build()
    first = c.update(v1)
    assert len(first.new) == 21 and first.changed == [] and first.retired == []
    assert course.summary(first) == f"Final Production Deployment {v1.release.label}: 0 questions changed, 21 new, 0 retired"
    c.review("Q1", "Q2", "Q4", "Q4")
    revlog = c.col.db.all("SELECT * FROM revlog ORDER BY id")
    assert len(revlog) == 4

    # v2: one edit, one question inserted, one deleted
    text = c.lesson.read_text(encoding="utf-8")
    q4 = _block(text, 4)
    c.lesson.write_text(text.replace(q4, ""), encoding="utf-8")
    c.edit("in front of Node.js?", "in front of a Node.js app?")
    c.edit("## Quick-fire", "### Q12. What is a health check?\n\n**Model answer:** A probe the load balancer"
                            " sends.\n\n## Quick-fire")
    v2 = c.build()
    log = v2.release.changelog
    assert [x.guid for x in log.changed] == [guid("Q2")]
    assert [x.question for x in log.new] == ["What is a health check?"]
    assert [(x.guid, x.label) for x in log.retired] == [(guid("Q4"), "6.9 Q4")]
    assert log.retired[0].question == "How do you connect a custom domain to your server and enable HTTPS?"
    c.review("Q1")
    outcome = c.update(v2)
    assert guids_of(c.col, outcome.changed) == {guid("Q2")} and len(outcome.new) == 1
    assert guids_of(c.col, outcome.retired) == {guid("Q4")}
    assert course.summary(outcome) == (f"Final Production Deployment {v2.release.label}:"
                                       " 1 question changed, 1 new, 1 retired (suspended)")
    retired = c.note("Q4")
    assert course.RETIRED_TAG in retired.tags
    assert all(card.queue == -1 for card in retired.cards())  # suspended, not deleted
    assert c.col.note_count() == 22
    assert c.col.db.all("SELECT * FROM revlog ORDER BY id")[:4] == revlog
    assert c.col.db.scalar("SELECT count() FROM revlog") == 5
    assert outcome.search() == "nid:" + ",".join(map(str, outcome.note_ids))
    assert sorted(c.col.find_notes(outcome.search())) == outcome.note_ids

    # v3: nothing changes but the level of Q1 (beginner -> advanced); Q4 stays retired
    text = c.lesson.read_text(encoding="utf-8")
    q1 = _block(text, 1)
    c.lesson.write_text(text.replace(q1, "").replace("## Quick-fire", q1.replace("### Q1.", "### Q13.")
                                                     + "## Quick-fire", 1), encoding="utf-8")
    v3 = c.build()
    assert [x.guid for x in v3.release.changelog.changed] == [guid("Q1")]
    assert v3.release.changelog.retired == [] and [r["guid"] for r in v3.retired] == [guid("Q4")]
    again = c.update(v3)
    assert guids_of(c.col, again.changed) == {guid("Q1")} and again.retired == [] and again.revived == []
    assert "level::advanced" in c.note("Q1").tags
    assert all(card.queue == -1 for card in c.note("Q4").cards()), "still suspended"

    # v4: Q4 comes back under its id: counts as changed, un-tagged and un-suspended
    c.edit("## Quick-fire", q4.replace("### Q4.", "### Q14.") + "## Quick-fire")
    v4 = c.build()
    assert [x.guid for x in v4.release.changelog.changed] == [guid("Q4")] and v4.retired == []
    back = c.update(v4)
    assert guids_of(c.col, back.revived) == {guid("Q4")} and guids_of(c.col, back.changed) == {guid("Q4")}
    assert course.RETIRED_TAG not in c.note("Q4").tags
    assert all(card.queue != -1 for card in c.note("Q4").cards())
    assert c.col.note_count() == 22 and c.col.db.scalar("SELECT count() FROM revlog") == 5
    history = c.col.db.all("SELECT cid FROM revlog")
    assert history.count([c.note("Q4").cards()[0].id]) == 2, "Q4's two reviews survived retirement"


def test_tag_and_ignore_policies(course_run):
    c = course_run
    c.update(c.build())
    text = c.lesson.read_text(encoding="utf-8")
    c.lesson.write_text(text.replace(_block(text, 4), ""), encoding="utf-8")
    v2 = c.build()
    ignored = c.update(v2, "ignore")
    assert ignored.retired == [] and course.RETIRED_TAG not in c.note("Q4").tags
    assert course.summary(ignored).endswith("0 questions changed, 0 new")
    tagged = c.update(v2, "tag")
    assert guids_of(c.col, tagged.retired) == {guid("Q4")}
    assert course.RETIRED_TAG in c.note("Q4").tags and c.note("Q4").cards()[0].queue != -1
    assert course.summary(tagged).endswith("1 retired (tagged)")


def test_an_update_is_one_undo_step(course_run):
    c = course_run
    c.update(c.build())
    text = c.lesson.read_text(encoding="utf-8")
    c.lesson.write_text(text.replace(_block(text, 4), ""), encoding="utf-8")
    c.edit("in front of Node.js?", "in front of a Node.js app?")
    before = everything(c.col)
    c.update(c.build())
    assert everything(c.col) != before
    assert c.col.undo_status().undo.startswith("Course update")
    c.col.undo()
    after = everything(c.col)
    assert after["revlog"] == before["revlog"] and after["cards"] == before["cards"]
    assert [n[:2] + n[3:4] + n[5:7] for n in after["notes"]] == [n[:2] + n[3:4] + n[5:7] for n in before["notes"]]


def test_hand_import_then_pending_manifest_is_applied_once(course_run):
    from conftest import import_apkg
    c = course_run
    import_apkg(c.col, c.build().packages[0])
    assert [m.course for m in course.pending_manifests(c.col.media.dir(), {})] == ["Final Production Deployment"]
    assert course.apply_pending(c.col, "suspend")[0].retired == []
    text = c.lesson.read_text(encoding="utf-8")
    c.lesson.write_text(text.replace(_block(text, 4), ""), encoding="utf-8")
    import_apkg(c.col, c.build().packages[0])
    outcomes = course.apply_pending(c.col, "suspend")
    assert len(outcomes) == 1 and guids_of(c.col, outcomes[0].retired) == {guid("Q4")}
    assert course.apply_pending(c.col, "suspend") == []  # applied once


def test_manifest_media_name_changes_with_every_version(course_run):
    c = course_run
    names = []
    for _ in range(2):
        c.edit("in front of", "in front of")
        result = c.build(release="") if not names else c.build(release="v2")
        with zipfile.ZipFile(result.packages[0]) as archive:
            media = json.loads(archive.read("media"))
        names.append([n for n in media.values() if n.startswith("_ankideploy-")])
    assert len(names[0]) == len(names[1]) == 1 and names[0] != names[1]
    assert "-v2-" in names[1][0]


# downloads ------------------------------------------------------------------------------------


class Server:
    def __init__(self, folder: Path):
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
        http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/course.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path, content_copy):
    result = build_decks([content_copy], tmp_path / "site", epoch=1_800_000_000)
    server = Server(tmp_path / "site")
    yield server, tmp_path / "site", result
    server.stop()


def _course_json(site: Path) -> dict:
    return json.loads((site / "course.json").read_text())


def test_course_json_describes_the_package(served):
    _, site, result = served
    data = _course_json(site)
    package = result.packages[0]
    assert data["name"] == "Final Production Deployment" and data["version"] == "2027-01-15T08:00:00Z"
    assert data["packages"] == [{"file": package.name, "size": package.stat().st_size,
                                 "sha256": hashlib.sha256(package.read_bytes()).hexdigest(),
                                 "manifest": "_ankideploy-final-production-deployment-20270115T080000Z.json"}]
    assert len(data["changelog"]["new"]) == 21


def test_download_checks_and_returns_the_manifest(served, tmp_path):
    server, _, _ = served
    (tmp_path / "dl").mkdir()
    got = fetch.download_update(server.url, str(tmp_path / "dl"), 0)
    assert got.info.name == "Final Production Deployment" and len(got.packages) == 1
    assert got.packages[0][1].version == "2027-01-15T08:00:00Z" and len(got.packages[0][1].guids) == 21
    assert fetch.download_update(server.url, str(tmp_path / "dl"), got.info.time) is None  # up to date


@pytest.mark.parametrize("breakage, message", [
    ("sha", "does not match its sha256"),
    ("truncate", "not a valid zip file"),
    ("short", "incomplete"),
    ("missing", "HTTP 404"),
    ("not-json", "not a course file"),
])
def test_broken_downloads_are_one_line_errors(served, tmp_path, breakage, message):
    server, site, result = served
    data = _course_json(site)
    package = site / data["packages"][0]["file"]
    if breakage == "sha":
        data["packages"][0]["sha256"] = "0" * 64
    elif breakage == "truncate":
        cut = package.read_bytes()[:5000]
        package.write_bytes(cut)
        data["packages"][0].update(size=len(cut), sha256=hashlib.sha256(cut).hexdigest())
    elif breakage == "short":
        package.write_bytes(package.read_bytes()[:5000])
    elif breakage == "missing":
        package.unlink()
    (site / "course.json").write_text("{oops" if breakage == "not-json" else json.dumps(data))
    (tmp_path / "dl").mkdir()
    with pytest.raises(course.UpdateError, match=message) as caught:
        fetch.download_update(server.url, str(tmp_path / "dl"), 0)
    assert "\n" not in str(caught.value)
    assert list((tmp_path / "dl").iterdir()) == [], "nothing half-downloaded is kept"


def test_server_down_and_plain_http_elsewhere(tmp_path):
    server = Server(tmp_path)
    url = server.url
    server.stop()
    with pytest.raises(course.UpdateError, match="could not reach 127.0.0.1"):
        fetch.download_update(url, str(tmp_path), 0)
    for bad in ("http://example.com/course.json", "file:///etc/passwd", "ftp://x/course.json", "course.json"):
        with pytest.raises(course.UpdateError):
            fetch.check_url(bad)
    assert fetch.check_url("https://example.com/c/course.json") and fetch.check_url("http://localhost:8/x")


def _zip(path: Path, entries: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return str(path)


@pytest.mark.parametrize("entries, message", [
    ({"../evil": b"x", "collection.anki2": b"", "media": b"{}"}, "unexpected entry"),
    ({"media": b"{}"}, "no Anki collection"),
    ({"collection.anki2": b"", "media": b"{}"}, "no single manifest"),
    ({"collection.anki2": b"", "media": b'{"0": "_ankideploy-x-1.json"}', "0": b"[1]"}, "not a JSON object"),
    ({"collection.anki2": b"", "media": b'{"0": "_ankideploy-x-1.json"}',
      "0": b'{"course": "x", "version": "1", "guids": ["a b"], "retired": []}'}, "invalid note id"),
])
def test_hostile_packages_are_refused(tmp_path, entries, message):
    with pytest.raises(course.UpdateError, match=message):
        fetch.check_package(_zip(tmp_path / "p.apkg", entries))


def test_a_failed_update_leaves_the_collection_untouched(course_run, tmp_path):
    c = course_run
    c.update(c.build())
    c.review("Q1", "Q2")
    before = everything(c.col)
    broken = _zip(tmp_path / "bad.apkg", {"collection.anki2": b"not sqlite", "media": b"{}"})
    manifest = course.parse_manifest(json.dumps({"course": "x", "version": "1", "time": 1, "guids": [],
                                                 "retired": [{"guid": guid("Q1")}]}).encode())
    with pytest.raises(Exception):
        course.import_and_apply(c.col, [(broken, manifest)], "suspend")
    assert everything(c.col) == before


def test_update_logic_keeps_out_of_qt():
    import ast

    def imported(path: Path) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        return names
    assert not imported(REPO / "addon" / "course.py") & {"aqt", "ankideploy"}
    assert not imported(REPO / "addon" / "fetch.py") & {"aqt", "anki", "ankideploy"}


class _Redirect(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(302)
        self.send_header("Location", "http://example.com/course.json")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_to_plain_http_elsewhere_is_refused(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(course.UpdateError, match="http://example.com/course.json is not HTTPS"):
            fetch.download_update(f"http://127.0.0.1:{httpd.server_address[1]}/course.json", str(tmp_path), 0)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_zip_bomb_entry_is_refused(tmp_path):
    path = tmp_path / "bomb.apkg"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", b"\0" * (40 * 1024 * 1024))
        archive.writestr("media", b"{}")
    with pytest.raises(course.UpdateError, match="suspiciously large"):
        fetch.check_package(str(path))


def test_a_course_json_that_is_too_large_is_refused(served, tmp_path):
    server, site, _ = served
    (site / "course.json").write_bytes(b" " * (fetch.MAX_COURSE_JSON + 1))
    with pytest.raises(course.UpdateError, match="larger than"):
        fetch.download_update(server.url, str(tmp_path), 0)


def test_a_manifest_with_only_the_contract_keys_is_applied(course_run, tmp_path):
    """The contract promises `version` and `retired` (objects with `guid`); nothing more is needed."""
    c = course_run
    c.update(c.build())
    text = c.lesson.read_text(encoding="utf-8")
    c.lesson.write_text(text.replace(_block(text, 4), ""), encoding="utf-8")
    package = c.build().packages[0]
    minimal = tmp_path / "minimal.apkg"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(minimal, "w") as target:
        media = json.loads(source.read("media"))
        [key] = [k for k, name in media.items() if name.startswith("_ankideploy-")]
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == key:
                data = json.dumps({"version": "7", "retired": [{"guid": guid("Q4")}]}).encode()
            target.writestr(info, data)
    manifest = fetch.check_package(str(minimal), default_course="Course from course.json")
    assert manifest.course == "Course from course.json" and manifest.retired == {guid("Q4"): ""}
    outcome, _ = course.import_and_apply(c.col, [(str(minimal), manifest)], "suspend")
    assert guids_of(c.col, outcome.retired) == {guid("Q4")}
    assert c.col.get_config(course.APPLIED_KEY)["Course from course.json"] == {"time": 0, "version": "7"}
    again, _ = course.import_and_apply(c.col, [(str(minimal), manifest)], "suspend")
    assert again.retired == []  # already retired: nothing new to say
