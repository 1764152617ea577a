"""Rollout: stable buckets, shares within 1% over 100k ids, org lists, enabled per subject."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.flags.rollout import BUCKETS, Rollout, bucket
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import NotFoundError, ValidationError

IDS = range(1, 100_001)


@pytest.fixture
def owner(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


@pytest.mark.parametrize("percent", [1.0, 10.0, 25.0, 50.0, 90.0])
def test_shares_are_within_one_percent_of_the_asked_share_over_100k_ids(percent: float) -> None:
    for flag in (FlagName.BUILDER_ENABLED, FlagName.CONNECTORS_V2_ENABLED):
        threshold = round(percent * 100)
        share = sum(bucket(flag, i) < threshold for i in IDS) / len(IDS) * 100
        assert abs(share - percent) < 1.0, (flag, share)


def test_buckets_are_stable_independent_per_flag_and_nested_as_the_share_grows() -> None:
    # SHA-256 of "<flag>:<id>", not the process or its hash seed, decides.
    for i in (1, 2, 3):
        digest = hashlib.sha256(f"BUILDER_ENABLED:{i}".encode()).digest()
        assert bucket(FlagName.BUILDER_ENABLED, i) == int.from_bytes(digest[:8], "big") % 10_000
    assert all(0 <= bucket(FlagName.BUILDER_ENABLED, i) < BUCKETS for i in range(1000))
    ten = {i for i in IDS if bucket(FlagName.BUILDER_ENABLED, i) < 1000}
    twenty = {i for i in IDS if bucket(FlagName.BUILDER_ENABLED, i) < 2000}
    assert ten < twenty
    other = {i for i in IDS if bucket(FlagName.CONNECTORS_V2_ENABLED, i) < 1000}
    # Independent: about 10% of one flag's 10% are in the other's.
    assert 0.08 < len(ten & other) / len(ten) < 0.12


def test_rollout_by_org_list_and_share_answers_per_subject(app: App, owner: Actor) -> None:
    flag = FlagName.CONNECTORS_V2_ENABLED
    rollout = app.flag_rollouts.set(owner, flag, orgs=["default"], share_percent=30, source="cli")
    assert rollout.org_ids == (owner.org_id,) and rollout.share_percent == 30
    assert not app.flags.enabled(flag)  # globally still off
    assert app.flags.enabled(flag, org_id=owner.org_id)
    in_share = [i for i in range(1000, 1200) if bucket(flag, i) < 3000]
    out_share = [i for i in range(1000, 1200) if bucket(flag, i) >= 3000]
    assert all(app.flags.enabled(flag, org_id=i) for i in in_share)
    assert not any(app.flags.enabled(flag, org_id=i) for i in out_share)
    # By user: the org's share no longer counts, the user's does.
    app.flag_rollouts.set(owner, flag, share_percent=30, bucket_by="user")
    assert not app.flags.enabled(flag, org_id=in_share[0])
    assert app.flags.enabled(flag, user_id=in_share[0])
    assert app.flag_rollouts.enabled(flag, user_id=in_share[0])
    # Globally on: on for everyone.
    app.flag_service.set(owner, flag, True)
    assert app.flags.enabled(flag, user_id=out_share[0])
    # The edits are in the flag's history as notes; the last change is the real one.
    reasons = [e.reason for e in app.flag_service.history(flag=flag)]
    assert "rollout: 30% of users" in reasons
    assert "rollout: 30% of orgs + organizations 1" in reasons
    last = app.flag_service.last_change(flag)
    assert last is not None and last.new_value is True


def test_a_cleared_rollout_leaves_the_global_value(app: App, owner: Actor) -> None:
    flag = FlagName.BUILDER_ENABLED
    app.flag_rollouts.set(owner, flag, share_percent=100)
    assert app.flags.enabled(flag, org_id=42)
    assert app.flag_rollouts.clear(owner, flag)
    assert not app.flags.enabled(flag, org_id=42)
    assert app.flag_rollouts.get(flag) is None
    assert not app.flag_rollouts.clear(owner, flag)


def test_risky_flags_bad_shares_and_unknown_orgs_are_refused(app: App, owner: Actor) -> None:
    with pytest.raises(ValidationError, match="cannot be rolled out"):
        app.flag_rollouts.set(owner, FlagName.PG_ENABLED, share_percent=10)
    with pytest.raises(ValidationError, match="0 to 100 percent, not 120"):
        app.flag_rollouts.set(owner, FlagName.BUILDER_ENABLED, share_percent=120)
    with pytest.raises(NotFoundError, match="no organization 'nope'"):
        app.flag_rollouts.set(owner, FlagName.BUILDER_ENABLED, orgs=["nope"])
    with pytest.raises(ValidationError, match="by org or user"):
        app.flag_rollouts.set(owner, FlagName.BUILDER_ENABLED, bucket_by="team")
    assert app.flag_rollouts.rollouts() == {}


def test_describe_says_who_is_covered() -> None:
    now = dt.datetime.now(dt.UTC)
    assert Rollout(FlagName.BUILDER_ENABLED, (), 0, "org", now, "x").describe() == "nobody"
    assert (
        Rollout(FlagName.BUILDER_ENABLED, (2, 3), 1250, "user", now, "x").describe()
        == "12.5% of users + organizations 2, 3"
    )
