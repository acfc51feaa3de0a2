#!/usr/bin/env python3
"""Does a whole build take time proportional to its input, whatever the input is?

Each *family* makes a lesson of a given size from one kind of pathological
input: a long run of one ASCII punctuation character (or of whitespace) in
every position of a lesson at once (the question heading, the lines between the
heading and its labels, the "why" line, one long answer line, an answer paragraph
of many lines (in another answer, so the long line's plain-text fallback cannot
hide it), a quick-fire cell, the text before the title), deep nesting of each
construct, huge tables, and the inputs an adversarial review found slow. For
each family the size n grows (x4) until one build takes ``--min-seconds``, then
the build of 4n is timed too: linear work gives time(4n)/time(n) near 4, and
the check passes when it is at most 5 (quadratic work gives 16).

Every build runs in a process of its own (``--one``), so a family that stalls is
stopped at ``--timeout`` and reported, and its peak memory is measured too.

    .venv/bin/python benchmarks/linear_time.py                 # every family, a few minutes
    .venv/bin/python benchmarks/linear_time.py --family 'nest'  # families whose name matches
    .venv/bin/python benchmarks/linear_time.py --list

Exit status 1 when any family is over the ratio or timed out.
"""
from __future__ import annotations

import argparse
import json
import re
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_RATIO = 5.0
POSITIONS = ("preamble", "heading", "before", "why", "line", "lines", "cell")
LESSON = """Episode 1 — Basics / 1.1 — Runs {preamble}

# Interview Questions: Runs

## Beginner (Q1--Q2)

### Q1. What is {heading}?

{before}

**Why interviewers ask:** because {why}.

**Model answer:**

{lines}

### Q2. What is plain?

**Model answer:** Start {line} end.

## Quick-fire

| # | Question | One-line answer |
|---|---|---|
| 1 | What {cell}? | This. |
| 2 | What else? | That. |
"""
PLAIN = dict.fromkeys(POSITIONS, "x")


def lesson(**parts: str) -> str:
    return LESSON.format(**{**PLAIN, **parts})


def _lines(run: str, width: int = 5_000) -> str:
    """A paragraph of lines under the long-line limit, together as long as ``run``."""
    return "\n".join(run[i:i + width] for i in range(0, len(run), width)) or "x"


def everywhere(unit: str):
    """A run of ``unit``, n characters in all, shared out over every position of the lesson."""
    def make(n: int) -> str:
        each = unit * max(1, n // len(POSITIONS) // len(unit))
        return lesson(preamble=each, heading=each, before=each, why=each, line=each, lines=_lines(each),
                      cell=each.replace("|", "\\|"))
    return make


def at(position: str, unit: str):
    def make(n: int) -> str:
        run = unit * max(1, n // len(unit))
        return lesson(**{position: _lines(run) if position == "lines" else run})
    return make


def answer(make_text):
    """The text (of about n characters) as the answer of Q1."""
    return lambda n: lesson(lines=make_text(n))


def nested_lines(prefix, n: int, body: str = "x") -> str:
    """Lines nested one level deeper each, until n characters are used."""
    out, size, depth = [], 0, 0
    while size < n:
        line = prefix(depth) + body
        out.append(line)
        size += len(line) + 1
        depth += 1
    return "\n".join(out)


def quick_fire_rows(n: int) -> str:
    rows = "".join(f"| {i} | Question {i}? | Answer {i}. |\n" for i in range(1, n // 30 + 2))
    return lesson().split("| 1 |")[0] + rows


def families() -> dict:
    found = {}
    for ch in string.punctuation:
        found[f"run of {ch!r} everywhere"] = everywhere(ch)
    for name, unit in (("spaces", " "), ("tabs", "\t"), ("space-tab", " \t"), ("non-breaking spaces", "\u00a0")):
        found[f"run of {name} everywhere"] = everywhere(unit)
    for unit in ("<a ", "&amp;", "&#", "[x](", "![", "<!-- ", "**a", "__a", "`` ", "\\*", "<b>", "</b>", "x|",
                 "<", "*a*", "[a]", "http://", "<div>", "~~~ ", "```a\n", "    ", "- ", "1. ", "> ", "#"):
        found[f"run of {unit!r} everywhere"] = everywhere(unit)
    found["30,000 spaces between heading and labels (review)"] = at("before", " ")
    found["'<a ' in an answer (review)"] = at("lines", "<a ")
    found["'&amp;' paragraph of short lines (review)"] = at("lines", "&amp;")
    nesting = {
        "list, 2 spaces a level": lambda d: "  " * d + "- ",
        "list, 4 spaces a level": lambda d: "    " * d + "- ",
        "ordered list": lambda d: "   " * d + "1. ",
        "quote, one '>' more a line": lambda d: ">" * (d + 1) + " ",
    }
    for name, prefix in nesting.items():
        found[f"nested {name}"] = answer(lambda n, prefix=prefix: nested_lines(prefix, n))
    inline = {
        "'- ' on one line": "- ", "'1. ' on one line": "1. ", "'> ' on one line": "> ", "'>' on one line": ">",
        "<div>": "<div>", "<b><i>": "<b><i>", "<details>": "<details>", "'*'": "*", "'['": "[", "'`'": "`",
        "<ul><li>": "<ul><li>", "<table><tr><td>": "<table><tr><td>",
    }
    for name, unit in inline.items():
        found[f"nested {name}"] = answer(lambda n, unit=unit: unit * max(1, n // len(unit)) + "x")
    found["nested brackets closed as links"] = answer(lambda n: "[" * (n // 5) + "x" + "](y)" * (n // 5))
    found["quick-fire table of many rows"] = quick_fire_rows
    found["answer table of many rows"] = answer(
        lambda n: "| a | b |\n|---|---|\n" + "".join(f"| {i} | v |\n" for i in range(n // 12)))
    found["answer table of many columns"] = answer(
        lambda n: "|" + " a |" * (n // 8) + "\n|" + "---|" * (n // 8) + "\n|" + " v |" * (n // 8))
    found["many questions"] = lambda n: lesson().replace("### Q2.", "".join(
        f"### Q{i}. Question {i}?\n\n**Model answer:** Answer {i}.\n\n" for i in range(3, n // 50 + 4)) + "### Q2.")
    found["many unclosed fences"] = answer(lambda n: "```a\ncode\n" * (n // 10))
    found["many closed fences"] = answer(lambda n: "```py\nx = 1\n```\n\n" * (n // 19))
    found["many unclosed indented fences"] = answer(lambda n: "- item\n\n  ```a\n  code\n" * (n // 25))
    found["many paragraphs with markup"] = answer(lambda n: "Some *em*, `code` & [a](b).\n\n" * (n // 30))
    found["many removed elements"] = answer(lambda n: "<script>x</script> <u onclick=y>z</u>\n" * (n // 40))
    found["many missing images"] = answer(lambda n: "![a](img/none-{}.png)\n".format("x") * (n // 24))
    found["many indented fences"] = answer(lambda n: "- item\n  ```\n  x\n" * (n // 20))
    return found


def run_one(name: str, n: int) -> None:
    """Build the family's lesson of size n in this process; print seconds and peak memory (KB)."""
    import resource

    from ankideploy.build import BuildOptions, build

    text = families()[name](n)
    with tempfile.TemporaryDirectory(prefix="linear-") as tmp:
        warm = Path(tmp) / "warm"  # imports and first-use set-up are not part of the figure
        warm.mkdir()
        (warm / "1.1-warm.md").write_text(lesson(line="*a* `b` <b>c</b> [d](e)", lines="```py\nx\n```"),
                                          encoding="utf-8")
        build([warm], BuildOptions(out_dir=Path(tmp) / "warm-out", use_state=False, cache_dir=None, jobs=1))
        course = Path(tmp) / "course"
        course.mkdir()
        (course / "1.1-runs.md").write_text(text, encoding="utf-8")
        options = BuildOptions(out_dir=Path(tmp) / "out", use_state=False, cache_dir=None, jobs=1)
        start = time.perf_counter()
        build([course], options)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_kb": peak, "chars": len(text)}))


def timed(name: str, n: int, timeout: float) -> dict | None:
    try:
        done = subprocess.run([sys.executable, __file__, "--one", name, str(n)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{name} at {n}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(name: str, start: int, min_seconds: float, cap: int, timeout: float) -> dict:
    n = start
    while True:
        small = timed(name, n, timeout)
        if small is None:
            return {"family": name, "n": n, "ratio": None, "verdict": f"TIMEOUT at n={n}"}
        if small["seconds"] >= min_seconds or n * 4 > cap:
            break
        n *= 4
    large = timed(name, 4 * n, timeout)
    if large is None:
        return {"family": name, "n": n, "small": small, "ratio": None, "verdict": f"TIMEOUT at n={4 * n}"}
    # The best of three of each: a busy machine only ever slows a run down.
    for _ in range(2):
        again = timed(name, n, timeout)
        small = again if again and again["seconds"] < small["seconds"] else small
        again = timed(name, 4 * n, timeout)
        large = again if again and again["seconds"] < large["seconds"] else large
    ratio = large["seconds"] / small["seconds"]
    return {"family": name, "n": n, "small": small, "large": large, "ratio": ratio,
            "verdict": "ok" if ratio <= MAX_RATIO else "TOO SLOW"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="", help="only families whose name matches this regex")
    parser.add_argument("--list", action="store_true", help="list the families and exit")
    parser.add_argument("--start", type=int, default=16_000, help="first size tried, in characters")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="grow n until one build takes this long")
    parser.add_argument("--cap", type=int, default=4_000_000, help="largest n tried for time(n)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one build may take")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--one", nargs=2, metavar=("FAMILY", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run_one(args.one[0], int(args.one[1]))
        return 0
    chosen = [name for name in families() if re.search(args.family, name)]
    if args.list:
        print("\n".join(chosen))
        return 0
    results, failed = [], 0
    for name in chosen:
        result = measure(name, args.start, args.min_seconds, args.cap, args.timeout)
        results.append(result)
        failed += result["verdict"] != "ok"
        small, large = result.get("small"), result.get("large")
        figures = (f"n={result['n']:>9,}  t(n)={small['seconds']:7.3f}s  t(4n)={large['seconds']:7.3f}s"
                   f"  ratio={result['ratio']:5.2f}  peak(4n)={large['peak_kb'] / 1024:7.1f} MB"
                   if large else "")
        print(f"{result['verdict']:<8} {name:<55} {figures}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(f"{len(chosen) - failed} of {len(chosen)} families linear (time(4n)/time(n) <= {MAX_RATIO})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
