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
from quizzes.grading import accepts, blank_fits, stored_form
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
        .select_related("question", "accepted_by")
        .order_by("question__key", "accepted_at", "pk")
    ):
        parsed, index, spec = specs[row.question.key]
        _, key = stored_form(spec.type, spec.authored())
        if blank_fits(spec.type, key, row.blank) and not accepts(
            spec.type, key, row.blank, row.text
        ):
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
        text = path.read_text(encoding="utf-8")
        by_question: dict[int, list[Missing]] = {}
        for item in items:
            by_question.setdefault(item.index, []).append(item)
        # From the last question up, so that earlier line numbers stay true.
        for index in sorted(by_question, reverse=True):
            text = _add(text, items[0].lesson, index, by_question[index])
        _check(path, text, items)
        temporary = path.with_name(f".{path.name}.accepted")
        temporary.write_text(text, encoding="utf-8")
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
    if existing is not None:
        start = existing - 1
        end = _block_end(lines, start, _indent(lines[start]))
        lines[start:end] = block
    else:
        end = _block_end(lines, last_line - 1, indent)
        lines[end:end] = block
    return "\n".join(lines)


def _check(path: Path, text: str, items: list[Missing]) -> None:
    doc = Located(str(path), text)
    spec = parse_file(doc, LessonFile) if not doc.errors else None
    if spec is None:
        raise WriteError(f"{path}: the file would not read back; nothing was written")
    for item in items:
        question = spec.questions[item.index]
        _, key = stored_form(question.type, question.authored())
        if question.key != item.accepted.question.key or not accepts(
            question.type, key, item.accepted.blank, item.accepted.text
        ):
            raise WriteError(f"{path}: the file would not read back; nothing was written")
