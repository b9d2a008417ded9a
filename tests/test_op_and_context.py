"""`distill.op` and `distill.context` repeat the signatures of Operations and
EnvironmentContext so editors and mypy see them; this keeps both sides the same.

For every public function of the two modules: the method of the same name exists, the
parameters (names, kinds, defaults) are the same, and a call reaches the method with
every argument in its place (a recording stand-in takes the running object's place).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from distill import context, op
from distill.operations import Operations
from distill.runtime.environment import EnvironmentContext

# op's helpers that need no running migration: they compute what the method computes.
OP_HELPERS = {"f", "inline_literal"}
# op's plugin decorators are the classmethods themselves.
OP_CLASSMETHODS = {"register_operation", "implementation_for"}


def _public_functions(module: types.ModuleType) -> list[str]:
    """Names of the functions and bound methods a module offers at its top level."""
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.ismethod(value))
        and (inspect.ismethod(value) or value.__module__ == module.__name__)
    )


def _shape(function: Callable[..., Any], *, drop_self: bool) -> list[tuple[str, Any, Any]]:
    params = list(inspect.signature(function).parameters.values())
    if drop_self:
        params = params[1:]
    return [(p.name, p.kind, p.default) for p in params]


class _Argument:
    """A distinct value for one parameter, recognisable wherever it arrives."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:
        return f"<{self.label}>"


def _call_for(function: Callable[..., Any]) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments giving every parameter a value of its own."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            args.append(_Argument(param.name))
        elif param.kind is param.VAR_POSITIONAL:
            args.extend([_Argument(f"{param.name}[0]"), _Argument(f"{param.name}[1]")])
        elif param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = _Argument(param.name)
        else:
            kwargs["extra_keyword"] = _Argument(param.name)
    return args, kwargs


class _Recorder:
    """Stands in for the running Operations / EnvironmentContext: records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.result = _Argument("result")

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return self.result

        return record


def _check_forwarding(
    function: Callable[..., Any], method: Callable[..., Any], recorder: _Recorder
) -> None:
    """Call `function` with `recorder` installed; the method must get every argument."""
    name = function.__name__
    assert _shape(function, drop_self=False) == _shape(method, drop_self=True), name
    args, kwargs = _call_for(function)
    result = function(*args, **kwargs)
    assert [call[0] for call in recorder.calls] == [name], name
    _, got_args, got_kwargs = recorder.calls[0]
    sent = inspect.signature(function).bind(*args, **kwargs).arguments
    arrived = inspect.signature(method).bind(None, *got_args, **got_kwargs).arguments
    del arrived[next(iter(arrived))]  # self
    assert arrived == sent, name
    returns_nothing = inspect.signature(method).return_annotation in ("None", None)
    assert result is (None if returns_nothing else recorder.result), name


@pytest.mark.parametrize(
    "name", [n for n in _public_functions(op) if n not in OP_HELPERS | OP_CLASSMETHODS]
)
def test_op_function_forwards_every_argument_to_operations(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(op, "active_operations", lambda: recorder)
    _check_forwarding(getattr(op, name), getattr(Operations, name), recorder)


@pytest.mark.parametrize("name", _public_functions(context))
def test_context_function_forwards_every_argument_to_environment_context(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(context, "active_environment", lambda function="": recorder)
    _check_forwarding(getattr(context, name), getattr(EnvironmentContext, name), recorder)


@pytest.mark.parametrize("name", sorted(OP_CLASSMETHODS))
def test_op_plugin_decorators_are_the_operations_classmethods(name: str) -> None:
    assert getattr(op, name) == getattr(Operations, name)


def test_op_helpers_match_the_operations_methods() -> None:
    operations = Operations.__new__(Operations)  # the helpers read no migration state
    for name in OP_HELPERS:
        assert _shape(getattr(op, name), drop_self=False) == _shape(
            getattr(Operations, name), drop_self=True
        ), name
    assert op.f("ix_a") == operations.f("ix_a") == "ix_a"
    assert type(op.f("ix_a")) is type(operations.f("ix_a"))
    for value, type_ in [("5", None), ("5", sa.Integer()), (5, sa.String())]:
        ours, theirs = op.inline_literal(value, type_), operations.inline_literal(value, type_)
        assert (ours.value, type(ours.type)) == (theirs.value, type(theirs.type))


def test_every_module_function_is_checked() -> None:
    """A module function without a method of the same name fails here, not silently."""
    for module, owner in [(op, Operations), (context, EnvironmentContext)]:
        for name in _public_functions(module):
            assert callable(getattr(owner, name, None)), f"{module.__name__}.{name}"
