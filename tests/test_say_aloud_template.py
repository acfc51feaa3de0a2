"""The interview note type's own prompt and answer script, as files and as a build writes them."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ankideploy import notetypes
from conftest import CONTENT, REPO, import_apkg, new_collection

SCRIPT_RE = re.compile(r"<script[^>]*>(.*?)</script>", re.S)


def test_prompt_and_its_script_sit_between_the_markers_the_add_on_replaces():
    front = notetypes.load()["interview"].front
    block = re.search(r"<!--say-aloud-->(.*?)<!--/say-aloud-->", front, re.S).group(1)
    assert 'id="ad-say-aloud"' in block and len(SCRIPT_RE.findall(block)) == 1
    assert SCRIPT_RE.findall(front) == SCRIPT_RE.findall(block), "no script outside the markers"
    names = re.findall(r'<span class="ad-say-name">(\w+)</span>', block)
    assert names == ["Definition", "Example", "Pitfall"]
    assert block.count('class="ad-say-hint"') == 3


def test_no_say_aloud_drops_the_prompt_and_its_script():
    front = notetypes.load(say_aloud=False)["interview"].front
    assert "ad-say-aloud" not in front and "<script" not in front and "{{Question}}" in front


def test_speaking_time_is_written_into_the_template():
    assert 'data-seconds="0"' in notetypes.load()["interview"].front
    timed = notetypes.load(speak_seconds=90)["interview"]
    assert 'data-seconds="90"' in timed.front and "__SPEAK_SECONDS__" not in timed.front
    # a different template is a different note type signature: learners' note types update
    assert timed.signature() != notetypes.load()["interview"].signature()
    for bad in (-1, 3601):
        with pytest.raises(ValueError):
            notetypes.load(speak_seconds=bad)


def test_scripts_can_run_again_and_load_nothing():
    types = notetypes.load()
    for side in (types["interview"].front, types["interview"].back):
        for script in SCRIPT_RE.findall(side):
            code = re.sub(r"/\*.*?\*/", "", script, flags=re.S).strip()
            # one function scope: no top-level bindings that a second run would redeclare
            assert code.startswith("(function () {") and code.endswith("})();")
            assert "addEventListener" not in code, "handlers are properties: assigning twice adds none"
            assert "{{" not in code and "http" not in code and "fetch(" not in code
    assert "http" not in types["interview"].css


def test_build_speak_seconds_option_reaches_the_cards(tmp_path):
    run = subprocess.run([sys.executable, "-m", "ankideploy", "build", str(CONTENT), "-o", str(tmp_path / "d"),
                          "--no-state", "--speak-seconds", "75"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, tmp_path / "d" / "interview-questions.apkg")
        card = col.get_card(col.find_cards("mid:1794512603101")[0])
        assert 'data-seconds="75"' in card.question()
        assert 'data-seconds' not in col.get_card(col.find_cards("mid:1794512603102")[0]).question()
    finally:
        col.close()
    bad = subprocess.run([sys.executable, "-m", "ankideploy", "build", str(CONTENT), "-o", str(tmp_path / "e"),
                          "--no-state", "--speak-seconds", "-5"], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "--speak-seconds" in bad.stderr

