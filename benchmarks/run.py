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


def _pss_kb(pid: int) -> int | None:
    """The process's proportional set size now: each shared page split between its sharers."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


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

    Each poll also adds up the tree's proportional set sizes (PSS, shared pages split
    between the processes sharing them) at that moment; the largest such sum is the
    memory the tree held at once, as far as the polls saw (a peak shorter than one
    interval can be missed, so it is a lower estimate).
    """

    def __init__(self, root: int, skip_root: bool):
        super().__init__(daemon=True)
        self.root, self.skip_root = root, skip_root
        self.peaks: dict[int, int] = {}
        self.pss_kb = 0  # the largest sum of PSS over the tree in one poll
        self.done = threading.Event()
        probe = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
        self.children = _children if os.path.exists(probe) else _children_by_scan

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(POLL_SECONDS)

    def sample(self) -> None:
        pending, pss = [self.root], 0
        while pending:
            pid = pending.pop()
            measured = not (pid == self.root and self.skip_root)
            peak = _peak_kb(pid) if measured else None
            if peak is not None:
                self.peaks[pid] = max(peak, self.peaks.get(pid, 0))
                pss += _pss_kb(pid) or 0
            pending.extend(self.children(pid))
        self.pss_kb = max(self.pss_kb, pss)


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
    cpu: float  # user + system seconds of the whole process tree
    tree_kb: int  # sum of per-process peaks over the tree
    largest_kb: int  # the largest single process
    processes: int
    pss_kb: int = 0  # the largest sum of the tree's PSS seen at one moment


class CommandFailed(Exception):
    pass


def timed(cmd: list[str], env: dict, log: Path) -> Sample:
    """Run ``cmd`` to completion; its wall time, CPU time and peak memory. Output goes to ``log``.*

    CPU time is user + system time from wait4() on the command: the kernel adds to it the
    time of every descendant the command waited for, so worker processes count (a pool
    joins its workers before the command exits).

    The largest process's peak comes from GNU time when there is one. It is not read
    from wait4()'s ru_maxrss: a child forked from here inherits this process's
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
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        poller.done.set()
        poller.join()
    if proc.returncode != 0:
        tail = log.with_suffix(".err").read_text(errors="replace")[-2000:]
        raise CommandFailed(f"{' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
    polled_largest = max(poller.peaks.values(), default=0)
    largest = int(rss_file.read_text().split()[-1]) if GNU_TIME else polled_largest
    return Sample(wall, usage.ru_utime + usage.ru_stime, max(sum(poller.peaks.values()), largest), largest,
                  len(poller.peaks), poller.pss_kb)


def cores() -> int:
    """The cores this process may run on (what a parallel run can use)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# ---------------------------------------------------------------- scenarios

@dataclass
class Scenario:
    key: str  # "<kind>-<lessons>"
    label: str
    size: int | None  # lessons; None for --help
    samples: list[Sample] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.key.rpartition("-")[0] if self.size else self.key

    @property
    def notes(self) -> int | None:
        return self.size * NOTES_PER_LESSON if self.size else None

    def median(self, what: str = "wall") -> float:
        return statistics.median(getattr(s, what) for s in self.samples)

    def median_tree_mb(self) -> float:
        return statistics.median(s.tree_kb for s in self.samples) / 1024

    def median_largest_mb(self) -> float:
        return statistics.median(s.largest_kb for s in self.samples) / 1024

    def median_pss_mb(self) -> float:
        return statistics.median(s.pss_kb for s in self.samples) / 1024


class Bench:
    def __init__(self, work: Path, sizes: tuple[int, int], runs: int):
        self.work, self.sizes, self.runs = work, sizes, runs
        self.cores = cores()
        self.lessons = {n: work / f"lessons-{n}" for n in sizes}
        self.notes_json = {n: work / f"notes-{n}.json" for n in sizes}
        self.reference: dict[int, dict] = {}  # lessons -> the warm-up build's notes (bench_common.note_views)
        self.reference_media: dict[int, int] = {}
        tool = Path(sys.executable).with_name("ankideploy")
        self.tool = [str(tool)] if tool.exists() else [sys.executable, "-m", "ankideploy"]
        self.cache_files_seen = 0
        small, large = sizes
        j = self.cores
        self.scenarios = [
            Scenario("help", "ankideploy --help", None),
            Scenario(f"build-{small}", f"ankideploy build -j{j} (every core), no cache", small),
            Scenario(f"build1-{small}", "ankideploy build -j1, no cache", small),
            Scenario(f"coldcache-{small}", f"ankideploy build -j{j}, empty cache (filled)", small),
            Scenario(f"rebuild-{small}", f"ankideploy build -j{j}, 1 lesson edited, cache kept", small),
            Scenario(f"markdown-{small}", "baseline: genanki + python-markdown, 1 process", small),
            Scenario(f"markdownj-{small}", f"baseline: genanki + python-markdown, {j} processes", small),
            Scenario(f"floorgenanki-{small}", "floor candidate: genanki, ready HTML", small),
            Scenario(f"floorwriter-{small}", "floor candidate: ankideploy's writer, ready HTML", small),
            Scenario(f"build-{large}", f"ankideploy build -j{j} (every core), no cache", large),
            Scenario(f"check-{large}", "ankideploy check (every core), empty cache", large),
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
        env["XDG_CONFIG_HOME"] = str(cache.parent / "config")  # the cache's secret: never the user's
        env.pop("SOURCE_DATE_EPOCH", None)
        return env

    def fresh_dir(self, name: str) -> Path:
        self.counter += 1
        path = self.work / "runs" / f"{self.counter:04d}-{name}"
        path.mkdir(parents=True)
        return path

    def build_cmd(self, lessons: Path, out: Path, jobs: int, cache: bool = False) -> list[str]:
        return [*self.tool, "build", str(lessons), "-o", str(out), "--no-state", "-j", str(jobs),
                *([] if cache else ["--no-cache"])]

    def untimed(self, cmd: list[str], env: dict, what: str) -> None:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise CommandFailed(f"{what} failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")

    def prepare(self) -> None:
        for n in self.sizes:
            generate.generate(n, self.lessons[n])
            # An untimed build: warms the file cache, checks the lessons build, and gives the
            # note check its reference and the floor baselines their ready HTML.
            run = self.fresh_dir(f"warm-up-{n}")
            self.untimed(self.build_cmd(self.lessons[n], run / "out", self.cores), self.env(run / "cache"),
                         f"warm-up build of {n} lessons")
            package = run / "out" / "interview-questions.apkg"
            self.expect_package(package, n, "ankideploy build")
            self.reference[n] = bench_common.note_views(package)
            self.reference_media[n] = len(bench_common.media_names(package))
            exported = bench_common.export_notes(package, self.work / f"media-{n}")
            self.notes_json[n].write_text(json.dumps(exported), encoding="utf-8")
            shutil.rmtree(run)
        # Untimed runs of the other commands, so their modules are compiled before timing starts.
        small = self.sizes[0]
        run = self.fresh_dir("warm-up")
        for cmd in ([*self.tool, "--help"], [*self.tool, "check", str(self.lessons[small])],
                    self.baseline_markdown(small, run / "markdown.apkg", self.cores),
                    self.baseline_floor(small, run / "floor.apkg", "genanki"),
                    self.baseline_floor(small, run / "floor2.apkg", "ankideploy")):
            self.untimed(cmd, self.env(run / "cache"), "warm-up")
        shutil.rmtree(run)

    def baseline_markdown(self, n: int, out: Path, jobs: int) -> list[str]:
        return [sys.executable, str(HERE / "baseline_markdown.py"), str(self.lessons[n]), "-o", str(out),
                "-j", str(jobs)]

    def baseline_floor(self, n: int, out: Path, writer: str) -> list[str]:
        return [sys.executable, str(HERE / "baseline_floor.py"), str(self.notes_json[n]), "-o", str(out),
                "--writer", writer]

    def expect_package(self, package: Path, n: int, what: str) -> None:
        found = bench_common.summarise(package)
        wanted = {"notes": n * NOTES_PER_LESSON, "decks": n, "notetypes": 2}
        if found != wanted:
            raise CommandFailed(f"{what} on {n} lessons wrote {found}; expected {wanted}")

    def expect_same_notes(self, package: Path, n: int, what: str, reference: dict | None = None) -> None:
        """The package holds the reference's notes: the same GUIDs, and for each the same note type,
        deck, tags and field text (bench_common.field_text), and as many media files."""
        self.expect_package(package, n, what)
        problems = bench_common.note_differences(reference or self.reference[n], bench_common.note_views(package))
        media = len(bench_common.media_names(package))
        if media != self.reference_media[n]:
            problems.append(f"{media} media files, expected {self.reference_media[n]}")
        if problems:
            raise CommandFailed(f"{what} on {n} lessons did not write the build's notes:\n  " + "\n  ".join(problems))

    def note_cache(self, cache: Path) -> None:
        if cache.is_dir():
            self.cache_files_seen = max(self.cache_files_seen, sum(1 for p in cache.rglob("*") if p.is_file()))

    # -- one run of one scenario

    def run_once(self, scenario: Scenario, first: bool) -> Sample:
        kind, n = scenario.kind, scenario.size or 0
        run = self.fresh_dir(scenario.key)
        env = self.env(run / "cache")
        out = run / "out"
        log = run / "log"
        package = out / "interview-questions.apkg"
        reference = None
        if kind == "help":
            sample = timed([*self.tool, "--help"], env, log)
        elif kind in ("build", "build1", "coldcache"):
            jobs = 1 if kind == "build1" else self.cores
            sample = timed(self.build_cmd(self.lessons[n], out, jobs, cache=kind == "coldcache"), env, log)
            self.note_cache(run / "cache")
        elif kind == "rebuild":
            lessons = run / "lessons"
            shutil.copytree(self.lessons[n], lessons)
            cmd = self.build_cmd(lessons, out, self.cores, cache=True)
            self.untimed(cmd, env, "first build of the rebuild scenario")
            if not bench_common.edit_one_answer(lessons / generate.lesson_path(n // 2)):
                raise CommandFailed(f"no model answer to edit in {generate.lesson_path(n // 2)}")
            sample = timed(cmd, env, log)
            if first:  # the rebuild from the cache holds what a build from nothing holds
                self.untimed(self.build_cmd(lessons, run / "fresh", self.cores), env, "build of the edited lessons")
                reference = bench_common.note_views(run / "fresh" / "interview-questions.apkg")
        elif kind == "check":
            sample = timed([*self.tool, "check", str(self.lessons[n])], env, log)
            said = log.with_suffix(".out").read_text()
            if f"ok: {n} lessons, {n * NOTES_PER_LESSON} notes" not in said:
                raise CommandFailed(f"check of {n} lessons said: {said[-500:]}")
        elif kind in ("markdown", "markdownj"):
            sample = timed(self.baseline_markdown(n, package, self.cores if kind == "markdownj" else 1), env, log)
        elif kind in ("floorgenanki", "floorwriter"):
            sample = timed(self.baseline_floor(n, package, "genanki" if kind == "floorgenanki" else "ankideploy"),
                           env, log)
        else:
            raise ValueError(scenario.key)
        if first and kind not in ("help", "check"):
            self.expect_same_notes(package, n, scenario.label, reference)
        shutil.rmtree(run)
        return sample

    def run_all(self, progress) -> None:
        for index in range(self.runs):
            for scenario in self.scenarios:
                scenario.samples.append(self.run_once(scenario, first=index == 0))
                progress(index, scenario)

    def floor(self) -> Scenario:
        """The faster floor candidate (by median wall time)."""
        small = self.sizes[0]
        return min((self.by_key[f"floorgenanki-{small}"], self.by_key[f"floorwriter-{small}"]),
                   key=lambda s: s.median())


# ---------------------------------------------------------------- report

def table(bench: Bench) -> str:
    headers = ("scenario", "lessons", "wall s", "min-max", "CPU s", "min-max", "CPU/wall", "notes/s",
               "tree MB", "at once MB", "largest MB")
    rows = []
    for s in bench.scenarios:
        walls, cpus = [x.wall for x in s.samples], [x.cpu for x in s.samples]
        rows.append((s.label, str(s.size or "-"), f"{s.median():.3f}", f"{min(walls):.2f}-{max(walls):.2f}",
                     f"{s.median('cpu'):.3f}", f"{min(cpus):.2f}-{max(cpus):.2f}",
                     f"{s.median('cpu') / s.median():.2f}",
                     f"{s.notes / s.median():,.0f}" if s.notes else "-",
                     f"{s.median_tree_mb():.0f}", f"{s.median_pss_mb():.0f}", f"{s.median_largest_mb():.0f}"))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def paired(num: Scenario, den: Scenario, what: str) -> list[float]:
    """The ratio within each repetition: run i of ``num`` over run i of ``den``."""
    return [getattr(a, what) / getattr(b, what) for a, b in zip(num.samples, den.samples)]


def targets(bench: Bench) -> list[dict]:
    """Every target with its measured value: ratios are the median of the paired ratios."""
    small, large = bench.sizes
    b = bench.by_key
    floor = bench.floor()
    found = []

    def ratio(name, num, den, what, limit):
        values = paired(b[num], den if isinstance(den, Scenario) else b[den], what)
        value = statistics.median(values)
        found.append({"target": name, "measured": f"{value:.2f}x", "spread": f"{min(values):.2f}-{max(values):.2f}x",
                      "limit": f"<= {limit:.2f}x" if limit else "-", "value": value, "values": values,
                      "pass": None if limit is None else value <= limit})

    ratio(f"cold build of {small}, CPU: every core / genanki + python-markdown", f"build-{small}",
          f"markdown-{small}", "cpu", 1.0)
    ratio(f"cold build of {small}, CPU: -j1 / genanki + python-markdown", f"build1-{small}",
          f"markdown-{small}", "cpu", None)
    ratio(f"cold build of {small}, wall: -j1 / genanki + python-markdown", f"build1-{small}",
          f"markdown-{small}", "wall", 1.0)
    ratio(f"cold build of {small}, wall: every core / genanki + python-markdown", f"build-{small}",
          f"markdown-{small}", "wall", 0.6)
    ratio(f"cold build of {small}, wall: every core / python-markdown on {bench.cores} processes",
          f"build-{small}", f"markdownj-{small}", "wall", None)
    ratio(f"rebuild, 1 of {small} lessons edited, wall / floor", f"rebuild-{small}", floor, "wall", 1.3)
    ratio(f"cold build of {large} / of {small}, wall", f"build-{large}", f"build-{small}", "wall", 5.2)
    ratio(f"cold build of {large} / of {small}, CPU", f"build-{large}", f"build-{small}", "cpu", None)
    memory = [x.tree_kb / 1024 for x in b[f"build-{large}"].samples]
    found.append({"target": f"cold build of {large}, peak memory of the process tree",
                  "measured": f"{statistics.median(memory):.0f} MB", "spread": f"{min(memory):.0f}-{max(memory):.0f} MB",
                  "limit": "< 150 MB", "value": statistics.median(memory), "values": memory,
                  "pass": statistics.median(memory) < 150})
    at_once = [x.pss_kb / 1024 for x in b[f"build-{large}"].samples]
    found.append({"target": f"cold build of {large}, memory the process tree held at once (PSS)",
                  "measured": f"{statistics.median(at_once):.0f} MB",
                  "spread": f"{min(at_once):.0f}-{max(at_once):.0f} MB", "limit": "-",
                  "value": statistics.median(at_once), "values": at_once, "pass": None})
    ratio(f"check of {large} / cold build of {large}, wall", f"check-{large}", f"build-{large}", "wall", 0.5)
    helps = [x.wall for x in b["help"].samples]
    found.append({"target": "ankideploy --help, wall", "measured": f"{statistics.median(helps):.3f} s",
                  "spread": f"{min(helps):.2f}-{max(helps):.2f} s", "limit": "< 0.30 s",
                  "value": statistics.median(helps), "values": helps, "pass": statistics.median(helps) < 0.3})
    return found


def targets_table(found: list[dict]) -> str:
    headers = {"target": "target", "measured": "median", "spread": "range", "limit": "limit"}
    widths = {k: max(len(h), *(len(f[k]) for f in found)) for k, h in headers.items()}
    line = lambda verdict, cells: f"{verdict:<4}  " + "  ".join(  # noqa: E731
        cells[k].ljust(widths[k]) if k == "target" else cells[k].rjust(widths[k]) for k in headers)
    lines = [line("", headers), line("", {k: "-" * w for k, w in widths.items()})]
    for f in found:
        lines.append(line({True: "PASS", False: "MISS", None: "info"}[f["pass"]], f))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="paired repetitions of every scenario (default 5)")
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
    print(f"ankideploy benchmark, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC:"
          f" {runs} paired repetition{'s' * (runs != 1)} of every scenario, {sizes[0]} and {sizes[1]} lessons"
          f" ({NOTES_PER_LESSON} notes each)")
    print(f"machine: {bench.cores} cores usable ({os.cpu_count()} in all), python {platform.python_version()},"
          f" load average {load_before[0]:.2f}; {' '.join(bench.tool)}", flush=True)
    try:
        started = time.perf_counter()
        print("generating lessons and warming up ...", flush=True)
        bench.prepare()

        def progress(index, scenario):
            sample = scenario.samples[-1]
            print(f"  run {index + 1}/{runs}  {scenario.key:<17} {sample.wall:7.3f} s wall {sample.cpu:7.3f} s CPU",
                  flush=True)

        bench.run_all(progress)
    except CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if temporary:
            temporary.cleanup()
    elapsed = time.perf_counter() - started
    found = targets(bench)
    floor = bench.floor()
    other = next(s for s in (bench.by_key[f"floorgenanki-{sizes[0]}"], bench.by_key[f"floorwriter-{sizes[0]}"])
                 if s is not floor)
    print()
    print(table(bench))
    print()
    print(f"targets on {bench.cores} cores ({sum(f['pass'] is False for f in found)} missed):")
    print(targets_table(found))
    print()
    print(f"floor: {floor.label.split(': ', 1)[1]} ({floor.median():.3f} s; the other, {other.median():.3f} s).")
    cache = (f"a build with an empty cache wrote {bench.cache_files_seen} files to ANKIDEPLOY_CACHE_DIR"
             if bench.cache_files_seen else "no build wrote to ANKIDEPLOY_CACHE_DIR")
    print(f"notes: every package holds the build's notes (same GUIDs, note types, decks, tags, field text and"
          f" media count; checked on the first repetition); {cache}.")
    print("  CPU s: user + system time of the whole process tree (wait4). tree MB: sum of every process's peak"
          " RSS (an upper bound); at once MB: the largest sum of the tree's PSS in one poll (shared pages counted"
          " once; a lower estimate); largest MB: the largest single process.")
    print("  A ratio is the median over the repetitions of (run i of one) / (run i of the other); range: the"
          " smallest and largest of those ratios. MISS: the median misses its limit; info: no limit set.")
    print(f"load average {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; {elapsed:.0f} s in all."
          " Figures from a shared machine are noisy: compare ratios from one run, not across runs.")
    busy = max(load_before[0], os.getloadavg()[0]) > bench.cores - 0.5
    if busy or any(s.median("cpu") < 0.8 * s.median() for s in bench.scenarios if s.kind in ("build1", "markdown")):
        print(f"warning: other work competed for the {bench.cores} cores during this run (the load average, or a"
              " one-process command using its core less than 80% of its wall time): wall-time ratios are"
              " unreliable; CPU-time ratios much less so. Run again on a quiet machine for the wall targets.")
    if args.quick:
        print("quick mode: one run on small sets, a smoke test; the targets are meant for 100 and 500 lessons.")
    if args.json:
        data = {"sizes": sizes, "runs": runs, "cores": bench.cores, "cpu_count": os.cpu_count(),
                "floor": floor.key, "cache_files": bench.cache_files_seen,
                "scenarios": [{"key": s.key, "label": s.label, "lessons": s.size, "notes": s.notes,
                               "samples": [vars(x) for x in s.samples]} for s in bench.scenarios],
                "targets": found}
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
