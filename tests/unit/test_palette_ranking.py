"""Fuzzy ranking of the command palette (pure Python)."""

from __future__ import annotations

import pytest

from levqor_desktop.ui.palette.ranking import rank, score

LABELS = [
    "Go: Overview",
    "Go: Queue",
    "Go: Workflows",
    "Go: Connectors",
    "Actions: Refresh",
    "Actions: Retry all matching…",
    "Actions: Requeue all matching…",
    "View: Save view…",
    "Flag: CANARY_MODE",
    "Flag: CONNECTORS_V2_ENABLED",
]


def top(query: str) -> str:
    return rank(query, LABELS, str)[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("queue", "Go: Queue"),
        ("q", "Go: Queue"),
        ("wf", "Go: Workflows"),
        ("retry", "Actions: Retry all matching…"),
        ("requ", "Actions: Requeue all matching…"),
        ("canary", "Flag: CANARY_MODE"),
        ("conn v2", "Flag: CONNECTORS_V2_ENABLED"),
        ("save view", "View: Save view…"),
        ("Go: Connectors", "Go: Connectors"),
    ],
)
def test_the_meant_entry_ranks_first(query: str, expected: str) -> None:
    assert top(query) == expected


def test_no_match_is_left_out_and_an_empty_query_keeps_the_order() -> None:
    assert rank("zzz", LABELS, str) == []
    assert rank("", LABELS, str) == LABELS
    assert score("xq", "Go: Queue") is None


def test_every_word_must_match_in_any_order() -> None:
    assert rank("matching retry", LABELS, str) == ["Actions: Retry all matching…"]


def test_exact_beats_prefix_beats_word_starts_beats_scattered_letters() -> None:
    exact = score("go: queue", "Go: Queue")
    prefix = score("go: q", "Go: Queue")
    word_start = score("queue", "Go: Queue")
    scattered = score("queue", "Quite unusual eerie queue-less")
    assert exact is not None and prefix is not None and word_start is not None
    assert scattered is not None
    assert exact > prefix > word_start
    assert score("ref", "Actions: Refresh") > score("ref", "Go: Rare effects")  # type: ignore[operator]


def test_ties_keep_the_given_order() -> None:
    assert rank("a", ["b a", "c a"], str) == ["b a", "c a"]
