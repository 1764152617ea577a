"""How usage amounts read for people: counts, tokens and dollars."""

from __future__ import annotations

from levqor_desktop.core.models.usage import Metric
from levqor_desktop.errors import ValidationError

MICRO = 1_000_000

LABELS: dict[Metric, str] = {
    Metric.CONNECTOR_CALLS: "connector calls",
    Metric.JOB_RUNS: "job runs",
    Metric.AI_PROMPT_TOKENS: "AI prompt tokens",
    Metric.AI_COMPLETION_TOKENS: "AI completion tokens",
    Metric.COST_USD: "spend (USD)",
}


def format_amount(metric: Metric, amount: int) -> str:
    if metric is Metric.COST_USD:
        return format_usd(amount)
    return f"{amount:,}"


def format_usd(micro: int) -> str:
    """Dollars with cents; below a dollar, up to six decimals when fractions of a cent
    matter (AI calls cost that little)."""
    if abs(micro) >= MICRO or micro % 10_000 == 0:
        return f"${micro / MICRO:,.2f}"
    text = f"{micro / MICRO:.6f}".rstrip("0")
    return f"${text}"


def parse_amount(metric: Metric, text: str) -> int:
    """A CLI/UI value: a count, or dollars for ``cost_usd`` ("12.50", "$12.50")."""
    raw = text.strip().replace(",", "").removeprefix("$")
    try:
        value = round(float(raw) * MICRO) if metric is Metric.COST_USD else int(raw)
    except ValueError:
        unit = "dollars, e.g. 25.00" if metric is Metric.COST_USD else "a whole number"
        raise ValidationError(f"{text!r} is not a valid amount for {metric} ({unit})") from None
    if value < 0:
        raise ValidationError(f"amounts cannot be negative: {text!r}")
    return value
