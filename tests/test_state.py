"""The state file is checked before it is trusted, and builds that share it take turns."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LESSON = """## Beginner (Q1--Q1)

### Q1. What is {topic}?
<!-- id: {id} -->

**Model answer:** {topic} is a tool.
"""
IDS = {"1.1": "aaaaaaaaaaaaaaa1", "1.2": "bbbbbbbbbbbbbbb2"}


def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    folder.mkdir()
    for lesson, note_id in IDS.items():
        (folder / f"{lesson}-topic.md").write_text(LESSON.format(topic=f"topic {lesson}", id=note_id),
                                                   encoding="utf-8")
    return folder


def run(tmp_path, *args, env=None):
    return subprocess.run([sys.executable, "-m", "ankideploy", *map(str, args)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)


def good_state(tmp_path) -> dict:
    folder = course(tmp_path)
    (folder / "ankideploy-state.json").write_text('{"format": 1}')
    result = run(tmp_path, "build", folder, "-o", tmp_path / "first")
    assert result.returncode == 0, result.stderr
    return json.loads((folder / "ankideploy-state.json").read_text())


def note(data: dict) -> dict:
    return data["notes"]["ad:aaaaaaaaaaaaaaa1"]


BAD = [
    ("mod is a string", lambda d: note(d).update(mod="1800000000"), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("mod is a float", lambda d: note(d).update(mod=1.5), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("mod is negative", lambda d: note(d).update(mod=-1), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("mod is huge", lambda d: note(d).update(mod=10**30), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("mod is null", lambda d: note(d).update(mod=None), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("mod is true", lambda d: note(d).update(mod=True), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("mod is missing", lambda d: note(d).pop("mod"), 'notes["ad:aaaaaaaaaaaaaaa1"]["mod"]'),
    ("hash is a number", lambda d: note(d).update(hash=7), 'notes["ad:aaaaaaaaaaaaaaa1"]["hash"]'),
    ("unknown key in an entry", lambda d: note(d).update(colour="red"), "unknown key 'colour'"),
    ("unknown top-level key", lambda d: d.update(extra={}), "unknown key 'extra'"),
    ("notes is a list", lambda d: d.update(notes=[]), "at notes:"),
    ("an entry is a list", lambda d: d["notes"].update({"ad:aaaaaaaaaaaaaaa1": []}), 'notes["ad:aaaaaaaaaaaaaaa1"]'),
    ("fields holds a number", lambda d: next(iter(d["notetypes"].values())).update(fields=[1]), '["fields"]'),
    ("format is a string", lambda d: d.update(format="1"), "at format:"),
    ("retired is a list", lambda d: d.update(retired=[]), "at retired:"),
    ("retired entry with a stray key", lambda d: d.update(retired={"ad:x": {"id": "x", "colour": 1}}),
     "unknown key 'colour'"),
    ("retired time is a string", lambda d: d.update(retired={"ad:x": {"retired": "yesterday"}}),
     'retired["ad:x"]["retired"]'),
    ("retired without a GUID", lambda d: d.update(retired={"x": {}}), 'retired["x"]'),
    ("the whole file is a list", lambda d: d.clear(), "must be a JSON object"),
]


@pytest.mark.parametrize("what, spoil, located", BAD, ids=[b[0] for b in BAD])
def test_a_bad_state_file_is_a_located_error_and_nothing_is_written(tmp_path, what, spoil, located):
    data = good_state(tmp_path)
    spoil(data)
    state = tmp_path / "course" / "ankideploy-state.json"
    text = json.dumps([] if what == "the whole file is a list" else data)
    state.write_text(text)
    result = run(tmp_path, "build", tmp_path / "course", "-o", tmp_path / "second")
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {state}: ") and located in line, line
    assert "internal error" not in result.stderr
    assert state.read_text() == text
    assert not (tmp_path / "second").exists() or not list((tmp_path / "second").glob("*.apkg"))


def test_nan_and_deep_nesting_are_read_errors(tmp_path):
    course(tmp_path)
    state = tmp_path / "course" / "ankideploy-state.json"
    for text in ('{"format": 1, "notes": {"ad:x": {"hash": "h", "mod": NaN}}}', "[" * 100_000):
        state.write_text(text)
        result = run(tmp_path, "build", tmp_path / "course", "-o", tmp_path / "out")
        assert result.returncode == 1 and result.stderr.startswith(f"error: {state}: "), result.stderr


def test_retired_notes_of_the_documented_shape_are_kept(tmp_path):
    data = good_state(tmp_path)
    data["retired"] = {"ad:0123456789abcdef": {"id": "0123456789abcdef", "lesson": "1.3", "label": "1.3 Q2",
                                               "question": "What was it?", "file": "1.3-old.md",
                                               "deck": "1.3 — Old", "retired": 1_800_000_000}}
    state = tmp_path / "course" / "ankideploy-state.json"
    state.write_text(json.dumps(data))
    result = run(tmp_path, "build", tmp_path / "course", "-o", tmp_path / "second")
    assert result.returncode == 0, result.stderr
    assert json.loads(state.read_text())["retired"] == data["retired"]


# --- two builds at once ---------------------------------------------------------------------------

# Reads the state, then waits, so a second build started meanwhile would read the same old state.
SLOW_READER = """
import sys, time
from ankideploy import identity
real_load = identity.State.load.__func__
delay = float(sys.argv[1])

def slow_load(cls, path):
    state = real_load(cls, path)
    time.sleep(delay)
    return state

identity.State.load = classmethod(slow_load)
from ankideploy.cli import main
sys.argv = ["ankideploy", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("round_", range(3))
def test_two_builds_at_once_keep_both_lessons_notes(tmp_path, round_):
    folder = course(tmp_path)
    (folder / "ankideploy-state.json").write_text('{"format": 1}')
    builds = [subprocess.Popen([sys.executable, "-c", SLOW_READER, "1.0", "build", folder / f"{lesson}-topic.md",
                                "-o", tmp_path / lesson], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for lesson in IDS]
    outputs = [b.communicate(timeout=120) for b in builds]
    assert [b.returncode for b in builds] == [0, 0], outputs
    assert any("waiting for another build" in err for _, err in outputs), outputs
    notes = json.loads((folder / "ankideploy-state.json").read_text())["notes"]
    assert set(notes) == {f"ad:{i}" for i in IDS.values()}
    assert [p.name for p in folder.iterdir()] and not [p for p in folder.iterdir() if "lock" in p.name]
