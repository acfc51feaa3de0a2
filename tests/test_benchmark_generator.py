"""The benchmark's lesson generator: deterministic, and its lessons are clean, complete lessons."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from ankideploy.build import BuildOptions, build

GENERATOR = Path(__file__).resolve().parent.parent / "benchmarks" / "generate.py"


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("benchmark_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_count_gives_byte_identical_files(generator, tmp_path):
    generator.generate(12, tmp_path / "a")
    generator.generate(12, tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(first) == 12
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
    generator.generate(3, tmp_path)
    languages = set()
    for path in sorted(tmp_path.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        answers = re.findall(r"\*\*Model answer:\*\*\n\n(.*?)\n\n---\n", text, re.S)
        assert len(answers) == 11
        for answer in answers:
            assert generator.MIN_WORDS <= generator.word_count(answer) <= generator.MAX_WORDS
            assert re.search(r"^(?:1\.|-) ", answer, re.M), "a list"
            assert re.search(r"(?<!`)`[^`\n]+`(?!`)", answer), "inline code"
            fence = re.search(r"^```(\w+)$", answer, re.M)
            assert fence, "a fenced code block"
            languages.add(fence.group(1))
    assert languages == set(generator.LANGUAGES)
