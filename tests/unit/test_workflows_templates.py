"""The sandboxed template engine: native types, text, references, and what it refuses."""

from __future__ import annotations

import pytest

from levqor_desktop.core.workflows.runner import build_scope
from levqor_desktop.core.workflows.templates import (
    Reference,
    TemplateEngine,
    TemplateError,
    references,
)

SCOPE = build_scope(
    {"repo": "acme/app", "n": 3, "flag": False},
    {"fetch": {"items": [{"id": 7, "title": "Bug"}, {"id": 9, "title": "Idea"}], "count": 2}},
)


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ steps.fetch.output.items }}", SCOPE["steps"]["fetch"]["output"]["items"]),
        ("{{ steps.fetch.output.items[0].id }}", 7),
        ("  {{ inputs.n * 2 }} ", 6),
        ("{{ inputs.flag }}", False),
        ("{{ {'a': inputs.n} }}", {"a": 3}),
        ("{{ steps.fetch.output['items'] | map(attribute='id') | list }}", [7, 9]),
        ("{{ steps.fetch.output['count'] }}", 2),
        ("no template", "no template"),
    ],
)
def test_a_lone_expression_keeps_its_native_type(engine, template, expected):
    assert engine.render(template, SCOPE) == expected


def test_mixed_text_renders_as_a_string(engine):
    text = "{{ inputs.repo }} has {{ steps.fetch.output.count }} issues"
    assert engine.render(text, SCOPE) == "acme/app has 2 issues"
    loop = "{% for i in steps.fetch.output['items'] %}#{{ i.id }} {% endfor %}"
    assert engine.render(loop, SCOPE) == "#7 #9 "
    assert engine.render("{{ inputs.n }}{{ inputs.n }}", SCOPE) == "33"


def test_dotted_names_read_dict_keys_not_python_attributes(engine):
    # "items" is a key of the output, not dict.items.
    assert engine.render("{{ steps.fetch.output.items | length }}", SCOPE) == 2


def test_render_value_walks_dicts_and_lists(engine):
    value = {"a": ["{{ inputs.n }}", {"b": "x{{ inputs.repo }}"}], "c": 1}
    assert engine.render_value(value, SCOPE) == {"a": [3, {"b": "xacme/app"}], "c": 1}


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ inputs.__class__ }}",
        "{{ inputs['__class__'] }}",
        "{{ inputs.repo.upper() }}",
        "{{ inputs.items() }}",
        "{{ range(10) | list }}",
        "{{ lipsum() }}",
        "{{ cycler }}",
        "{{ inputs | attr('keys') }}",
        "{{ 'x' * 10000000 }}",
        "{{ [0] * 10000000 }}",
        "{{ 2 ** 100000 }}",
        "{{ self }}",
        "{{ config }}",
        "{% set x = inputs.__init__ %}{{ x }}",
    ],
)
def test_the_sandbox_refuses_code_and_attributes(engine, template):
    with pytest.raises(TemplateError):
        engine.render(template, SCOPE, field="steps.a.with.x")


def test_errors_name_the_field_and_the_expression(engine):
    with pytest.raises(TemplateError) as caught:
        engine.render("{{ steps.fetch.output.nope.deeper }}", SCOPE, field="steps.post.with.text")
    message = str(caught.value)
    assert message.startswith("steps.post.with.text: undefined value")
    assert "steps.fetch.output.nope.deeper" in message
    assert caught.value.field == "steps.post.with.text"


def test_syntax_errors_are_template_errors(engine):
    with pytest.raises(TemplateError, match="syntax error"):
        engine.render("{{ oops( }}", SCOPE)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("inputs.n > 2", True),
        ("inputs.flag", False),
        ("{{ inputs.n > 5 }}", False),
        ("{{ 'false' }}", False),
        ("{{ inputs.repo }}", True),
        ("steps.fetch.output['items'] | length == 2", True),
    ],
)
def test_conditions(engine, condition, expected):
    assert engine.evaluate_condition(condition, SCOPE) is expected


def test_references_find_steps_inputs_stray_and_private_names():
    found = references(
        "{{ steps.fetch.output.x }} {{ steps['other'].output }} {{ inputs.repo }} {{ env.HOME }}"
        "{% for i in inputs.list %}{{ i.__class__ }}{% endfor %}{% set y = 1 %}{{ y }}"
    )
    assert found == {
        Reference("steps", "fetch"),
        Reference("steps", "other"),
        Reference("inputs", "repo"),
        Reference("inputs", "list"),
        Reference("name", "env"),
        Reference("private", "__class__"),
    }
