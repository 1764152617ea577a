"""Remove secrets and e-mail addresses from text before it reaches a log or a person.

:func:`redact` is pure and cheap (precompiled patterns), so the core's log filter calls
it on every record, and the HTTP layer calls it on every vendor error message. It
errs on the side of removing too much: a redacted word costs nothing, a leaked token
costs an incident.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["REDACTED", "hash_email", "prepare_secrets", "redact", "redact_prepared"]

REDACTED = "[redacted]"

# Shorter known secrets are ignored: replacing every "ab" would garble the message
# and such values are not secrets worth the name.
_MIN_SECRET_LENGTH = 4

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.DOTALL)
# The value after "Authorization:", keeping a scheme word (Bearer, Basic, Bot...) readable.
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:[A-Za-z]+\s+)?)[^\s,;\"']+"
)
_SCHEME_VALUE = re.compile(r"\b(Bearer|Basic)\s+([A-Za-z0-9._~+/-]+=*)")
_KEY_VALUE = re.compile(
    r"(?i)\b((?:access_token|refresh_token|id_token|client_secret|api_key|apikey|token|key"
    r"|password|passwd|secret)=)[^&\s\"']+"
)
_JSON_KEY_VALUE = re.compile(
    r"(?i)(\"(?:access_token|refresh_token|id_token|client_secret|api_key|apikey|token"
    r"|password|secret|authorization)\"\s*:\s*)\"[^\"]*\""
)
_TOKEN_SHAPES = re.compile(
    "|".join(
        (
            r"\bxox[abeoprs]-[A-Za-z0-9-]{8,}",  # Slack bot/user/app-level tokens
            r"\bxapp-[A-Za-z0-9-]{8,}",
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",  # GitHub classic tokens
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",  # GitHub fine-grained tokens
            r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}",  # Stripe secret/restricted keys
            r"\bwhsec_[A-Za-z0-9]{16,}",  # Stripe webhook secrets
            r"\bsk-[A-Za-z0-9_-]{16,}",  # OpenAI-style keys (sk-..., sk-proj-...)
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
            r"(?<![0-9])[0-9]{5,}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])",  # Telegram bot tokens
        )
    )
)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)


def hash_email(address: str) -> str:
    """``email:<12 hex>``: the SHA-256 of the trimmed, lower-cased address (stable across runs)."""
    digest = hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()
    return f"email:{digest[:12]}"


def _looks_secret(value: str) -> bool:
    # "Basic authentication failed" must survive; "Basic dXNlcjpwYXNz" must not.
    if len(value) >= 20:
        return True
    mixed_case = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return len(value) >= 8 and (mixed_case or any(not c.isalpha() for c in value))


def _scheme_value(match: re.Match[str]) -> str:
    scheme, value = match.group(1), match.group(2)
    return f"{scheme} {REDACTED}" if _looks_secret(value) else match.group(0)


def prepare_secrets(secrets: Iterable[str]) -> tuple[str, ...]:
    """``secrets`` as :func:`redact_prepared` replaces them: long enough ones, each also
    URL-quoted, longest first (so a secret containing another is removed whole).

    Preparing once pays off where many texts meet the same secrets (an export).
    """
    known = {s for s in secrets if s and len(s) >= _MIN_SECRET_LENGTH}
    known |= {quote(s, safe="") for s in known}
    return tuple(sorted(known, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with known ``secrets``, token shapes and e-mail addresses removed."""
    if not text:
        return text
    return redact_prepared(text, prepare_secrets(secrets))


def redact_prepared(text: str, prepared: tuple[str, ...]) -> str:
    """:func:`redact` with secrets from :func:`prepare_secrets`."""
    if not text:
        return text
    for secret in prepared:
        text = text.replace(secret, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SCHEME_VALUE.sub(_scheme_value, text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JSON_KEY_VALUE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _TOKEN_SHAPES.sub(REDACTED, text)
    return _EMAIL.sub(lambda m: hash_email(m.group(0)), text)
