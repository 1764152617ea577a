"""Validation of workflow documents: every fault, with its JSON path and line."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest

from levqor_desktop.core.workflows import ScheduleTrigger, WorkflowInvalid, parse_workflow
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.core.workflows.jsonpos import format_path, scan_positions
from levqor_desktop.errors import ValidationError


@pytest.fixture(scope="module")
def catalog() -> BuiltinCatalog:
    return BuiltinCatalog()


def faults_of(text: str, catalog: BuiltinCatalog | None) -> list[tuple[int | None, str, str]]:
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(textwrap.dedent(text).strip(), catalog=catalog)
    return [(f.line, f.path, f.message) for f in caught.value.faults]


def test_a_valid_document_parses_into_typed_models(catalog):
    wf = parse_workflow(
        {
            "name": "demo",
            "trigger": {"type": "schedule", "cron": "0 8 * * 1-5", "timezone": "Europe/London"},
            "inputs": {"n": {"type": "integer", "default": 2}},
            "steps": [
                {"id": "a", "uses": "core.transform", "with": {"value": "{{ inputs.n }}"}},
                {
                    "id": "b",
                    "uses": "core.log",
                    "if": "steps.a.output.value > 1",
                    "retry": {"attempts": 3, "backoff_s": 0.5},
                    "timeout_s": 5,
                    "with": {"message": "{{ steps.a.output.value }}"},
                },
            ],
        },
        catalog=catalog,
    )
    assert isinstance(wf.trigger, ScheduleTrigger)
    assert wf.inputs["n"].default == 2
    assert wf.step("b").if_ == "steps.a.output.value > 1"
    assert wf.step("b").retry.attempts == 3
    assert wf.to_document()["steps"][1]["with"] == {"message": "{{ steps.a.output.value }}"}


def test_every_fault_is_reported_with_path_and_line(catalog):
    faults = faults_of(
        """
        {
          "name": "bad",
          "trigger": {"type": "schedule", "cron": "61 * * * *", "timezone": "Mars/Base"},
          "inputs": {"repo": {"type": "string"}},
          "steps": [
            {"id": "a", "uses": "core.lgo", "with": {"message": "{{ steps.b.output.x }}"}},
            {"id": "b", "uses": "core.log",
             "with": {"message": "{{ steps.a.output.x }} {{ inputs.nope }} {{ steps.zz.output }}"}},
            {"id": "b", "uses": "core.http_request", "with": {"urll": "x"}, "extra": 1},
            {"id": "c", "uses": "Bad Uses"},
            {"id": "d", "uses": "core.log", "with": {"message": "{{ steps.d.output }}"}},
            {"id": "e", "uses": "core.log", "with": {"message": "{{ env.HOME }}"}}
          ]
        }
        """,
        catalog,
    )
    expected = {
        (3, "$.trigger.cron"),
        (3, "$.trigger.timezone"),
        (6, "$.steps[0].uses"),
        (6, "$.steps[0].with.message"),  # later step
        (6, "$.steps[0]"),  # the cycle a -> b -> a
        (8, "$.steps[1].with.message"),  # unknown input and missing step
        (9, "$.steps[2].id"),  # duplicate
        (9, "$.steps[2].with"),  # missing required input url
        (9, "$.steps[2].with.urll"),  # unknown input of the action
        (9, "$.steps[2].extra"),
        (10, "$.steps[3].uses"),
        (11, "$.steps[4].with.message"),  # self reference
        (12, "$.steps[5].with.message"),  # a name outside the scope
    }
    assert {(line, path) for line, path, _ in faults} == expected
    messages = {(path, message) for _, path, message in faults}
    assert ("$.steps[0].uses", "unknown action 'core.lgo' (did you mean 'core.log'?)") in messages
    assert any("runs later" in m for p, m in messages if p == "$.steps[0].with.message")
    assert any("form a cycle" in m and "a → b → a" in m for p, m in messages if p == "$.steps[0]")
    assert any("unknown input 'nope'" in m for _, m in messages)
    assert any("step 'zz', which does not exist" in m for _, m in messages)
    assert ("$.steps[2].id", "duplicate step id 'b' (also $.steps[1])") in messages
    assert ("$.steps[2].with", "core.http_request needs the input 'url'") in messages
    assert any("no input 'urll' (did you mean 'url'?)" in m for _, m in messages)
    assert ("$.steps[2].extra", "unknown field 'extra'") in messages
    assert any("refers to its own output" in m for _, m in messages)
    assert any("unknown name 'env'" in m for _, m in messages)
    assert any("not a cron expression" in m for _, m in messages)
    assert any("not an IANA time zone" in m for _, m in messages)


def test_faults_are_sorted_by_line_and_the_error_is_a_validation_error(catalog):
    text = (
        '{"name": "x",\n "steps": [\n  {"id": "a", "uses": "core.nope"},\n'
        '  {"id": "1x", "uses": "core.log", "with": {"message": 1, "levl": "info"}}]}'
    )
    with pytest.raises(ValidationError) as caught:
        parse_workflow(text, catalog=catalog)
    assert isinstance(caught.value, WorkflowInvalid)
    lines = [f.line or 0 for f in caught.value.faults]
    assert lines == [3, 4, 4]
    assert "3 faults" in str(caught.value)


def test_a_json_syntax_error_gives_its_own_line_and_column():
    faults = faults_of('{\n  "name": "x",\n  "steps": [\n}', None)
    assert len(faults) == 1
    line, path, message = faults[0]
    assert (line, path) == (4, "$")
    assert message.startswith("invalid JSON")


def test_missing_fields_point_at_the_enclosing_object():
    faults = faults_of('{\n "name": "x",\n "steps": [\n   {"id": "a"}\n ]\n}', None)
    assert faults == [(4, "$.steps[0].uses", "required field 'uses' is missing")]


def test_a_duplicate_key_is_a_fault():
    faults = faults_of(
        '{"name": "x",\n"name": "y", "steps": [{"id": "a", "uses": "core.log"}]}', None
    )
    assert faults == [(2, "$.name", "key 'name' is given twice")]


def test_without_a_catalog_unknown_actions_are_not_checked():
    wf = parse_workflow({"name": "x", "steps": [{"id": "a", "uses": "slack.post_message"}]})
    assert wf.steps[0].uses == "slack.post_message"


def test_structural_faults_from_dicts_have_paths_but_no_lines():
    faults_raised = pytest.raises(WorkflowInvalid)
    with faults_raised as caught:
        parse_workflow({"name": "", "steps": [], "inputs": {"bad-name": {"type": "text"}}})
    paths = {f.path for f in caught.value.faults}
    assert {"$.name", "$.steps", '$.inputs["bad-name"].type'} <= paths
    assert all(f.line is None for f in caught.value.faults)


def test_a_default_must_match_its_type_and_retry_bounds_are_checked():
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(
            {
                "name": "x",
                "inputs": {"n": {"type": "integer", "default": "three"}},
                "steps": [{"id": "a", "uses": "core.log", "retry": {"attempts": 11}}],
            }
        )
    paths = {f.path: f.message for f in caught.value.faults}
    assert "is not of type integer" in paths["$.inputs.n"]
    assert "$.steps[0].retry.attempts" in paths


def test_a_template_syntax_error_is_a_fault(catalog):
    faults = faults_of(
        '{"name": "x", "steps": [{"id": "a", "uses": "core.log",'
        ' "with": {"message": "{{ oops("}}]}',
        catalog,
    )
    assert faults[0][1] == "$.steps[0].with.message"
    assert faults[0][2].startswith("template syntax error")


def test_schedule_next_run_respects_the_time_zone():
    trigger = ScheduleTrigger(cron="0 8 * * *", timezone="Europe/London")
    # 1 July: London is UTC+1, so 08:00 local is 07:00 UTC.
    after = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
    assert trigger.next_run_after(after) == dt.datetime(2026, 7, 1, 7, 0, tzinfo=dt.UTC)
    # In January London is on UTC.
    after = dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.UTC)
    assert trigger.next_run_after(after) == dt.datetime(2026, 1, 11, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="aware"):
        trigger.next_run_after(dt.datetime(2026, 1, 1))


def test_position_scanner_maps_paths_to_lines():
    text = json.dumps({"a": [1, {"b c": True}], "d": None}, indent=2)
    positions = scan_positions(text)
    assert positions.positions[("a", 1, "b c")][0] == 5
    assert positions.locate(("a", 1, "missing")) == positions.positions[("a", 1)]
    assert format_path(("a", 1, "b c")) == '$.a[1]["b c"]'
