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
    assert "21 notes without an id (questions and quick-fire rows" in result.stderr


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


# --- output stays where it is asked; errors are for users ------------------------------------------

ONE = "## Beginner (Q1--Q1)\n\n### Q1. What is {0}?\n<!-- id: {1} -->\n\n**Model answer:** {0} is a thing.\n"


def small_course(folder: Path, count: int = 2, title: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        front = f"---\nlesson: '1.{i}'\ntitle: {title or f'Topic {i}'}\n---\n\n" if title else ""
        (folder / f"1.{i}-topic.md").write_text(front + ONE.format(f"topic {i}", f"{i:016x}"), encoding="utf-8")
    return folder


def test_a_package_name_with_a_path_is_refused(tmp_path):
    course = small_course(tmp_path / "course")
    for name in ("../../escaped", str(tmp_path / "absolute"), "sub/name", "back\\slash", "..", "", "a\nb"):
        result = run("build", str(course), "-o", str(tmp_path / "out"), "--no-state", "--name", name)
        assert result.returncode == 2, (name, result.stderr)
        assert "--name" in result.stderr
    assert not list(tmp_path.rglob("*.apkg"))


def test_long_titles_give_short_package_names(tmp_path):
    title = " ".join(["Extraordinarily long words of a lesson title"] * 20)
    course = small_course(tmp_path / "course", title=title)
    result = run("build", str(course), "-o", str(tmp_path / "out"), "--no-state", "--per-lesson")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "out").glob("*.apkg"))
    assert len(names) == 2 and all(len(n) <= 110 for n in names), names
    assert names[0].startswith("1.1-extraordinarily-long-words") and names[1].startswith("1.2-")


def test_a_failed_build_names_the_packages_now_stale(tmp_path):
    course = small_course(tmp_path / "course")
    out = tmp_path / "out"
    assert run("build", str(course), "-o", str(out), "--no-state", "--per-lesson").returncode == 0
    old = sorted(p.name for p in out.glob("*.apkg"))
    (course / "1.2-topic.md").write_text("## Beginner\n\n### Q1. No answer here\n", encoding="utf-8")
    result = run("build", str(course), "-o", str(out), "--no-state", "--per-lesson")
    assert result.returncode == 1
    stale = [line for line in result.stderr.splitlines() if "from an earlier build" in line]
    assert len(stale) == 1 and old[1] in stale[0] and old[0] not in stale[0], result.stderr


def test_a_folder_without_lessons_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.pdf").write_bytes(b"%PDF")
    for command in ("build", "check"):
        result = run(command, "empty", cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "no lessons found" in result.stderr


def test_a_file_size_limit_is_one_error_line_naming_the_file(tmp_path):
    import resource
    course = small_course(tmp_path / "course", count=30)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run([sys.executable, "-m", "ankideploy", "build", str(course), "-o", str(tmp_path / "out"),
                             "--no-state", "--no-cache"], capture_output=True, text=True, timeout=120,
                            preexec_fn=limit)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: cannot write {tmp_path / 'out' / 'interview-questions.apkg'}: "), line
    assert not (tmp_path / "out" / "interview-questions.apkg").exists()


def test_an_unexpected_failure_is_an_internal_error(tmp_path):
    """A bug is not dressed up as a user error: exit 3 and a hint to --debug."""
    course = small_course(tmp_path / "course")
    script = ("import sys; from ankideploy import build\n"
              "def broken(*a, **k): raise FileNotFoundError(2, 'a bug that looks like a missing file')\n"
              "build._plan = lambda *a, **k: (_ for _ in ()).throw(KeyError('bug'))\n"
              "from ankideploy.cli import main; sys.argv = ['ankideploy', *sys.argv[1:]]; main()\n")
    result = subprocess.run([sys.executable, "-c", script, "build", str(course), "-o", str(tmp_path / "out"),
                             "--no-state"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and "internal error: KeyError" in result.stderr, result.stderr


def test_control_characters_in_file_names_are_escaped(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    name = "1.1-\x1b[31mred\x1b[0m\rforged.md"
    (course / name).write_text("## Beginner\n\n### Q1. Where is the answer?\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "ankideploy", "build", "course", "-o", "out", "--no-state"],
                            cwd=tmp_path, capture_output=True, timeout=120)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "\x1b" not in err and "\r" not in err
    assert "1.1-\\x1b[31mred\\x1b[0m\\x0dforged.md:" in err


def test_error_output_is_capped_with_a_count_of_the_rest(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    questions = "".join(f"### Q{i}. Question {i} without an answer?\n\n" for i in range(1, 1201))
    (course / "1.1-many.md").write_text("## Beginner\n\n" + questions, encoding="utf-8")
    result = run("build", str(course), "-o", str(tmp_path / "out"), "--no-state")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    problems = [line for line in lines if ": error: " in line or ": warning: " in line]
    assert len(problems) == 500
    assert any(line.startswith("... and ") and "more not shown" in line for line in lines), lines[-5:]
    assert any(line.startswith("1200 errors") or " errors," in line for line in lines)


def test_every_option_has_help_text():
    import click
    from ankideploy.cli import main
    for name, command in [("ankideploy", main), *main.commands.items()]:
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help text"


def test_readme_and_help_agree_on_defaults_and_on_what_check_writes():
    import re
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {}
    for m in re.finditer(r"^\| `ankideploy (\w+) [^`]*` \|[^\n]*$", readme, re.M):
        rows.setdefault(m.group(1), m.group(0))  # the table of commands comes first
    for command in ("build", "addon", "preview"):
        help_text = " ".join(run(command, "--help").stdout.split())
        default = re.search(r"-o, --out DIRECTORY .*?\[default: ([^\]]+)\]", help_text).group(1)
        assert f"(default `{default}`)" in rows[command], (command, default, rows[command])
    check_help = " ".join(run("check", "--help").stdout.split())
    for words in ("no package", "no report", "no state", "render cache"):
        assert words in rows["check"] and words in check_help, words
