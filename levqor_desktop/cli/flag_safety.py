"""``levqor flags request|approve|reject|withdraw|requests|schedule|scheduled|cancel|...``.

Also ``rollout`` and ``restore``.

Safe flag changes from the command line: a risky change with more than one admin becomes
a change request that another admin (``levqor --as ADMIN ...``) approves or rejects;
flips scheduled for a time; rollout to organizations and a share; restore of an earlier
value from ``levqor flags history``.
"""

from __future__ import annotations

import argparse
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.guard import add_guard_options, guarded
from levqor_desktop.core.flags.approvals import ChangeRequest, Outcome
from levqor_desktop.core.flags.rollout import Rollout
from levqor_desktop.core.flags.schedules import ScheduledFlip, parse_when
from levqor_desktop.core.flags.service import describe_value
from levqor_desktop.core.flags.store import parse_bool
from levqor_desktop.errors import ValidationError


def _value(text: str, name: str) -> bool | None:
    if text.strip().lower() in ("unset", "default"):
        return None
    if text.strip() == "":
        raise ValidationError(f"give on, off or unset for {name}")
    return parse_bool(text, what=f"value for {name}")


def register(fsub: Any) -> list[argparse.ArgumentParser]:
    """Add the subcommands to ``levqor flags``; returns the parsers (for --json)."""
    rq = fsub.add_parser(
        "request", help="change a flag, asking a second admin first where the rule wants it"
    )
    rq.add_argument("name")
    rq.add_argument("value", help="on, off or unset")
    rq.add_argument("--reason", help="why (required for risky flags)")
    rq.add_argument("--at", help="apply at this time once approved (+30m, 2h, ISO 8601)")
    rq.set_defaults(handler=run_request)

    decided = []
    for verb, what in (("approve", "approve and apply"), ("reject", "reject")):
        p = fsub.add_parser(verb, help=f"{what} another admin's change request")
        p.add_argument("id", type=int, help="the request's number in `levqor flags requests`")
        p.add_argument("--note", help="a note kept with the decision")
        p.set_defaults(handler=run_decide, verb=verb)
        decided.append(p)

    wd = fsub.add_parser("withdraw", help="take back your own undecided change request")
    wd.add_argument("id", type=int)
    wd.set_defaults(handler=run_withdraw)

    ls = fsub.add_parser("requests", help="change requests (open ones unless --all)")
    ls.add_argument("--all", action="store_true", help="also decided and applied ones")
    ls.set_defaults(handler=run_requests)

    sc = fsub.add_parser("schedule", help="apply a flag value at a given time, once")
    sc.add_argument("name")
    sc.add_argument("value", help="on, off or unset")
    sc.add_argument("--at", required=True, help="+30m, 2h, 1d, or an ISO 8601 time (UTC)")
    sc.add_argument("--reason")
    sc.set_defaults(handler=run_schedule)

    sl = fsub.add_parser("scheduled", help="scheduled flips (pending ones unless --all)")
    sl.add_argument("--all", action="store_true")
    sl.set_defaults(handler=run_scheduled)

    ca = fsub.add_parser("cancel", help="cancel a pending scheduled flip")
    ca.add_argument("id", type=int, help="the flip's number in `levqor flags scheduled`")
    ca.set_defaults(handler=run_cancel)

    ro = fsub.add_parser("rollout", help="show or set who a flag is on for beyond its value")
    ro.add_argument("name")
    ro.add_argument("--orgs", help="comma-separated organization slugs or ids")
    ro.add_argument("--percent", type=float, help="share of subjects, 0-100")
    ro.add_argument("--by", choices=("org", "user"), default="org", help="what the share draws")
    ro.add_argument("--clear", action="store_true", help="remove the rollout")
    ro.set_defaults(handler=run_rollout)

    rs = fsub.add_parser("restore", help="put back the value an earlier change set")
    rs.add_argument("id", type=int, help="the change's number in `levqor flags history`")
    rs.add_argument("--reason")
    rs.set_defaults(handler=run_restore)
    for changing in (rq, *decided, wd, sc, ca, ro, rs):
        add_guard_options(changing)
    return [rq, *decided, wd, ls, sc, sl, ca, ro, rs]


# -- printing -------------------------------------------------------------------------


def _request_dict(r: ChangeRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "flag": str(r.flag),
        "value": r.value,
        "status": r.status,
        "reason": r.reason,
        "proposer": r.proposer_name,
        "proposed_at": r.created_at.isoformat(),
        "decider": r.decider_name,
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
        "note": r.decision_note,
        "apply_at": r.apply_at.isoformat() if r.apply_at else None,
        "audit_id": r.audit_id,
        "restores": r.restores_id,
        "error": r.error,
    }


def _flip_dict(f: ScheduledFlip) -> dict[str, Any]:
    return {
        "id": f.id,
        "flag": str(f.flag),
        "value": f.value,
        "due_at": f.due_at.isoformat(),
        "status": f.status,
        "reason": f.reason,
        "by": f.creator_name,
        "request": f.request_id,
        "audit_id": f.audit_id,
        "outcome": f.outcome,
    }


def _rollout_dict(r: Rollout | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "flag": str(r.flag),
        "orgs": list(r.org_ids),
        "percent": r.share_percent,
        "by": r.bucket_by,
        "updated_at": r.updated_at.isoformat(),
        "updated_by": r.updater_name,
    }


def _print_outcome(ctx: CliContext, outcome: Outcome) -> int:
    if isinstance(outcome, ScheduledFlip):
        return _print_flip(ctx, outcome)
    if outcome is None:
        ctx.emit_json({"changed": False}) if ctx.json else ctx.print("nothing changed")
    elif isinstance(outcome, ChangeRequest):
        if ctx.json:
            ctx.emit_json({"request": _request_dict(outcome)})
        else:
            ctx.print(
                f"change request #{outcome.id} ({outcome.flag} → "
                f"{describe_value(outcome.value)}) is {outcome.status}; another admin approves "
                f"it with: levqor --as ADMIN flags approve {outcome.id}"
            )
    else:
        e = outcome.entry
        if ctx.json:
            ctx.emit_json({"changed": True, "audit_id": e.id, "flag": str(e.flag)})
        else:
            ctx.print(
                f"#{e.id} {e.flag}: {describe_value(e.old_value)} -> "
                f"{describe_value(e.new_value)} (applied directly: no second admin needed)"
            )
    return 0


def _print_request(ctx: CliContext, r: ChangeRequest) -> int:
    if ctx.json:
        ctx.emit_json(_request_dict(r))
    else:
        extra = f" ({r.error})" if r.error else ""
        if r.status == "approved" and r.apply_at is not None:
            extra = f"; a scheduled flip applies it at {r.apply_at:%Y-%m-%d %H:%M:%S} UTC"
        ctx.print(f"change request {r.summary}: {r.status}{extra}")
    return 0


def _print_flip(ctx: CliContext, f: ScheduledFlip) -> int:
    if ctx.json:
        ctx.emit_json(_flip_dict(f))
    else:
        ctx.print(
            f"flip #{f.id}: {f.flag} → {describe_value(f.value)} at "
            f"{f.due_at:%Y-%m-%d %H:%M:%S} UTC ({f.status})"
        )
    return 0


# -- handlers -------------------------------------------------------------------------


def run_request(ctx: CliContext) -> int:
    a, app = ctx.args, ctx.app()
    value = _value(a.value, a.name)
    at = parse_when(a.at, app.flag_schedules.clock()) if a.at else None
    outcome = guarded(
        ctx,
        "flags.request",
        f"{a.name.upper()} -> {describe_value(value)}",
        lambda: app.flag_requests.change(ctx.actor, a.name, value, a.reason, at=at, source="cli"),
        details={"reason": a.reason, "at": a.at},
    )
    return _print_outcome(ctx, outcome)


def run_decide(ctx: CliContext) -> int:
    requests = ctx.app().flag_requests
    decide = requests.approve if ctx.args.verb == "approve" else requests.reject
    verb, number = ctx.args.verb, ctx.args.id
    done = guarded(
        ctx,
        f"flags.{verb}",
        f"change request #{number}",
        lambda: decide(ctx.actor, number, ctx.args.note, source="cli"),
    )
    return _print_request(ctx, done)


def run_withdraw(ctx: CliContext) -> int:
    number = ctx.args.id
    done = guarded(
        ctx,
        "flags.withdraw",
        f"change request #{number}",
        lambda: ctx.app().flag_requests.withdraw(ctx.actor, number),
    )
    return _print_request(ctx, done)


def run_requests(ctx: CliContext) -> int:
    found = ctx.app().flag_requests.requests(open_only=not ctx.args.all)
    if ctx.json:
        ctx.emit_json([_request_dict(r) for r in found])
        return 0
    rows = [
        (
            f"#{r.id}",
            r.flag,
            describe_value(r.value),
            r.status,
            r.proposer_name,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            r.decider_name or "",
            f"{r.apply_at:%Y-%m-%d %H:%M}" if r.apply_at else "on approval",
            r.reason,
        )
        for r in found
    ]
    ctx.table(("id", "flag", "to", "status", "by", "when", "decided by", "apply", "reason"), rows)
    return 0


def run_schedule(ctx: CliContext) -> int:
    a, app = ctx.args, ctx.app()
    at = parse_when(a.at, app.flag_schedules.clock())
    value = _value(a.value, a.name)
    flip = guarded(
        ctx,
        "flags.schedule",
        f"{a.name.upper()} -> {describe_value(value)} at {at:%Y-%m-%d %H:%M} UTC",
        lambda: app.flag_schedules.schedule(ctx.actor, a.name, value, at, a.reason, source="cli"),
    )
    return _print_flip(ctx, flip)


def run_scheduled(ctx: CliContext) -> int:
    found = ctx.app().flag_schedules.scheduled(include_done=ctx.args.all)
    if ctx.json:
        ctx.emit_json([_flip_dict(f) for f in found])
        return 0
    rows = [
        (
            f"#{f.id}",
            f"{f.due_at:%Y-%m-%d %H:%M:%S}",
            f.flag,
            describe_value(f.value),
            f.status,
            f.creator_name,
            f.outcome or f.reason or "",
        )
        for f in found
    ]
    ctx.table(("id", "due (UTC)", "flag", "to", "status", "by", "note"), rows)
    return 0


def run_cancel(ctx: CliContext) -> int:
    number = ctx.args.id
    flip = guarded(
        ctx,
        "flags.cancel_flip",
        f"scheduled flip #{number}",
        lambda: ctx.app().flag_schedules.cancel(ctx.actor, number),
    )
    return _print_flip(ctx, flip)


def run_rollout(ctx: CliContext) -> int:
    a, rollouts = ctx.args, ctx.app().flag_rollouts
    if a.clear:
        removed = guarded(
            ctx,
            "flags.rollout_clear",
            a.name.upper(),
            lambda: rollouts.clear(ctx.actor, a.name, source="cli"),
        )
        if ctx.json:
            ctx.emit_json({"removed": removed})
        else:
            ctx.print("rollout removed" if removed else f"{a.name.upper()} has no rollout")
        return 0
    if a.orgs is not None or a.percent is not None:
        orgs = [o for o in (a.orgs or "").split(",") if o.strip()]
        rollout: Rollout | None = guarded(
            ctx,
            "flags.rollout",
            f"{a.name.upper()}: orgs {','.join(orgs) or '-'}, {a.percent or 0.0}% by {a.by}",
            lambda: rollouts.set(
                ctx.actor, a.name, orgs=orgs, share_percent=a.percent or 0.0, bucket_by=a.by
            ),
        )
    else:
        rollout = rollouts.get(a.name)
    if ctx.json:
        ctx.emit_json(_rollout_dict(rollout))
    elif rollout is None:
        ctx.print(f"{a.name.upper()} has no rollout: its value applies to everyone")
    else:
        ctx.print(f"{rollout.flag} is on for {rollout.describe()} (beyond its value)")
    return 0


def run_restore(ctx: CliContext) -> int:
    number = ctx.args.id
    outcome = guarded(
        ctx,
        "flags.restore",
        f"the value of change #{number}",
        lambda: ctx.app().flag_requests.restore(ctx.actor, number, ctx.args.reason),
    )
    return _print_outcome(ctx, outcome)
