"""Problems found in content, reported as ``path:line: severity: message``."""
from __future__ import annotations

from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"
NOTE = "note"  # worth saying, never a failure, not even with --strict


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


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

    def total_line(self) -> str:
        e, w = self.error_count, self.warning_count
        return f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}"
