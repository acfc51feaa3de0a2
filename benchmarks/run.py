#!/usr/bin/env python3
"""Build-speed benchmark: ``ankideploy build`` and ``check`` against two genanki baselines.

    .venv/bin/python benchmarks/run.py            # 5 runs of every scenario, N = 100 and 500
    .venv/bin/python benchmarks/run.py --runs 3
    .venv/bin/python benchmarks/run.py --quick    # 1 run, N = 10 and 50: a smoke test

Every timed command is a separate process started from here; its wall time
runs from start to exit. Peak memory is measured two ways: the sum over the
process tree (the command and every worker it starts) of each process's peak
resident set (VmHWM, polled from /proc every 25 ms), and the largest single
process (``/usr/bin/time -f %M``, the ru_maxrss of the tree; without GNU time,
the largest VmHWM polled). The runs of
all scenarios are interleaved, so a slow spell on a shared machine spreads over
all of them instead of landing on one; the table shows medians.

See benchmarks/README.md for the scenarios and the targets.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_common  # noqa: E402
import generate  # noqa: E402

NOTES_PER_LESSON = 21
POLL_SECONDS = 0.025


# ---------------------------------------------------------------- measuring one process tree

def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every thread's), or [] once it is gone."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found.extend(int(p) for p in handle.read().split())
            except OSError:
                continue
    except OSError:
        pass
    return found


def _children_by_scan(pid: int) -> list[int]:
    """The same, for kernels without /proc/<pid>/task/<tid>/children: read every process's parent."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(name))
    return found


def _peak_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class TreePeak(threading.Thread):
    """Polls the peak RSS (VmHWM) of a process's descendants (and of the process itself
    unless ``skip_root``) until told to stop.

    Each process's largest VmHWM seen is kept; their sum is the tree's peak. It is an
    upper bound: pages a forked worker shares with its parent count in both, and the
    peaks need not have happened at the same moment. A process that lives less than
    one polling interval can be missed.
    """

    def __init__(self, root: int, skip_root: bool):
        super().__init__(daemon=True)
        self.root, self.skip_root = root, skip_root
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()
        probe = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
        self.children = _children if os.path.exists(probe) else _children_by_scan

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(POLL_SECONDS)

    def sample(self) -> None:
        pending = [self.root]
        while pending:
            pid = pending.pop()
            peak = None if pid == self.root and self.skip_root else _peak_kb(pid)
            if peak is not None:
                self.peaks[pid] = max(peak, self.peaks.get(pid, 0))
            pending.extend(self.children(pid))


def _gnu_time() -> str | None:
    """/usr/bin/time if it is GNU time (its ``-f %M`` is the largest process's peak RSS)."""
    if not os.access("/usr/bin/time", os.X_OK):
        return None
    try:
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return "/usr/bin/time" if done.returncode == 0 and done.stderr.strip().isdigit() else None


GNU_TIME = _gnu_time()


@dataclass
class Sample:
    wall: float
    tree_kb: int  # sum of per-process peaks over the tree
    largest_kb: int  # the largest single process
    processes: int


class CommandFailed(Exception):
    pass


def timed(cmd: list[str], env: dict, log: Path) -> Sample:
    """Run ``cmd`` to completion; its wall time and peak memory. Output goes to ``log``.*

    The largest process's peak comes from GNU time when there is one. It is not read
    from this process's own wait4(): a child forked from here inherits this process's
    high-water mark until it execs, and Linux keeps it in the child's ru_maxrss. Without
    GNU time it is the largest VmHWM polled.
    """
    rss_file = log.with_suffix(".rss")
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd] if GNU_TIME else cmd
    with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        poller = TreePeak(proc.pid, skip_root=bool(GNU_TIME))
        poller.start()
        proc.wait()
        wall = time.perf_counter() - start
        poller.done.set()
        poller.join()
    if proc.returncode != 0:
        tail = log.with_suffix(".err").read_text(errors="replace")[-2000:]
        raise CommandFailed(f"{' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
    polled_largest = max(poller.peaks.values(), default=0)
    largest = int(rss_file.read_text().split()[-1]) if GNU_TIME else polled_largest
    return Sample(wall, max(sum(poller.peaks.values()), largest), largest, len(poller.peaks))


# ---------------------------------------------------------------- scenarios

@dataclass
class Scenario:
    key: str
    label: str
    size: int | None  # lessons; None for --help
    samples: list[Sample] = field(default_factory=list)

    @property
    def notes(self) -> int | None:
        return self.size * NOTES_PER_LESSON if self.size else None

    def median(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    def median_tree_mb(self) -> float:
        return statistics.median(s.tree_kb for s in self.samples) / 1024

    def median_largest_mb(self) -> float:
        return statistics.median(s.largest_kb for s in self.samples) / 1024


class Bench:
    def __init__(self, work: Path, sizes: tuple[int, int], runs: int):
        self.work, self.sizes, self.runs = work, sizes, runs
        self.lessons = {n: work / f"lessons-{n}" for n in sizes}
        self.notes_json = {n: work / f"notes-{n}.json" for n in sizes}
        tool = Path(sys.executable).with_name("ankideploy")
        self.tool = [str(tool)] if tool.exists() else [sys.executable, "-m", "ankideploy"]
        self.cache_files_seen = 0
        small, large = sizes
        self.scenarios = [
            Scenario("help", "ankideploy --help", None),
            *(Scenario(f"build-{n}", "ankideploy build, cold cache", n) for n in sizes),
            Scenario(f"rebuild-{small}", "ankideploy build, 1 lesson edited", small),
            *(Scenario(f"check-{n}", "ankideploy check, cold cache", n) for n in sizes),
            *(Scenario(f"markdown-{n}", "baseline: genanki + python-markdown", n) for n in sizes),
            *(Scenario(f"floor-{n}", "baseline floor: genanki, ready HTML", n) for n in sizes),
        ]
        self.by_key = {s.key: s for s in self.scenarios}
        self.counter = 0

    # -- set-up

    def env(self, cache: Path) -> dict:
        env = dict(os.environ)
        # Compiled bytecode is kept (in one folder of the work area, warmed up before timing) as
        # on a normal install, even where the environment turns writing .pyc files off.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.work / "pycache")
        env["ANKIDEPLOY_CACHE_DIR"] = str(cache)
        env["XDG_CACHE_HOME"] = str(cache / "xdg")  # in case a default cache location is ever used
        env.pop("SOURCE_DATE_EPOCH", None)
        return env

    def fresh_dir(self, name: str) -> Path:
        self.counter += 1
        path = self.work / "runs" / f"{self.counter:04d}-{name}"
        path.mkdir(parents=True)
        return path

    def prepare(self) -> None:
        for n in self.sizes:
            generate.generate(n, self.lessons[n])
            # An untimed build: warms the file cache, checks the lessons build, and gives
            # the floor baseline its ready HTML.
            run = self.fresh_dir(f"warm-up-{n}")
            cmd = [*self.tool, "build", str(self.lessons[n]), "-o", str(run / "out"), "--no-state"]
            done = subprocess.run(cmd, env=self.env(run / "cache"), capture_output=True, text=True)
            if done.returncode != 0:
                raise CommandFailed(f"warm-up build of {n} lessons failed:\n{done.stderr[-2000:]}")
            package = run / "out" / "interview-questions.apkg"
            self.expect_package(package, n, "ankideploy build")
            self.notes_json[n].write_text(json.dumps(bench_common.export_notes(package)), encoding="utf-8")
            self.note_cache(run / "cache")
            shutil.rmtree(run)
        # Untimed runs of the other commands, so their modules are compiled before timing starts.
        small = self.sizes[0]
        run = self.fresh_dir("warm-up")
        for cmd in ([*self.tool, "--help"], [*self.tool, "check", str(self.lessons[small])],
                    [sys.executable, str(HERE / "baseline_markdown.py"), str(self.lessons[small]), "-o",
                     str(run / "markdown.apkg")],
                    [sys.executable, str(HERE / "baseline_floor.py"), str(self.notes_json[small]), "-o",
                     str(run / "floor.apkg")]):
            done = subprocess.run(cmd, env=self.env(run / "cache"), capture_output=True, text=True)
            if done.returncode != 0:
                raise CommandFailed(f"warm-up {' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
        shutil.rmtree(run)

    def expect_package(self, package: Path, n: int, what: str) -> None:
        found = bench_common.summarise(package)
        wanted = {"notes": n * NOTES_PER_LESSON, "decks": n, "notetypes": 2}
        if found != wanted:
            raise CommandFailed(f"{what} on {n} lessons wrote {found}; expected {wanted}")

    def note_cache(self, cache: Path) -> None:
        if cache.is_dir():
            self.cache_files_seen = max(self.cache_files_seen, sum(1 for p in cache.rglob("*") if p.is_file()))

    # -- one run of one scenario

    def run_once(self, scenario: Scenario, first: bool) -> Sample:
        kind, _, size = scenario.key.partition("-")
        n = int(size) if size else 0
        run = self.fresh_dir(scenario.key)
        env = self.env(run / "cache")
        out = run / "out"
        log = run / "log"
        package = out / "interview-questions.apkg"
        if kind == "help":
            sample = timed([*self.tool, "--help"], env, log)
        elif kind == "build":
            sample = timed([*self.tool, "build", str(self.lessons[n]), "-o", str(out), "--no-state"], env, log)
            self.note_cache(run / "cache")
        elif kind == "rebuild":
            lessons = run / "lessons"
            shutil.copytree(self.lessons[n], lessons)
            cmd = [*self.tool, "build", str(lessons), "-o", str(out), "--no-state"]
            first_build = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if first_build.returncode != 0:
                raise CommandFailed(f"first build of the rebuild scenario failed:\n{first_build.stderr[-2000:]}")
            if not bench_common.edit_one_answer(lessons / generate.lesson_path(n // 2)):
                raise CommandFailed(f"no model answer to edit in {generate.lesson_path(n // 2)}")
            sample = timed(cmd, env, log)
        elif kind == "check":
            sample = timed([*self.tool, "check", str(self.lessons[n])], env, log)
            said = log.with_suffix(".out").read_text()
            if f"ok: {n} lessons, {n * NOTES_PER_LESSON} notes" not in said:
                raise CommandFailed(f"check of {n} lessons said: {said[-500:]}")
        elif kind == "markdown":
            sample = timed([sys.executable, str(HERE / "baseline_markdown.py"), str(self.lessons[n]),
                            "-o", str(package)], env, log)
        elif kind == "floor":
            sample = timed([sys.executable, str(HERE / "baseline_floor.py"), str(self.notes_json[n]),
                            "-o", str(package)], env, log)
        else:
            raise ValueError(scenario.key)
        if first and kind not in ("help", "check"):
            self.expect_package(package, n, scenario.label)
        shutil.rmtree(run)
        return sample

    def run_all(self, progress) -> None:
        for index in range(self.runs):
            for scenario in self.scenarios:
                scenario.samples.append(self.run_once(scenario, first=index == 0))
                progress(index, scenario)


# ---------------------------------------------------------------- report

def table(bench: Bench) -> str:
    headers = ("scenario", "lessons", "notes", "median s", "min-max s", "notes/s", "tree MB", "largest MB")
    rows = []
    for s in bench.scenarios:
        walls = [x.wall for x in s.samples]
        rows.append((s.label, str(s.size or "-"), str(s.notes or "-"), f"{s.median():.3f}",
                     f"{min(walls):.2f}-{max(walls):.2f}", f"{s.notes / s.median():,.0f}" if s.notes else "-",
                     f"{s.median_tree_mb():.0f}", f"{s.median_largest_mb():.0f}"))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def targets(bench: Bench) -> list[dict]:
    small, large = bench.sizes
    b = bench.by_key
    t = lambda key: b[key].median()  # noqa: E731
    best = lambda key: min(x.wall for x in b[key].samples)  # noqa: E731
    found = []

    def ratio(name, num, den, limit):
        value = t(num) / t(den)
        found.append({"target": name, "measured": f"{value:.3f}x ({t(num):.3f} s / {t(den):.3f} s;"
                      f" best runs {best(num) / best(den):.3f}x)",
                      "limit": f"<= {limit}x", "value": value, "pass": value <= limit})

    ratio(f"cold build of {small} vs genanki + python-markdown", f"build-{small}", f"markdown-{small}", 1.0)
    ratio(f"rebuild, 1 of {small} lessons edited, vs floor", f"rebuild-{small}", f"floor-{small}", 1.5)
    ratio(f"cold build of {large} vs cold build of {small}", f"build-{large}", f"build-{small}", 5.5)
    memory = b[f"build-{large}"].median_tree_mb()
    found.append({"target": f"peak memory of the build of {large} (process tree)",
                  "measured": f"{memory:.0f} MB (largest process {b[f'build-{large}'].median_largest_mb():.0f} MB)",
                  "limit": "< 200 MB", "value": memory, "pass": memory < 200})
    ratio(f"check of {large} vs build of {large}", f"check-{large}", f"build-{large}", 0.5)
    found.append({"target": "ankideploy --help", "measured": f"{t('help'):.3f} s", "limit": "< 0.3 s",
                  "value": t("help"), "pass": t("help") < 0.3})
    return found


def targets_table(found: list[dict]) -> str:
    widths = [max(len(f[k]) for f in found) for k in ("target", "measured", "limit")]
    lines = []
    for f in found:
        cells = [f["target"].ljust(widths[0]), f["measured"].ljust(widths[1]), f["limit"].ljust(widths[2])]
        lines.append(f"{'PASS' if f['pass'] else 'FAIL'}  " + "  ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of every scenario (default 5)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 1 run, 10 and 50 lessons")
    parser.add_argument("--sizes", default="100,500", help="the small and the large lesson count (default 100,500)")
    parser.add_argument("--work", type=Path, help="keep the generated lessons here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write every sample and target to this file")
    args = parser.parse_args(argv)
    sizes = (10, 50) if args.quick else tuple(int(x) for x in args.sizes.split(","))
    runs = 1 if args.quick else args.runs
    if len(sizes) != 2 or runs < 1:
        parser.error("--sizes takes two counts and --runs at least 1")
    if sys.platform != "linux":
        parser.error("the memory measurement reads /proc: run this on Linux")

    temporary = None if args.work else tempfile.TemporaryDirectory(prefix="ankideploy-bench-")
    work = args.work or Path(temporary.name)
    if args.work and args.work.exists() and any(args.work.iterdir()):
        parser.error(f"--work {args.work} is not empty; name a new or empty folder")
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(work, sizes, runs)
    load_before = os.getloadavg()
    print(f"ankideploy benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}: {runs} run{'s' * (runs != 1)}"
          f" of each scenario, {sizes[0]} and {sizes[1]} lessons ({NOTES_PER_LESSON} notes each)")
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {' '.join(bench.tool)}; load average"
          f" {load_before[0]:.2f}; largest-process memory from {GNU_TIME or 'polled VmHWM'};"
          " bytecode cached in the work folder", flush=True)
    try:
        started = time.perf_counter()
        print("generating lessons and warming up ...", flush=True)
        bench.prepare()

        def progress(index, scenario):
            print(f"  run {index + 1}/{runs}  {scenario.key:<14} {scenario.samples[-1].wall:7.3f} s", flush=True)

        bench.run_all(progress)
    except CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if temporary:
            temporary.cleanup()
    elapsed = time.perf_counter() - started
    found = targets(bench)
    print()
    print(table(bench))
    print()
    print("targets:")
    print(targets_table(found))
    print()
    cache = (f"a cold build wrote {bench.cache_files_seen} files to ANKIDEPLOY_CACHE_DIR"
             if bench.cache_files_seen else "no build wrote to ANKIDEPLOY_CACHE_DIR (no render cache in use)")
    print(f"notes: {cache}.")
    print("  tree MB: sum of every process's peak RSS (an upper bound: forked workers' shared pages count twice);"
          " largest MB: the largest single process.")
    print("  PASS/FAIL use the medians; 'best runs' is the ratio of the fastest runs, less sensitive to other"
          " load on the machine.")
    print(f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; {elapsed:.0f} s in all."
          " Figures from a shared machine are noisy: compare ratios from one run, not across runs.")
    if args.quick:
        print("quick mode: one run on small sets, a smoke test; the targets are meant for 100 and 500 lessons.")
    if args.json:
        data = {"sizes": sizes, "runs": runs, "cpu_count": os.cpu_count(), "cache_files": bench.cache_files_seen,
                "scenarios": [{"key": s.key, "label": s.label, "lessons": s.size, "notes": s.notes,
                               "samples": [vars(x) for x in s.samples]} for s in bench.scenarios],
                "targets": found}
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
