"""The pipeline: find files → read and parse → render notes → identity → packages.

``process_file`` is everything done to one lesson file; it is pure and
picklable, so a course is processed on every core. Files whose result the
render cache holds for their exact bytes are served first, in this process,
without parsing or rendering (nor importing what does); only the others are
processed. ``build`` joins the results, settles identity and modification times
against the state file, and writes.
"""
from __future__ import annotations

import functools
import os
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import identity, manifest, notetypes, workers
from .cache import RenderCache
from .diagnostics import Diagnostics, UserError
from .file_result import FileResult, LessonFacts, from_entry, source_digest, to_entry
from .lesson import Level
from .note_spec import DeckOptions, NoteSpec, PackageNote
from .atomic import remove_stale_temporaries
from .report import REPORT_FILE, write_report
from .signing import SecretError, load_secret
from .sources import SourceFile, discover
from .sources.files import course_root, decode_text, read_bytes, shown_path

PARALLEL_THRESHOLD = 8  # below this, starting worker processes costs more than it saves


@dataclass
class BuildOptions:
    out_dir: Path = Path("dist")
    package_name: str = "interview-questions"
    per_lesson: bool = False
    deck: DeckOptions = field(default_factory=DeckOptions)
    say_aloud: bool = True
    speak_seconds: int = 0  # the speaking timer of the card's own prompt; 0: none
    strict: bool = False
    state_path: Path | None = None  # None: beside the content
    use_state: bool = True
    jobs: int = 0  # 0: one per core
    write: bool = True
    cache_dir: Path | None = None  # None: no cache
    refresh: bool = False  # every note counts as changed
    default_level: str = ""  # beginner, intermediate or advanced for questions the lesson gives no level
    release: str = ""  # the version's label; default: the time of its newest change


@dataclass
class LessonRow:
    lesson_id: str
    file: str
    counts: dict[str, int]
    package: str = ""


@dataclass
class BuildResult:
    diagnostics: Diagnostics
    rows: list[LessonRow] = field(default_factory=list)
    packages: list[Path] = field(default_factory=list)
    retired: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    note_count: int = 0
    planned: list[PackageNote] = field(default_factory=list)
    report: Path | None = None
    release: manifest.Release | None = None
    course: Path | None = None  # course.json

    def failed(self, strict: bool) -> bool:
        """Errors fail a run; with --strict, warnings too."""
        return bool(self.diagnostics.error_count or (strict and self.diagnostics.warning_count))


@dataclass(frozen=True)
class Settings:
    """What a file's result depends on besides the file itself (part of its cache key)."""

    deck: DeckOptions
    validate_only: bool
    default_level: str = ""  # --default-level: the level of questions the lesson gives none


def process_file(file: SourceFile, settings: Settings, cache: RenderCache | None = None,
                 data: bytes | None = None) -> FileResult:
    """Read (unless ``data``, the file's bytes, is given), parse and render one lesson file. With a
    cache, the renderer calls of unchanged text are served from the file's entry, and the entry is
    then saved with this result for the next build."""
    from . import sources
    from .cached_renderer import CachedRenderer
    from .notes import description, lesson_deck, lesson_notes
    from .render import Media, Renderer
    diags = Diagnostics()
    if data is None:
        data = read_bytes(file, diags)
    text = None if data is None else decode_text(file, data, diags)
    level = Level(settings.default_level) if settings.default_level else None
    lesson = None if text is None else sources.parse_lesson(text, file, diags, level)
    if lesson is None:
        return FileResult(file, None, [], "", "", {}, diags.items)
    key = cache.key(file, settings) if cache else ""
    entry = cache.load(key) if cache else None
    media = Media()
    renderer = CachedRenderer(Renderer(file.shown, file.path.resolve().parent, file.root, diags, media,
                                       validate_only=settings.validate_only),
                              entry.calls() if entry else {}, file.root)
    notes = lesson_notes(lesson, renderer, settings.deck)
    deck = lesson_deck(lesson, settings.deck)
    result = FileResult(file, LessonFacts.of(lesson), notes, deck, description(lesson, renderer), media.files,
                        diags.items)
    if cache:
        cache.save(key, renderer.calls_json(), *to_entry(result, data, media.checked))
    return result


def _look_up(file: SourceFile, settings: Settings,
             cache: RenderCache | None) -> tuple[bytes | None, str, bytes | None, str]:
    """The file's bytes (None when it cannot be read: processing it reports why), its cache key, its
    cache entry's bytes when the entry claims a result for exactly these bytes (not yet verified),
    and their SHA-256."""
    data = read_bytes(file, Diagnostics()) if cache else None
    if data is None:
        return None, "", None, ""
    key, digest = cache.key(file, settings), source_digest(data)
    stored = cache.read(key, result_only=True)
    return data, key, (stored if cache.claims(key, stored, digest) else None), digest


def _process_all(files: list[SourceFile], settings: Settings, cache: RenderCache | None, options: BuildOptions,
                 progress, spare: workers.Spare | None) -> list[FileResult]:
    """Every file's result, in the files' order: from the cache where it holds one, else processed.
    With more than one core, the files to process go to workers first (the first to ``spare``, when
    forked children do them), and this process serves the others from the cache meanwhile."""
    found = [_look_up(file, settings, cache) for file in files]
    return _process_found(files, found, settings, cache, options, progress, spare)


def _process_found(files: list[SourceFile], found: list[tuple[bytes | None, str, bytes | None, str]],
                   settings: Settings, cache: RenderCache | None, options: BuildOptions, progress,
                   spare: workers.Spare | None) -> list[FileResult]:
    results: list[FileResult | None] = [None] * len(files)
    hits = [i for i, (_, _, stored, _) in enumerate(found) if stored is not None]
    misses = [i for i, (_, _, stored, _) in enumerate(found) if stored is None]
    refused: list[int] = []  # the entry claimed these bytes but does not hold up

    def serve_hits() -> None:
        with workers.collector_paused():
            for index in hits:
                served = _served(files[index], cache, *found[index])
                if served is None:
                    refused.append(index)
                else:
                    results[index] = _done(served, progress)

    def serve_hits_and_load_writer() -> None:
        serve_hits()
        if options.write:
            with workers.collector_paused():
                from . import package  # noqa: F401 (its imports take long: done here, while workers work)

    # With many files, workers are worth starting (see _workers_for): this process then serves the
    # hits and loads the writer while they start on the misses, and takes part in those after.
    many = len(hits) >= PARALLEL_THRESHOLD or len(misses) >= PARALLEL_THRESHOLD
    beside = serve_hits_and_load_writer if many else None
    if beside is None:
        serve_hits()
    for batch in (misses, refused):
        processed = _process_misses([files[i] for i in batch], [found[i][0] for i in batch], settings, cache,
                                    options, progress, beside, spare)
        for index, result in zip(batch, processed):
            results[index] = result
        beside = spare = None
    return results


def _spare(files: int, settings: Settings, cache: RenderCache | None,
           options: BuildOptions) -> workers.Spare | None:
    """A child that gets ready to process a file while this process looks the files up, for a
    rebuild that finds one or two of many files edited (see ``workers``); None when no such rebuild
    can be (no cache yet, few files, one core). When every file is served from the cache, it is
    killed unused: its loading cost the other core about 50 ms of CPU."""
    cores = options.jobs or os.cpu_count() or 1
    if not (cache and cores > 1 and files >= PARALLEL_THRESHOLD and workers.CAN_FORK and cache.folder.is_dir()):
        return None
    return workers.Spare(functools.partial(_get_ready, settings))


def _get_ready(settings: Settings) -> None:
    """What processing a file needs, loaded and set up before the file is known."""
    from . import cached_renderer, notes  # noqa: F401
    from .render import Renderer
    from .sources import lesson_reader  # noqa: F401
    Renderer.warm_up(settings.validate_only, set())


def _served(file: SourceFile, cache: RenderCache, data: bytes, key: str, stored: bytes,
            digest: str) -> FileResult | None:
    """The file's result from its entry, if the entry's result is signed and holds up against ``data``
    (whose SHA-256 is ``digest``)."""
    entry = cache.entry(key, stored)
    stored_result = entry.result() if entry else None
    return from_entry(*stored_result, file, data, digest) if stored_result else None


def _process_misses(files: list[SourceFile], data: list[bytes | None], settings: Settings,
                    cache: RenderCache | None, options: BuildOptions, progress, beside=None,
                    spare: workers.Spare | None = None) -> list[FileResult]:
    """The files processed; ``beside()`` is done in this process meanwhile, and ``spare`` may take
    one of them (see ``workers.run_all``)."""
    jobs = _workers_for(len(files), options.jobs or os.cpu_count() or 1, beside is not None)
    if len(files) >= PARALLEL_THRESHOLD and jobs > 1:
        # Read here, so the languages to warm up are known (a file that cannot be read is read
        # again where it is processed, which reports why).
        data = [raw if raw is not None else read_bytes(file, Diagnostics()) for file, raw in zip(files, data)]
        _warm_up(settings, data)
    job = functools.partial(_process_read, settings=settings, cache=cache)
    return workers.run_all(job, list(zip(files, data)), jobs, done=lambda result: progress(1), beside=beside,
                           spare=spare)


def _workers_for(files: int, cores: int, beside: bool) -> int:
    """The processes (this one among them) for processing ``files`` files on ``cores`` cores. A few
    files are done faster in this process than by starting workers, unless this process has work of
    its own beside them (then even one file is worth a worker); many files get a process for every
    four, up to the cores."""
    if beside:
        return min(cores, files + 1)
    return min(cores, files // 4) if files >= PARALLEL_THRESHOLD else 1


def _process_read(item: tuple[SourceFile, bytes | None], settings: Settings, cache: RenderCache | None) -> FileResult:
    result = process_file(item[0], settings, cache, item[1])
    for note in result.notes:
        # Made here, on whichever core processed the file, and sent back with the note: otherwise,
        # without a cache (saving an entry makes them), the build makes every note's fingerprint in
        # one process when it plans them.
        _ = note.fingerprint
    return result


def _warm_up(settings: Settings, data: list[bytes | None]) -> None:
    """What every process renders with, set up once here before the workers start (they share it)."""
    from .highlight import fence_languages
    from .render import Renderer
    languages = set().union(*(fence_languages(raw) for raw in data if raw is not None))
    Renderer.warm_up(settings.validate_only, languages)


def _open_cache(folder: Path | None, notices: list[str]) -> RenderCache | None:
    """The cache, or None: none was asked for, or its secret cannot be had (then a notice says why)."""
    if folder is None:
        return None
    try:
        return RenderCache(folder, load_secret())
    except SecretError as exc:
        notices.append(f"render cache off for this build: {exc}")
        return None


def _done(result: FileResult, progress) -> FileResult:
    progress(1)
    return result


def state_location(root: Path, options: BuildOptions) -> Path | None:
    if not options.use_state:
        return None
    return options.state_path or root / identity.STATE_FILE


def build(paths: list[Path], options: BuildOptions, progress=lambda n: None, on_files=lambda n: None) -> BuildResult:
    if problem := package_name_problem(options.package_name):
        raise UserError(f"package name {options.package_name!r} {problem}")
    if options.write:
        # Whatever happens next, the last build's report must not pass for this one's.
        (options.out_dir / REPORT_FILE).unlink(missing_ok=True)
    diags = Diagnostics()
    result = BuildResult(diags)
    settings = Settings(options.deck, validate_only=not options.write, default_level=options.default_level)
    cache = _open_cache(options.cache_dir, result.notices)
    root = course_root(paths)
    files = discover(paths, diags, root)
    if not files and not diags.error_count:
        diags.error(shown_path(paths[0]) if paths else ".", 1, "no lessons found (no .md, .markdown or .txt file)")
    on_files(len(files))
    spare = _spare(len(files), settings, cache, options)
    try:
        results = _process_all(files, settings, cache, options, progress, spare)
    finally:
        if spare is not None:
            spare.close()
    with workers.collector_paused():  # nothing is parsed or rendered from here on
        return _plan_and_write(paths, options, root, files, results, result)


def _plan_and_write(paths: list[Path], options: BuildOptions, root: Path, files: list[SourceFile],
                    results: list[FileResult], result: BuildResult) -> BuildResult:
    diags = result.diagnostics
    for file_done in results:
        diags.items.extend(file_done.diagnostics)
    _check_clashes(results, diags)
    failed = diags.paths_with_errors()
    good = [r for r in results if r.lesson is not None and r.file.shown not in failed]
    good.sort(key=lambda r: (_natural(r.lesson.lesson_id), r.file.source))
    if options.strict and (diags.error_count or diags.warning_count):
        good = []
    state_path = state_location(root, options)
    # The state is read, planned against and written back by one build at a time.
    with identity.state_lock(state_path if options.write else None, _say):
        whole_course = any(p.is_dir() and p.resolve() == root.resolve() for p in paths)
        existing = {f.source for f in files} if whole_course else None
        plan = _plan(good, identity.State.load(state_path), options, result, existing)
        result.planned = plan.notes
        result.note_count = sum(len(r.notes) for r in good)
        if options.write and good and not (options.strict and (diags.error_count or diags.warning_count)):
            _write(good, plan, options, result)
            _clean_up_after_killed_builds(options, state_path)
            if state_path is not None:
                _save_state(plan.state, state_path, result)
    if options.write and result.failed(options.strict):
        _notice_stale(options.out_dir, result)
    if options.write:
        # Always, so a failed build never leaves the previous build's report to be read as its own.
        try:
            options.out_dir.mkdir(parents=True, exist_ok=True)
            result.report = write_report(result, options.out_dir)
        except OSError as exc:
            raise UserError(f"cannot write {options.out_dir / REPORT_FILE}: {_reason(exc)}") from exc
    return result


def _reason(exc: BaseException) -> str:
    if isinstance(exc, sqlite3.Error):  # SQLite says "disk I/O error" for a full disk or a size limit
        return f"{exc} (is the disk full, or a file size limit reached?)"
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)


def _notice_stale(out_dir: Path, result: BuildResult) -> None:
    """After a failed build, the packages it did not (re)write are older than the content."""
    try:
        older = sorted(p for p in out_dir.glob("*.apkg") if p.is_file() and p not in result.packages)
    except OSError:
        return
    if older:
        shown = ", ".join(shown_path(p) for p in older[:5]) + (f" and {len(older) - 5} more" if len(older) > 5 else "")
        result.notices.append(f"this build failed, so {shown} {'is' if len(older) == 1 else 'are'} from an"
                              " earlier build and may not match the content: do not hand them out")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _clean_up_after_killed_builds(options: BuildOptions, state_path: Path | None) -> None:
    """Temporaries of killed builds: in the output and state folders, and in the cache's top folder
    (where the cache makes its temporaries, see ``RenderCache.save``)."""
    folders = [options.out_dir] + ([state_path.parent] if state_path else []) \
        + ([options.cache_dir] if options.cache_dir else [])
    remove_stale_temporaries(*folders)


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def _check_clashes(results: list[FileResult], diags: Diagnostics) -> None:
    """Two different questions must never share a GUID: their histories would merge. Both places
    get an error, so neither lesson is built: which one is the copy is for the author to say."""
    seen: dict[str, NoteSpec] = {}
    for result in results:
        for note in result.notes:
            other = seen.setdefault(note.guid, note)
            if other is note:
                continue
            why = "the same id" if note.stamped else "the same question text (stamp them to tell them apart)"
            for here, there in ((note, other), (other, note)):
                diags.error(str(here.location.path), here.location.line,
                            f"{here.label} has {why} as {there.label} at {there.location}: id '{here.note_key}'"
                            " would make them one note")


@dataclass
class _Plan:
    notes: list[PackageNote]
    notetypes: dict[str, notetypes.NoteType]
    notetype_mods: dict[str, int]
    state: identity.State
    statuses: dict[str, str] = field(default_factory=dict)  # GUID -> new / changed / unchanged


def _plan(good: list[FileResult], old: identity.State, options: BuildOptions, result: BuildResult,
          existing_files: set[str] | None) -> _Plan:
    planner = identity.Planner(old, identity.build_time(), options.refresh)
    notetype_mods, types = {}, notetypes.load(options.say_aloud, options.speak_seconds)
    for kind, notetype in types.items():
        mod, old_fields = planner.notetype(notetype.id, notetype.name, notetype.signature(), list(notetype.fields))
        notetype_mods[kind] = mod
        if old_fields:
            result.notices.append(
                f"note type '{notetype.name}' changed its fields ({', '.join(old_fields)} -> "
                f"{', '.join(notetype.fields)}): learners must tick 'Merge note types' when importing"
                " this package, or their existing notes will not be updated")
    planned: list[PackageNote] = []
    statuses: dict[str, str] = {}
    for file_result in good:
        counts = dict.fromkeys(["beginner", "intermediate", "advanced", "no-level", "quick-fire", identity.NEW,
                                identity.CHANGED, identity.UNCHANGED, "retired", "skipped"], 0)
        counts["skipped"] = file_result.lesson.skipped
        for note in file_result.notes:
            status, mod, previous = planner.note(note.guid, note.fingerprint, file_result.lesson.lesson_id,
                                                 note.deck, note.label, file_result.file.source)
            counts[status] += 1
            counts[note.level] += 1
            statuses[note.guid] = status
            if previous and previous.deck and previous.deck != note.deck:
                result.notices.append(
                    f"{note.label} moved from deck '{previous.deck}' to '{note.deck}': learners who already"
                    f" have it keep its card in '{previous.deck}' (Anki does not move cards on import)")
            planned.append(PackageNote(note, mod, len(planned) + 1))
        result.rows.append(LessonRow(file_result.lesson.lesson_id, file_result.file.shown, counts))
    _notice_unstamped(good, result)
    _retire(good, planner, result, existing_files, options.out_dir)
    return _Plan(planned, types, notetype_mods, planner.state, statuses)


def _notice_unstamped(good: list[FileResult], result: BuildResult) -> None:
    """One line for all questions without an id: their identity follows their text."""
    files = [r.file.shown for r in good if any(not note.stamped for note in r.notes)]
    count = sum(not note.stamped for r in good for note in r.notes)
    if count:
        where = ", ".join(files[:3]) + (f" and {len(files) - 3} more files" if len(files) > 3 else "")
        result.notices.append(
            f"{count} note{'s' * (count != 1)} without an id (questions and quick-fire rows; {where}): they are"
            " known by their question's text, so editing that text makes a new note; run 'ankideploy stamp'"
            " and commit the result")


def _retire(good: list[FileResult], planner: identity.Planner, result: BuildResult,
            existing_files: set[str] | None, out_dir: Path) -> None:
    """This build's retirements are counted per lesson; every retired note is reported."""
    rows = {row.lesson_id: row for row in result.rows}
    gone = planner.retire({r.file.source for r in good}, {n.guid for r in good for n in r.notes}, existing_files)
    retired_now = {guid for guid, _ in gone}
    # The question text of a retired note is in the package it was last built into, not in the state.
    texts = manifest.questions_from_packages(out_dir, {guid for guid, _ in gone})
    for guid, entry in gone:
        planner.state.retired[guid].question = texts.get(guid, "")
        if entry.lesson in rows:
            rows[entry.lesson].counts["retired"] += 1
    for guid, entry in planner.retired_notes():
        result.retired.append({"guid": guid, "id": entry.id, "lesson": entry.lesson, "label": entry.label,
                               "question": entry.question, "deck": entry.deck, "file": entry.file,
                               "since": entry.retired, "this_build": guid in retired_now})


def _write(good: list[FileResult], plan: _Plan, options: BuildOptions, result: BuildResult) -> None:
    from . import package  # imported when needed: see _process_all
    by_file: dict[str, list[PackageNote]] = {}
    for note in plan.notes:
        by_file.setdefault(note.spec.source_file, []).append(note)
    # result.rows runs parallel to good: one row per lesson file, in the same order.
    groups = [([r], [row]) for r, row in zip(good, result.rows)] if options.per_lesson else [(good, result.rows)]
    names: set[str] = set()
    release = result.release = _release(good, plan, options)
    written: list[tuple[Path, str]] = []
    for members, rows in groups:
        notes = [note for r in members for note in by_file.get(r.file.source, [])]
        # The first package also tells about the retired notes of lessons that are no more.
        descriptions = {r.deck: r.description + manifest.description_section(
            release, r.lesson.lesson_id, len(r.notes), orphans=not written and r is members[0]) for r in members}
        media = {name: path for r in members for name, path in r.media.items()}
        target = options.out_dir / _unique_name(
            _package_file(members[0]) if options.per_lesson else f"{options.package_name}.apkg", names)
        manifest_name = release.manifest_name(target.stem if options.per_lesson else "")
        extra = {manifest_name: release.manifest([note.spec.guid for note in notes])}
        try:
            package.write_package(target, notes, plan.notetypes, plan.notetype_mods, descriptions, media, extra)
        except (OSError, sqlite3.Error) as exc:  # a full disk, a size limit, a read-only folder
            raise UserError(f"cannot write {target}: {_reason(exc)}") from exc
        result.packages.append(target)
        written.append((target, manifest_name))
        for row in rows:
            row.package = str(target)
    result.course = manifest.write_course_json(release, written, options.out_dir)


def _release(good: list[FileResult], plan: _Plan, options: BuildOptions) -> manifest.Release:
    name = manifest.course_name([r.lesson for r in good], options.deck.root, options.package_name)
    return manifest.make_release(name, options.release, plan.notes, plan.state, plan.statuses,
                                 list(plan.notetype_mods.values()))


def _unique_name(name: str, taken: set[str]) -> str:
    """Two lessons with the same number and title must not overwrite each other's package."""
    stem, n, candidate = name[:-len(".apkg")], 1, name
    while candidate.lower() in taken:  # case-insensitive file systems
        n += 1
        candidate = f"{stem}-{n}.apkg"
    taken.add(candidate.lower())
    return candidate


def _package_file(result: FileResult) -> str:
    """A plain, short file name: whatever front matter says, a package never lands outside the
    output folder, and a long title never makes a name the file system refuses."""
    lesson = _shorten(re.sub(r"[^A-Za-z0-9.]+", "-", result.lesson.lesson_id).strip(".-"), 40) or "lesson"
    slug = _shorten(re.sub(r"[^a-z0-9]+", "-", result.lesson.title.lower()).strip("-"), MAX_NAME - len(lesson) - 1)
    return f"{lesson}-{slug}.apkg" if slug else f"{lesson}.apkg"


MAX_NAME = 100  # characters before ".apkg": room for "-2" and the temporary's ".NAME.PID.RANDOM.tmp"


def _shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word ('-') where there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit("-", 1)[0] if "-" in cut[limit // 2:] else cut).strip(".-")


def package_name_problem(name: str) -> str | None:
    """Why ``--name`` cannot name a package file in the output folder, or None when it can."""
    if not name or name.strip() != name:
        return "must be a plain file name without spaces around it"
    if any(sep in name for sep in ("/", "\\", os.sep, os.altsep or "/")) or name in (".", ".."):
        return "must be a file name, not a path (use -o to choose the folder)"
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        return "must not hold control characters"
    if len(name.encode("utf-8")) > MAX_NAME:
        return f"is longer than {MAX_NAME} bytes"
    return None


def _save_state(state: identity.State, path: Path, result: BuildResult) -> None:
    try:
        state.save(path)
    except OSError as exc:
        result.notices.append(f"state not saved to {path} ({exc.strerror or exc}): unchanged notes will count"
                              " as changed next time; pass --state FILE to keep it elsewhere")
