"""While distill runs a project, `import alembic...` resolves to distill's own modules."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

# The Alembic API level distill's drop-in answers to (ALEMBIC-FACTS.md).
ALEMBIC_API_VERSION = "1.20.1"

# alembic module name -> distill module that serves it; None: a package made here.
MODULES: dict[str, str | None] = {
    "alembic": None,
    "alembic.op": "distill.op",
    "alembic.context": "distill.context",
    "alembic.command": "distill.commands",
    "alembic.config": "distill.config",
    "alembic.operations": "distill.operations",
    "alembic.operations.ops": "distill.operations.ops",
    "alembic.operations.base": "distill.operations.api",
    "alembic.script": "distill.scripts.directory",
    "alembic.script.base": "distill.scripts.directory",
    "alembic.script.write_hooks": "distill.scripts.writer",
    "alembic.runtime": None,
    "alembic.runtime.migration": "distill.runtime.migrator",
    "alembic.runtime.environment": "distill.runtime.environment",
    "alembic.migration": "distill.runtime.migrator",
    "alembic.environment": "distill.runtime.environment",
    "alembic.util": "distill.errors",
    "alembic.util.exc": "distill.errors",
}


# Names that have submodules of their own in MODULES.
PACKAGES = {name.rpartition(".")[0] for name in MODULES if "." in name}


def _package(name: str) -> types.ModuleType:
    """An empty package standing in for an alembic package distill has no module for."""
    module = types.ModuleType(name, f"distill's stand-in for {name}")
    module.__path__ = []
    module.__package__ = name
    if name == "alembic":
        module.__version__ = ALEMBIC_API_VERSION  # type: ignore[attr-defined]
    return module


def _package_over(name: str, module: types.ModuleType) -> types.ModuleType:
    """A package named `name` that offers everything `module` has (for its submodules)."""
    package = _package(name)
    package.__dict__.update(
        {key: value for key, value in vars(module).items() if not key.startswith("__")}
    )
    return package


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
        """Return the distill module itself, so both names share one object."""
        target = MODULES[spec.name]
        if target is None:
            return _package(spec.name)
        module = importlib.import_module(target)
        if spec.name in PACKAGES and not hasattr(module, "__path__"):
            return _package_over(spec.name, module)
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run; give the distill module back the spec importlib replaced."""
        original = self._specs.pop(getattr(module.__spec__, "name", ""), None)
        if original is not None:
            module.__spec__ = original


_FINDER = _AlembicFinder()


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
