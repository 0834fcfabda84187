"""Reading an author's files so that no file can crash or stall the loader.

A file is read only if it is a regular file (never a device, a pipe or a folder) of bounded size,
and, where it was found in or named by a course folder, only if it stays inside that folder once
symlinks and `..` are resolved. YAML is parsed once, by libyaml, into nodes that carry their
lines; anchors, aliases, merge keys, deep nesting and very many values are refused while the
nodes are built, before any Python value exists.

Problems never escape as Python exceptions: a file's YAML problems are collected as
`file:line: message` in `Located.errors`, and a file that is not read raises `Unreadable`, whose
reason ends a sentence naming the file, so that the loader reports them with the other files'.
"""

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.cyaml import CParser
from yaml.resolver import Resolver

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_LOAD_BYTES = 20 * 1024 * 1024
MAX_FILES = 500
MAX_DEPTH = 20
MAX_VALUES = 20_000
# A source's paragraph is one line; every citation of it is searched for in the whole line.
MAX_PARAGRAPH_CHARS = 20_000

# Every control character but tab and newline, and lone surrogates (which no database can store).
FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_MERGE_TAG = "tag:yaml.org,2002:merge"


def shorten(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to about `limit` characters, for messages that quote an author's text."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "…" + text[-4:]


def forbidden_character(text: str) -> str | None:
    """A message naming the first character no stored text may hold, or None."""
    found = FORBIDDEN_CHARACTER.search(text)
    if found is None:
        return None
    return f"control character U+{ord(found.group()):04X} is not allowed"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


class Budget:
    """What one load may still read."""

    def __init__(self) -> None:
        self.bytes = 0
        self.exhausted = False


class Unreadable(Exception):
    """Why a file was not read, as the end of a sentence that names the file."""

    def __init__(self, reason: str, line: int = 1):
        super().__init__(reason)
        self.reason = reason
        self.line = line


def read_text(path: Path, budget: Budget, *, inside: Path | None = None) -> str:
    """The text of a regular UTF-8 file of bounded size; raises Unreadable.

    With `inside`, the file must lie in that folder once symlinks and `..` are resolved. The
    file is opened only once it is known to be a regular file (opening a device or a pipe can
    block or have effects), and read no further than the limit even if it grows meanwhile.
    Line ends are normalised to `\\n`, as Python's text mode does.
    """
    try:
        real = path.resolve(strict=True)
        if inside is not None and not real.is_relative_to(inside.resolve(strict=True)):
            raise Unreadable("leads outside the course folder")
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise Unreadable("is not a regular file")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(real, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise Unreadable("is not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise Unreadable(
                    f"has {info.st_size:,} bytes; the limit is {_megabytes(MAX_FILE_BYTES)}"
                )
            chunks, size = [], 0
            while size <= MAX_FILE_BYTES and (chunk := os.read(fd, MAX_FILE_BYTES + 1 - size)):
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise Unreadable(f"cannot be read: {exc.strerror or exc}") from None
    except (RuntimeError, ValueError) as exc:  # a symlink loop; a NUL in the path
        raise Unreadable(f"cannot be read: {exc}") from None
    if size > MAX_FILE_BYTES:
        raise Unreadable(f"grew past {_megabytes(MAX_FILE_BYTES)} while it was read")
    budget.bytes += size
    if budget.bytes > MAX_LOAD_BYTES:
        budget.exhausted = True
        raise Unreadable(
            f"takes the load past the {_megabytes(MAX_LOAD_BYTES)} it may read in total; "
            "load fewer files at a time"
        )
    data = b"".join(chunks)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Unreadable(f"is not UTF-8 text ({exc.reason} on line {line})", line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_source_text(display: str, text: str) -> list[str]:
    """Problems of a source text: characters no database stores, paragraphs too long to search."""
    errors = []
    for number, line in enumerate(text.split("\n"), start=1):
        if problem := forbidden_character(line):
            errors.append(f"{display}:{number}: {problem}")
        if len(line) > MAX_PARAGRAPH_CHARS:
            errors.append(
                f"{display}:{number}: a paragraph (a line) may hold at most "
                f"{MAX_PARAGRAPH_CHARS:,} characters; this one has {len(line):,}"
            )
        if len(errors) >= 10:
            break
    return errors


# YAML -------------------------------------------------------------------------------------------


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that the loader will not read."""


class _Loader(Composer, CParser, SafeConstructor, Resolver):
    """libyaml's parser, PyYAML's composer (with limits) and its safe constructor.

    libyaml's own composer recurses in C and crashes the process on deeply nested input, so its
    parser is paired with PyYAML's composer, written in Python, which checks as it goes.
    """

    def __init__(self, text: str):
        CParser.__init__(self, text)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self.depth = 0
        self.values = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise _Refused(problem="anchors (&name) and aliases (*name) are not allowed",
                           problem_mark=event.start_mark)  # fmt: skip
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Refused(problem=f"a file may hold at most {MAX_VALUES:,} values",
                           problem_mark=event.start_mark)  # fmt: skip
        if self.depth >= MAX_DEPTH:
            raise _Refused(problem=f"values may be nested at most {MAX_DEPTH} levels deep",
                           problem_mark=event.start_mark)  # fmt: skip
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Some scalars that match YAML's number and date patterns fail to convert
        # (`0x_`, `2021-13-45`, an integer of 5,000 digits) with Python exceptions, and so do
        # explicit tags on values they do not fit (`!!timestamp x`, `!!bool x`, `!!omap 1`).
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                problem=f"cannot read this value: {exc}", problem_mark=node.start_mark
            ) from None
        except Exception:
            kind = node.tag.rsplit(":", 1)[-1]
            raise ConstructorError(
                problem=f"cannot read this value as a {kind}", problem_mark=node.start_mark
            ) from None


class Located:
    """A parsed YAML document and the line of every key and item in it, by path."""

    def __init__(self, display: str, text: str | None = None):
        self.display = display
        self.lines: dict[tuple, int] = {}
        self.errors: list[str] = []
        self.data: Any = None
        if text is None:
            return
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                self._walk(node, ())
                self.data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            prefix = "" if isinstance(exc, _Refused) else "invalid YAML: "
            self.errors.append(f"{display}:{line}: {prefix}{exc.problem or exc.context}")
            self.data = None
        except yaml.YAMLError as exc:
            # libyaml's reader errors give a byte offset, not a mark.
            offset = getattr(exc, "position", 0) or 0
            line = text.encode("utf-8", "surrogatepass")[:offset].count(b"\n") + 1
            reason = getattr(exc, "reason", None) or str(exc)
            self.errors.append(f"{display}:{line}: invalid YAML: {reason}")
            self.data = None
        finally:
            loader.dispose()

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == _MERGE_TAG:
                    raise _Refused(problem="merge keys (<<) are not allowed",
                                   problem_mark=key_node.start_mark)  # fmt: skip
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _Refused(problem="a key must be plain text, not a list or mapping",
                                   problem_mark=key_node.start_mark)  # fmt: skip
                key = key_node.value
                if key in seen:
                    self.errors.append(
                        f"{self.display}:{line}: duplicate field {shorten(key)} "
                        f"(first at line {seen[key]})"
                    )
                seen[key] = line
                self.lines[(*path, key)] = line
                self._walk(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def line(self, loc: Iterable) -> int:
        """The line of the deepest part of `loc` that exists in the file."""
        path: tuple = ()
        best = self.lines.get((), 1)
        for part in loc:
            candidate = (*path, str(part) if not isinstance(part, int) else part)
            if candidate in self.lines:
                path = candidate
                best = self.lines[path]
        return best

    def error(self, loc: Iterable, message: str) -> str:
        return f"{self.display}:{self.line(loc)}: {message}"
