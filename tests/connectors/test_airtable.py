"""Airtable: the table run by the shared harness (no vendor API file exists to check against).

Request and response shapes follow airtable.com/developers/web/api and the official
SDK's RecordData/FieldSet types in ../shared/api-specs/airtable/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from connectors.airtable import AirtableConnector
from connectors.base import ConnectorContext
from connectors.errors import InvalidInput
from tests.connectors.harness import POLICY, Case, ConnectorTable, Reply, contains, table_tests

TOKEN = "patAbCdEfGh12345.0123456789abcdef0123456789abcdef0123456789abcdef"
BASE = "appXm8mwW8vG5yX9r"
TABLE_PATH = f"/v0/{BASE}/Tasks list"  # httpx gives the decoded path


def _json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _rec(rid: str, **fields: Any) -> dict[str, Any]:
    return {"id": rid, "createdTime": "2025-09-30T12:00:00.000Z", "fields": fields}


def _first_page(request: httpx.Request) -> None:
    params = request.url.params
    assert params["pageSize"] == "3" and "offset" not in params
    assert params["filterByFormula"] == "{Status} = 'Open'"
    assert params.get_list("fields[]") == ["Name", "Status"]
    assert params["sort[0][field]"] == "Due" and params["sort[0][direction]"] == "desc"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.url.raw_path.startswith(f"/v0/{BASE}/Tasks%20list?".encode())


def _names_are(names: list[str]) -> Callable[[httpx.Request], bool]:
    return lambda r: [x["fields"]["Name"] for x in _json(r)["records"]] == names


def _create_batches(sizes: list[int]) -> list[Reply]:
    replies, n = [], 0
    for size in sizes:
        names = [f"t{n + i}" for i in range(size)]
        records = [_rec(f"rec{name}", Name=name) for name in names]
        replies.append(
            Reply(
                json={"records": records},
                method="POST",
                path=f"/v0/{BASE}/Tasks",
                check=_names_are(names),
            )
        )
        n += size
    return replies


TABLE = ConnectorTable(
    connector=AirtableConnector,
    credentials={"api_token": TOKEN},
    vendor=None,  # Airtable publishes no OpenAPI/Postman description (see SOURCES.md)
    cases=[
        Case(
            "check",
            replies=[
                Reply(
                    json={"id": "usrL2PNC5o3H4lBEi", "scopes": ["data.records:read"]},
                    method="GET",
                    path="/v0/meta/whoami",
                )
            ],
            expect={"detail": contains("user usrL2PNC5o3H4lBEi with scopes data.records:read")},
        ),
        Case(
            "list_records",
            {
                "base_id": BASE,
                "table": "Tasks list",
                "filter_by_formula": "{Status} = 'Open'",
                "fields": ["Name", "Status"],
                "sort": [{"field": "Due", "direction": "desc"}],
                "limit": 3,
            },
            replies=[
                Reply(
                    json={"records": [_rec("rec1", Name="a"), _rec("rec2")], "offset": "itr1/rec2"},
                    method="GET",
                    path=TABLE_PATH,
                    check=_first_page,
                ),
                Reply(
                    json={"records": [_rec("rec3", Name="c"), _rec("rec4")]},
                    check=lambda r: r.url.params["offset"] == "itr1/rec2",
                ),
            ],
            expect={
                "count": 3,
                "records": lambda rs: (
                    [r["id"] for r in rs] == ["rec1", "rec2", "rec3"]
                    and rs[0]
                    == {
                        "id": "rec1",
                        "created_time": "2025-09-30T12:00:00.000Z",
                        "fields": {"Name": "a"},
                    }
                ),
            },
        ),
        Case(
            "get_record",
            {"base_id": BASE, "table": "tblQ9kCL5Fd3ZXnJZ", "record_id": "rec7"},
            replies=[
                Reply(
                    json=_rec("rec7", Name="x", Tags=["a", "b"]),
                    method="GET",
                    path=f"/v0/{BASE}/tblQ9kCL5Fd3ZXnJZ/rec7",
                )
            ],
            expect={"id": "rec7", "fields": {"Name": "x", "Tags": ["a", "b"]}},
        ),
        Case(
            "create_records",
            {"base_id": BASE, "table": "Tasks", "records": [{"Name": f"t{i}"} for i in range(12)]},
            replies=_create_batches([10, 2]),
            expect={"count": 12, "records": lambda rs: rs[11]["id"] == "rect11"},
        ),
        Case(
            "update_record",
            {
                "base_id": BASE,
                "table": "Tasks",
                "record_id": "rec7",
                "fields": {"Status": "Done"},
                "typecast": True,
            },
            replies=[
                Reply(
                    json=_rec("rec7", Name="x", Status="Done"),
                    method="PATCH",
                    path=f"/v0/{BASE}/Tasks/rec7",
                    check=lambda r: _json(r) == {"fields": {"Status": "Done"}, "typecast": True},
                )
            ],
            expect={"id": "rec7", "fields": {"Name": "x", "Status": "Done"}},
        ),
        Case(
            "upsert_records",
            {
                "base_id": BASE,
                "table": "Tasks",
                "records": [{"Key": "A-1", "Status": "Done"}, {"Key": "A-2", "Status": "Open"}],
                "merge_on": ["Key"],
            },
            replies=[
                Reply(
                    json={
                        "records": [_rec("recA", Key="A-1"), _rec("recB", Key="A-2")],
                        "createdRecords": ["recB"],
                        "updatedRecords": ["recA"],
                    },
                    method="PATCH",
                    path=f"/v0/{BASE}/Tasks",
                    check=lambda r: _json(r)["performUpsert"] == {"fieldsToMergeOn": ["Key"]},
                )
            ],
            expect={"count": 2, "created_ids": ["recB"], "updated_ids": ["recA"]},
        ),
        Case(
            "list_bases",
            {"limit": 5},
            replies=[
                Reply(
                    json={
                        "bases": [{"id": BASE, "name": "Ops", "permissionLevel": "create"}],
                        "offset": "itr2",
                    },
                    path="/v0/meta/bases",
                ),
                Reply(json={"bases": [{"id": "app2", "name": "CRM", "permissionLevel": "read"}]}),
            ],
            expect={
                "count": 2,
                "bases": [
                    {"id": BASE, "name": "Ops", "permission_level": "create"},
                    {"id": "app2", "name": "CRM", "permission_level": "read"},
                ],
            },
        ),
        Case(
            "create_records",
            {"base_id": BASE, "table": "Tasks", "records": [{"Nope": 1}]},
            replies=[
                Reply(
                    422,
                    json={
                        "error": {
                            "type": "UNKNOWN_FIELD_NAME",
                            "message": 'Unknown field name: "Nope"',
                        }
                    },
                )
            ],
            raises=InvalidInput,
            id="create_records-unknown-field",
        ),
    ],
)

test_airtable_cases, test_airtable_vendor_spec, test_airtable_covers_every_action = table_tests(
    TABLE
)


def test_a_429_without_retry_after_waits_airtables_30_seconds() -> None:
    replies = [
        httpx.Response(429, json={"errors": [{"error": "RATE_LIMIT_REACHED"}]}),
        httpx.Response(200, json=_rec("rec1")),
    ]
    sleeps: list[float] = []
    airtable = AirtableConnector(
        ConnectorContext(
            credentials={"api_token": TOKEN},
            transport=httpx.MockTransport(lambda _r: replies.pop(0)),
            sleep=sleeps.append,
            retry=POLICY,
        )
    )
    with airtable:
        airtable.run("get_record", {"base_id": BASE, "table": "T", "record_id": "rec1"})
    assert sleeps == [30.0]
