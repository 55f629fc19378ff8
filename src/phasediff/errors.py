"""One exception family; each kind carries the exit code the CLI returns for it.

The core raises these (always ``from exc`` when wrapping); the CLI catches
``PhasediffError`` once and prints ``Error: <message>`` on stderr.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_RUNTIME = 3


class PhasediffError(Exception):
    """Base of every error phasediff reports to a user."""

    exit_code = EXIT_RUNTIME


class UsageError(PhasediffError):
    """The command line asked for something that cannot be meant (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """An invalid ``[tool.phasediff]`` / ``.phasediff.toml`` setting (exit 2)."""


class RepositoryError(PhasediffError):
    """Not a git repository, unknown revision, shallow history, missing object (exit 3)."""


class DocumentError(PhasediffError):
    """A phase document that cannot be found or read (exit 3)."""


class UnknownPhaseError(DocumentError):
    """A phase id that no document declares (exit 3)."""


class OutsideRepositoryError(DocumentError):
    """A work-tree path that resolves outside the repository through a symbolic link (exit 3)."""
