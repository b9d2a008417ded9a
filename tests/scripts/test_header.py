"""Reading revision identifiers from a file without importing it."""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
from pathlib import Path

import pytest

from distill.errors import ScriptError
from distill.graph import Revision
from distill.scripts.header import is_revision_file, read_header

GENERATED = '''"""c two splice

Revision ID: ccc333
Revises: bbb222
Create Date: 2026-11-26 05:37:48.257243

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'ccc333'
down_revision: Union[str, Sequence[str], None] = 'bbb222'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass
'''

BODY = "\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"


def write(tmp_path: Path, text: str, name: str = "r1_msg.py") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def header(tmp_path: Path, text: str, name: str = "r1_msg.py") -> Revision:
    return read_header(write(tmp_path, text, name))


def failure(tmp_path: Path, text: str, name: str = "r1_msg.py") -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(ScriptError) as caught:
        read_header(path)
    return str(caught.value)


def test_generated_file(tmp_path: Path) -> None:
    found = header(tmp_path, GENERATED)
    assert found == Revision(
        revision="ccc333",
        down_revisions=("bbb222",),
        branch_labels=(),
        depends_on=(),
        doc=GENERATED.split('"""')[1],
        path=str(tmp_path / "r1_msg.py"),
    )
    assert found.doc.startswith("c two splice\n\nRevision ID: ccc333\n")


def test_path_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, GENERATED)
    monkeypatch.chdir(tmp_path)
    assert read_header("r1_msg.py").path == os.path.join(str(tmp_path), "r1_msg.py")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("down_revision = None", ()),
        ("down_revision = 'a1'", ("a1",)),
        ("down_revision = ('a1', 'b1')", ("a1", "b1")),
        ("down_revision = ['a1', 'b1']", ("a1", "b1")),
        ("down_revision = ()", ()),
        ("down_revision: str | None = ('a1',)", ("a1",)),
    ],
)
def test_down_revision_forms(tmp_path: Path, source: str, expected: tuple[str, ...]) -> None:
    found = header(tmp_path, f"revision = 'r1'\n{source}\n{BODY}")
    assert found.down_revisions == expected


@pytest.mark.parametrize(
    ("source", "labels", "deps"),
    [
        ("branch_labels = 'side'\ndepends_on = 'bbb222'", ("side",), ("bbb222",)),
        ("branch_labels = ('a', 'b')\ndepends_on = ['x', 'y']", ("a", "b"), ("x", "y")),
        ("branch_labels = None\ndepends_on = None", (), ()),
        ("", (), ()),  # both optional
    ],
)
def test_labels_and_dependencies(
    tmp_path: Path, source: str, labels: tuple[str, ...], deps: tuple[str, ...]
) -> None:
    found = header(tmp_path, f"revision = 'r1'\ndown_revision = None\n{source}\n{BODY}")
    assert (found.branch_labels, found.depends_on) == (labels, deps)


def test_names_bound_to_literals_earlier(tmp_path: Path) -> None:
    found = header(
        tmp_path,
        "PARENT = 'p1'\nOTHER = PARENT\nrev_id = 'r1'\n"
        "revision = rev_id\ndown_revision = (OTHER, 'p2')\n" + BODY,
    )
    assert (found.revision, found.down_revisions) == ("r1", ("p1", "p2"))


def test_tuple_and_chained_assignment(tmp_path: Path) -> None:
    found = header(tmp_path, "revision, down_revision = 'r1', 'p1'\nbranch_labels = x = 'l'\n")
    assert (found.revision, found.down_revisions, found.branch_labels) == ("r1", ("p1",), ("l",))


def test_the_last_assignment_wins(tmp_path: Path) -> None:
    found = header(
        tmp_path, f"revision = 'r1'\ndown_revision = None\n{BODY}\ndown_revision = 'p9'\n"
    )
    assert found.down_revisions == ("p9",)


def test_annotation_without_value_is_not_an_assignment(tmp_path: Path) -> None:
    found = header(
        tmp_path, "revision: str\nrevision = 'r1'\ndown_revision: str\ndown_revision = None"
    )
    assert (found.revision, found.down_revisions) == ("r1", ())


def test_docstring_with_code_lines_inside(tmp_path: Path) -> None:
    text = '"""msg\n\ndef looks_like_code():\nclass Neither:\n"""\n'
    found = header(tmp_path, text + 'revision = "r1"\ndown_revision = None\n' + BODY)
    assert found.doc == "msg\n\ndef looks_like_code():\nclass Neither:\n"
    assert found.revision == "r1"


def test_no_docstring(tmp_path: Path) -> None:
    assert header(tmp_path, "revision = 'r1'\ndown_revision = None\n").doc == ""


def test_encoding_cookie_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "r1_latin.py"
    path.write_bytes(
        b'# -*- coding: latin-1 -*-\n"""caf\xe9"""\nrevision = "r1"\ndown_revision = None\n'
    )
    assert read_header(str(path)).doc == "café"
    path.write_bytes(b'\xef\xbb\xbf"""bom"""\nrevision = "r1"\ndown_revision = None\n')
    assert read_header(str(path)).doc == "bom"


def test_legacy_file_name_gives_the_id(tmp_path: Path) -> None:
    found = header(tmp_path, "down_revision = None\n" + BODY, name="1a2b3c.py")
    assert found.revision == "1a2b3c"


def test_no_revision_and_no_legacy_name(tmp_path: Path) -> None:
    message = failure(tmp_path, "down_revision = None\n", name="first_step.py")
    assert message.startswith("Could not determine revision id from filename first_step.py.")
    assert str(tmp_path / "first_step.py") in message


def test_missing_down_revision(tmp_path: Path) -> None:
    message = failure(tmp_path, "revision = 'r1'\n" + BODY)
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}: revision r1 has no `down_revision`")


@pytest.mark.parametrize(
    ("source", "line", "name", "found"),
    [
        ("revision = 'r1'\ndown_revision = get_parent()", 2, "down_revision", "get_parent()"),
        ("revision = f'r{1}'\ndown_revision = None", 1, "revision", "f'r{1}'"),
        ("revision = 'r1'\ndown_revision = None\ndepends_on = DEPS", 3, "depends_on", "DEPS"),
        ("x = make()\nrevision = x\ndown_revision = None", 2, "revision", "x, which is not"),
        ("from ids import revision\ndown_revision = None", 1, "revision", "from ids import"),
        ("revision = 'r1'\ndown_revision = 'a'\ndown_revision += 'b'", 3, "down_revision", "+="),
        ("revision = 'r1'\ndown_revision = ('a', 1)", 2, "down_revision", "('a', 1)"),
        ("revision = 'r1'\ndown_revision, *rest = 'a', 'b'", 2, "down_revision", "('a', 'b')"),
    ],
)
def test_values_that_are_not_literals(
    tmp_path: Path, source: str, line: int, name: str, found: str
) -> None:
    message = failure(tmp_path, source + "\n")
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}:{line}: `{name}` must be a literal")
    assert found in message


def test_revision_must_be_a_string(tmp_path: Path) -> None:
    message = failure(tmp_path, "revision = None\ndown_revision = None\n")
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}:1: `revision` must be a string literal")


def test_assignment_inside_a_block(tmp_path: Path) -> None:
    text = "import os\nif os.environ.get('X'):\n    revision = 'r2'\nrevision = 'r1'\n"
    message = failure(tmp_path, text + "down_revision = None\n")
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}:3: `revision` must be assigned at module")


def test_annotated_assignment_inside_a_block(tmp_path: Path) -> None:
    text = "revision = 'r1'\ndown_revision = None\ntry:\n    pass\nexcept E:\n"
    message = failure(tmp_path, text + "    depends_on: str = 'x'\n")
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}:6: `depends_on` must be assigned at")


def test_assignments_inside_functions_are_ignored(tmp_path: Path) -> None:
    text = "revision = 'r1'\ndown_revision = None\nif True:\n    def f():\n        revision = 2\n"
    assert header(tmp_path, text).revision == "r1"


def test_syntax_error_in_the_header(tmp_path: Path) -> None:
    message = failure(tmp_path, "revision = 'r1'\ndown_revision = (\n" + BODY)
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}:2: syntax error in revision file: ")
    assert "never closed" in message


def test_syntax_error_in_the_body_when_the_whole_file_is_read(tmp_path: Path) -> None:
    # The body mentions a header variable, so the whole file is parsed.
    text = "revision = 'r1'\ndown_revision = None\n\ndef upgrade():\n    revision = = 1\n"
    message = failure(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'r1_msg.py'}:5: syntax error in revision file: ")


def test_body_is_not_parsed_when_it_cannot_change_the_header(tmp_path: Path) -> None:
    # Only the header is read: a broken body is reported when the file is imported to run.
    text = "revision = 'r1'\ndown_revision = None\n\ndef upgrade():\n    x = = 1\n"
    assert header(tmp_path, text).revision == "r1"


def test_nul_byte(tmp_path: Path) -> None:
    path = tmp_path / "r1_msg.py"
    path.write_bytes(b"revision = 'r1'\x00\ndown_revision = None\n")
    with pytest.raises(ScriptError, match=r"r1_msg\.py:.*syntax error in revision file"):
        read_header(str(path))


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as caught:
        read_header(str(tmp_path / "missing.py"))
    assert str(caught.value).startswith(f"{tmp_path / 'missing.py'}: cannot read revision file")


# ---------------------------------------------------------------------- compiled files


def compiled(tmp_path: Path, text: str) -> str:
    source = write(tmp_path, text, "r1_src.py")
    target = str(tmp_path / "r1_msg.pyc")
    py_compile.compile(source, cfile=target, doraise=True)
    os.remove(source)
    return target


def test_sourceless_pyc(tmp_path: Path) -> None:
    found = read_header(compiled(tmp_path, GENERATED))
    assert (found.revision, found.down_revisions) == ("ccc333", ("bbb222",))
    assert found.doc == GENERATED.split('"""')[1]
    assert found.path == str(tmp_path / "r1_msg.pyc")


def test_sourceless_pyc_literal_forms(tmp_path: Path) -> None:
    text = (
        "P = 'p1'\nrevision = 'r1'\ndown_revision = [P, 'p2']\n"
        "branch_labels = ['x']\ndepends_on = ('d1', 'd2')\n"
    )
    found = read_header(compiled(tmp_path, text))
    assert found.down_revisions == ("p1", "p2")
    assert (found.branch_labels, found.depends_on) == (("x",), ("d1", "d2"))


def test_sourceless_pyc_long_list(tmp_path: Path) -> None:
    # three or more constants compile to BUILD_LIST 0 + LIST_EXTEND
    found = read_header(compiled(tmp_path, "revision = 'r1'\ndown_revision = ['a', 'b', 'c']\n"))
    assert found.down_revisions == ("a", "b", "c")


def test_sourceless_pyc_non_string_constant(tmp_path: Path) -> None:
    path = compiled(tmp_path, "revision = 5\ndown_revision = None\n")
    with pytest.raises(ScriptError, match=r"r1_msg.pyc:1: `revision` must be a literal"):
        read_header(path)


def test_sourceless_pyc_errors(tmp_path: Path) -> None:
    path = compiled(tmp_path, "revision = 'r1'\ndown_revision = compute()\n")
    with pytest.raises(ScriptError, match=r"r1_msg.pyc:2: `down_revision` must be a literal"):
        read_header(path)
    Path(path).write_bytes(b"\x00\x00\x00\x00" + b"\x00" * 20)
    with pytest.raises(ScriptError, match="compiled by another Python version"):
        read_header(path)
    Path(path).write_bytes(importlib.util.MAGIC_NUMBER + b"\x00" * 12 + b"garbage")
    with pytest.raises(ScriptError, match="not a valid compiled Python file"):
        read_header(path)
    Path(path).write_bytes(importlib.util.MAGIC_NUMBER + b"\x00" * 12 + marshal.dumps(42))
    with pytest.raises(ScriptError, match="not a valid compiled Python file"):
        read_header(path)


# ---------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "sourceless", "existing", "expected"),
    [
        ("ccc333_add.py", False, (), True),
        ("__init__.py", False, (), False),
        ("__init__x.py", False, (), False),
        (".#ccc333_add.py", False, (), False),  # an editor lock file
        ("notes.txt", False, (), False),
        ("ccc333_add.pyc", False, (), False),
        ("ccc333_add.pyc", True, (), True),
        ("ccc333_add.pyo", True, (), True),
        ("ccc333_add.pyc", True, ("ccc333_add.py",), False),  # the source wins
        ("ccc333_add.pyo", True, ("ccc333_add.pyc",), False),  # .pyc wins over .pyo
        ("ccc333_add.py", True, ("ccc333_add.pyc",), True),
        ("ccc333_add.pyx", True, (), False),
    ],
)
def test_is_revision_file(
    name: str, sourceless: bool, existing: tuple[str, ...], expected: bool
) -> None:
    assert is_revision_file(name, sourceless, existing) is expected
