"""How op objects become SQL on each backend: `impl_for(dialect, sink)` picks the impl."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Dialect

from distill.dialects.base import DialectImpl, Sink, impl_class
from distill.dialects.ddl import render_for_script

__all__ = ["DialectImpl", "Sink", "impl_class_for", "impl_for", "render_for_script"]

# Built-in impls load on first use, so a run on one backend never imports the others.
_BUILTIN = {
    "sqlite": "distill.dialects.sqlite",
    "postgresql": "distill.dialects.postgresql",
    "mysql": "distill.dialects.mysql",
    "mariadb": "distill.dialects.mysql",
}


def impl_for(
    dialect: Dialect,
    sink: Sink,
    *,
    transactional_ddl: bool | None = None,
    opts: Mapping[str, Any] | None = None,
) -> DialectImpl:
    """The DialectImpl for `dialect`, sending its statements to `sink`."""
    cls = impl_class_for(dialect)
    return cls(dialect, sink, transactional_ddl=transactional_ddl, opts=opts)


def impl_class_for(dialect: Dialect) -> type[DialectImpl]:
    """The DialectImpl class for `dialect`, whose classmethod hooks work before an impl exists."""
    module = _BUILTIN.get(dialect.name)
    if module is not None:
        importlib.import_module(module)
    return impl_class(dialect.name)
