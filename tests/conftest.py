"""Shared helpers: build decks from content and load them into a real Anki collection."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
LESSON_MD = CONTENT / "episode-6-scaling-reliability-microservices-web3" / "6.9-interview-questions.md"
SEED_TXT = Path(__file__).resolve().parent / "data" / "6.9-seed.txt"


def build_decks(paths, out_dir: Path, epoch: int | None = None, **options):
    """Run the build in-process; returns the BuildResult."""
    from ankideploy.build import BuildOptions, build
    from ankideploy.notes import DeckOptions

    deck = DeckOptions(options.pop("level_subdecks", False), options.pop("root_deck", ""))
    old = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        return build([Path(p) for p in paths], BuildOptions(out_dir=out_dir, deck=deck, jobs=1, **options))
    finally:
        if epoch is not None:
            if old is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = old


def answer_of(field: str) -> str:
    """A Model Answer field without the "Check yourself" block that opens it."""
    head, sep, rest = field.partition("</ul></div>")
    assert sep and head.startswith('<div class="ad-check"'), field[:80]
    return rest


def new_collection(folder: Path):
    from anki.collection import Collection

    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_apkg(col, package: Path, **options):
    """Import with Anki's default options (unless overridden); returns the import log."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions(**options))
    return col.import_anki_package(request).log


def _content_fingerprint() -> dict[str, bytes]:
    return {str(p.relative_to(CONTENT)): p.read_bytes() for p in sorted(CONTENT.rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True, scope="session")
def content_is_never_modified():
    """Tests edit copies; the shipped lessons and their state file stay as committed."""
    before = _content_fingerprint()
    yield
    assert _content_fingerprint() == before, "a test modified content/"


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """Command-line runs in tests use a cache of their own, never the user's."""
    os.environ["ANKIDEPLOY_CACHE_DIR"] = str(tmp_path_factory.mktemp("render-cache"))


@pytest.fixture(autouse=True, scope="session")
def private_config(tmp_path_factory):
    """The cache's secret is made in a configuration folder of the tests' own, never the user's."""
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A private copy of content/ a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target, ignore=shutil.ignore_patterns("ankideploy-state.json"))
    return target


@pytest.fixture
def collection(tmp_path):
    col = new_collection(tmp_path / "anki")
    yield col
    col.close()


def lesson_media(zf) -> dict[str, str]:
    """A package's media entries (zip member -> file name) without its course manifest."""
    import json

    return {key: name for key, name in json.loads(zf.read("media")).items() if not name.startswith("_ankideploy-")}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(module: str):
    """The module, imported; without it the test is skipped, except under CI=true, where the test
    dependencies are installed and a missing one fails the run instead of hiding tests."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if in_ci():
            pytest.fail(f"{module} cannot be imported ({exc}); CI installs every test dependency")
        pytest.skip(f"{module} is not installed")


SHAPES = Path(__file__).resolve().parent / "data" / "shapes"


class ImportedNote:
    """A note as a real collection holds it after the import: its fields and tags."""

    def __init__(self, fields: dict[str, str], tags: list[str]):
        self.fields, self.tags = fields, tags

    def __getitem__(self, name: str) -> str:
        return self.fields[name]

    def keys(self) -> list[str]:
        return list(self.fields)


@pytest.fixture(scope="session")
def shapes_course(tmp_path_factory):
    """Every lesson of tests/data/shapes built as one course and imported into one real
    collection, once: the build's result and the imported notes."""
    root = tmp_path_factory.mktemp("shapes")
    course = root / "course"
    course.mkdir()
    for lesson in sorted(SHAPES.glob("*.md")):
        if lesson.name != "README.md":
            shutil.copy(lesson, course / lesson.name)
    result = build_decks([course], root / "dist", use_state=False)
    col = new_collection(root / "anki")
    try:
        import_apkg(col, result.packages[0])
        notes = [ImportedNote(dict(note.items()), list(note.tags))
                 for note in (col.get_note(nid) for nid in col.find_notes(""))]
    finally:
        col.close()
    return result, notes

