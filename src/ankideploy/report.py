"""What a build tells its user: a summary table on stdout and a JSON report
(``ankideploy-report.json`` beside the packages) for scripts and CI."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click

REPORT_FILE = "ankideploy-report.json"
COLUMNS = [("lesson", "lesson"), ("beginner", "beg"), ("intermediate", "int"), ("advanced", "adv"),
           ("quick-fire", "quick"), ("new", "new"), ("changed", "changed"), ("unchanged", "same"),
           ("retired", "retired")]
# Shown only when some lesson has them, so the house format's table stays as it was.
OPTIONAL_COLUMNS = [("no-level", "no level"), ("skipped", "skipped")]


def report_data(result) -> dict:
    return {
        "lessons": [{"lesson": row.lesson_id, "file": row.file, "package": row.package, **row.counts}
                    for row in result.rows],
        "packages": [str(p) for p in result.packages],
        "course": _course(result),
        # every retired note of the course, in every build until its question comes back
        "retired": result.retired,
        "notices": result.notices,
        "errors": result.diagnostics.error_count,
        "warnings": result.diagnostics.warning_count,
    }


def _course(result) -> dict | None:
    release = getattr(result, "release", None)
    if release is None:
        return None
    return {"name": release.name, "version": release.version, "time": release.time,
            "file": str(result.course) if result.course else None, "changelog": release.changelog.counts()}


def write_report(result, out_dir: Path) -> Path:
    from .atomic import write_atomically
    target = out_dir / REPORT_FILE
    write_atomically(target, (json.dumps(report_data(result), indent=1, ensure_ascii=False) + "\n").encode())
    return target


def _any(result, key: str) -> bool:
    return any(row.counts.get(key) for row in result.rows)


def print_build(result) -> None:
    if result.rows:
        columns = COLUMNS[:4] + [c for c in OPTIONAL_COLUMNS[:1] if _any(result, c[0])] + COLUMNS[4:] \
            + [c for c in OPTIONAL_COLUMNS[1:] if _any(result, c[0])]
        table = [[row.lesson_id, *(str(row.counts.get(key, 0)) for key, _ in columns[1:])] for row in result.rows]
        headers = [title for _, title in columns]
        widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
        click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)) + "  package")
        for row, cells in zip(result.rows, table):
            click.echo("  ".join(c.ljust(w) for c, w in zip(cells, widths)) + f"  {row.package or '-'}")
    for notice in result.notices:
        click.echo(f"note: {notice}", err=True)
    now = [r for r in result.retired if r.get("this_build")]
    earlier = [r for r in result.retired if not r.get("this_build")]
    if now:
        labels = ", ".join(r["label"] or r["guid"] for r in now)
        click.echo(f"retired: {len(now)} note{'s' * (len(now) != 1)} no longer in the content ({labels});"
                   " learners keep them (the add-on suspends them)", err=True)
    if earlier:
        labels = ", ".join(f"{r['label'] or r['guid']} since {_day(r.get('since', 0))}" for r in earlier)
        click.echo(f"still retired: {len(earlier)} note{'s' * (len(earlier) != 1)} ({labels})", err=True)
    release = getattr(result, "release", None)
    if release is not None and result.packages:
        counts = release.changelog.counts()
        click.echo(f"version {release.version}: {counts['new']} new, {counts['changed']} changed,"
                   f" {counts['retired']} retired; subscription file: {result.course}")
    if result.packages:
        total = sum(sum(row.counts[k] for k in ("new", "changed", "unchanged")) for row in result.rows)
        click.echo(f"wrote {len(result.packages)} package{'s' * (len(result.packages) != 1)}, {total} notes;"
                   f" report: {result.report}")
    else:
        click.echo("no package written", err=True)


def _day(seconds: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))
