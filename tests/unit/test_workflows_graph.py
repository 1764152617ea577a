"""The workflow graph: effective needs, order, upstream/downstream, and its validation."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from levqor_desktop.core.workflows import WorkflowInvalid, parse_workflow
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.core.workflows.graph import GraphCycle, GraphInvalid, find_cycles, graph_of
from levqor_desktop.errors import ValidationError


def s(sid: str, needs: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"id": sid, "uses": "core.log", "with": {"message": sid}, **extra}
    if needs is not None:
        step["needs"] = needs
    return step


def doc(*steps: dict[str, Any]) -> dict[str, Any]:
    return {"name": "g", "steps": list(steps)}


def test_a_list_is_a_chain_in_list_order():
    graph = graph_of(parse_workflow(doc(s("a"), s("b"), s("c"))))
    assert dict(graph.needs) == {"a": (), "b": ("a",), "c": ("b",)}
    assert graph.order() == ["a", "b", "c"]
    assert graph.explicit == frozenset()
    assert graph.upstream("c") == {"a", "b"} and graph.downstream("a") == {"b", "c"}


def test_needs_make_a_fan_out_and_fan_in_ordered_by_list_position_on_ties():
    wf = parse_workflow(
        doc(s("join", ["left", "right"]), s("right", ["root"]), s("left", ["root"]), s("root", []))
    )
    graph = graph_of(wf)
    assert graph.roots() == ["root"]
    assert graph.order() == ["root", "right", "left", "join"]
    assert graph.upstream("join") == {"left", "right", "root"}
    assert graph.downstream("right") == {"join"}
    assert graph.downstream("root") == {"left", "right", "join"}
    # An implicit step after a root made by [] needs that root only.
    mixed = graph_of(parse_workflow(doc(s("a"), s("b", []), s("c"))))
    assert dict(mixed.needs) == {"a": (), "b": (), "c": ("b",)}
    assert mixed.explicit == frozenset({"b"})


def test_an_unvalidated_graph_with_a_cycle_or_an_unknown_need_is_refused():
    wf = parse_workflow(doc(s("a"), s("b")))

    def with_needs(needs: list[str]) -> Any:
        first = wf.steps[0].model_copy(update={"needs": needs})
        return wf.model_copy(update={"steps": [first, wf.steps[1]]})

    with pytest.raises(GraphCycle, match="the needs of steps a, b form a cycle"):
        graph_of(with_needs(["b"])).order()
    with pytest.raises(GraphInvalid, match="step a needs step 'zz', which does not exist"):
        graph_of(with_needs(["zz"]))
    assert issubclass(GraphInvalid, ValidationError)


def test_find_cycles_names_one_cycle_per_knot_deterministically():
    edges = {0: [1], 1: [2], 2: [0], 3: [4], 4: [3], 5: [0]}
    assert find_cycles(edges) == [[0, 1, 2], [3, 4]]
    assert find_cycles({0: [], 1: [0], 2: [1]}) == []
    chain = {n: [n - 1] if n else [] for n in range(20_000)}  # no recursion limit
    assert find_cycles(chain) == []


def faults(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(textwrap.dedent(text).strip(), catalog=BuiltinCatalog())
    return [(f.line, f.path, f.message) for f in caught.value.faults]


def test_needs_faults_have_paths_lines_and_name_the_cycle():
    found = faults(
        """
        {"name": "bad", "steps": [
          {"id": "a", "uses": "core.log", "needs": ["c"], "with": {"message": "a"}},
          {"id": "b", "uses": "core.log", "needs": ["a"], "with": {"message": "b"}},
          {"id": "c", "uses": "core.log", "needs": ["b"], "with": {"message": "c"}},
          {"id": "d", "uses": "core.log", "needs": ["d", "nope", "bb"], "with": {"message": "d"}},
          {"id": "e", "uses": "core.log", "needs": ["a", "a"], "with": {"message": "e"}}
        ]}
        """
    )
    assert (2, "$.steps[0].needs", "steps a → c → b → a form a cycle through their needs: "
            "a step cannot wait for itself") in found  # fmt: skip
    assert (5, "$.steps[3].needs[0]", "step 'd' needs itself") in found
    assert (5, "$.steps[3].needs[1]", "needs step 'nope', which does not exist") in found
    assert (
        5,
        "$.steps[3].needs[2]",
        "needs step 'bb', which does not exist (did you mean 'b'?)",
    ) in found
    assert (6, "$.steps[4].needs[1]", "needs 'a' twice") in found
    assert len(found) == 5


def test_a_cycle_through_implicit_needs_is_reported_at_the_step():
    data = doc(s("a", ["c"]), s("b"), s("c"))
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(json.dumps(data, indent=1))
    [fault] = caught.value.faults
    assert fault.path == "$.steps[0].needs" and "a → c → b → a" in fault.message
    assert fault.line is not None


def test_templates_may_only_read_upstream_steps():
    data = doc(
        s("root", []),
        s("left", ["root"]),
        s("right", ["root"]),
        s("join", ["left"]),
    )
    data["steps"][1]["with"]["message"] = "{{ steps.root.output }} {{ steps.join.output }}"
    data["steps"][3]["with"]["message"] = "{{ steps.right.output }} {{ steps.root.output }}"
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(json.dumps(data, indent=1), catalog=BuiltinCatalog())
    got = {(f.path, f.message) for f in caught.value.faults}
    assert got == {
        (
            "$.steps[1].with.message",
            "refers to step 'join', which runs later ($.steps[3]): "
            "only upstream steps have outputs",
        ),
        (
            "$.steps[3].with.message",
            "refers to step 'right', which is not upstream of 'join': "
            "add 'right' to the needs of 'join'",
        ),
    }
    data["steps"][3]["needs"] = ["left", "right"]
    data["steps"][1]["with"]["message"] = "{{ steps.root.output }}"
    assert parse_workflow(data, catalog=BuiltinCatalog()).step("join").needs == ["left", "right"]
