#!/usr/bin/env python3
"""Where a build spends its time: cProfile of one cold build, in a single process.

    .venv/bin/python benchmarks/profile_build.py            # 100 lessons, top 15 by cumulative time
    .venv/bin/python benchmarks/profile_build.py 500 --top 30 --check
    .venv/bin/python benchmarks/profile_build.py --rebuild

The build runs in this process with one job (worker processes are invisible to
cProfile) and no render cache, as ``ankideploy build -j1 --no-cache --no-state``
does, on lessons from ``generate.py``. With
``--rebuild``, a first build fills the cache, one answer of one lesson is
edited, and the second build is profiled (start-up and imports are not in it:
``python -X importtime`` shows those).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common  # noqa: E402
import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=100, help="lessons (default 100)")
    parser.add_argument("--top", type=int, default=15, help="entries to print (default 15)")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    parser.add_argument("--check", action="store_true", help="profile 'check' (write nothing) instead of 'build'")
    parser.add_argument("--rebuild", action="store_true", help="profile a rebuild after editing one lesson")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ankideploy-profile-") as work:
        work = Path(work)
        generate.generate(args.count, work / "lessons")
        os.environ["ANKIDEPLOY_CACHE_DIR"] = str(work / "cache")
        os.environ["XDG_CONFIG_HOME"] = str(work / "config")  # the cache's secret: never the user's
        from ankideploy.build import BuildOptions, build
        # As `ankideploy build -j1 --no-cache --no-state`; a rebuild needs the cache.
        options = BuildOptions(out_dir=work / "out", use_state=False, jobs=1, write=not args.check,
                               cache_dir=work / "cache" if args.rebuild else None)
        if args.rebuild:
            build([work / "lessons"], options)
            bench_common.edit_one_answer(work / "lessons" / generate.lesson_path(args.count // 2))
        profiler = cProfile.Profile()
        profiler.enable()
        result = build([work / "lessons"], options)
        profiler.disable()
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats(args.sort).print_stats(args.top)
        total = stats.total_tt  # type: ignore[attr-defined]
    what = ("check" if args.check else "build") + (" after editing one lesson" if args.rebuild else "")
    print(f"{what} of {args.count} lessons, {result.note_count} notes, one process:"
          f" {total:.2f} s under the profiler")
    print(stream.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
