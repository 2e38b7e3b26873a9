"""Counts and durations in the words an operator reads (logs, command output)."""

from __future__ import annotations

from common.wording import duration_words

__all__ = ["duration_words", "plural"]


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 zone``, ``4 zones`` (`many` for an irregular plural)."""
    return f"{count} {word if count == 1 else many or word + 's'}"
