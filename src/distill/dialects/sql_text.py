"""SQL expression text read token by token: the names it mentions, renaming them, and
comparing two spellings of one expression (CHECK conditions, index expressions)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<blob>[xX]'[0-9a-fA-F]*')
    | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One lexical token of SQL text (SQLite's quoting rules), with its place in the text."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def keyword(self) -> str:
        """The upper-cased word, or "" for anything that is not a bare word."""
        return self.text.upper() if self.kind == "word" else ""

    @property
    def identifier(self) -> str | None:
        """The name a bare or quoted identifier stands for."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted":
            return unquote(self.text)
        return None


def tokenize(sql: str) -> list[Token]:
    """The tokens of `sql`, without whitespace and comments."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = str(match.lastgroup)
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


def unquote(text: str) -> str:
    """`"a""b"` -> `a"b`; `[x]` -> `x`; a bare word is returned as it is."""
    if len(text) >= 2 and text[0] in '"`' and text[-1] == text[0]:
        return text[1:-1].replace(text[0] * 2, text[0])
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        return text[1:-1]
    return text


def matching_paren(tokens: Sequence[Token], start: int) -> int:
    """The index of the ")" matching the "(" at `start`."""
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].text == "(" and tokens[index].kind == "punct":
            depth += 1
        elif tokens[index].text == ")" and tokens[index].kind == "punct":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def referenced_names(sql: str) -> set[str]:
    """Case-folded identifiers that appear in a SQL expression (outside string literals)."""
    return {name.casefold() for token in tokenize(sql) if (name := token.identifier) is not None}


def rename_identifiers(sql: str, renames: Mapping[str, str]) -> str:
    """`sql` with every identifier named in `renames` (case-folded keys) replaced."""
    if not renames:
        return sql
    pieces: list[str] = []
    position = 0
    for token in tokenize(sql):
        name = token.identifier
        if name is None or name.casefold() not in renames:
            continue
        pieces.append(sql[position : token.start])
        pieces.append(quote_identifier(renames[name.casefold()]))
        position = token.end
    pieces.append(sql[position:])
    return "".join(pieces)


def quote_identifier(name: str) -> str:
    """`name` as SQLite reads it: bare when it is a plain word, else in double quotes."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and name.upper() not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


# Enough SQL keywords (SQLite's list) that a renamed column named like one still parses.
_RESERVED = frozenset(
    [
        "ABORT",
        "ACTION",
        "ADD",
        "AFTER",
        "ALL",
        "ALTER",
        "AND",
        "AS",
        "ASC",
        "BEFORE",
        "BETWEEN",
        "BY",
        "CASCADE",
        "CASE",
        "CAST",
        "CHECK",
        "COLLATE",
        "COLUMN",
        "COMMIT",
        "CONSTRAINT",
        "CREATE",
        "CROSS",
        "DEFAULT",
        "DEFERRABLE",
        "DELETE",
        "DESC",
        "DISTINCT",
        "DROP",
        "ELSE",
        "END",
        "ESCAPE",
        "EXCEPT",
        "EXISTS",
        "FOREIGN",
        "FROM",
        "GLOB",
        "GROUP",
        "HAVING",
        "IN",
        "INDEX",
        "INNER",
        "INSERT",
        "INTERSECT",
        "INTO",
        "IS",
        "ISNULL",
        "JOIN",
        "KEY",
        "LEFT",
        "LIKE",
        "LIMIT",
        "MATCH",
        "NATURAL",
        "NOT",
        "NOTNULL",
        "NULL",
        "OF",
        "OFFSET",
        "ON",
        "OR",
        "ORDER",
        "OUTER",
        "PRIMARY",
        "REFERENCES",
        "REGEXP",
        "RIGHT",
        "SELECT",
        "SET",
        "TABLE",
        "THEN",
        "TO",
        "TRANSACTION",
        "UNION",
        "UNIQUE",
        "UPDATE",
        "USING",
        "VALUES",
        "WHEN",
        "WHERE",
    ]
)


def normalized(sql: str) -> str:
    """SQL text reduced for comparing two spellings of one expression."""
    return "".join(
        (token.identifier or token.text).casefold()
        if token.kind in ("word", "quoted")
        else token.text
        for token in tokenize(sql)
    )
