"""Fuzzy ranking of palette entries: pure Python, no Qt, so it is unit-tested alone.

A query matches a text when each of its words appears in the text as a subsequence
(``qfl`` matches "Queue: failed"). Scores reward what people mean when they type:
the whole text or a prefix, letters that start words, and letters that follow each
other; they penalize gaps. Ties keep the order the entries were given in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

EXACT = 1000
PREFIX = 300
#: A query word that starts a word of the text whole ("ref" in "Refresh").
WHOLE_WORD = 60
WORD_START = 30
CONSECUTIVE = 20
LETTER = 10
GAP = 1


def _word_starts(text: str) -> set[int]:
    starts = {0}
    for i in range(1, len(text)):
        prev, ch = text[i - 1], text[i]
        if (not prev.isalnum() and ch.isalnum()) or (prev.isdigit() != ch.isdigit()):
            starts.add(i)
    return starts


def _subsequence_score(word: str, text: str, starts: set[int]) -> int | None:
    """Best greedy score of ``word`` as a subsequence of ``text`` (both lower case).

    Each occurrence of the first letter is tried as a start, so "run" in "retry: run
    again" prefers the word "run" over the scattered r-u-n of "retry ... run".
    """
    best: int | None = None
    for first in (i for i, ch in enumerate(text) if ch == word[0]):
        score, pos, last = 0, first, -2
        for ch in word:
            found = text.find(ch, pos)
            if found < 0:
                score = -1
                break
            # Prefer a word start over the next plain letter when one comes soon.
            if found not in starts and found != last + 1:
                ahead = next((s for s in sorted(starts) if s >= found and text[s] == ch), None)
                if ahead is not None and ahead - found < 12:
                    found = ahead
            score += LETTER
            if found in starts:
                score += WORD_START
            if found == last + 1:
                score += CONSECUTIVE
            elif last >= 0:
                score -= GAP * (found - last - 1)
            last, pos = found, found + 1
        if score >= 0 and (best is None or score > best):
            best = score
    return best


def score(query: str, text: str) -> int | None:
    """How well ``query`` matches ``text``; None when it does not match at all."""
    q = " ".join(query.lower().split())
    t = text.lower()
    if not q:
        return 0
    if q == t:
        return EXACT
    starts = _word_starts(t)
    total = PREFIX if t.startswith(q) else 0
    for word in q.split(" "):
        part = _subsequence_score(word, t, starts)
        if part is None:
            return None
        total += part
        if any(t.startswith(word, s) for s in starts):
            total += WHOLE_WORD
    # Shorter texts win among equal matches: "Queue" before "Queue: bulk retry".
    return total - len(t) // 8


def rank(query: str, items: Iterable[T], text: Callable[[T], str]) -> list[T]:
    """The items that match ``query``, best first (ties keep their given order)."""
    scored: list[tuple[int, int, T]] = []
    for n, item in enumerate(items):
        s = score(query, text(item))
        if s is not None:
            scored.append((-s, n, item))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [item for _s, _n, item in scored]
