"""What a build tells its user: a summary table on stdout and a JSON report
(``ankideploy-report.json`` beside the packages) for scripts and CI."""
from __future__ import annotations

import json
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
        "retired": result.retired,
        "notices": result.notices,
        "errors": result.diagnostics.error_count,
        "warnings": result.diagnostics.warning_count,
    }


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
    if result.retired:
        labels = ", ".join(r["label"] or r["guid"] for r in result.retired)
        click.echo(f"retired: {len(result.retired)} note{'s' * (len(result.retired) != 1)} no longer in the"
                   f" content ({labels}); learners keep them until they delete them", err=True)
    if result.packages:
        total = sum(sum(row.counts[k] for k in ("new", "changed", "unchanged")) for row in result.rows)
        click.echo(f"wrote {len(result.packages)} package{'s' * (len(result.packages) != 1)}, {total} notes;"
                   f" report: {result.report}")
    else:
        click.echo("no package written", err=True)
