"""A sandboxed template engine for step inputs: data in, data out, no code.

Templates see one scope, ``{"inputs": {...}, "steps": {"<id>": {"output": {...}}}}``,
built only of dicts, lists and scalars. On top of Jinja's immutable sandbox we go
further: ``a.b`` and ``a["b"]`` only look *into* dicts and lists (never at Python
attributes, so ``''.__class__`` or ``x.items`` find nothing), nothing may be called,
no globals exist, only a short list of pure filters is offered, and ``*``/``**`` may
not build huge values. Undefined names fail loudly (StrictUndefined).

A string that is exactly one ``{{ expr }}`` keeps the value's native type (a list
stays a list, 3 stays 3); any other string renders as text.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.filters import FILTERS as DEFAULT_FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS as DEFAULT_TESTS

from levqor_desktop.errors import ValidationError

__all__ = [
    "Reference",
    "TemplateEngine",
    "TemplateError",
    "has_template",
    "references",
    "shared_engine",
]

# Pure filters over data; `attr`, `pprint`, `xmlattr` and anything that calls out are left out.
_FILTERS = (
    "abs", "batch", "capitalize", "center", "count", "default", "d", "dictsort", "first",
    "float", "format", "indent", "int", "items", "join", "last", "length", "list", "lower",
    "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select",
    "selectattr", "slice", "sort", "string", "sum", "title", "trim", "truncate", "unique",
    "upper", "urlencode", "wordcount", "wordwrap",
)  # fmt: skip
_MAX_REPEAT = 100_000  # the largest string/list `*` may build
_MAX_EXPONENT = 1_000
_SINGLE = re.compile(r"^\s*\{\{(?P<expr>.*?)\}\}\s*$", re.DOTALL)


class TemplateError(ValidationError):
    """A template could not be parsed or rendered; names the field and the expression."""

    def __init__(self, message: str, *, field: str = "", expression: str = "") -> None:
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{message} in {expression!r}" if expression else where + message)
        self.field = field
        self.expression = expression
        self.reason = message


def _tojson(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class _DataOnlyEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with attribute access, calls and large products taken away."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        # `a.b` looks up the key "b" in a dict; there are no Python attributes here.
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping):
            if argument in obj:
                return obj[argument]
        elif isinstance(obj, list | tuple | str) and isinstance(argument, int | slice):
            with contextlib.suppress(IndexError):
                return obj[argument]
        return self.undefined(obj=obj, name=argument)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        raise SecurityError("templates may not call functions or methods")

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
                raise SecurityError(f"exponent {right} is too large")
            return left**right
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if sized and len(seq) * times > _MAX_REPEAT:
                raise SecurityError(f"repeating a value {times} times builds too much")
        return operator.mul(left, right)


def _make_environment() -> _DataOnlyEnvironment:
    env = _DataOnlyEnvironment(undefined=StrictUndefined, autoescape=False)
    env.globals.clear()
    env.filters = {name: DEFAULT_FILTERS[name] for name in _FILTERS}
    env.filters["tojson"] = _tojson
    env.tests = dict(DEFAULT_TESTS)
    return env


def has_template(text: str) -> bool:
    return "{{" in text or "{%" in text


@dataclass(frozen=True)
class Reference:
    """A name a template reads: ``("steps", "fetch")``, ``("inputs", "repo")``, a stray
    name, or a ``private`` one (``x.__class__``: refused at run time, reported early)."""

    kind: Literal["steps", "inputs", "name", "private"]
    name: str


class TemplateEngine:
    """Compiles (with a cache) and renders templates in the data-only sandbox."""

    def __init__(self, cache_size: int = 512) -> None:
        self.env = _make_environment()
        self._template = lru_cache(maxsize=cache_size)(self._compile_template)
        self._expression: Callable[[str], Callable[..., Any]] = lru_cache(maxsize=cache_size)(
            self._compile_expression
        )
        self._references = lru_cache(maxsize=cache_size)(self._parse_references)

    def _refuse_outside_names(self, source: str) -> None:
        # Names outside the scope (``self``, ``env``...) and private keys never render.
        for ref in _collect_references(self.env.parse(source)):
            if ref.kind == "name":
                raise SecurityError(f"{ref.name!r} is not in the scope (inputs, steps)")
            if ref.kind == "private":
                raise SecurityError(f"templates may not read {ref.name!r}")

    def _compile_template(self, text: str) -> Any:
        self._refuse_outside_names(text)
        return self.env.from_string(text)

    def _compile_expression(self, expr: str) -> Callable[..., Any]:
        self._refuse_outside_names("{{ " + expr + " }}")
        return self.env.compile_expression(expr, undefined_to_none=False)

    def render(self, text: str, scope: Mapping[str, Any], *, field: str = "") -> Any:
        """Render one string: native value for a lone ``{{ expr }}``, else text."""
        if not has_template(text):
            return text
        single = _SINGLE.match(text)
        try:
            if single and "{{" not in single["expr"] and "}}" not in single["expr"]:
                value = self._expression(single["expr"].strip())(**scope)
                if isinstance(value, Undefined):
                    # Force StrictUndefined to raise its explanatory error.
                    str(value)
                return value
            return self._template(text).render(**scope)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"syntax error: {exc.message}", field=field, expression=text
            ) from None
        except UndefinedError as exc:
            raise TemplateError(_undefined_message(exc), field=field, expression=text) from None
        except SecurityError as exc:
            raise TemplateError(f"not allowed: {exc}", field=field, expression=text) from None
        except (JinjaTemplateError, TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateError(f"cannot render: {exc}", field=field, expression=text) from None

    def render_value(self, value: Any, scope: Mapping[str, Any], *, field: str = "") -> Any:
        """Render every string inside ``value`` (dicts and lists are walked)."""
        if isinstance(value, str):
            return self.render(value, scope, field=field)
        if isinstance(value, Mapping):
            return {k: self.render_value(v, scope, field=f"{field}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.render_value(v, scope, field=f"{field}[{i}]") for i, v in enumerate(value)]
        return value

    def evaluate_condition(self, text: str, scope: Mapping[str, Any], *, field: str = "if") -> bool:
        """An ``if``: either ``{{ expr }}`` or a bare expression; truthy strings as expected."""
        expr = text if has_template(text) else "{{ " + text + " }}"
        value = self.render(expr, scope, field=field)
        if isinstance(value, str):
            return value.strip().lower() not in ("", "false", "0", "no", "none", "null")
        return bool(value)

    def references(self, text: str) -> set[Reference]:
        """The steps, inputs and other names ``text`` reads (raises TemplateError on bad syntax)."""
        return set(self._references(text))

    def _parse_references(self, text: str) -> frozenset[Reference]:
        try:
            tree = self.env.parse(text)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"syntax error: {exc.message}", expression=text) from None
        return frozenset(_collect_references(tree))


def _undefined_message(exc: UndefinedError) -> str:
    text = str(exc.message or exc)
    for name in ("jinja2.runtime.StrictUndefined", "jinja2.runtime.Undefined"):
        text = text.replace(f"'{name} object'", "an undefined value")
    return f"undefined value: {text}"


def _collect_references(tree: nodes.Node) -> set[Reference]:
    found: set[Reference] = set()
    declared = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        if isinstance(key := _key(node), str) and key.startswith("_"):
            found.add(Reference("private", key))
        base = node.node
        if not isinstance(base, nodes.Name) or base.name not in ("steps", "inputs"):
            continue
        if base.name in declared:
            continue
        if isinstance(key := _key(node), str):
            found.add(Reference(base.name, key))  # type: ignore[arg-type]
    for name in _free_names(tree, declared):
        if name not in ("steps", "inputs"):
            found.add(Reference("name", name))
    return found


def _key(node: nodes.Getattr | nodes.Getitem) -> Any:
    if isinstance(node, nodes.Getattr):
        return node.attr
    return node.arg.value if isinstance(node.arg, nodes.Const) else None


def _free_names(tree: nodes.Node, declared: Iterable[str]) -> set[str]:
    known = set(declared) | {"loop"}
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load" and n.name not in known}


@functools.cache
def shared_engine() -> TemplateEngine:
    """One engine for callers that bring none: its compiled-template cache is bounded and
    holds no data, and building an engine costs about a millisecond."""
    return TemplateEngine()


def references(text: str, engine: TemplateEngine | None = None) -> set[Reference]:
    """Module-level shortcut of :meth:`TemplateEngine.references`."""
    return (engine or shared_engine()).references(text)
