"""The add-on's settings: defaults and per-key validation.

Plain Python (no aqt, no anki) so the tests can check it without Anki running.
The defaults here must equal config.json; a test keeps the two in step.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

MAX_TIMER_SECONDS = 3600
RETIRED_POLICIES = ("suspend", "tag", "ignore")  # what course updates do with retired notes


@dataclass(frozen=True)
class Settings:
    extra_note_types: tuple[str, ...] = ()
    timer_seconds: int = 0
    show_recorder: bool = True
    retired: str = "suspend"


DEFAULTS = Settings()


def _note_type_names(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(v.strip() for v in value)


def _timer(value: Any) -> int | None:
    # bool is an int subclass: `true` must not become a one-second timer
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_TIMER_SECONDS else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _retired(value: Any) -> str | None:
    return value if value in RETIRED_POLICIES else None


# key -> converter returning the clean value, or None when the value is unusable
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "extra_note_types": _note_type_names,
    "timer_seconds": _timer,
    "show_recorder": _flag,
    "retired": _retired,
}


def parse_settings(raw: Any, logger: logging.Logger) -> Settings:
    """Settings from the user's config; each bad key falls back to its default.

    Missing keys are normal (Anki merges config.json under the user's values),
    so only invalid values and unknown keys are worth one warning.
    """
    if not isinstance(raw, dict):
        logger.warning("config is not a JSON object (%r); using the defaults", type(raw).__name__)
        return DEFAULTS
    values: dict[str, Any] = {}
    invalid: list[str] = []
    for key, convert in _CONVERTERS.items():
        if key not in raw:
            continue
        clean = convert(raw[key])
        if clean is None:
            invalid.append(f"{key}={raw[key]!r}")
        else:
            values[key] = clean
    unknown = sorted(str(k) for k in raw if k not in _CONVERTERS)
    problems = []
    if invalid:
        problems.append("invalid values replaced by their defaults: " + ", ".join(invalid))
    if unknown:
        problems.append("unknown keys ignored: " + ", ".join(unknown))
    if problems:
        logger.warning("config: %s", "; ".join(problems))
    return Settings(**values)
