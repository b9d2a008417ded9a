"""While distill runs a project, `import alembic...` resolves to distill's own modules.

Each `alembic.*` name in MODULES is served from the distill module(s) it lists; ALIASES
adds the names distill spells differently. Those two tables are the only places naming
distill modules, which are loaded by name when an alembic name is first imported
(`served_modules()` lists them for the layer check). A leaf name with a single source
is that very distill module; a package name, or a name gathering several sources or
ALIASES, is a stand-in module holding the names of its sources, so that Python's import
machinery sets submodule attributes on the stand-in and never on distill's own modules.
A stand-in package imports a mapped submodule when it is first used as an attribute, so
`alembic.operations.ops.X` works after a plain `import alembic` without importing every
module up front.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# The Alembic API level distill's drop-in answers to (alembic.__version__ under it).
ALEMBIC_API_VERSION = "1.20.1"

# alembic module name -> the distill module(s) serving it; None: an empty package.
MODULES: dict[str, str | tuple[str, ...] | None] = {
    "alembic": None,
    "alembic.op": "distill.op",
    "alembic.context": "distill.context",
    "alembic.command": "distill.command",
    "alembic.config": "distill.config",
    "alembic.operations": "distill.operations",
    "alembic.operations.ops": ("distill.operations.ops", "distill.autogenerate.containers"),
    "alembic.operations.base": "distill.operations.api",
    "alembic.script": "distill.scripts.directory",
    "alembic.script.base": "distill.scripts.directory",
    "alembic.script.write_hooks": "distill.scripts.writer",
    "alembic.script.revision": "distill.scripts.revision_map",
    "alembic.runtime": None,
    "alembic.runtime.migration": "distill.runtime.migrator",
    "alembic.runtime.environment": "distill.runtime.environment",
    "alembic.runtime.plugins": "distill.autogenerate.registry",
    "alembic.migration": "distill.runtime.migrator",
    "alembic.environment": "distill.runtime.environment",
    "alembic.util": "distill.errors",
    "alembic.util.exc": "distill.errors",
    "alembic.autogenerate": "distill.autogenerate",
    "alembic.autogenerate.api": "distill.autogenerate.api",
    "alembic.autogenerate.compare": "distill.autogenerate.compare",
    "alembic.autogenerate.render": "distill.autogenerate.render",
    "alembic.autogenerate.rewriter": "distill.autogenerate.rewriter",
    "alembic.ddl": "distill.dialects",
    "alembic.ddl.impl": "distill.dialects.base",
    "alembic.ddl.postgresql": "distill.dialects.postgresql",
    "alembic.ddl.mysql": "distill.dialects.mysql",
    "alembic.ddl.sqlite": "distill.dialects.sqlite",
}

# Names an alembic module has that distill spells differently: name -> "module:attribute".
ALIASES: dict[str, dict[str, str]] = {
    "alembic.operations": {
        "BatchOperations": "distill.operations.batch:BatchOperations",
        "MigrationScript": "distill.autogenerate.containers:MigrationScript",
    },
    "alembic.operations.base": {"BatchOperations": "distill.operations.batch:BatchOperations"},
    "alembic.util": {
        "DispatchPriority": "distill.autogenerate.registry:DispatchPriority",
        "PriorityDispatchResult": "distill.autogenerate.registry:PriorityDispatchResult",
    },
    # a DefaultImpl subclass naming its dialect in `__dialect__` becomes that dialect's impl
    "alembic.ddl": {"DefaultImpl": "distill.dialects.base:DialectImpl"},
    "alembic.ddl.impl": {"DefaultImpl": "distill.dialects.base:DialectImpl"},
    "alembic.ddl.postgresql": {"PostgresqlImpl": "distill.dialects.postgresql:PostgreSQLImpl"},
    "alembic.ddl.mysql": {"MySQLImpl": "distill.dialects.mysql:MySQLImpl"},
    "alembic.ddl.sqlite": {"SQLiteImpl": "distill.dialects.sqlite:SQLiteImpl"},
}


# Names that have submodules of their own in MODULES.
PACKAGES = {name.rpartition(".")[0] for name in MODULES if "." in name}


def served_modules() -> set[str]:
    """Every distill module the two tables name: compat's real dependencies."""
    modules = {source for name in MODULES for source in _sources(name)}
    for names in ALIASES.values():
        modules.update(target.partition(":")[0] for target in names.values())
    return modules


def _sources(name: str) -> tuple[str, ...]:
    """The distill modules serving an alembic name."""
    target = MODULES[name]
    if target is None:
        return ()
    return (target,) if isinstance(target, str) else target


def _is_stand_in(name: str) -> bool:
    """False when the alembic name is served by the distill module itself."""
    return name in PACKAGES or name in ALIASES or len(_sources(name)) != 1


def _stand_in(name: str) -> types.ModuleType:
    """A module named `name` holding the names of its distill sources and aliases."""
    module = types.ModuleType(name, f"distill's stand-in for {name}")
    if name in PACKAGES or MODULES[name] is None:
        module.__path__ = []
        module.__package__ = name
    else:
        module.__package__ = name.rpartition(".")[0]
    if name == "alembic":
        module.__version__ = ALEMBIC_API_VERSION  # type: ignore[attr-defined]
    for source in _sources(name):
        for key, value in vars(importlib.import_module(source)).items():
            # a mapped submodule is left to __getattr__, which serves the alembic one
            if not key.startswith("__") and f"{name}.{key}" not in MODULES:
                module.__dict__.setdefault(key, value)
    if name in PACKAGES:
        module.__getattr__ = _submodule_getter(name)  # type: ignore[method-assign]
    for key, target in ALIASES.get(name, {}).items():
        source, _, attribute = target.partition(":")
        setattr(module, key, getattr(importlib.import_module(source), attribute))
    return module


_MISSING = object()


def _submodule_getter(package: str) -> Callable[[str], Any]:
    """A module `__getattr__` importing mapped submodules on first use, so that
    `import alembic; alembic.operations.ops.X` works without importing every module."""

    def __getattr__(attribute: str) -> Any:
        child = f"{package}.{attribute}"
        if child in MODULES:
            return importlib.import_module(child)
        # a name the distill module serves on first use (module __getattr__)
        for source in _sources(package):
            value = getattr(importlib.import_module(source), attribute, _MISSING)
            if value is not _MISSING:
                return value
        raise AttributeError(f"module {package!r} has no attribute {attribute!r}")

    return __getattr__


class _AlembicFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `alembic.*` names in MODULES and serves distill's modules for them."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """Claim the alembic names distill serves; leave everything else alone."""
        if fullname not in MODULES:
            return None
        is_package = MODULES[fullname] is None or fullname in PACKAGES
        return importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        """The distill module itself, or a stand-in gathering what the name offers."""
        if _is_stand_in(spec.name):
            return _stand_in(spec.name)
        module = importlib.import_module(_sources(spec.name)[0])
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Import a package's mapped submodules; give a distill module back its spec."""
        name = getattr(module.__spec__, "name", "")
        if name in self._specs:
            module.__spec__ = self._specs.pop(name)
            return


_FINDER = _AlembicFinder()


_installed = False


def install_as_alembic() -> None:
    """Make `alembic` resolve to distill for the rest of the process.

    Real Alembic modules imported earlier leave `sys.modules`, and the modules that
    imported them (a pytest plugin loaded before conftest.py, say) get distill's module,
    class or function of the same name in their place.
    """
    global _installed
    real = {name: module for name, module in sys.modules.items() if _is_real_alembic(name)}
    for name in real:
        del sys.modules[name]
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    _installed = True
    if real:
        _rebind(real)


def _is_real_alembic(name: str) -> bool:
    """True for an `alembic...` module in sys.modules that distill did not serve."""
    module = sys.modules.get(name)
    return _is_alembic(name) and not _is_served(module)


def _is_served(module: types.ModuleType | None) -> bool:
    """True for a distill module or one of compat's stand-ins."""
    name = getattr(module, "__name__", "")
    doc = getattr(module, "__doc__", None) or ""
    return name.startswith("distill.") or doc.startswith("distill's stand-in")


def _rebind(real: dict[str, types.ModuleType]) -> None:
    """Point every module global that holds a real Alembic module or name at distill's."""
    by_id = {id(module): name for name, module in real.items()}
    for owner in list(sys.modules.values()):
        owner_name = getattr(owner, "__name__", "")
        if owner is None or _is_alembic(owner_name) or owner_name.startswith("distill"):
            continue
        namespace = getattr(owner, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            replacement = _served_counterpart(value, by_id)
            if replacement is not None:
                namespace[key] = replacement


def _served_counterpart(value: Any, real_ids: dict[int, str]) -> Any:
    """distill's module or object standing for a real Alembic one; None if none."""
    if isinstance(value, types.ModuleType):
        name = real_ids.get(id(value))
        return _served_module(name) if name is not None else None
    home = getattr(value, "__module__", None)
    if not isinstance(home, str) or not _is_alembic(home):
        return None
    if not (isinstance(value, type) or callable(value)):
        return None
    candidates = [home]
    while "." in candidates[-1]:
        candidates.append(candidates[-1].rpartition(".")[0])
    for name in candidates:
        served = _served_module(name)
        found = getattr(served, getattr(value, "__name__", ""), None) if served else None
        if found is not None:
            return found
    return None


def _served_module(name: str) -> types.ModuleType | None:
    """The module distill serves for an alembic name, or None when it serves none."""
    if name not in MODULES:
        return None
    return importlib.import_module(name)


@contextmanager
def alembic_names() -> Iterator[None]:
    """Serve `alembic`, `alembic.op`, `alembic.context`, ... from distill for a while.

    Modules of a real Alembic imported earlier in the process are put back afterwards.
    """
    saved = {name: module for name, module in sys.modules.items() if _is_alembic(name)}
    for name in saved:
        del sys.modules[name]
    sys.meta_path.insert(0, _FINDER)
    try:
        yield
    finally:
        sys.meta_path.remove(_FINDER)
        for name in [name for name in sys.modules if _is_alembic(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def _is_alembic(name: str) -> bool:
    """True for `alembic` and its submodules."""
    return name == "alembic" or name.startswith("alembic.")
