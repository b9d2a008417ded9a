"""Schema objects as Python source: types, columns, constraints and defaults.

Every import a rendered type needs is added to `autogen_context.imports`: dialect
types bring `from sqlalchemy.dialects import postgresql`, a type from the user's own
module (a TypeDecorator, SQLModel's AutoString) brings `import thatmodule`, so the
revision runs without editing script.py.mako or setting `user_module_prefix`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.base import _NoneName
from sqlalchemy.sql.elements import conv

from distill.autogenerate.autogen_context import AutogenContext
from distill.autogenerate.sql_text import compiled
from distill.autogenerate.type_compare import type_key


def sa_prefix(context: AutogenContext) -> str:
    """The prefix of SQLAlchemy names in rendered code (`sa.` unless configured)."""
    return str(context.opts.get("sqlalchemy_module_prefix", "sa.") or "")


def op_prefix(context: AutogenContext) -> str:
    """The prefix of op calls (`op.`, `batch_op.` inside a batch block)."""
    if context._has_batch:
        return "batch_op."
    return str(context.opts.get("alembic_module_prefix", "op.") or "")


def user_hook(context: AutogenContext, type_: str, item: Any) -> str | None:
    """What render_item returns for the item, None when it leaves it to distill."""
    hook = context.opts.get("render_item")
    if hook is None:
        return None
    result = hook(type_, item, context)
    return None if result is False else str(result)


def name_text(context: AutogenContext, name: Any) -> str:
    """A constraint or index name: convention-made ones as op.f('...') (taken as final)."""
    if isinstance(name, conv):
        return f"{context.opts.get('alembic_module_prefix', 'op.') or ''}f({str(name)!r})"
    return repr(str(name))


def _module_import(context: AutogenContext, module: str) -> str:
    """`import top` when it reaches `module` as attributes, else `import module`."""
    top = module.split(".")[0]
    try:
        target: Any = importlib.import_module(top)
        for part in module.split(".")[1:]:
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return f"import {module}"
    return f"import {top}"


def render_type(context: AutogenContext, type_: Any) -> str:
    """A type as a constructor call, its import recorded."""
    type_ = sa.types.to_instance(type_)
    custom = user_hook(context, "type", type_)
    if custom is not None:
        return custom
    module = type(type_).__module__
    prefix = sa_prefix(context)
    if module.startswith("sqlalchemy.dialects."):
        dialect = module.split(".")[2]
        context.imports.add(f"from sqlalchemy.dialects import {dialect}")
        text = f"{dialect}.{_plain_repr(context, type_, prefix)}"
    elif module.startswith("sqlalchemy."):
        text = f"{prefix}{_plain_repr(context, type_, prefix)}"
    else:
        user_prefix = context.opts.get("user_module_prefix")
        if user_prefix:
            text = f"{user_prefix}{_plain_repr(context, type_, prefix)}"
        else:
            context.imports.add(_module_import(context, module))
            text = f"{module}.{_plain_repr(context, type_, prefix)}"
    for dialect_name, variant in getattr(type_, "_variant_mapping", {}).items():
        text += f".with_variant({render_type(context, variant)}, {dialect_name!r})"
    return text


def _plain_repr(context: AutogenContext, type_: Any, prefix: str) -> str:
    """repr() of the type with the types nested in it rendered (and imported) as well."""
    if isinstance(type_, sa.ARRAY):
        args = [render_type(context, type_.item_type)]
        if type_.dimensions is not None:
            args.append(f"dimensions={type_.dimensions!r}")
        if type_.as_tuple:
            args.append("as_tuple=True")
        return f"{type(type_).__name__}({', '.join(args)})"
    key = type_key(type_)
    known = _PLAIN_REPRS.get(key) if key is not None else None
    if known is not None:
        return known
    text = repr(type_)
    text = re.sub(r",?\s*metadata=MetaData\(\)", "", text)
    head, paren, arguments = text.partition("(")
    nested_types = False
    for name in re.findall(r"(\w+)=", arguments):
        value = getattr(type_, name, None)
        if not isinstance(value, sa.types.TypeEngine) or value is type_:
            continue
        nested = re.escape(repr(value))
        if re.search(rf"(?<![\w.]){nested}", arguments):
            nested_types = True
            rendered = render_type(context, value)
            arguments = re.sub(
                rf"(?<![\w.]){nested}", rendered.replace("\\", "\\\\"), arguments, count=1
            )
    text = head + paren + arguments
    if key is not None and not nested_types:  # nested ones add imports: rendered each time
        if len(_PLAIN_REPRS) >= 4096:
            _PLAIN_REPRS.clear()
        _PLAIN_REPRS[key] = text
    return text


# repr() of SQLAlchemy's own types without nested types, by class and attributes: a
# thousand new tables repeat a handful of types, and repr() inspects signatures each time
_PLAIN_REPRS: dict[Hashable, str] = {}


def render_default(context: AutogenContext, default: Any) -> str | None:
    """A server default as Python: a string, sa.text(...), sa.Identity or sa.Computed."""
    if default is None:
        return None
    custom = user_hook(context, "server_default", default)
    if custom is not None:
        return custom
    prefix = sa_prefix(context)
    if isinstance(default, sa.Identity):
        return f"{prefix}{_identity(default)}"
    if isinstance(default, sa.Computed):
        return _computed(context, default)
    if isinstance(default, sa.DefaultClause):
        default = default.arg
    if isinstance(default, str):
        return repr(default)
    if isinstance(default, sa.TextClause):
        return f"{prefix}text({default.text!r})"
    if isinstance(default, sa.sql.ClauseElement):
        dialect = context.dialect or sa.engine.default.DefaultDialect()
        return f"{prefix}text({compiled(default, dialect)!r})"
    return repr(default)


def _identity(identity: sa.Identity) -> str:
    options = []
    for key in ("always", "on_null", "start", "increment", "minvalue", "maxvalue", "nominvalue",
                "nomaxvalue", "cycle", "cache", "order"):  # fmt: skip
        value = getattr(identity, key, None)
        if value is not None and not (key == "always" and value is False):
            options.append(f"{key}={value!r}")
    return f"Identity({', '.join(options)})"


def _computed(context: AutogenContext, computed: sa.Computed) -> str:
    dialect = context.dialect or sa.engine.default.DefaultDialect()
    text = compiled(computed.sqltext, dialect)
    persisted = "" if computed.persisted is None else f", persisted={computed.persisted!r}"
    return f"{sa_prefix(context)}Computed({text!r}{persisted})"


def render_column(context: AutogenContext, column: sa.Column[Any]) -> str:
    """sa.Column('name', type, ..., nullable=...)."""
    custom = user_hook(context, "column", column)
    if custom is not None:
        return custom
    prefix = sa_prefix(context)
    args = [repr(str(column.name)), render_type(context, column.type)]
    keywords: list[str] = []
    default = column.server_default
    if isinstance(default, (sa.Identity, sa.Computed)):
        args.append(render_default(context, default) or "")
    elif default is not None:
        if column.computed is not None:
            args.append(_computed(context, column.computed))
        text = render_default(context, default)
        if text is not None:
            keywords.append(f"server_default={text}")
    if column.identity is not None and not isinstance(default, sa.Identity):
        args.append(f"{prefix}{_identity(column.identity)}")
    if column.computed is not None and not isinstance(default, sa.Computed) and default is None:
        args.append(_computed(context, column.computed))
    if isinstance(column.autoincrement, bool) and column.identity is None:
        keywords.append(f"autoincrement={column.autoincrement!r}")
    keywords.append(f"nullable={column.nullable!r}")
    if column.comment:
        keywords.append(f"comment={column.comment!r}")
    for key, value in sorted(column.dialect_kwargs.items()):
        keywords.append(f"{key}={value!r}")
    return f"{prefix}Column({', '.join(args + keywords)})"


def render_constraint(context: AutogenContext, constraint: Any) -> str | None:
    """A table-level constraint inside create_table; None when there is nothing to write."""
    custom = user_hook(context, _kind(constraint), constraint)
    if custom is not None:
        return custom
    prefix = sa_prefix(context)
    name = _final(constraint)
    named = [] if name is None else [f"name={name_text(context, name)}"]
    if isinstance(constraint, sa.PrimaryKeyConstraint):
        if not constraint.columns:
            return None
        columns = [repr(str(c.name)) for c in constraint.columns]
        return f"{prefix}PrimaryKeyConstraint({', '.join(columns + named)})"
    if isinstance(constraint, sa.UniqueConstraint):
        columns = [repr(str(c.name)) for c in constraint.columns]
        return f"{prefix}UniqueConstraint({', '.join(columns + named + _deferral(constraint))})"
    if isinstance(constraint, sa.ForeignKeyConstraint):
        return render_foreign_key(context, constraint, named)
    if isinstance(constraint, sa.CheckConstraint):
        dialect = context.dialect or sa.engine.default.DefaultDialect()
        text = compiled(constraint.sqltext, dialect)
        return f"{prefix}CheckConstraint({', '.join([repr(text), *named])})"
    return None


def _kind(constraint: Any) -> str:
    return {
        sa.PrimaryKeyConstraint: "primary_key",
        sa.UniqueConstraint: "unique",
        sa.ForeignKeyConstraint: "foreign_key",
        sa.CheckConstraint: "check",
    }.get(type(constraint), "constraint")


def _final(constraint: Any) -> Any:
    """The constraint's name (convention-made names as conv), None when unnamed."""
    name = constraint.name
    if name is not None and not isinstance(name, _NoneName):
        return name
    table = getattr(constraint, "table", None)
    if table is None:
        table = getattr(constraint, "parent", None)
    if isinstance(table, sa.Table):
        from distill.autogenerate.signatures import final_name

        made = final_name(constraint, table)
        return None if made is None else conv(made)
    return None


def _deferral(constraint: Any) -> list[str]:
    options = []
    if getattr(constraint, "deferrable", None):
        options.append(f"deferrable={constraint.deferrable!r}")
    if getattr(constraint, "initially", None):
        options.append(f"initially={constraint.initially!r}")
    return options


def render_foreign_key(
    context: AutogenContext, constraint: sa.ForeignKeyConstraint, named: list[str]
) -> str:
    """sa.ForeignKeyConstraint([...], ['table.col'], name=..., ondelete=...)."""
    local = [repr(str(element.parent.name)) for element in constraint.elements]
    remote = [repr(element.target_fullname) for element in constraint.elements]
    options = list(named)
    for key in ("onupdate", "ondelete", "match"):
        value = getattr(constraint, key, None)
        if value:
            options.append(f"{key}={value!r}")
    options.extend(_deferral(constraint))
    if constraint.use_alter:
        options.append("use_alter=True")
    body = ", ".join([f"[{', '.join(local)}]", f"[{', '.join(remote)}]", *options])
    return f"{sa_prefix(context)}ForeignKeyConstraint({body})"


def render_index_element(context: AutogenContext, element: Any) -> str:
    """One column or expression of an index."""
    if isinstance(element, str):
        return repr(element)
    if isinstance(element, sa.Column):
        return repr(str(element.name))
    dialect = context.dialect or sa.engine.default.DefaultDialect()
    return f"{sa_prefix(context)}text({compiled(element, dialect)!r})"


def render_dialect_kwargs(context: AutogenContext, kw: dict[str, Any]) -> list[str]:
    """Dialect options (postgresql_where=..., mysql_length=...) as keyword arguments."""
    rendered = []
    for key, value in sorted(kw.items()):
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, sa.sql.ClauseElement):
            dialect = context.dialect or sa.engine.default.DefaultDialect()
            value_text = f"{sa_prefix(context)}text({compiled(value, dialect)!r})"
        else:
            value_text = repr(value)
        rendered.append(f"{key}={value_text}")
    return rendered
