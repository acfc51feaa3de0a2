"""ankideploy check --coverage: what authors are told about definition, example and pitfall."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO

LESSON = """---
lesson: "1.1"
title: Caching
episode: 1
---

# Interview Questions: Caching

## Beginner (Q1--Q2)

### Q1. What is a cache?

**Model answer:**

A cache is a fast copy of slow data.

**Example:** a CDN keeps images near users.

**Gotcha:** stale entries after a deploy.

### Q2. How do you warm a cache?

**Model answer:**

Step one: list the hot keys. Step two: load them.

## Quick-fire

| # | Question | One-line answer |
|---|---|---|
| 1 | TTL? | Time to live |
"""


def run(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "ankideploy", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_table_per_question_and_total_per_lesson(tmp_path):
    (tmp_path / "1.1-caching.md").write_text(LESSON, encoding="utf-8")
    result = run("check", "--coverage", "1.1-caching.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "lesson 1.1 (1.1-caching.md): 2 questions\n"
        "\n"
        "| question | definition | example | pitfall |\n"
        "|---|---|---|---|\n"
        '| Q1 What is a cache? | rule: first sentence | label "Example" | label "Gotcha" |\n'
        "| Q2 How do you warm a cache? | missing | missing | missing |\n"
        "| **total: 1 of 2 complete** | **1 of 2** | **1 of 2** | **1 of 2** |\n"
        "ok: 1 lesson, 3 notes\n")
    assert result.stderr == ""


def test_strict_makes_each_missing_part_a_warning_at_its_question(tmp_path):
    (tmp_path / "1.1-caching.md").write_text(LESSON, encoding="utf-8")
    result = run("check", "--coverage", "--strict", "1.1-caching.md", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"1.1-caching.md:21: warning: 1.1 Q2: the model answer has no {part} to point at"
        f" (label a passage '**{title}:**', or add one)"
        for part, title in (("definition", "Definition"), ("example", "Example"), ("pitfall", "Pitfall"))
    ] + ["0 errors, 3 warnings"]
    assert "| Q2 How do you warm a cache? | missing | missing | missing |" in result.stdout
    # without --coverage, --strict says nothing about parts
    assert run("check", "--strict", "1.1-caching.md", cwd=tmp_path).returncode == 0


def test_readme_table_is_what_check_prints_for_lesson_6_9():
    result = run("check", "--coverage", "content")
    assert result.returncode == 0, result.stderr
    printed = result.stdout.rsplit("\nok: ", 1)[0].strip()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- coverage: ankideploy check --coverage content -->\n(.*?)\n<!-- /coverage -->",
                      readme, re.S)
    assert block, "README lost its coverage table"
    assert block.group(1).strip() == printed
    # every interview card of 6.9 is in it, and every row has its three parts
    rows = [line for line in printed.splitlines() if re.match(r"\| Q\d+ ", line)]
    assert [row.split()[1] for row in rows] == [f"Q{n}" for n in range(1, 12)]
    assert all(row.count(" | ") == 3 for row in rows)
