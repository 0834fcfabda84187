"""Responses accepted in the browser, written back into the course files that the loader reads.

An author's "Accept this response" (quizzes.regrade) stays in the database whatever the files
say; `manage.py accepted_responses` lists those that a question's file does not list, and with
`--write` adds them to the question's `also_accept` field, so that the file is again the whole
truth and the next load changes nothing.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from content.loader import LessonFile, ParsedLesson, parse_file
from content.reading import Located
from quizzes.grading import accepts, blank_still_fits, stored_form
from quizzes.models import AcceptedResponse, QuestionType


@dataclass
class Missing:
    lesson: ParsedLesson
    index: int  # of the question in the lesson file
    accepted: AcceptedResponse

    @property
    def where(self) -> str:
        return self.lesson.doc.error(("questions", self.index), "").rstrip(": ")


def missing_from_files(lessons: list[ParsedLesson]) -> list[Missing]:
    """Every author's accepted response that a question's file does not accept (those that no
    longer fit the question are left out: the loader warns about them)."""
    specs = {
        spec.key: (parsed, index, spec)
        for parsed in lessons
        for index, spec in enumerate(parsed.spec.questions)
    }
    found = []
    for row in (
        AcceptedResponse.objects.filter(classroom__isnull=True, question__key__in=list(specs))
        .select_related("question", "accepted_by", "version")
        .order_by("question__key", "accepted_at", "pk")
    ):
        parsed, index, spec = specs[row.question.key]
        _, key = stored_form(spec.type, spec.authored())
        if blank_still_fits(
            row.version.type, row.version.answer_key, spec.type, key, row.blank
        ) and not accepts(spec.type, key, row.blank, row.text):
            found.append(Missing(parsed, index, row))
    return found


class WriteError(Exception):
    pass


def write_back(missing: list[Missing]) -> list[Path]:
    """Add the missing responses to each question's `also_accept` in its file. Each file is
    rewritten whole (through a temporary file) only after its new text was read back and
    gives the same questions plus those responses. Returns the files written."""
    by_file: dict[str, list[Missing]] = {}
    for item in missing:
        by_file.setdefault(item.lesson.doc.display, []).append(item)
    written = []
    for items in by_file.values():
        path = Path(items[0].lesson.path)
        with path.open(encoding="utf-8", newline="") as file:
            raw = file.read()
        newline = "\r\n" if "\r\n" in raw else "\n"  # written back as the file has them
        text = raw.replace("\r\n", "\n")
        by_question: dict[int, list[Missing]] = {}
        for item in items:
            by_question.setdefault(item.index, []).append(item)
        # From the last question up, so that earlier line numbers stay true.
        for index in sorted(by_question, reverse=True):
            text = _add(text, items[0].lesson, index, by_question[index])
        _check(path, text, items)
        temporary = path.with_name(f".{path.name}.accepted")
        temporary.write_text(text, encoding="utf-8", newline=newline)
        os.replace(temporary, path)
        written.append(path)
    return written


def _scalar(text: str) -> str:
    return yaml.safe_dump([text], allow_unicode=True, width=10**6)[2:].rstrip("\n")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the last line of the block whose key is at `start`: the lines after it
    that are blank or indented deeper than `indent` (trailing blank lines excluded)."""
    end = start + 1
    last = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
        if lines[end - 1].strip():
            last = end
    return last


def _add(text: str, lesson: ParsedLesson, index: int, items: list[Missing]) -> str:
    doc, spec = lesson.doc, lesson.spec.questions[index]
    lines = text.split("\n")
    keys = [
        (line, path[-1])
        for path, line in doc.lines.items()
        if len(path) == 3 and path[:2] == ("questions", index)
    ]
    item_line = doc.lines[("questions", index)]
    last_line, _ = max(keys)
    if last_line == item_line:
        raise WriteError(f"{doc.display}:{item_line}: write also_accept by hand (flow style)")
    indent = _indent(lines[last_line - 1])
    value: Any
    if spec.type == QuestionType.CLOZE:
        value = {number: list(texts) for number, texts in (spec.also_accept or {}).items()}
        for item in items:
            value.setdefault(item.accepted.blank + 1, []).append(item.accepted.text)
    else:
        value = [*spec.also_accept, *(item.accepted.text for item in items)]
    pad = " " * indent
    block = [f"{pad}also_accept:"]
    if isinstance(value, dict):
        for number in sorted(value):
            block.append(f"{pad}  {number}:")
            block.extend(f"{pad}    - {_scalar(t)}" for t in value[number])
    else:
        block.extend(f"{pad}  - {_scalar(t)}" for t in value)
    existing = doc.lines.get(("questions", index, "also_accept"))
    if existing is not None and (appended := _append(lines, doc, index, spec.type, items)):
        return "\n".join(appended)
    if existing is not None:
        # Written in flow style ([a, b]): the field is written again whole, a comment after
        # it kept on its first line.
        start = existing - 1
        block[0] += _trailing_comment(lines[start])
        end = _block_end(lines, start, _indent(lines[start]))
        lines[start:end] = block
    else:
        end = _block_end(lines, last_line - 1, indent)
        lines[end:end] = block
    return "\n".join(lines)


def _append(
    lines: list[str], doc: Located, index: int, qtype: str, items: list[Missing]
) -> list[str] | None:
    """`lines` with the responses added after those of an `also_accept` written in block
    style, every other line (comments too) kept as it is; None for a field in flow style."""
    field = ("questions", index, "also_accept")
    inserts: list[tuple[int, list[str]]] = []  # (before which line index, lines)

    def after_items(path: tuple, texts: list[str]) -> bool:
        first = doc.lines.get((*path, 0))
        if first is None or first == doc.lines[path]:
            return False  # flow style, or empty
        start = doc.lines[path] - 1
        pad = " " * _indent(lines[first - 1])
        end = _block_end(lines, start, _indent(lines[start]))
        inserts.append((end, [f"{pad}- {_scalar(t)}" for t in texts]))
        return True

    if qtype != QuestionType.CLOZE:
        if not after_items(field, [item.accepted.text for item in items]):
            return None
    else:
        by_number: dict[str, list[str]] = {}
        for item in items:
            by_number.setdefault(str(item.accepted.blank + 1), []).append(item.accepted.text)
        numbers = [path[-1] for path in doc.lines if len(path) == 4 and path[:3] == field]
        if not numbers or doc.lines[(*field, numbers[0])] == doc.lines[field]:
            return None  # flow style, or empty
        pad = " " * _indent(lines[doc.lines[(*field, numbers[0])] - 1])
        new = []
        for number, texts in by_number.items():
            if number in numbers:
                if not after_items((*field, number), texts):
                    return None
            else:
                new += [f"{pad}{number}:", *(f"{pad}  - {_scalar(t)}" for t in texts)]
        if new:
            start = doc.lines[field] - 1
            inserts.append((_block_end(lines, start, _indent(lines[start])), new))
    result = list(lines)
    # From the last line up; of two at one line, the first given ends up first.
    for _, at, added in sorted(
        ((n, at, added) for n, (at, added) in enumerate(inserts)),
        key=lambda insert: (insert[1], insert[0]),
        reverse=True,
    ):
        result[at:at] = added
    return result


def _trailing_comment(line: str) -> str:
    """The comment after a `key: value` line's value ("  # why"), or ""."""
    try:
        node = yaml.compose(line.strip())
    except yaml.YAMLError:
        return ""
    if not isinstance(node, yaml.MappingNode) or not node.value:
        return ""
    rest = line.strip()[node.value[-1][1].end_mark.column :].strip()
    return f"  {rest}" if rest.startswith("#") else ""


def _check(path: Path, text: str, items: list[Missing]) -> None:
    doc = Located(str(path), text)
    spec = parse_file(doc, LessonFile) if not doc.errors else None
    if spec is None:
        raise WriteError(f"{path}: the file would not read back; nothing was written")
    before = items[0].lesson.spec
    if spec.model_dump(exclude={"questions"}) != before.model_dump(exclude={"questions"}) or [
        q.model_dump(exclude={"also_accept"}) for q in spec.questions
    ] != [q.model_dump(exclude={"also_accept"}) for q in before.questions]:
        raise WriteError(
            f"{path}: the file would change more than also_accept; nothing was written"
        )
    for item in items:
        question = spec.questions[item.index]
        _, key = stored_form(question.type, question.authored())
        if question.key != item.accepted.question.key or not accepts(
            question.type, key, item.accepted.blank, item.accepted.text
        ):
            raise WriteError(f"{path}: the file would not read back; nothing was written")
