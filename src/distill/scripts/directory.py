"""The migration folder on disk: where revision files are, the graph their headers make,
and importing a revision file only when something is about to run it."""

from __future__ import annotations

import contextlib
import gc
import importlib.machinery
import importlib.util
import os
import re
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from distill.config import DEFAULT_FILE_TEMPLATE, DEFAULT_TRUNCATE_SLUG_LENGTH
from distill.errors import ConfigError, MultipleHeads, ResolutionError, ScriptError
from distill.graph import Revision, RevisionGraph, Step
from distill.scripts import describe

if TYPE_CHECKING:
    from distill.config import Config, PostWriteHookConfig, ScriptSettings
    from distill.scripts.baseline import Baseline
    from distill.scripts.revision_map import RevisionMap

RevIds = str | Sequence[str]
_UNREAD = object()  # the baseline folder has not been looked at yet


def resource_path(location: str) -> Path:
    """A folder path, or a `package:dir` resource turned into its folder on disk."""
    if os.path.isabs(location) or ":" not in location:
        return Path(location)
    # a Windows drive letter ("C:\\x") is absolute above; "pkg:sub:dir" nests folders
    package, *parts = location.split(":")
    from importlib import resources

    try:
        ref = resources.files(package)
    except (ModuleNotFoundError, TypeError) as error:
        raise ConfigError(
            f"Package {package!r} of location {location!r} cannot be imported ({error}); "
            "check the name, or that the package is installed or on prepend_sys_path"
        ) from error
    for part in parts:
        ref = ref / part
    return Path(str(ref))


@contextmanager
def prepended_sys_path(paths: Sequence[str]) -> Iterator[None]:
    """`paths` at the front of sys.path for the block, and exactly those entries removed
    afterwards (what the block itself added to sys.path stays, as it would under Alembic)."""
    sys.path[:0] = paths
    try:
        yield
    finally:
        for path in paths:
            with contextlib.suppress(ValueError):
                sys.path.remove(path)


def _module_name(prefix: str, path: Path) -> str:
    """A module name that no other file can share: the file's stem plus a path digest."""
    import hashlib  # imported here: listing revisions never needs it

    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.name.split(".")[0])
    return f"{prefix}_{stem}_{digest}"


def load_python_file(path: Path, module_name: str) -> ModuleType:
    """Import one .py/.pyc/.pyo file under `module_name` and return the module."""
    if path.suffix in (".pyc", ".pyo"):
        loader: importlib.machinery.SourcelessFileLoader | importlib.machinery.SourceFileLoader = (
            importlib.machinery.SourcelessFileLoader(module_name, str(path))
        )
    else:
        loader = importlib.machinery.SourceFileLoader(module_name, str(path))
    spec = importlib.util.spec_from_file_location(module_name, str(path), loader=loader)
    if spec is None:  # pragma: no cover - only for suffixes we never pass
        raise ScriptError(f"Cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(module_name)
    # registered while it runs so dataclasses, pickling and typing can find the module
    sys.modules[module_name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        if previous is None:
            sys.modules.pop(module_name, None)
        else:
            sys.modules[module_name] = previous
        raise
    return module


class Script:
    """One revision file: its header data, and its module imported on first use."""

    def __init__(self, directory: ScriptDirectory, revision: Revision) -> None:
        self._directory = directory
        self._revision = revision
        self._db_current_indicator: bool | None = None

    def __repr__(self) -> str:
        return f"Script({self.revision!r}, {self.down_revision!r}, path={self.path!r})"

    @property
    def _graph(self) -> RevisionGraph:
        return self._directory.graph

    @property
    def revision(self) -> str:
        """The revision id."""
        return self._revision.revision

    @property
    def down_revision(self) -> str | tuple[str, ...] | None:
        """None for a root, the parent id, or a tuple of ids for a merge."""
        return _as_scalar(self._revision.down_revisions)

    @property
    def dependencies(self) -> str | tuple[str, ...] | None:
        """The `depends_on` entries as the file writes them."""
        return _as_scalar(self._revision.depends_on)

    depends_on = dependencies

    @property
    def branch_labels(self) -> set[str]:
        """The branch labels this revision is on (its own and inherited ones)."""
        return set(self._graph.labels(self.revision))

    @property
    def path(self) -> str:
        """The file's path."""
        return self._revision.path

    @property
    def longdoc(self) -> str:
        """The module docstring, stripped."""
        return self._revision.doc.strip()

    @property
    def doc(self) -> str:
        """The first paragraph of the docstring (the revision message)."""
        return describe.first_paragraph(self.longdoc)

    @property
    def module(self) -> ModuleType:
        """The imported revision file (imported now if it was not yet)."""
        return self._directory.load_module(self.revision)

    @property
    def nextrev(self) -> frozenset[str]:
        """The ids whose down_revision names this revision."""
        return frozenset(self._graph.children(self.revision))

    @property
    def is_head(self) -> bool:
        """True when no revision has this one as down_revision."""
        return self._graph.is_head(self.revision)

    @property
    def is_base(self) -> bool:
        """True when the revision has no down_revision."""
        return not self._revision.down_revisions

    @property
    def is_branch_point(self) -> bool:
        """True when two or more revisions have this one as down_revision."""
        return self._graph.is_branch_point(self.revision)

    @property
    def is_merge_point(self) -> bool:
        """True when the revision has two or more down_revisions."""
        return self._graph.is_merge_point(self.revision)

    @property
    def log_entry(self) -> str:
        """The verbose block `show` and `history -v` print."""
        return describe.verbose_block(
            self._graph, self.revision, current=bool(self._db_current_indicator)
        )

    def cmd_format(
        self,
        verbose: bool,
        include_branches: bool = False,
        include_doc: bool = False,
        include_parents: bool = False,
        tree_indicators: bool = True,
        head_indicators: bool = True,
    ) -> str:
        """The text the commands print for this revision (Alembic's `cmd_format`)."""
        if verbose:
            return self.log_entry
        return describe.short_line(
            self._graph,
            self.revision,
            include_branches=include_branches,
            include_doc=include_doc,
            include_parents=include_parents,
            tree_indicators=tree_indicators,
            head_indicators=head_indicators,
            current=bool(self._db_current_indicator),
        )

    def __str__(self) -> str:
        return (
            f"{describe.format_parents(self._graph, self.revision)} -> {self.revision}"
            + (" (head)" if self.is_head else "")
            + (" (branchpoint)" if self.is_branch_point else "")
            + (" (mergepoint)" if self.is_merge_point else "")
            + f", {self.doc}"
        )


def _as_scalar(ids: tuple[str, ...]) -> str | tuple[str, ...] | None:
    """() -> None, one id -> the id, several -> the tuple (as revision files write them)."""
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else ids


def _heads(value: RevIds | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class ScriptDirectory:
    """A migration folder: env.py, script.py.mako and the version locations."""

    def __init__(
        self,
        dir: str | os.PathLike[str],  # Alembic's keyword name
        file_template: str = DEFAULT_FILE_TEMPLATE,
        truncate_slug_length: int | None = DEFAULT_TRUNCATE_SLUG_LENGTH,
        version_locations: Sequence[str | os.PathLike[str]] | None = None,
        sourceless: bool = False,
        output_encoding: str = "utf-8",
        timezone: str | None = None,
        hooks: Sequence[PostWriteHookConfig] = (),
        recursive_version_locations: bool = False,
        messaging_opts: Mapping[str, bool] | None = None,
        config: Config | None = None,
        prepend_sys_path: Sequence[str] = (),
    ) -> None:
        self.dir = os.fspath(dir)
        self.version_locations = [os.fspath(p) for p in version_locations or ()]
        self.file_template = file_template
        self.truncate_slug_length = truncate_slug_length or DEFAULT_TRUNCATE_SLUG_LENGTH
        self.sourceless = sourceless
        self.output_encoding = output_encoding
        self.timezone = timezone or None
        self.hooks = list(hooks)
        self.recursive_version_locations = recursive_version_locations
        self.messaging_opts = dict(messaging_opts or {})
        self.config = config
        # applied only while project code runs (env.py, revision files, hooks), so that
        # building a ScriptDirectory leaves the importing application's sys.path alone
        self.prepend_sys_path = tuple(prepend_sys_path)
        self._graph: RevisionGraph | None = None
        self._scripts: dict[str, Script] = {}
        self._modules: dict[str, ModuleType] = {}
        self._revision_map: RevisionMap | None = None
        self._baseline: object = _UNREAD
        if not os.access(self.dir, os.F_OK):
            raise ScriptError(
                f"Path doesn't exist: {self.dir}.  Please use the 'init' command to create "
                "a new scripts folder."
            )

    @classmethod
    def from_config(cls, config: Config) -> ScriptDirectory:
        """The migration folder a Config names (its `script_location`)."""
        return cls.from_settings(config.script_settings(), config)

    @classmethod
    def from_settings(
        cls, settings: ScriptSettings, config: Config | None = None
    ) -> ScriptDirectory:
        """The migration folder typed settings describe."""
        # a `package:dir` location may name a package found through prepend_sys_path
        with prepended_sys_path(settings.prepend_sys_path):
            location = resource_path(settings.script_location)
        return cls(
            location,
            file_template=settings.file_template,
            truncate_slug_length=settings.truncate_slug_length,
            version_locations=settings.version_locations,
            sourceless=settings.sourceless,
            output_encoding=settings.output_encoding,
            timezone=settings.timezone,
            hooks=settings.post_write_hooks,
            recursive_version_locations=settings.recursive_version_locations,
            messaging_opts=config.messaging_opts if config is not None else None,
            config=config,
            prepend_sys_path=settings.prepend_sys_path,
        )

    # -- where things are -----------------------------------------------------------------

    @property
    def env_py_location(self) -> str:
        """The path of env.py."""
        return str(Path(self.dir, "env.py"))

    @property
    def version_location_paths(self) -> list[Path]:
        """The absolute folders revision files are read from."""
        if not self.version_locations:
            return [Path(self.dir, "versions").absolute()]
        with self.project_sys_path():
            return [resource_path(location).absolute() for location in self.version_locations]

    @property
    def versions(self) -> str:
        """The single version location (an error when several are configured)."""
        paths = self.version_location_paths
        if len(paths) > 1:
            raise ScriptError(
                "Multiple version_locations present; use version_location_paths, "
                "or pass --version-path"
            )
        return str(paths[0])

    def revision_files(self) -> list[Path]:
        """Every revision file, in reading order, each real path once."""
        return [Path(path) for _, path in self._located_revision_files()]

    def _located_revision_files(self) -> list[tuple[str, str]]:
        """(version location, real path) of every revision file, in reading order."""
        from distill.scripts.header import is_revision_file

        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for location in self.version_location_paths:
            if not location.is_dir():
                continue
            for path, real in self._list_location(str(location)):
                name = path[path.rfind(os.sep) + 1 :]
                if not is_revision_file(name, self.sourceless):
                    continue
                if name.endswith((".pyc", ".pyo")) and self._shadowed(Path(path)):
                    continue
                if real in seen:
                    warnings.warn(
                        f"File {real} loaded twice! ignoring. "
                        "Please ensure version_locations is unique.",
                        UserWarning,
                        stacklevel=3,
                    )
                    continue
                seen.add(real)
                found.append((str(location), real))
        return found

    def _list_location(self, location: str) -> list[tuple[str, str]]:
        """(path, real path) of a location's files: top level only unless recursive;
        sorted, sub-folders depth first (the order os.walk gives)."""
        paths: list[tuple[str, str]] = []
        self._walk(location, paths)
        return paths

    def _walk(self, folder: str, paths: list[tuple[str, str]]) -> None:
        if os.path.basename(folder) == "__pycache__":
            return
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            return
        real_folder = os.path.realpath(folder)
        files: list[tuple[str, bool]] = []
        dirs: list[tuple[str, bool]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append((entry.name, entry.is_symlink()))
        files.sort()
        dirs.sort()
        prefix = os.path.join(folder, "")
        real_prefix = os.path.join(real_folder, "")
        for name, is_link in files:
            path = prefix + name
            paths.append((path, os.path.realpath(path) if is_link else real_prefix + name))
        cache = os.path.join(folder, "__pycache__")
        if self.sourceless and os.path.isdir(cache):
            # compiled files whose source is gone still count in sourceless mode
            stems = {name.split(".")[0] for name, _ in files}
            for name in sorted(os.listdir(cache)):
                if name.split(".")[0] not in stems:
                    path = os.path.join(cache, name)
                    paths.append((path, os.path.realpath(path)))
        if not self.recursive_version_locations:
            return
        for name, is_link in dirs:
            if not is_link and name != "__pycache__":  # os.walk does not follow links
                self._walk(os.path.join(folder, name), paths)

    def _shadowed(self, path: Path) -> bool:
        """A .pyc beside its .py (or a .pyo beside either) is not read a second time."""
        if path.suffix not in (".pyc", ".pyo") or path.parent.name == "__pycache__":
            return False
        source = path.with_suffix(".py")
        return source.exists() or (path.suffix == ".pyo" and path.with_suffix(".pyc").exists())

    # -- the graph ------------------------------------------------------------------------

    @property
    def graph(self) -> RevisionGraph:
        """The revision graph, built from the file headers on first use."""
        if self._graph is None:
            self._graph = self._read_graph()
        return self._graph

    @property
    def baseline(self) -> Baseline | None:
        """The squashed baseline an empty database runs instead of the range it replaces."""
        if self._baseline is _UNREAD:
            from distill.scripts.baseline import read_baseline

            self._baseline = read_baseline(self.dir)
        return self._baseline  # type: ignore[return-value]

    @baseline.setter
    def baseline(self, baseline: Baseline | None) -> None:
        self._baseline = baseline

    def _read_graph(self) -> RevisionGraph:
        """Read every header (through the per-location caches) and build the graph."""
        from distill.scripts.header_cache import HeaderCache

        caches: dict[str, HeaderCache] = {}
        # thousands of small objects and no cycles among them: the collector only costs
        paused = gc.isenabled()
        gc.disable()
        try:
            revisions = []
            for location, path in self._located_revision_files():
                cache = caches.get(location)
                if cache is None:
                    cache = caches[location] = HeaderCache(location)
                revisions.append(cache.read(path))
            for cache in caches.values():
                cache.save()
            return RevisionGraph(revisions)
        finally:
            if paused:
                gc.enable()

    def _add_revision(self, revision: Revision) -> None:
        """Put a newly written revision into the cached graph."""
        if self._graph is not None:
            self._graph = RevisionGraph([*self._graph.revisions.values(), revision])

    def refresh(self) -> None:
        """Forget the cached graph so the next use reads the files again."""
        self._graph = None
        self._scripts.clear()

    @property
    def revision_map(self) -> RevisionMap:
        """Alembic's RevisionMap over this folder's revisions (for tools that read it)."""
        if self._revision_map is None:
            from distill.scripts.revision_map import RevisionMap

            self._revision_map = RevisionMap(self._load_revisions)
        return self._revision_map

    @revision_map.setter
    def revision_map(self, value: RevisionMap) -> None:
        # tools set a new map after writing a revision file: read the files again
        self.refresh()
        self._revision_map = value

    # Alembic's private plan functions, called by test plugins from an env `fn`
    def _upgrade_revs(self, destination: str, current_rev: RevIds | None) -> list[Step]:
        """The upgrade steps from the database's heads to `destination`."""
        return self.graph.upgrade_plan(_heads(current_rev), destination)

    def _downgrade_revs(self, destination: str, current_rev: RevIds | None) -> list[Step]:
        """The downgrade steps from the database's heads to `destination`."""
        return self.graph.downgrade_plan(_heads(current_rev), destination)

    def _stamp_revs(self, revision: RevIds, heads: RevIds | None) -> list[Step]:
        """The version-row changes that stamp `revision` over the database's heads."""
        targets = (revision,) if isinstance(revision, str) else tuple(revision)
        return self.graph.stamp_plan(_heads(heads), targets)

    def _load_revisions(self) -> Iterator[Script]:
        """Every revision's Script, read from the files now (Alembic's generator)."""
        self.refresh()
        for rev in self.graph.revisions:
            yield self._script(rev)

    def _script(self, rev: str) -> Script:
        script = self._scripts.get(rev)
        if script is None or script._revision is not self.graph.revisions[rev]:
            script = self._scripts[rev] = Script(self, self.graph.revisions[rev])
        return script

    def get_revision(self, id_: str | None) -> Script | None:
        """The Script an identifier names; None for `base`; an error if it names several."""
        if id_ is None:
            return None
        rev = self.graph.resolve_one(id_)
        return self._script(rev) if rev is not None else None

    def get_revisions(self, id_: RevIds | None) -> tuple[Script, ...]:
        """The Scripts an identifier (or a sequence of them) names."""
        if id_ is None:
            return ()
        identifiers = [id_] if isinstance(id_, str) else list(id_)
        found: dict[str, None] = {}
        for identifier in identifiers:
            for rev in self.graph.resolve(identifier):
                found[rev] = None
        return tuple(self._script(rev) for rev in found)

    def get_all_current(self, rows: Sequence[str]) -> set[Script]:
        """The revisions `current` shows for these version-table rows."""
        return {self._script(rev) for rev in self.graph.current_heads(rows)}

    def as_revision_number(self, id_: str | None) -> str | tuple[str, ...] | None:
        """A symbolic identifier (`head`, `base`, a prefix) as the revision id(s)."""
        if id_ is None:
            return None
        revs = self.graph.resolve(id_)
        if not revs:
            return None
        return revs if id_ == "heads" else revs[0]

    def get_heads(self) -> list[str]:
        """Every head revision id."""
        return list(self.graph.heads)

    def get_current_head(self) -> str | None:
        """The single head id (None when empty); an error when there are several heads."""
        heads = self.graph.heads
        if len(heads) > 1:
            raise MultipleHeads(
                "The script directory has multiple heads (due to branching)."
                "Please use get_heads(), or merge the branches using distill merge.",
                "head",
            )
        return heads[0] if heads else None

    def get_bases(self) -> list[str]:
        """Every root revision id."""
        return list(self.graph.bases)

    def get_base(self) -> str | None:
        """The single root id (None when empty); an error when there are several roots."""
        bases = self.get_bases()
        if len(bases) > 1:
            raise ResolutionError(
                "The script directory has multiple bases. Please use get_bases().", "base"
            )
        return bases[0] if bases else None

    def walk_revisions(self, base: str = "base", head: str = "heads") -> Iterator[Script]:
        """Every revision from `head` down to `base` (inclusive), newest first."""
        for rev in self.graph.walk(upper=head, lower=base):
            yield self._script(rev)

    def iterate_revisions(
        self, upper: str | None, lower: str | None, inclusive: bool = False, **kw: Any
    ) -> Iterator[Script]:
        """Revisions from `upper` down to `lower`, newest first; `lower` itself only if
        `inclusive`."""
        upper = upper or "heads"
        lower = lower or "base"
        excluded = set() if inclusive else set(self.graph.resolve(lower))
        for rev in self.graph.walk(upper=upper, lower=lower):
            if rev not in excluded:
                yield self._script(rev)

    # -- importing ------------------------------------------------------------------------

    def project_sys_path(self) -> contextlib.AbstractContextManager[None]:
        """prepend_sys_path applied for the duration of a `with` block."""
        return prepended_sys_path(self.prepend_sys_path)

    def load_module(self, rev_id: str) -> ModuleType:
        """Import the revision file of `rev_id` (once) and return its module."""
        module = self._modules.get(rev_id)
        if module is None:
            baseline = self.baseline
            if baseline is not None and rev_id == baseline.revision:
                path = Path(baseline.path)
            else:
                path = Path(self.graph.revisions[rev_id].path)
            with self.project_sys_path():
                module = load_python_file(path, _module_name("distill_revision", path))
            self._modules[rev_id] = module
        return module

    def run_env(self) -> None:
        """Execute env.py as a fresh module (the caller has installed the context)."""
        path = Path(self.env_py_location)
        if not path.exists():
            compiled = self._compiled_env_py(path)
            if compiled is None:
                raise ScriptError(
                    f"No env.py found in {self.dir}; every migration folder needs one. "
                    "Create the folder with 'distill init', or copy env.py from a template "
                    "(distill list_templates)"
                )
            path = compiled
        with self.project_sys_path():
            load_python_file(path, _module_name("distill_env", path.absolute()))

    def _compiled_env_py(self, source: Path) -> Path | None:
        """env.pyc when env.py is absent (sourceless deployments)."""
        candidates = [Path(importlib.util.cache_from_source(str(source)))]
        candidates += [source.with_suffix(suffix) for suffix in (".pyc", ".pyo")]
        return next((path for path in candidates if path.exists()), None)

    # -- writing --------------------------------------------------------------------------

    def generate_revision(
        self,
        revid: str,
        message: str | None,
        refresh: bool = False,
        head: RevIds | None = None,
        splice: bool | None = False,
        branch_labels: RevIds | None = None,
        version_path: str | os.PathLike[str] | None = None,
        depends_on: RevIds | None = None,
        file_template: str | None = None,
        **template_args: Any,
    ) -> Script:
        """Write a new revision file from script.py.mako and return its Script."""
        from distill.scripts.writer import write_revision

        if self.config is not None:
            template_args.setdefault("config", self.config)
        with self.project_sys_path():  # post-write hooks may name a project module
            revision = write_revision(
                self,
                revid,
                message,
                head=head,
                splice=bool(splice),
                branch_labels=branch_labels,
                version_path=version_path,
                depends_on=depends_on,
                file_template=file_template,
                template_args=template_args,
            )
        self._add_revision(revision)
        return self._script(revision.revision)
