"""Atomic output: a package is complete or untouched, whatever happens to the build.

Builds run as real processes (``python -m ankideploy``) with TMPDIR pointed at a fresh
folder, so a temporary file in the system temp folder would show; some are killed
with SIGKILL at different moments, the last one while the package is being written.
"""
from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import LESSON_MD, build_decks

PACKAGE = "interview-questions.apkg"
APKG_TMP_RE = re.compile(r"^\.interview-questions\.apkg\..+\.tmp$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tmp_files(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        if folder.exists():
            found += [str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith(".tmp")]
    return sorted(found)


class Env:
    """A private TMPDIR, cache folder and HOME for builds run as processes."""

    def __init__(self, root: Path):
        self.root = root
        self.tmpdir = root / "systemp"
        self.cache = root / "cache"
        self.home = root / "home"
        for folder in (self.tmpdir, self.home):
            folder.mkdir(parents=True, exist_ok=True)

    def vars(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST",)}
        env.update(TMPDIR=str(self.tmpdir), TEMP=str(self.tmpdir), TMP=str(self.tmpdir), HOME=str(self.home),
                   ANKIDEPLOY_CACHE_DIR=str(self.cache), XDG_CACHE_HOME=str(self.root / "xdg"),
                   PYTHONDONTWRITEBYTECODE="1")
        return env

    def command(self, *args) -> list[str]:
        return [sys.executable, "-m", "ankideploy", *map(str, args)]

    def run(self, *args, timeout=300) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), env=self.vars(), cwd=self.root, capture_output=True, text=True,
                              timeout=timeout)

    def start(self, *args) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), env=self.vars(), cwd=self.root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def system_temp_leftovers(self) -> list[str]:
        return sorted(p.name for p in self.tmpdir.iterdir())


def kill_group(process: subprocess.Popen) -> int:
    """SIGKILL the build and the workers it started (its own process group), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return process.wait(timeout=60)


def lesson_copy(number: int, marker: str = "") -> str:
    """The 6.9 lesson as lesson 8.<number>: ids removed (derived ids then differ per lesson)."""
    text = LESSON_MD.read_text(encoding="utf-8")
    text = re.sub(r"<!-- id: [0-9a-f]+ -->", "", text)
    text = text.replace("/ 6.9 — Final Production Deployment", f"/ 8.{number} — Final Production Deployment")
    if marker:
        text = text.replace("Model answers for Docker deployment", f"Model answers ({marker}) for Docker deployment")
        text = text.replace("Image size -- 80%+ reduction", f"Image size ({marker}) -- 80%+ reduction")
    return text


def write_course(folder: Path, count: int, marker: str = "", noise: bytes | None = None) -> None:
    episode = folder / "episode-8-big"
    (episode / "img").mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        text = lesson_copy(i, marker)
        if noise is not None and i == 1:
            text = text.replace("**Model answer:**", "**Model answer:**\n\n![noise](img/noise.png)", 1)
        (episode / f"8.{i}-interview-questions.md").write_text(text, encoding="utf-8")
    if noise is not None:
        (episode / "img" / "noise.png").write_bytes(noise)


def assert_valid_package(path: Path, notes: int) -> None:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        collection = zf.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(collection)
        assert db.execute("SELECT count(*) FROM notes").fetchone()[0] == notes
    finally:
        db.close()


# --- nothing in the system temp folder ---------------------------------------------------------------

def test_build_leaves_nothing_in_the_system_temp_folder(tmp_path):
    env = Env(tmp_path)
    write_course(tmp_path / "content", 10)  # enough lessons for worker processes
    result = env.run("build", "content", "-o", "dist", "-j", "2")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / PACKAGE).is_file()
    assert env.system_temp_leftovers() == []
    assert tmp_files(tmp_path / "dist", tmp_path / "content", env.cache) == []


def test_failed_builds_leave_nothing_in_the_system_temp_folder(tmp_path):
    env = Env(tmp_path)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "8.1-bad.md").write_text("## Beginner\n\n### Q1. Nothing?\n", encoding="utf-8")
    errors = env.run("build", "bad", "-o", "dist")
    assert errors.returncode == 1 and not (tmp_path / "dist" / PACKAGE).exists()
    write_course(tmp_path / "content", 2)
    (tmp_path / "notafolder").write_text("a file where the output folder should be")
    broken = env.run("build", "content", "-o", "notafolder", "-j", "1")
    assert broken.returncode not in (0, 1) and "Traceback" not in broken.stderr
    check = env.run("check", "content", "bad")
    assert check.returncode == 1
    assert env.system_temp_leftovers() == []
    assert tmp_files(tmp_path) == []


# --- an exception while writing --------------------------------------------------------------------

def _build_on_a_full_disk(tmp_path: Path):
    """Build once, change the content, build again with a file-size limit that makes the package
    write fail half-way (EFBIG, as a full disk would). Returns (env, hash before, failed run)."""
    import resource

    env = Env(tmp_path)
    write_course(tmp_path / "content", 2, noise=b"\x89PNG\r\n\x1a\n" + os.urandom(1024 * 1024))
    first = env.run("build", "content", "-o", "dist")
    assert first.returncode == 0, first.stderr
    before = sha256(tmp_path / "dist" / PACKAGE)
    write_course(tmp_path / "content", 2, marker="changed", noise=b"\x89PNG\r\n\x1a\n" + os.urandom(1024 * 1024))

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failing write() instead of a dead process
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 * 1024, 512 * 1024))

    full = subprocess.run(env.command("build", "content", "-o", "dist"), env=env.vars(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, preexec_fn=limit_file_size)
    return env, before, full


def test_disk_full_while_writing_keeps_the_previous_package_and_removes_the_temporaries(tmp_path):
    env, before, full = _build_on_a_full_disk(tmp_path)
    assert full.returncode not in (0, 2), full.stderr
    assert "Traceback" not in full.stderr and len(full.stderr.strip().splitlines()) == 1, full.stderr
    assert sha256(tmp_path / "dist" / PACKAGE) == before
    assert tmp_files(tmp_path / "dist", tmp_path / "content") == []
    assert env.system_temp_leftovers() == []


def test_disk_full_is_reported_as_a_write_error_not_an_internal_error(tmp_path):
    _, _, full = _build_on_a_full_disk(tmp_path)
    assert full.returncode == 1 and "internal error" not in full.stderr
    assert PACKAGE in full.stderr


def test_build_with_errors_or_strict_warnings_leaves_the_previous_package_alone(tmp_path):
    content = tmp_path / "content"
    write_course(content, 1)
    out = tmp_path / "dist"
    build_decks([content], out, use_state=False)
    before = sha256(out / PACKAGE)
    lesson = content / "episode-8-big" / "8.1-interview-questions.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("### Q2. Why", "### Q9. Why"), encoding="utf-8")
    strict = build_decks([content], out, use_state=False, strict=True)
    assert strict.diagnostics.warning_count and strict.packages == []
    lesson.write_text("## Beginner\n\n### Q1. Broken?\n", encoding="utf-8")
    broken = build_decks([content], out, use_state=False)
    assert broken.diagnostics.error_count and broken.packages == []
    assert sha256(out / PACKAGE) == before and tmp_files(out) == []


# --- SIGKILL at any point --------------------------------------------------------------------------

def _wait_for(predicate, process: subprocess.Popen, timeout: float) -> bool:
    """Poll until predicate() or the process ends; True if predicate() came first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        if process.poll() is not None:
            return bool(predicate())
        time.sleep(0.002)
    return False


@pytest.fixture(scope="module")
def big_course(tmp_path_factory):
    """300 lessons (6,300 notes) and a 4 MB image: long enough to kill a build mid-write."""
    root = tmp_path_factory.mktemp("big")
    write_course(root / "content", 300, noise=b"\x89PNG\r\n\x1a\n" + os.urandom(4 * 1024 * 1024))
    return root


def test_sigkill_at_any_moment_leaves_the_previous_package_byte_identical(big_course):
    root = big_course
    env = Env(root)
    out = root / "dist"
    started = time.monotonic()
    first = env.run("build", "content", "-o", "dist", "-j", "2", "--no-cache", timeout=600)
    duration = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    before = sha256(out / PACKAGE)
    assert_valid_package(out / PACKAGE, 300 * 21)
    write_course(root / "content", 300, marker="second build", noise=b"\x89PNG\r\n\x1a\n" + os.urandom(4 * 1024 * 1024))

    def package_temporary() -> bool:
        return any(APKG_TMP_RE.match(name) for name in os.listdir(out))

    kills = []
    # Every killed build renders afresh, so it takes as long as the timed one (the render cache
    # keeps what a killed build rendered: the next one would finish before the planned kill).
    # While reading and rendering, at two fixed moments.
    for delay in (0.4, 0.6 * duration):
        process = env.start("build", "content", "-o", "dist", "-j", "2", "--no-cache")
        time.sleep(delay)
        kills.append(("after %.2fs" % delay, kill_group(process), package_temporary()))
    # While the package is being written: as soon as its temporary appears, and a little later.
    for extra in (0.0, 0.03):
        process = env.start("build", "content", "-o", "dist", "-j", "2", "--no-cache")
        seen = _wait_for(package_temporary, process, timeout=max(120.0, 10 * duration))
        assert seen, "the build finished before its package temporary was seen"
        time.sleep(extra)
        kills.append((f"{extra:.2f}s into writing", kill_group(process), package_temporary()))
        assert sha256(out / PACKAGE) == before, kills[-1]
    assert [code for _, code, _ in kills] == [-signal.SIGKILL] * len(kills), kills
    assert sha256(out / PACKAGE) == before
    assert any(left for _, _, left in kills), "no kill landed while the package was being written"
    assert env.system_temp_leftovers() == []

    final = env.run("build", "content", "-o", "dist", "-j", "2", timeout=600)
    assert final.returncode == 0, final.stderr
    assert sha256(out / PACKAGE) != before
    assert_valid_package(out / PACKAGE, 300 * 21)
    assert tmp_files(out, root / "content") == []
    assert env.system_temp_leftovers() == []


DRIVER = r"""
import os, re, signal, sys
pattern = re.compile(sys.argv[1])
real_replace = os.replace

def replace(src, dst, *args, **kwargs):
    if pattern.search(os.path.basename(os.fspath(src))):
        os.kill(os.getpid(), signal.SIGKILL)  # complete temporary written, not yet renamed
    return real_replace(src, dst, *args, **kwargs)

os.replace = replace
from ankideploy.cli import main
sys.argv = ["ankideploy", *sys.argv[2:]]
main()
"""

@pytest.mark.parametrize("victim, pattern", [
    ("package", r"^\.interview-questions\.apkg\..*\.tmp$"),
    pytest.param("state file", r"^\.ankideploy-state\.json\..*\.tmp$"),
    pytest.param("report", r"^\.ankideploy-report\.json\..*\.tmp$"),
    pytest.param("render cache", r"\.entry\..*\.tmp$"),
])
def test_kill_just_before_a_rename_leaves_no_temporary_after_the_next_build(tmp_path, victim, pattern):
    """Deterministic: the build kills itself (SIGKILL) just before it renames the temporary into place."""
    env = Env(tmp_path)
    content = tmp_path / "content"
    write_course(content, 2)
    first = env.run("build", "content", "-o", "dist")
    assert first.returncode == 0, first.stderr
    before = sha256(tmp_path / "dist" / PACKAGE)
    state_before = (content / "ankideploy-state.json").read_bytes()
    write_course(content, 2, marker="edited")

    killed = subprocess.run([sys.executable, "-c", DRIVER, pattern, "build", "content", "-o", "dist"],
                            env=env.vars(), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if victim == "package":
        assert sha256(tmp_path / "dist" / PACKAGE) == before
        assert (content / "ankideploy-state.json").read_bytes() == state_before
    else:
        assert_valid_package(tmp_path / "dist" / PACKAGE, 42)
    assert tmp_files(tmp_path / "dist", content, env.cache), "the kill left no temporary behind"

    again = env.run("build", "content", "-o", "dist")
    assert again.returncode == 0, again.stderr
    assert_valid_package(tmp_path / "dist" / PACKAGE, 42)
    assert tmp_files(tmp_path / "dist", content, env.cache) == []
    assert env.system_temp_leftovers() == []


def test_a_cache_temporary_of_a_killed_build_goes_even_when_its_lesson_is_renamed(tmp_path):
    """The next build never processes the renamed lesson under its old name, yet cleans up after it."""
    env = Env(tmp_path)
    content = tmp_path / "content"
    write_course(content, 2)
    killed = subprocess.run([sys.executable, "-c", DRIVER, r"\.entry\..*\.tmp$", "build", "content", "-o", "dist"],
                            env=env.vars(), cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert tmp_files(env.cache), "the kill left no temporary behind"
    for lesson in sorted(content.rglob("8.*.md")):
        lesson.rename(lesson.with_name(lesson.name.replace("interview-questions", "questions")))

    again = env.run("build", "content", "-o", "dist")
    assert again.returncode == 0, again.stderr
    assert tmp_files(tmp_path / "dist", content, env.cache) == []
