"""The benchmark's lesson generator and its note check: the lessons are deterministic, clean and
complete, and a package holds "the same notes" only when GUIDs and what each field says agree."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from ankideploy.build import BuildOptions, build

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    """A benchmark script as a module (the scripts import bench_common by its plain name)."""
    if name in sys.modules and getattr(sys.modules[name], "__file__", "") == str(BENCHMARKS / f"{name}.py"):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("benchmark_generate", BENCHMARKS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def common():
    return _load("bench_common")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_count_gives_byte_identical_files(generator, tmp_path):
    generator.generate(12, tmp_path / "a")
    generator.generate(12, tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len([name for name in first if name.endswith(".md")]) == 12
    assert len([name for name in first if name.endswith(".png")]) == 2 * 3  # two episodes, three figures
    assert first == second


def test_a_lesson_does_not_depend_on_the_count(generator, tmp_path):
    generator.generate(3, tmp_path / "small")
    generator.generate(12, tmp_path / "large")
    small, large = _files(tmp_path / "small"), _files(tmp_path / "large")
    assert small == {name: large[name] for name in small}


def test_generated_lessons_check_cleanly_with_every_question(generator, tmp_path, monkeypatch):
    monkeypatch.setenv("ANKIDEPLOY_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "lessons"
    generator.generate(3, folder)
    result = build([folder], BuildOptions(write=False, use_state=False))
    assert [str(d) for d in result.diagnostics.items] == []
    assert result.diagnostics.error_count == 0 and result.diagnostics.warning_count == 0
    assert len(result.rows) == 3
    for row in result.rows:
        assert {k: row.counts[k] for k in ("beginner", "intermediate", "advanced", "quick-fire")} == \
            {"beginner": 4, "intermediate": 4, "advanced": 3, "quick-fire": 10}
    assert result.note_count == 3 * 21


def test_model_answers_have_the_promised_shape(generator, tmp_path):
    generator.generate(4, tmp_path)
    languages, quick_fire_extras = set(), 0
    for path in sorted(tmp_path.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        answers = re.findall(r"\*\*Model answer:\*\*\n\n(.*?)\n\n---\n", text, re.S)
        assert len(answers) == 11
        assert len(set(re.findall(r"^```(\w+)$", text, re.M))) == 3, "a lesson sticks to three languages"
        for answer in answers:
            assert generator.MIN_WORDS <= generator.word_count(answer) <= generator.MAX_WORDS
            assert re.search(r"^(?:1\.|-) ", answer, re.M), "a list"
            assert re.search(r"(?<!`)`[^`\n]+`(?!`)", answer), "inline code"
            fence = re.search(r"^```(\w+)$", answer, re.M)
            assert fence, "a fenced code block"
            languages.add(fence.group(1))
        # What real lessons have besides text, lists and code, in every lesson:
        assert sum(bool(re.search(r"(?<!!)\[[^\]]+\]\(https://", a)) for a in answers) >= 4, "links"
        assert sum(bool(re.search(r"<(kbd|mark|sup|abbr|br)\b", a)) for a in answers) >= 4, "inline HTML"
        assert sum(bool(re.search(r"^\|---\|---\|---\|$", a, re.M)) for a in answers) >= 3, "tables"
        images = [m for a in answers for m in re.findall(r"!\[[^\]]+\]\(([^)]+)\)", a)]
        assert len(images) >= 2, "images"
        assert all((path.parent / image).is_file() for image in images)
        quick_fire_extras += len(re.findall(r"^\| \d+ \| .*(?:<kbd>|\]\(https://)", text, re.M))
    assert quick_fire_extras >= 3, "quick-fire rows with inline HTML or a link"
    assert languages == set(generator.LANGUAGES)
    assert len(languages) >= 10


# ---------------------------------------------------------------- the note check

def test_field_text_is_what_the_card_says(common):
    assert common.field_text("<p>Use <code>x &lt; y</code>,\n  then   stop.</p>") == "Use x < y, then stop."
    assert common.field_text("<p>one</p><p>two</p>") == "one two"
    assert common.field_text("<ul><li>a</li><li>b</li></ul>") == "a b"
    assert common.field_text("a<br>b") == "a b"
    assert common.field_text("<kbd>Ctrl</kbd>+<kbd>C</kbd>") == "Ctrl+C"


def test_markup_that_only_differs_between_tools_reads_the_same(common):
    highlighted = ('<div class="hl"><pre><span></span><code><span class="k">def</span><span class="w"> </span>'
                   '<span class="nf">f</span><span class="p">():</span>\n</code></pre></div>')
    assert common.field_text(highlighted) == common.field_text("<pre><code>def f():</code></pre>") == "def f():"
    assert (common.field_text('<a href="https://x.example/" rel="noopener noreferrer">docs</a>')
            == common.field_text('<a href="https://x.example/">docs</a>'))
    assert (common.field_text('<img alt="Diagram 1" src="3f9a0c.png">')
            == common.field_text('<img src="images/fig-1.png" alt="Diagram 1" />') == "[image: Diagram 1]")


def test_a_dropped_word_code_line_or_image_is_a_difference(common):
    text = common.field_text
    assert text("<p>Roll back first.</p>") != text("<p>Roll back.</p>")
    assert text("<pre><code>a = 1\nb = 2</code></pre>") != text("<pre><code>a = 1</code></pre>")
    assert text('<p>See <img alt="Diagram"></p>') != text("<p>See</p>")


def _view(common, *fields, tags=("lesson::1.1",), deck="E::L", notetype="Interview"):
    return common.NoteView(notetype, deck, tuple(tags), tuple(fields))


def test_note_differences_names_missing_extra_and_changed_notes(common):
    expected = {"ad:1": _view(common, "Q one", "A one"), "ad:2": _view(common, "Q two", "A two"),
                "ad:3": _view(common, "Q three", "A three")}
    assert common.note_differences(expected, dict(expected)) == []
    found = {"ad:1": _view(common, "Q one", "A one"),
             "ad:2": _view(common, "Q two", "A 2", tags=("lesson::1.2",)),
             "ad:4": _view(common, "Q three", "A three")}
    problems = common.note_differences(expected, found)
    assert problems[0] == "1 notes missing, e.g. ad:3"
    assert problems[1] == "1 notes not expected, e.g. ad:4"
    assert any(p.startswith("ad:2: tags ('lesson::1.2',)") for p in problems)
    assert any(p.startswith("ad:2: field 2 differs at character 2:") for p in problems)
    assert not any(p.startswith("ad:1") for p in problems)


def _build(folder: Path, out: Path) -> Path:
    result = build([folder], BuildOptions(out_dir=out, use_state=False, jobs=1, cache_dir=None))
    assert result.diagnostics.items == []
    return out / "interview-questions.apkg"


def test_every_baseline_writes_the_builds_notes_and_an_edit_shows(generator, common, tmp_path):
    lessons = tmp_path / "lessons"
    generator.generate(2, lessons)
    package = _build(lessons, tmp_path / "out")
    reference = common.note_views(package)
    assert len(reference) == 2 * 21

    markdown = _load("baseline_markdown")
    floor = _load("baseline_floor")
    for jobs in ("1", "2"):
        assert markdown.main([str(lessons), "-o", str(tmp_path / f"markdown-{jobs}.apkg"), "-j", jobs]) == 0
        assert common.note_differences(reference, common.note_views(tmp_path / f"markdown-{jobs}.apkg")) == []
        assert len(common.media_names(tmp_path / f"markdown-{jobs}.apkg")) == len(common.media_names(package)) == 3

    notes_json = tmp_path / "notes.json"
    notes_json.write_text(json.dumps(common.export_notes(package, tmp_path / "media")), encoding="utf-8")
    assert floor.main([str(notes_json), "-o", str(tmp_path / "genanki.apkg")]) == 0
    assert common.note_differences(reference, common.note_views(tmp_path / "genanki.apkg")) == []
    assert floor.main([str(notes_json), "-o", str(tmp_path / "writer.apkg"), "--writer", "ankideploy"]) == 0
    assert (tmp_path / "writer.apkg").read_bytes() == package.read_bytes()

    # One answer edited: the baseline's package no longer holds the build's notes, and the check says which.
    edited = tmp_path / "edited"
    shutil.copytree(lessons, edited)
    first = edited / generator.lesson_path(0)
    common.edit_one_answer(first)
    guid = "ad:" + re.search(r"<!-- id: ([0-9a-f]+) -->", first.read_text(encoding="utf-8")).group(1)
    assert markdown.main([str(edited), "-o", str(tmp_path / "edited.apkg")]) == 0
    problems = common.note_differences(reference, common.note_views(tmp_path / "edited.apkg"))
    assert len(problems) == 1 and problems[0].startswith(f"{guid}: field 2 differs at character ")


# ---------------------------------------------------------------- what run.py measures and prints

@pytest.fixture(scope="module")
def runner():
    return _load("run")


def test_cpu_time_counts_the_workers_a_command_starts(runner, tmp_path):
    # The command itself idles while one child process burns CPU for about 0.3 s.
    burn = "import time; end = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}], check=True)"
    sample = runner.timed([sys.executable, "-c", parent], dict(os.environ), tmp_path / "log")
    assert sample.cpu >= 0.3
    assert sample.wall >= 0.3
    assert sample.largest_kb > 0 and sample.tree_kb >= sample.largest_kb


def test_a_missed_target_is_printed_as_a_miss(runner):
    found = [{"target": "fast enough", "measured": "0.90x", "spread": "0.80-1.00x", "limit": "<= 1.00x", "pass": True},
             {"target": "too slow", "measured": "1.20x", "spread": "1.10-1.30x", "limit": "<= 1.00x", "pass": False},
             {"target": "for fairness", "measured": "0.95x", "spread": "0.90-1.00x", "limit": "-", "pass": None}]
    lines = runner.targets_table(found).splitlines()
    assert lines[2].startswith("PASS  fast enough")
    assert lines[3].startswith("MISS  too slow") and "1.20x" in lines[3]
    assert lines[4].startswith("info  for fairness")


def test_ratios_pair_the_runs_of_one_repetition(runner):
    one = runner.Scenario("a-1", "a", 1, [runner.Sample(2.0, 1.0, 0, 0, 1), runner.Sample(4.0, 3.0, 0, 0, 1)])
    other = runner.Scenario("b-1", "b", 1, [runner.Sample(1.0, 2.0, 0, 0, 1), runner.Sample(4.0, 1.0, 0, 0, 1)])
    assert runner.paired(one, other, "wall") == [2.0, 1.0]
    assert runner.paired(one, other, "cpu") == [0.5, 3.0]
