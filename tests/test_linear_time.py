"""Hostile input costs time in proportion to its size: time(4n)/time(n) stays far from the 16 of
quadratic work. The families (shared with benchmarks/linear_time.py, which measures all of them)
are the ones the renderer guards against; each build runs in a process of its own, stopped after
a timeout, so a stall fails quickly. A ratio is steadier than a deadline on a busy machine; the
bound here (8) leaves room for noise, the benchmark checks 5."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "linear_time.py"
MAX_RATIO = 8.0
TIMEOUT = 60


def _benchmark():
    spec = importlib.util.spec_from_file_location("linear_time", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


linear_time = _benchmark()

# (family, n): n large enough that the build's own work dominates its fixed cost.
FAMILIES = [
    ("'<a ' in an answer (review)", 64_000),  # html.parser scans each unclosed '<a' to the block's end
    ("run of '<a ' everywhere", 128_000),
    ("'&amp;' paragraph of short lines (review)", 128_000),  # python-markdown's inline tokens, per paragraph
    ("many unclosed fences", 64_000),
    ("many unclosed indented fences", 64_000),
    ("many closed fences", 64_000),
    ("many removed elements", 64_000),
    ("many missing images", 32_000),
    ("run of '*a*' everywhere", 64_000),
]


@pytest.mark.parametrize("family, n", FAMILIES, ids=[f for f, _ in FAMILIES])
def test_build_time_grows_linearly(family, n):
    def best(size: int) -> float:
        runs = [linear_time.timed(family, size, TIMEOUT) for _ in range(2)]
        assert all(runs), f"{family} at {size} characters took over {TIMEOUT} s"
        return min(run["seconds"] for run in runs)

    small, large = best(n), best(4 * n)
    assert large / small <= MAX_RATIO, f"{family}: {small:.3f} s at {n}, {large:.3f} s at {4 * n}"


def test_every_family_makes_a_lesson_of_about_its_size():
    for name, make in linear_time.families().items():
        small, large = len(make(4_000)), len(make(16_000))
        assert 2.5 < (large - 1_000) / max(1, small - 1_000) < 6, name
