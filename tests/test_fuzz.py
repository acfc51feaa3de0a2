"""Never a traceback: whatever a lesson file holds, the result is notes or diagnostics.

Property-based: arbitrary text, Markdown-like text, random bytes, huge lines, deep
nesting and mutated copies of the real lesson go through the parser
(``parse_lesson``), one file's whole processing (``process_file``: parse, render,
sanitise, media) and the whole build. The default run keeps a few hundred
examples; ``-m slow`` runs more than ten thousand per strategy.
"""
from __future__ import annotations

import os
import shutil
import string
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LESSON_MD, build_decks
from test_sanitise import KNOWN_BAD, VECTORS, process, unsafe_parts

# The vectors whose failure test_sanitise already pins (xfail) would only make every run fail here.
FUZZ_VECTORS = [v for v in VECTORS if v not in KNOWN_BAD]
LESSON_TEXT = LESSON_MD.read_text(encoding="utf-8")
LESSON_LINES = LESSON_TEXT.split("\n")
SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.large_base_example, HealthCheck.function_scoped_fixture]


def fast(n: int):
    return settings(max_examples=n, deadline=None, suppress_health_check=SUPPRESS)


def slow(n: int = 10_000):
    """``n`` examples, scaled by ANKIDEPLOY_FUZZ_SCALE (CI runs a few minutes' worth: see .ci/run)."""
    scale = float(os.environ.get("ANKIDEPLOY_FUZZ_SCALE", "1") or 1)
    return settings(max_examples=max(10, int(n * scale)), deadline=None, suppress_health_check=SUPPRESS)


@pytest.fixture(autouse=True)
def private_render_cache(tmp_path_factory, monkeypatch):
    """Command-line runs cache renders; keep that cache out of the user's home."""
    monkeypatch.setenv("ANKIDEPLOY_CACHE_DIR", str(tmp_path_factory.mktemp("render-cache")))


# --- strategies -----------------------------------------------------------------------------------

WORDS = st.sampled_from(["Beginner", "Intermediate", "Advanced", "Quick-fire", "How to use", "Q1.", "Q2:",
                         "Question 3)", "(Q1--Q4)", "(Q5–Q8)", "Why interviewers ask:", "Model answer:",
                         "**Model answer:**", "**Why interviewers ask:**", "<!-- id: abc123def -->",
                         "<!-- tags: a b -->", "|", "\\|", "`", "```", "~~~", "---", "***", "#", "###", ">",
                         "- ", "1. ", "* ", "[x](y)", "![a](img/x.png)", "<b>", "</b>", "&amp;", "&#x09;",
                         "Episode 6 — X / 6.9 — Y", "lesson: 6.9", "?", ":", "\t", "  ", "é", "漢字", "🙂",
                         "\u200b", "\u2028", "\x0c", "\x1f", "\x00", "\r"])
INLINE = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=8).map(" ".join)


@st.composite
def markdown_line(draw):
    kind = draw(st.integers(0, 15))
    text = draw(INLINE)
    n = draw(st.integers(0, 12))
    level = st.sampled_from(["Beginner", "Intermediate", "Advanced", "Begginer", ""])
    image = st.sampled_from(["img/x.png", "../../etc/passwd", "/etc/passwd", "https://e.x/a.png", "x.png", ""])
    return [
        lambda: "#" * draw(st.integers(1, 7)) + draw(st.sampled_from(["", " ", "  "])) + text,
        lambda: f"## {draw(level)} (Q{n}--Q{n + draw(st.integers(-3, 5))})",
        lambda: f"### Q{n}{draw(st.sampled_from(['.', ':', ')', '', 'a.']))} {text}",
        lambda: f"**Why interviewers ask:** {text}",
        lambda: f"**Model answer:**{draw(st.sampled_from(['', ' ']))}{text}",
        lambda: "| " + " | ".join(draw(st.lists(INLINE, max_size=5))) + " |",
        lambda: draw(st.sampled_from(["|---|---|---|", "|---|---|", "| --- |", "|:-:|"])),
        lambda: draw(st.sampled_from(["```", "```python", "~~~", "````", "```yaml"])),
        lambda: draw(st.sampled_from(FUZZ_VECTORS)),
        lambda: "  " * n + draw(st.sampled_from(["- ", "1. ", "* "])) + text,
        lambda: "> " * (n % 4 + 1) + text,
        lambda: f"<!-- id: {draw(st.from_regex(r'[a-f0-9]{3,20}', fullmatch=True))} -->",
        lambda: draw(st.sampled_from(["---", "", "", "", "...", "lesson: 6.9", "title: x", "tags: [a, b]"])),
        lambda: text,
        lambda: draw(st.sampled_from(LESSON_LINES)),
        lambda: f"![{text}]({draw(image)})",
    ][kind]()


MARKDOWN = st.lists(markdown_line(), max_size=40).map("\n".join)
ANY_TEXT = st.text(max_size=400)


@st.composite
def mutated_lesson(draw):
    lines = list(LESSON_LINES)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 7))
        i = draw(st.integers(0, len(lines))) if lines else 0
        if op == 0 and lines:
            del lines[min(i, len(lines) - 1)]
        elif op == 1 and lines:
            j = min(i, len(lines) - 1)
            lines.insert(j, lines[j])
        elif op == 2:
            lines.insert(i, draw(markdown_line()))
        elif op == 3 and lines:
            j = min(i, len(lines) - 1)
            text = lines[j]
            k = draw(st.integers(0, len(text)))
            lines[j] = text[:k] + draw(st.text(max_size=5)) + text[k + draw(st.integers(0, 5)):]
        elif op == 4:
            lines = lines[:i]
        elif op == 5 and len(lines) > 2:
            a, b = sorted(draw(st.lists(st.integers(0, len(lines) - 1), min_size=2, max_size=2)))
            lines[a], lines[b] = lines[b], lines[a]
        elif op == 6:
            lines.insert(i, draw(st.sampled_from(FUZZ_VECTORS)))
        elif op == 7 and lines:
            j = min(i, len(lines) - 1)
            lines[j] = lines[j].replace("#", draw(st.sampled_from(["", "#", "##", "####"])), 1)
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


HUGE_CHARS = st.sampled_from(["a", "*", "_", "`", "|", "<", ">", "#", "&", "\\", " ", "-", "é", "<b>", "x|"])


@st.composite
def huge_line(draw, limit=60_000):
    unit = draw(HUGE_CHARS)
    line = unit * (draw(st.integers(1_000, limit)) // len(unit))
    lines = list(LESSON_LINES)
    at = draw(st.sampled_from([i for i, t in enumerate(lines) if t.startswith(("A multi-stage", "### Q2", "| 3 |",
                                                                              "**Why"))]))
    where = draw(st.integers(0, 2))
    if where == 0:
        lines.insert(at, line)
    elif where == 1:
        lines[at] = lines[at] + line
    else:
        lines[at] = lines[at][:20] + line + lines[at][20:]
    return "\n".join(lines)


@st.composite
def deep_nesting(draw, limit=1_500):
    depth = draw(st.integers(1, limit))
    kind = draw(st.integers(0, 7))
    chunk = [
        lambda: "\n".join(">" * i + " x" for i in range(1, min(depth, 300) + 1)),
        lambda: ">" * depth + " x",
        lambda: "<div>" * depth + "x" + "</div>" * depth,
        lambda: "<b><i>" * depth + "x",
        lambda: "*" * depth + "x" + "*" * depth,
        lambda: "[" * min(depth, 800) + "x" + "](y)" * min(depth, 800),
        lambda: "\n".join("  " * i + "- x" for i in range(min(depth, 60))),
        lambda: "`" * min(depth, 300) + "x" + "`" * min(depth, 300),
    ][kind]()
    return LESSON_TEXT.replace("A multi-stage build uses", chunk + "\n\nA multi-stage build uses", 1)


# Pathological input: long runs of every ASCII punctuation character and of whitespace, in every
# position of a lesson; deep nesting of every construct; huge tables. The same families, measured
# for linear time, are in benchmarks/linear_time.py.
RUN_UNITS = st.one_of(st.sampled_from(list(string.punctuation) + [" ", "\t", "\u00a0", " \t"]),
                      st.sampled_from(["<a ", "&amp;", "&#", "[x](", "![", "<!-- ", "**a", "`` ", "\\*", "<b>",
                                       "x|", "*a*", "[a]", "```a\n", "~~~\n", "  ```\n", "- ", "1. ", "> ",
                                       "<a x=\"", "<![CDATA[", "</", "<?", "\\\n", "|\n"]))
POSITIONS = ("preamble", "heading", "before", "why", "line", "lines", "cell")


def _benchmark_families():
    import importlib.util
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "linear_time.py"
    spec = importlib.util.spec_from_file_location("linear_time", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LINEAR = _benchmark_families()


@st.composite
def punctuation_run(draw, limit=20_000):
    """A run of one unit in one position, or shared out over all positions at once."""
    unit, n = draw(RUN_UNITS), draw(st.integers(1, limit))
    position = draw(st.sampled_from(POSITIONS + ("everywhere",)))
    return (LINEAR.everywhere(unit) if position == "everywhere" else LINEAR.at(position, unit))(n)


@st.composite
def nested_construct(draw, limit=3_000):
    """Deep nesting of every construct, and huge tables, from the benchmark's families."""
    names = [name for name in LINEAR.families() if name.startswith(("nested", "answer table", "quick-fire table",
                                                                    "many"))]
    return LINEAR.families()[draw(st.sampled_from(names))](draw(st.integers(1, limit)))


# --- the checks -------------------------------------------------------------------------------------

class Workdir:
    """One temporary content folder per test (hypothesis runs many examples in one test call)."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="fuzz-"))
        (self.path / "img").mkdir()
        (self.path / "img" / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        (self.path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        self.count = 0

    def file(self, data: bytes | str, suffix=".md") -> Path:
        self.count += 1
        path = self.path / f"6.{self.count}-fuzz{suffix}"
        path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        return path

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


@pytest.fixture
def workdir():
    work = Workdir()
    yield work
    work.close()


def source(path: Path):
    from ankideploy.sources import SourceFile

    return SourceFile(path, path.name, path.name, path.parent.resolve())


def line_count(text: str) -> int:
    return max(1, text.count("\n") + 1)


def check_parse(text: str, suffix: str = ".md") -> None:
    from ankideploy.diagnostics import Diagnostics
    from ankideploy.lesson import Lesson
    from ankideploy.sources import parse_lesson

    diags = Diagnostics()
    path = Path("/nonexistent-fuzz") / f"6.1-fuzz{suffix}"
    from ankideploy.sources import SourceFile
    lesson = parse_lesson(text, SourceFile(path, path.name, path.name, path.parent), diags)
    assert lesson is None or isinstance(lesson, Lesson)
    if lesson is None:
        assert diags.error_count >= 1
    lines = line_count(text)
    for d in diags.items:
        assert 1 <= d.line <= lines, (str(d), lines)
        assert d.severity in ("error", "warning", "note") and d.message
    if lesson is not None:
        for q in lesson.questions:
            assert 1 <= q.location.line <= lines and q.answer.text.strip()


def check_process(work: Workdir, data: bytes | str, suffix: str = ".md") -> None:
    path = work.file(data, suffix)
    result = process(source(path))
    raw = path.read_bytes()
    lines = max(1, raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1)
    for d in result.diagnostics:
        assert 1 <= d.line <= lines, (str(d), lines)
    if result.lesson is None:
        assert any(d.severity == "error" for d in result.diagnostics)
        assert result.notes == []
    for note in result.notes:
        for value in note.fields:
            assert isinstance(value, str)
            assert unsafe_parts(value) == [], (value, unsafe_parts(value))
    assert unsafe_parts(result.description or "") == []


# --- default suite: a few hundred examples ---------------------------------------------------------

@fast(150)
@given(ANY_TEXT)
def test_parser_on_arbitrary_text(text):
    check_parse(text)


@fast(150)
@given(MARKDOWN)
def test_parser_on_markdown_like_text(text):
    check_parse(text)
    check_parse(text, ".txt")


@fast(80)
@given(mutated_lesson())
def test_parser_on_mutated_lesson(text):
    check_parse(text.replace("\r\n", "\n"))


@fast(80)
@given(data=MARKDOWN)
def test_process_file_on_markdown_like_text(workdir, data):
    check_process(workdir, data)


@fast(40)
@given(data=mutated_lesson())
def test_process_file_on_mutated_lesson(workdir, data):
    check_process(workdir, data)


@fast(60)
@given(data=st.binary(max_size=600))
def test_process_file_on_random_bytes(workdir, data):
    check_process(workdir, data)
    check_process(workdir, b"\xef\xbb\xbf" + data, ".txt")


@fast(12)
@given(data=huge_line(limit=30_000))
def test_process_file_on_huge_lines(workdir, data):
    check_process(workdir, data)


@fast(20)
@given(data=deep_nesting(limit=600))
def test_process_file_on_deep_nesting(workdir, data):
    check_process(workdir, data)


def check_whole_build(root: Path, data: bytes | str) -> None:
    """A hostile file beside the real lesson: a package is still written, with the real lesson in it."""
    (root / "content" / "ep").mkdir(parents=True)
    (root / "content" / "ep" / LESSON_MD.name).write_text(LESSON_TEXT, encoding="utf-8")
    payload = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    (root / "content" / "7.1-hostile.md").write_bytes(payload)
    result = build_decks([root / "content"], root / "dist", use_state=False)
    assert all(d.line >= 1 for d in result.diagnostics.items)
    real_errors = [d for d in result.diagnostics.items if d.path.endswith(LESSON_MD.name) and d.severity == "error"]
    if not real_errors:  # (a mutated copy of the real lesson clashes with it: then neither need build)
        assert "6.9" in [row.lesson_id for row in result.rows]
        assert len(result.packages) == 1 and result.packages[0].stat().st_size > 0
    leftovers = [p.name for p in (root / "dist").iterdir() if p.name.endswith(".tmp")] \
        if (root / "dist").exists() else []
    assert leftovers == []


@fast(15)
@given(data=st.one_of(MARKDOWN, mutated_lesson(), st.binary(max_size=300)))
def test_whole_build_next_to_the_real_lesson(tmp_path_factory, data):
    check_whole_build(tmp_path_factory.mktemp("build"), data)


@pytest.mark.parametrize("data", [
    "", "\n", "#", "###", "## Beginner", "## Beginner\n### Q1.", "## Quick-fire\n|", "## Quick-fire\n| a |\n|---|",
    "---\n---", "---\n: :\n---\n## Beginner", "---\n- a\n---", "---\nlesson: [\n---", "```\n### Q1. x",
    "## Beginner\n### Q1. x\n**Model answer:**\n```", "\ufeff## Beginner", "\x00", "\r\r\r", "<!--",
    "## Beginner\n### Q1. x\n<!-- id: " + "a" * 100 + " -->\nyes", "## Quick-fire\n| # | Q | A |\n|---|---|---|\n"
    "| | | |", "Episode 6 / 6.9\n## Beginner\n### Q1. a\nb", "## Beginner (Q99999999999999999999--Q1)\n### Q1. a\nb",
    "## Beginner (Q5--Q1)\n### Q3. a\nb", "## Beginner\n### Q" + "9" * 5000 + ". a\nb",
    "## Quick-fire\n| # | Question | Answer |\n|---|---|---|\n| " + "9" * 5000 + " | a? | b |",
    pytest.param("## Beginner (Q" + "9" * 5000 + "--Q1)\n### Q1. a\nb"),
    pytest.param("## Beginner (Q1--Q2)\n### Q" + "9" * 5000 + ". a\nb"),
], ids=lambda d: repr(d)[:30])
def test_process_file_on_edge_cases(workdir, data):
    check_process(workdir, data)
    check_process(workdir, data, ".txt")


def test_huge_section_range_costs_no_memory(tmp_path):
    """Run in a child with a 1 GB address-space limit, so the machine is never at risk."""
    import resource
    import subprocess
    import sys

    lesson = tmp_path / "6.1-range.md"
    lesson.write_text("## Beginner (Q1--Q999999999)\n\n### Q1. One?\n\n**Model answer:** Yes.\n", encoding="utf-8")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run([sys.executable, "-m", "ankideploy", "check", str(lesson)], capture_output=True,
                            text=True, timeout=120, preexec_fn=limit)
    assert result.returncode in (0, 1), result.stderr
    assert "internal error" not in result.stderr and "6.1-range.md:1:" in result.stderr


def test_deeply_nested_list_is_a_diagnostic_not_an_exception(workdir):
    nested = "\n".join("  " * i + "- item" for i in range(300))
    check_process(workdir, LESSON_TEXT.replace("A multi-stage build uses", nested + "\n\nA multi-stage build uses", 1))


def test_text_too_deep_to_render_leaves_the_next_text_as_it_renders_alone():
    """Python-markdown gives up half-way through a text nested deeper than the stack allows: the
    texts rendered after it in the same process must not inherit the list it was inside."""
    import sys
    import traceback

    from ankideploy.diagnostics import Diagnostics
    from ankideploy.media import Media
    from ankideploy.render import Renderer

    def render(text: str) -> tuple[str, list[str]]:
        diags = Diagnostics()
        return Renderer("t.md", None, None, diags, Media()).block(text, 1), [d.message for d in diags.items]

    after = "Intro:\n- [x] tests pass\n- [ ] docs updated\n\nThen *review*."
    alone = "<p>Intro:</p>\n<ul>\n<li>☑ tests pass</li>\n<li>☐ docs updated</li>\n</ul>\n<p>Then <em>review</em>.</p>"
    assert render(after) == (alone, [])
    nested = "\n".join("  " * i + "- item" for i in range(35))  # within the nesting limit
    normal, depth = sys.getrecursionlimit(), len(traceback.extract_stack())
    for limit in range(depth + 20, depth + 1000, 5):  # the first stack small enough to stop python-markdown
        try:
            sys.setrecursionlimit(limit)
            _, messages = render(nested)
        finally:
            sys.setrecursionlimit(normal)
        if messages:
            break
    assert messages == ["this text is nested too deeply to render"]
    assert render(after) == (alone, [])


@pytest.mark.parametrize("command", ["check", "build"])
def test_deeply_nested_list_through_the_cli_is_a_content_error(tmp_path, command):
    from click.testing import CliRunner

    from ankideploy.cli import main

    nested = "\n".join("  " * i + "- item" for i in range(300))
    lesson = tmp_path / "6.1-nested.md"
    lesson.write_text("## Beginner\n\n### Q1. Deep?\n\n**Model answer:**\n\n" + nested + "\n", encoding="utf-8")
    extra = ["-o", str(tmp_path / "dist"), "--no-state"] if command == "build" else []
    result = CliRunner().invoke(main, [command, str(lesson), *extra])
    assert result.exit_code == 1 and "internal error" not in result.stderr
    assert "6.1-nested.md:7:" in result.stderr


# --- slow: ten thousand examples and more -----------------------------------------------------------

@pytest.mark.slow
@slow()
@given(ANY_TEXT)
def test_slow_parser_on_arbitrary_text(text):
    check_parse(text)


@pytest.mark.slow
@slow()
@given(MARKDOWN)
def test_slow_parser_on_markdown_like_text(text):
    check_parse(text)
    check_parse(text, ".txt")


@pytest.mark.slow
@slow()
@given(mutated_lesson())
def test_slow_parser_on_mutated_lesson(text):
    check_parse(text.replace("\r\n", "\n"))


@pytest.mark.slow
@slow()
@given(data=st.one_of(MARKDOWN, mutated_lesson(), st.binary(max_size=2000), ANY_TEXT))
def test_slow_process_file(workdir, data):
    check_process(workdir, data)


@pytest.mark.slow
@slow(300)
@given(data=st.one_of(huge_line(limit=200_000), deep_nesting(limit=5_000)))
def test_slow_process_file_on_huge_and_deep(workdir, data):
    check_process(workdir, data)


@pytest.mark.slow
@slow(500)
@given(data=st.one_of(MARKDOWN, mutated_lesson(), st.binary(max_size=1000)))
def test_slow_whole_build_next_to_the_real_lesson(tmp_path_factory, data):
    check_whole_build(tmp_path_factory.mktemp("build"), data)


@pytest.mark.slow
def test_long_run_of_brackets_renders_in_reasonable_time(workdir):
    start = time.monotonic()
    check_process(workdir, LESSON_TEXT.replace("A multi-stage build uses", "[" * 10_000 + "\n\nA multi-stage", 1))
    assert time.monotonic() - start < 5  # ~20 s now; the rest of the lesson takes well under a second


@fast(60)
@given(data=punctuation_run())
def test_process_file_on_runs_of_punctuation_and_whitespace(workdir, data):
    check_process(workdir, data)


@fast(30)
@given(data=nested_construct())
def test_process_file_on_deep_nesting_and_huge_tables(workdir, data):
    check_process(workdir, data)


@pytest.mark.slow
@slow(2_000)
@given(data=st.one_of(punctuation_run(limit=200_000), nested_construct(limit=100_000)))
def test_slow_process_file_on_pathological_input(workdir, data):
    check_process(workdir, data)
