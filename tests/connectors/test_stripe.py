"""Stripe: the table run by the shared harness, with Stripe's own fixtures as bodies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import ConnectorContext
from connectors.errors import ConfigurationError, InvalidInput
from connectors.stripe import STRIPE_VERSION, StripeConnector, form_fields
from tests.connectors.harness import Case, ConnectorTable, Reply, table_tests

FIXTURES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "stripe.json").read_text(encoding="utf-8")
)
KEY = "rk_test_51PgafyB7WZ01zgkWabcdefghijklmnop"
CUSTOMER = FIXTURES["customer"]["id"]


def _fixture(resource: str, /, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(FIXTURES[resource])
    if resource == "customer":
        # The fixture's discount has the post-2024 shape (coupon under "source"); under the
        # pinned 2023-08-16 version a customer without a discount answers null.
        body["discount"] = None
    body.update(changes)
    return body


def _form(request: httpx.Request) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return dict(httpx.QueryParams(request.content.decode()))


def _headers(request: httpx.Request) -> None:
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Stripe-Version"] == STRIPE_VERSION


def _created(request: httpx.Request) -> None:
    _headers(request)
    assert request.headers["Idempotency-Key"] == "signup-42"
    assert _form(request) == {
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "metadata[plan]": "pro",
        "metadata[source]": "levqor",
    }


def _intent(request: httpx.Request) -> None:
    assert len(request.headers["Idempotency-Key"]) == 36  # a fresh uuid4
    assert _form(request) == {
        "amount": "1099",
        "currency": "usd",
        "customer": CUSTOMER,
        "automatic_payment_methods[enabled]": "true",
    }


def _list(objects: list[dict[str, Any]], url: str, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": objects, "has_more": has_more, "url": url}


def _customers(*ids: str) -> list[dict[str, Any]]:
    return [_fixture("customer", id=i, email="ada@example.com") for i in ids]


TABLE = ConnectorTable(
    connector=StripeConnector,
    credentials={"secret_key": KEY},
    vendor="stripe",
    cases=[
        Case(
            "check",
            replies=[
                Reply(json=FIXTURES["balance"], method="GET", path="/v1/balance", check=_headers)
            ],
            expect={"detail": "authenticated in test mode (balance in USD)"},
        ),
        Case(
            "create_customer",
            {
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "metadata": {"plan": "pro", "source": "levqor"},
                "idempotency_key": "signup-42",
            },
            replies=[
                Reply(
                    json=_fixture("customer", email="ada@example.com", name="Ada Lovelace"),
                    method="POST",
                    path="/v1/customers",
                    check=_created,
                )
            ],
            expect={"id": CUSTOMER, "email": "ada@example.com", "name": "Ada Lovelace"},
        ),
        Case(
            "update_customer",
            {"customer_id": CUSTOMER, "phone": "+441234567890"},
            replies=[
                Reply(
                    json=_fixture("customer", phone="+441234567890"),
                    method="POST",
                    path=f"/v1/customers/{CUSTOMER}",
                    check=lambda r: _form(r) == {"phone": "+441234567890"},
                )
            ],
            expect={"id": CUSTOMER, "phone": "+441234567890"},
        ),
        Case(
            "list_customers",
            {"email": "ada@example.com", "limit": 3},
            replies=[
                Reply(
                    json=_list(_customers("cus_A", "cus_B"), "/v1/customers", has_more=True),
                    method="GET",
                    path="/v1/customers",
                    check=lambda r: (
                        dict(r.url.params) == {"email": "ada@example.com", "limit": "3"}
                    ),
                ),
                Reply(
                    json=_list(_customers("cus_C", "cus_D"), "/v1/customers", has_more=False),
                    check=lambda r: r.url.params["starting_after"] == "cus_B",
                ),
            ],
            expect={
                "count": 3,
                "customers": lambda cs: [c["id"] for c in cs] == ["cus_A", "cus_B", "cus_C"],
            },
        ),
        Case(
            "create_payment_intent",
            {"amount": 1099, "currency": "USD", "customer_id": CUSTOMER},
            replies=[
                Reply(
                    json=_fixture("payment_intent", customer=CUSTOMER),
                    method="POST",
                    path="/v1/payment_intents",
                    check=_intent,
                )
            ],
            expect={
                "id": "pi_1PgafyB7WZ01zgkWSjxsAJo3",
                "status": "requires_payment_method",
                "customer": CUSTOMER,
            },
        ),
        Case(
            "list_charges",
            {"customer_id": CUSTOMER, "created_after": 1700000000},
            replies=[
                Reply(
                    json=_list([FIXTURES["charge"]], "/v1/charges", has_more=False),
                    method="GET",
                    path="/v1/charges",
                    check=lambda r: (
                        r.url.params["created[gt]"] == "1700000000"
                        and r.url.params["customer"] == CUSTOMER
                    ),
                )
            ],
            expect={
                "count": 1,
                "charges": lambda cs: (
                    cs[0]["id"] == "ch_1PgafuB7WZ01zgkWXYmPNZs8" and cs[0]["paid"]
                ),
            },
        ),
        Case(
            "create_payment_intent",
            {"amount": 100, "currency": "eur"},
            replies=[
                Reply(
                    400,
                    json={
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the "
                            "same parameters they were first used with.",
                        }
                    },
                )
            ],
            raises=InvalidInput,
            id="create_payment_intent-idempotency-error",
        ),
    ],
)

test_stripe_cases, _vendor_spec, test_stripe_covers_every_action = table_tests(TABLE)
# spec3.yaml is 4 MB of YAML: loading it takes seconds.
test_stripe_vendor_spec = pytest.mark.slow(_vendor_spec)


def test_retries_resend_the_same_idempotency_key() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            return httpx.Response(503)
        return httpx.Response(200, json=FIXTURES["customer"])

    stripe = StripeConnector(
        ConnectorContext(
            credentials={"secret_key": KEY},
            transport=httpx.MockTransport(handler),
            sleep=lambda _s: None,
        )
    )
    with stripe:
        stripe.run("create_customer", {"name": "Ada"})
    assert len(keys) == 2 and keys[0] == keys[1]


def test_bracket_notation() -> None:
    fields = {"a": {"b": 1, "c": {"d": True}}, "items": [{"price": "p_1"}, "x"], "n": None}
    assert form_fields(fields) == [
        ("a[b]", "1"),
        ("a[c][d]", "true"),
        ("items[0][price]", "p_1"),
        ("items[1]", "x"),
    ]


def test_publishable_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="secret_key") as info:
        StripeConnector(ConnectorContext(credentials={"secret_key": "pk_test_abcdefgh12345678"}))
    assert "pk_test_abcdefgh12345678" not in str(info.value)


def test_nullable_beside_any_of_accepts_null() -> None:
    from tests.connectors.schema_check import schema_problems

    schema = {"nullable": True, "anyOf": [{"type": "string"}, {"type": "object"}]}
    assert schema_problems({}, schema, None) == []
    assert schema_problems({}, {"anyOf": [{"type": "string"}]}, None) != []
