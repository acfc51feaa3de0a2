"""Command line: parses arguments, calls the pipeline, prints. Heavy modules load
inside the commands so ``--help`` stays instant."""
from __future__ import annotations

import errno
import sys
from pathlib import Path

import click

from . import __version__
from .diagnostics import escape_controls

PATHS = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
DEFAULT_LEVEL = click.option("--default-level", type=click.Choice(["beginner", "intermediate", "advanced"]),
                             default=None, help="Level of questions the lesson gives none (front matter 'level:'"
                             " wins); without it they have no level.")


def _paths(paths: tuple[Path, ...]) -> list[Path]:
    chosen = list(paths) or [Path("content")]
    missing = [str(p) for p in chosen if not p.exists()]
    if missing:
        hint = "" if paths else " (run from a course folder, or name the lesson files and folders)"
        raise click.UsageError(escape_controls(f"no such file or folder: {', '.join(missing)}{hint}"))
    return chosen


def _print_diagnostics(diags) -> None:
    shown, rest = diags.shown()
    for item in shown:
        click.echo(str(item), err=True)
    if rest:
        click.echo(f"... and {rest} more not shown (errors are shown first)", err=True)
    if diags.items:
        click.echo(diags.total_line(), err=True)


# Failures of the machine or the file system the user can fix: a full disk, a size limit, no
# permission, a read-only folder, a name too long, a path that is a file. Any other OSError is a bug.
USER_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.ENAMETOOLONG, errno.EIO, errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.ENOENT,
               errno.EMFILE, errno.ENFILE, errno.ELOOP, errno.EXDEV}


def _user_message(exc: BaseException) -> str | None:
    """The one line a user error is shown as, or None when ``exc`` is a bug."""
    from .diagnostics import UserError
    from .identity import StateError
    if isinstance(exc, (UserError, StateError)):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in USER_ERRNOS:
        where = exc.filename if exc.filename is not None else ""
        return f"{where}: {exc.strerror}" if where else (exc.strerror or str(exc))
    return None


def _guard(debug: bool, action):
    """Content problems are diagnostics; problems the user can fix are one 'error:' line, exit 1;
    anything else is our bug: one line, or the trace with --debug, exit 3."""
    try:
        return action()
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted; no package was changed", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence
        if (message := _user_message(exc)) is not None:
            click.echo(f"error: {escape_controls(message)}", err=True)
            sys.exit(1)
        if debug:
            raise
        click.echo(escape_controls(f"internal error: {type(exc).__name__}: {exc} (please report it; --debug"
                                   " shows the trace)"), err=True)
        sys.exit(3)


def _package_name(ctx, param, value: str) -> str:
    from .build import package_name_problem
    if problem := package_name_problem(value):
        raise click.BadParameter(escape_controls(f"{value!r} {problem}"))
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ankideploy")
def main() -> None:
    """Turn interview-question lessons into tagged, levelled Anki decks.

    Lessons are Markdown files (or their plain-text rendering) with Beginner /
    Intermediate / Advanced sections of '### Q1.' questions and a Quick-fire table.
    """


def build_options(func):
    options = [
        click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
                     show_default=True, help="Folder the .apkg files are written to."),
        click.option("--per-lesson", is_flag=True, help="Write one .apkg per lesson instead of one for all."),
        click.option("--name", "package_name", default="interview-questions", show_default=True,
                     callback=_package_name,
                     help="File name (without .apkg, no folder) of the single package."),
        click.option("--level-subdecks", is_flag=True,
                     help="Put each level (and the quick-fire rows) in its own subdeck."),
        click.option("--root-deck", default="", help="A deck to nest every episode under."),
        click.option("--no-say-aloud", is_flag=True,
                     help="Leave the 'Say it aloud' prompt off the question cards."),
        click.option("--speak-seconds", type=click.IntRange(0, 3600), default=0, show_default=True, metavar="N",
                     help="Show an N-second speaking timer in the cards' own 'Say it aloud' prompt (0: no timer)."),
        click.option("--state", "state_path", type=click.Path(path_type=Path),
                     help="State file (default: ankideploy-state.json beside the content). Commit it."),
        click.option("--no-state", is_flag=True, help="Neither read nor write a state file."),
        click.option("--refresh", is_flag=True,
                     help="Count every note as changed, so learners' copies are all updated (after a revert)."),
        click.option("--strict", is_flag=True, help="Treat warnings as errors; any error writes no package."),
        click.option("--release", default="", metavar="LABEL",
                     help="The version's label in course.json and the manifest (default: the time of its newest change)."),
        click.option("--no-cache", is_flag=True,
                     help="Parse and render every lesson afresh, without the render cache ($ANKIDEPLOY_CACHE_DIR"
                          " or ~/.cache/ankideploy)."),
        click.option("-j", "--jobs", type=click.IntRange(0), default=0, help="Worker processes (0: one per core)."),
        click.option("--topic-subdecks", is_flag=True,
                     help="Put the questions of each topic section ('## Kafka consumers') in their own subdeck."),
        DEFAULT_LEVEL,
        click.option("--debug", is_flag=True, help="Show the Python trace of internal errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@main.command()
@PATHS
@build_options
def build(paths, out_dir, per_lesson, package_name, level_subdecks, root_deck, no_say_aloud, speak_seconds,
          state_path, no_state, refresh, strict, release, no_cache, jobs, debug, topic_subdecks, default_level):
    """Build .apkg decks from lesson files and folders (default: content/)."""
    from .report import print_build

    def run():
        from .build import BuildOptions, build as run_build
        from .cache import default_folder
        from .note_spec import DeckOptions
        options = BuildOptions(out_dir=out_dir, package_name=package_name, per_lesson=per_lesson,
                               deck=DeckOptions(level_subdecks, root_deck, topic_subdecks),
                               say_aloud=not no_say_aloud, speak_seconds=speak_seconds, strict=strict,
                               state_path=state_path, use_state=not no_state, jobs=jobs, refresh=refresh,
                               default_level=default_level or "", release=release,
                               cache_dir=None if no_cache else default_folder())
        return _with_progress(lambda progress, on_files: run_build(_paths(paths), options, progress, on_files))

    result = _guard(debug, run)
    _print_diagnostics(result.diagnostics)
    print_build(result)
    sys.exit(1 if result.failed(strict) else 0)


def _with_progress(action):
    """A progress bar on a terminal when there are many files; nothing otherwise."""
    holder = {}

    def on_files(count: int) -> None:
        if count >= 20 and sys.stderr.isatty():
            holder["bar"] = click.progressbar(length=count, label="lessons", file=sys.stderr)
            holder["bar"].__enter__()

    def progress(step: int) -> None:
        if "bar" in holder:
            holder["bar"].update(step)

    try:
        return action(progress, on_files)
    finally:
        if "bar" in holder:
            holder["bar"].__exit__(None, None, None)


@main.command()
@PATHS
@click.option("--strict", is_flag=True, help="Treat warnings as errors (with --coverage, a missing part too).")
@click.option("--explain", is_flag=True,
              help="Print each lesson as read: every card with its line, level and where the level came from,"
                   " and every skipped block with its reason.")
@click.option("--coverage", is_flag=True,
              help="Print, per question, which of definition, example and pitfall its model answer covers.")
@DEFAULT_LEVEL
@click.option("--debug", is_flag=True, help="Show the Python trace of internal errors.")
def check(paths, strict, explain, coverage, default_level, debug):
    """Parse and validate lessons and report every problem.

    Writes no package, no report and no state file; only the render cache is updated.
    """
    def run():
        from .build import BuildOptions, build as run_build
        from .cache import default_folder
        return run_build(_paths(paths), BuildOptions(write=False, use_state=False, strict=strict,
                                                     cache_dir=default_folder(), default_level=default_level or ""))

    if explain:
        _guard(debug, lambda: _explain(_paths(paths), default_level))
    result = _guard(debug, run)
    table = _guard(debug, lambda: _coverage(paths, result, strict, default_level)) if coverage else None
    _print_diagnostics(result.diagnostics)
    if table:
        click.echo(table)
    notes = result.note_count
    if not (result.diagnostics.error_count or result.diagnostics.warning_count):
        click.echo(f"ok: {len(result.rows)} lesson{'s' * (len(result.rows) != 1)}, {notes} notes")
    sys.exit(1 if result.failed(strict) else 0)


def _coverage(paths, result, strict: bool, default_level: str | None) -> str:
    """check --coverage: the table of parts per question; with --strict a missing part is a warning."""
    from .coverage import coverage_report, lesson_coverage, warn_missing
    lessons = lesson_coverage(_paths(paths), default_level or "")
    if strict:
        warn_missing(lessons, result.diagnostics)
    return coverage_report(lessons)


def _explain(paths: list[Path], default_level: str | None) -> None:
    """What ``check --explain`` prints before the diagnostics: each lesson as read."""
    from .diagnostics import Diagnostics
    from .explain import explain
    from .lesson import Level
    from .sources import discover, read_lesson
    from .sources.files import course_root

    root = course_root(paths)
    for file in discover(paths, Diagnostics(), root):
        lesson = read_lesson(file, Diagnostics(), Level(default_level) if default_level else None)
        click.echo(explain(lesson, file.shown) if lesson else f"{file.shown}: not read (see the errors below)")


@main.command()
@PATHS
@click.option("--debug", is_flag=True, help="Show the Python trace of internal errors.")
def stamp(paths, debug):
    """Write a stable id under every question and quick-fire row that lacks one.

    Ids keep notes (and their review history) attached to their questions through
    any later edit. Stamping keeps the ids a build would derive, so nothing a
    learner has changes; commit the stamped files.
    """
    from .stamp import stamp_paths
    result = _guard(debug, lambda: stamp_paths(_paths(paths)))
    _print_diagnostics(result.diagnostics)
    for path, count in result.stamped:
        click.echo(escape_controls(f"{path}: stamped {count} id{'s' * (count != 1)}"))
    if not result.stamped and not result.diagnostics.error_count:
        click.echo("every question already has an id")
    sys.exit(1 if result.diagnostics.error_count else 0)


@main.command()
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("dist"),
              show_default=True, help="Folder the .ankiaddon file is written to.")
@click.option("--source", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="The add-on folder (default: addon/ of this checkout).")
def addon(out_dir, source):
    """Package the 'Say it aloud' Anki add-on as a .ankiaddon file."""
    from .addon_package import package_addon
    try:
        target = package_addon(source, out_dir)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"wrote {target}")


@main.command()
@PATHS
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("dist/preview"), show_default=True, help="Folder the gallery is written to.")
@click.option("--png", is_flag=True, help="Also save screenshots of every card (needs Chromium).")
@click.option("--debug", is_flag=True, help="Show the Python trace of internal errors.")
def preview(paths, out_dir, png, debug):
    """Render every card with Anki's own template engine into a static HTML gallery.

    Open OUT/index.html in a browser: search, levels, tags, light/dark and phone
    width. Needs the anki package (pip install anki); --png needs Chromium.
    """
    from .preview import PreviewError, make_preview

    def run():
        try:
            return make_preview(_paths(paths), out_dir, png=png)
        except PreviewError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    result = _guard(debug, run)
    _print_diagnostics(result.diagnostics)
    if not result.cards:
        click.echo("error: no cards to preview", err=True)
        sys.exit(1)
    total, interview, media = len(result.cards), sum(c.kind == "interview" for c in result.cards), len(result.media)
    click.echo(f"wrote {result.index}: {total} card{'s' * (total != 1)} ({interview} interview,"
               f" {total - interview} quick-fire)" + (f", {media} media file{'s' * (media != 1)}" if media else ""))
    if result.screenshots:
        click.echo(f"wrote {len(result.screenshots)} screenshots to {result.index.parent / 'png'}")
    if result.png_error:
        click.echo(f"error: {result.png_error}", err=True)
    sys.exit(1 if result.png_error or result.diagnostics.error_count else 0)


if __name__ == "__main__":
    main()
