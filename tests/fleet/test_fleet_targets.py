"""Target lists: names, comments, schemas, duplicates, the config setting and command."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from distill.config import Config
from distill.errors import DistillError
from distill.fleet import Target, parse_targets, resolve_targets
from distill.fleet.targets import without_password


def test_names_comments_and_schemas() -> None:
    text = (
        "# tenants\n\n"
        "acme sqlite:///acme.db\n"
        "sqlite:///data/globex.db\n"
        "postgresql://app:pw@db/app#tenant_a\n"
    )
    assert parse_targets(text, "list") == [
        Target("acme", "sqlite:///acme.db"),
        Target("globex", "sqlite:///data/globex.db"),
        Target("tenant_a", "postgresql://app:pw@db/app", "tenant_a"),
    ]


def test_duplicate_names_are_refused_with_the_line_to_fix() -> None:
    with pytest.raises(DistillError, match="two targets are named 'a'"):
        parse_targets("a sqlite:///x.db\na sqlite:///y.db\n", "list")


def test_a_line_that_is_not_a_url_names_file_and_line() -> None:
    with pytest.raises(DistillError, match=r"^tenants.txt:2: 'not-a-url' is not a database URL"):
        parse_targets("sqlite:///a.db\nnot-a-url\n", "tenants.txt")
    with pytest.raises(DistillError, match=r"^tenants.txt:1: expected '\[name\] url'"):
        parse_targets("a b sqlite:///a.db\n", "tenants.txt")


def test_shown_url_masks_the_password() -> None:
    target = parse_targets("postgresql://app:s3cret@db/app#t1", "list")[0]
    assert target.shown_url == "postgresql://app:***@db/app#t1"
    assert "s3cret" not in without_password("failed for s3cret", [target])


def _config(tmp_path: Path, body: str) -> Config:
    ini = tmp_path / "distill.ini"
    ini.write_text(f"[distill]\nscript_location = migrations\n{body}")
    return Config(str(ini), ini_section="distill")


def test_targets_from_the_config_setting(tmp_path: Path) -> None:
    config = _config(tmp_path, "fleet_targets =\n    a sqlite:///a.db\n    sqlite:///b.db\n")
    assert [t.name for t in resolve_targets(config)] == ["a", "b"]


def test_targets_from_a_command(tmp_path: Path) -> None:
    script = tmp_path / "list.py"
    script.write_text("print('x sqlite:///x.db')\nprint('# done')\n")
    config = _config(tmp_path, f"fleet_targets_command = {sys.executable} {script}\n")
    assert resolve_targets(config) == [Target("x", "sqlite:///x.db")]


def test_a_failing_target_command_is_one_line(tmp_path: Path) -> None:
    script = tmp_path / "list.py"
    script.write_text("import sys\nsys.exit('no tenants table')\n")
    config = _config(tmp_path, f"fleet_targets_command = {sys.executable} {script}\n")
    with pytest.raises(DistillError, match="exited 1: no tenants table"):
        resolve_targets(config)


def test_no_targets_anywhere_says_where_to_put_them(tmp_path: Path) -> None:
    with pytest.raises(DistillError, match="pass --targets FILE, or set fleet_targets"):
        resolve_targets(_config(tmp_path, ""))


def test_a_postgresql_schema_target_sets_the_search_path_in_the_url() -> None:
    import sqlalchemy as sa

    from distill.dialects import impl_class_for

    url = sa.make_url("postgresql+psycopg://app@db/app?options=-cstatement_timeout%3D5000")
    hooks = impl_class_for(url.get_dialect()())
    options = hooks.url_for_schema(url, "tenant_a").query["options"]
    assert options == "-cstatement_timeout=5000 -csearch_path=tenant_a,public"
    quoted = hooks.url_for_schema(sa.make_url("postgresql+psycopg://db/app"), "Tenant B")
    assert quoted.query["options"] == '-csearch_path="Tenant\\ B",public'
