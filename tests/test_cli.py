"""The command line as a user meets it: real processes, exit codes, what is printed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import CONTENT, SEED_TXT

REPO = Path(__file__).resolve().parent.parent


def run(*args, cwd=REPO, env=None):
    return subprocess.run([sys.executable, "-m", "ankideploy", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def test_help_and_version_on_every_command():
    assert run("--version").stdout.startswith("ankideploy, version ")
    for command in ("build", "check", "stamp", "addon", "preview"):
        result = run(command, "--help")
        assert result.returncode == 0 and "Usage: ankideploy " + command in result.stdout


def test_build_prints_a_summary_and_writes_package_and_report(tmp_path):
    out = tmp_path / "dist"
    result = run("build", str(CONTENT), "-o", str(out), "--no-state")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[:9] == ["lesson", "beg", "int", "adv", "quick", "new", "changed", "same", "retired"]
    assert row.split()[:9] == ["6.9", "4", "4", "3", "10", "21", "0", "0", "0"]
    assert (out / "interview-questions.apkg").is_file()
    report = json.loads((out / "ankideploy-report.json").read_text())
    assert report["lessons"][0]["new"] == 21 and report["retired"] == []


def test_build_per_lesson_writes_one_package_per_lesson(tmp_path):
    result = run("build", str(CONTENT), str(SEED_TXT), "-o", str(tmp_path), "--no-state", "--per-lesson")
    assert result.returncode == 1  # the same lesson twice: every id clashes
    assert "the same id" in result.stderr or "same question text" in result.stderr


def test_check_reports_and_writes_nothing(tmp_path):
    result = run("check", str(CONTENT), cwd=tmp_path)
    assert result.returncode == 0 and "ok: 1 lesson, 21 notes" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_seed_text_builds_and_says_its_ids_follow_the_text(tmp_path):
    result = run("build", str(SEED_TXT), "-o", str(tmp_path / "dist"), "--state", str(tmp_path / "state.json"))
    assert result.returncode == 0, result.stderr
    assert "21 questions without an id" in result.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run("build", str(tmp_path / "missing")).returncode == 2
    assert run("build", "--no-such-option").returncode == 2
    assert run("check", cwd=tmp_path).returncode == 2  # no content/ here


def test_errors_exit_1_other_lessons_still_build(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "1.1-good.md").write_text("## Beginner\n\n### Q1. Good?\n\n**Model answer:** Yes.\n", encoding="utf-8")
    (course / "1.2-bad.md").write_text("## Beginner\n\n### Q1. No answer here?\n\n**Model answer:**\n",
                                       encoding="utf-8")
    result = run("build", str(course), "-o", str(tmp_path / "dist"), "--no-state")
    assert result.returncode == 1
    assert "1.2-bad.md:5: error: question Q1 has no answer" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[1].split()[0] == "1.1"
    strict = run("build", str(course), "-o", str(tmp_path / "strict"), "--no-state", "--strict")
    assert strict.returncode == 1 and not list((tmp_path / "strict").glob("*.apkg"))
    report = json.loads((tmp_path / "strict" / "ankideploy-report.json").read_text())
    assert report["packages"] == [] and report["errors"] == 1


def test_stamp_is_idempotent_and_keeps_crlf(tmp_path):
    lesson = tmp_path / "3.1-x.md"
    lesson.write_bytes(b"## Beginner\r\n\r\n### Q1. What?\r\n\r\n**Model answer:** That.\r\n")
    first = run("stamp", str(lesson))
    assert first.returncode == 0 and "stamped 1 id" in first.stdout
    data = lesson.read_bytes()
    assert data.count(b"\r\n") == 6 and b"<!-- id: " in data and b"\n" not in data.replace(b"\r\n", b"")
    second = run("stamp", str(lesson))
    assert "already has an id" in second.stdout and lesson.read_bytes() == data


def test_per_lesson_packages_never_overwrite_each_other(tmp_path):
    course = tmp_path / "course"
    for folder, answer in (("a", "One."), ("b", "Two.")):
        (course / folder).mkdir(parents=True)
        (course / folder / "1.1-same.md").write_text(
            f"## Beginner\n\n### Q1. Question {folder}?\n\n**Model answer:** {answer}\n", encoding="utf-8")
    result = run("build", str(course), "-o", str(tmp_path / "dist"), "--no-state", "--per-lesson")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "dist").glob("*.apkg")) == ["1.1-same-2.apkg", "1.1-same.apkg"]
