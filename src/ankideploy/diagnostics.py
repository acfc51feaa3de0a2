"""Problems found in content, reported as ``path:line: severity: message``.

A line is always one line: control characters in file names and messages
(newlines, escape sequences, bidirectional overrides) are shown escaped, so a
crafted file name can neither forge another diagnostic nor recolour the
terminal. Printing is capped: past ``MAX_SHOWN`` problems, errors first, the
rest is a count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
NOTE = "note"  # worth saying, never a failure, not even with --strict
MAX_SHOWN = 500
# C0 and C1 controls, DEL, and the invisible characters that reorder or hide text.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def escape_controls(text: str) -> str:
    def shown(m: re.Match) -> str:
        code = ord(m.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return CONTROL_RE.sub(shown, text)


class UserError(Exception):
    """A problem the user can act on (a file that cannot be written, a bad state file): one
    ``error:`` line, exit 1. Anything else that escapes is a bug."""


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    severity: str
    message: str

    def __str__(self) -> str:
        return escape_controls(f"{self.path}:{self.line}: {self.severity}: {self.message}")


@dataclass
class Diagnostics:
    """Collects every problem of a run so all of them are reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str, line: int, message: str) -> None:
        self.items.append(Diagnostic(path, max(line, 1), ERROR, message))

    def warning(self, path: str, line: int, message: str) -> None:
        self.items.append(Diagnostic(path, max(line, 1), WARNING, message))

    def note(self, path: str, line: int, message: str) -> None:
        self.items.append(Diagnostic(path, max(line, 1), NOTE, message))

    def extend(self, other: "Diagnostics") -> None:
        self.items.extend(other.items)

    def paths_with_errors(self) -> set[str]:
        return {d.path for d in self.items if d.severity == ERROR}

    # The same problem found twice (two <script> tags on one line) is printed, and counted, once.
    @property
    def error_count(self) -> int:
        return sum(d.severity == ERROR for d in set(self.items))

    @property
    def warning_count(self) -> int:
        return sum(d.severity == WARNING for d in set(self.items))

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.items))

    def shown(self, limit: int = MAX_SHOWN) -> tuple[list[Diagnostic], int]:
        """The problems to print (at most ``limit``, errors before warnings when some must go, in
        file and line order) and how many are left out."""
        items = self.sorted()
        if len(items) <= limit:
            return items, 0
        kept = sorted(sorted(items, key=lambda d: d.severity != ERROR)[:limit])
        return kept, len(items) - len(kept)

    def total_line(self) -> str:
        e, w = self.error_count, self.warning_count
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"
