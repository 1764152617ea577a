"""Stripe API with a secret (or restricted) key.

The key travels as ``Authorization: Bearer``; the API version is pinned with
``Stripe-Version`` so an account upgrade in the Dashboard cannot change answers under a
running workflow (2023-08-16 is the version of the API description our tests check
against). Request bodies are form-encoded with bracket notation (``metadata[plan]=pro``,
``expand[]=x``). Every POST carries an ``Idempotency-Key`` — the caller's, or a fresh
one reused by the client's own retries — so a retried create never charges twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, Field

from connectors.base import AuthKind, Connector, CredentialField, action
from connectors.errors import ConfigurationError
from connectors.http import BearerAuth, iter_cursor

__all__ = ["STRIPE_VERSION", "StripeConnector", "form_fields"]

STRIPE_VERSION = "2023-08-16"
_PAGE_SIZE = 100  # Stripe's maximum list limit

_IDEMPOTENCY = Field(
    None,
    max_length=255,
    description="Same key, same result: pass one to make re-runs safe (random if empty)",
)
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def form_fields(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's bracket notation: {"a": {"b": 1}, "c": [x, y]} -> a[b]=1, c[0]=x, c[1]=y."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            out += form_fields(value, name)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                item_name = f"{name}[{i}]"
                if isinstance(item, Mapping):
                    out += form_fields(item, item_name)
                else:
                    out.append((item_name, _scalar(item)))
        else:
            out.append((name, _scalar(value)))
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CustomerFields(BaseModel):
    email: str | None = Field(None, pattern=_EMAIL, description="Customer's e-mail address")
    name: str | None = Field(None, max_length=256, description="Full name or business name")
    phone: str | None = Field(None, max_length=20, description="Phone number")
    description: str | None = Field(None, description="Internal note shown in the Dashboard")
    metadata: dict[str, str] = Field(
        default_factory=dict, description="Your own key/value pairs (up to 50)"
    )


class CreateCustomerInput(CustomerFields):
    idempotency_key: str | None = _IDEMPOTENCY


class UpdateCustomerInput(CustomerFields):
    customer_id: str = Field(pattern=r"^cus_\w+$", description="Customer ID (cus_...)")
    idempotency_key: str | None = _IDEMPOTENCY


class ListCustomersInput(BaseModel):
    email: str | None = Field(None, description="Only customers with exactly this e-mail")
    created_after: int | None = Field(None, description="Only created after (Unix seconds)")
    limit: int = Field(100, ge=1, le=10000, description="Maximum customers, newest first")


class CreatePaymentIntentInput(BaseModel):
    amount: int = Field(gt=0, description="Amount in the currency's smallest unit (cents)")
    currency: str = Field(pattern=r"^[a-zA-Z]{3}$", description="Three-letter ISO code, e.g. eur")
    customer_id: str | None = Field(None, pattern=r"^cus_\w+$", description="Customer to charge")
    description: str | None = Field(None, description="Shown in the Dashboard and receipts")
    receipt_email: str | None = Field(None, pattern=_EMAIL, description="Send the receipt here")
    metadata: dict[str, str] = Field(default_factory=dict, description="Your key/value pairs")
    idempotency_key: str | None = _IDEMPOTENCY


class ListChargesInput(BaseModel):
    customer_id: str | None = Field(None, pattern=r"^cus_\w+$", description="Only this customer")
    created_after: int | None = Field(None, description="Only created after (Unix seconds)")
    limit: int = Field(100, ge=1, le=10000, description="Maximum charges, newest first")


def _customer(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "email": c.get("email"),
        "name": c.get("name"),
        "phone": c.get("phone"),
        "created": c.get("created"),
        "metadata": c.get("metadata") or {},
    }


def _charge(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": c["id"],
        "amount": c["amount"],
        "currency": c["currency"],
        "status": c.get("status"),
        "paid": bool(c.get("paid")),
        "refunded": bool(c.get("refunded")),
        "customer": c.get("customer"),
        "description": c.get("description"),
        "created": c.get("created"),
        "receipt_url": c.get("receipt_url"),
    }


class StripeConnector(Connector):
    name = "stripe"
    title = "Stripe"
    category = "Payments"
    description = "Create and find customers, create payment intents and list charges."
    docs_url = "https://docs.stripe.com/api"
    credentials_url = "https://dashboard.stripe.com/apikeys"
    base_url = "https://api.stripe.com/v1"
    auth_kind = AuthKind.TOKEN
    credential_fields = (
        CredentialField(
            "secret_key",
            "Secret key",
            secret=True,
            help="A restricted key (rk_...) limited to what the workflows need is safest",
            placeholder="sk_live_... or rk_live_...",
        ),
    )

    def validate_credentials(self) -> None:
        if not self.credential("secret_key").startswith(("sk_", "rk_")):
            raise ConfigurationError(
                "the secret key (secret_key) must start with sk_ or rk_; a publishable "
                "key (pk_) cannot call the API from a server",
                connector=self.name,
            )

    def http_auth(self) -> httpx.Auth:
        return BearerAuth(self.credential("secret_key"))

    def http_headers(self) -> dict[str, str]:
        return {"Stripe-Version": STRIPE_VERSION}

    def _post(self, url: str, fields: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        # One key per action call: the client's retries resend it, so Stripe runs it once.
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        response = self.http.post(url, data=dict(form_fields(fields)), headers=headers)
        return self._json(response)

    def _list(self, url: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        return list(
            iter_cursor(
                self.http,
                url,
                params={**params, "limit": min(_PAGE_SIZE, limit)},
                cursor_param="starting_after",
                items=lambda d: d["data"],
                next_cursor=lambda d: d["data"][-1]["id"] if d["has_more"] and d["data"] else None,
                parse=self._json,
                max_items=limit,
            )
        )

    def check_credentials(self) -> str:
        balance = self._json(self.http.get("balance"))
        mode = "live" if balance.get("livemode") else "test"
        currencies = sorted({b["currency"].upper() for b in balance.get("available") or []})
        return f"authenticated in {mode} mode (balance in {', '.join(currencies) or 'no currency'})"

    @action(
        "create_customer",
        input=CreateCustomerInput,
        description="Create a customer with e-mail, name, phone and metadata",
        output_keys=("id", "email", "name", "phone", "created", "metadata"),
    )
    def create_customer(self, inp: CreateCustomerInput) -> dict[str, Any]:
        fields = inp.model_dump(exclude={"idempotency_key"}, exclude_none=True)
        return _customer(self._post("customers", fields, inp.idempotency_key))

    @action(
        "update_customer",
        input=UpdateCustomerInput,
        description="Change a customer's e-mail, name, phone, description or metadata",
        output_keys=("id", "email", "name", "phone", "created", "metadata"),
    )
    def update_customer(self, inp: UpdateCustomerInput) -> dict[str, Any]:
        fields = inp.model_dump(exclude={"idempotency_key", "customer_id"}, exclude_none=True)
        url = f"customers/{inp.customer_id}"
        return _customer(self._post(url, fields, inp.idempotency_key))

    @action(
        "list_customers",
        input=ListCustomersInput,
        description="List customers, newest first, optionally by exact e-mail",
        output_keys=("customers", "count"),
        paginated=True,
    )
    def list_customers(self, inp: ListCustomersInput) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if inp.email:
            params["email"] = inp.email
        if inp.created_after is not None:
            params["created[gt]"] = inp.created_after
        customers = [_customer(c) for c in self._list("customers", params, inp.limit)]
        return {"customers": customers, "count": len(customers)}

    @action(
        "create_payment_intent",
        input=CreatePaymentIntentInput,
        description="Create a payment intent for an amount, optionally for a customer",
        output_keys=("id", "status", "amount", "currency", "customer", "livemode"),
    )
    def create_payment_intent(self, inp: CreatePaymentIntentInput) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "amount": inp.amount,
            "currency": inp.currency.lower(),
            "customer": inp.customer_id,
            "description": inp.description,
            "receipt_email": inp.receipt_email,
            "metadata": inp.metadata,
            "automatic_payment_methods": {"enabled": True},
        }
        intent = self._post("payment_intents", fields, inp.idempotency_key)
        # The client_secret is left out on purpose: it lets anyone confirm the payment.
        return {
            "id": intent["id"],
            "status": intent["status"],
            "amount": intent["amount"],
            "currency": intent["currency"],
            "customer": intent.get("customer"),
            "livemode": bool(intent.get("livemode")),
        }

    @action(
        "list_charges",
        input=ListChargesInput,
        description="List charges, newest first, optionally for one customer",
        output_keys=("charges", "count"),
        paginated=True,
    )
    def list_charges(self, inp: ListChargesInput) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if inp.customer_id:
            params["customer"] = inp.customer_id
        if inp.created_after is not None:
            params["created[gt]"] = inp.created_after
        charges = [_charge(c) for c in self._list("charges", params, inp.limit)]
        return {"charges": charges, "count": len(charges)}
