"""A course out of the database: the folder `load_content` reads, and the review log as CSV.

    files = course_files(course)            # {"course.yaml": ..., "lessons/01-x.yaml": ..., ...}
    export_course(course, Path("out"))      # the same, written into an empty folder
    export_course_zip(course, "out.zip")    # or into a .zip (one folder named by the course key)
    doc = lesson_document(lesson)           # one lesson file as a dict, in the file's key order
    text = lesson_yaml(doc)                 # and back to the file's text
    rows = review_rows(course)              # the review log, header first (docs/authoring.md)

The round trip is the contract: loading an export of a course changes nothing (`load_content`
says "No changes."). Every field is written as the authored file would hold it, so each
question's stored `body` and `answer_key` come out of `quizzes.grading.stored_form` again
byte for byte, and so does its meaning hash. `authored_fields` is that function's inverse.

What the files cannot hold is not exported: retired lessons, questions and flashcards (a file
that leaves them out retires them, as they are), a class's accepted responses, students' work.
Responses an author accepted in the browser are written into `also_accept`, as `manage.py
accepted_responses --write` would write them.
"""

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import yaml
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.crypto import salted_hmac

from content.models import Citation, Lesson
from content.schema import LESSON_QUIZ_PREFIX, SET_QUIZ_PREFIX, LessonIn, LessonSetIn
from courses.models import Course, LessonSetItem
from quizzes.grading import TEXT_OPTIONS, WHOLE, accepts, cloze_parts
from quizzes.models import (
    AcceptedResponse,
    Card,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    ReviewLog,
)

COURSE_FILE = "course.yaml"
LESSON_DIR = "lessons"
SOURCE_DIR = "sources"
# A lesson keeps the name of the file it was loaded from when the name is a plain one.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$")
# Folded text is wrapped after this column (a line ends with the word that passes it): lines
# stay within about 100 characters, as the bundled course's do.
YAML_WIDTH = 88
# Single-line texts longer than this are written folded (`>-`), shorter ones on their key's line.
FOLD_AFTER = 80
# Lists of short texts whose items fit in this many characters are written on one line.
FLOW_WITHIN = 70
# A zip entry's time: fixed, so that two exports of the same course are the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ExportError(Exception):
    """The database holds something that no course file can say (a message naming it)."""


# Lessons of a course ----------------------------------------------------------------------------


def course_lessons(course: Course) -> QuerySet:
    """The active lessons the course's folder holds: those loaded from it, and those of its
    lesson sets that no course folder claims (loaded on their own). A lesson that another
    course's folder holds stays there; this course's lesson sets still name it."""
    in_sets = LessonSetItem.objects.filter(lesson_set__course=course).values("lesson_id")
    return Lesson.objects.active().filter(
        Q(course_key=course.key) | Q(course_key="", pk__in=in_sets)
    )


def _with_contents(lessons: QuerySet) -> QuerySet:
    """Lessons with everything their files hold, in a fixed number of queries."""
    citations = Citation.objects.select_related("source").order_by("position", "pk")
    questions = (
        Question.objects.active()
        .select_related("current_version", "card")
        .prefetch_related(Prefetch("citations", queryset=citations))
        .order_by("position", "pk")
    )
    flashcards = (
        Card.objects.active()
        .filter(question__isnull=True)
        .prefetch_related(Prefetch("citations", queryset=citations))
        .order_by("position", "pk")
    )
    return lessons.prefetch_related(
        "sections",
        "key_terms",
        Prefetch("citations", queryset=citations, to_attr="ordered_citations"),
        Prefetch("questions", queryset=questions, to_attr="active_questions"),
        Prefetch("cards", queryset=flashcards, to_attr="active_flashcards"),
    ).order_by("key")


def _accepted_later(lessons: QuerySet | list[int]) -> dict[int, list[tuple[int, str]]]:
    """The responses authors accepted in the browser (for everyone) for the questions of
    `lessons` (a query of their ids, so that no list of ids outgrows what a query may bind), by
    question, in the order they were accepted."""
    found: dict[int, list[tuple[int, str]]] = {}
    rows = AcceptedResponse.objects.filter(
        question__lesson__in=lessons, classroom__isnull=True
    ).order_by("accepted_at", "pk")
    for question_id, blank, text in rows.values_list("question_id", "blank", "text"):
        found.setdefault(question_id, []).append((blank, text))
    return found


def _quizzes(keys: Iterable[str]) -> dict[str, Quiz]:
    return {quiz.key: quiz for quiz in Quiz.objects.filter(key__in=list(keys))}


def _quiz_fields(quiz: Quiz | None, default: Any, default_title: str) -> dict[str, Any]:
    """The quiz settings that differ from the file's defaults (`default`, a QuizIn)."""
    if quiz is None:
        return {}
    found = {}
    for name, value in default.model_dump().items():
        stored = getattr(quiz, name)
        if name == "title":
            if stored != default_title:
                found[name] = stored
        elif stored != value:
            found[name] = stored
    return found


# Lessons and questions as documents -------------------------------------------------------------


def lesson_document(lesson: Lesson) -> dict[str, Any]:
    """One lesson's file as a dict, in the order of its keys in the file: `lesson`, then
    `questions` and `flashcards` (each present when not empty). `lesson_yaml` writes it.

    Only what is active is in it: a question or flashcard left out of a file is retired, as
    these are. Add questions to `doc["questions"]` as the file would hold them."""
    full = _with_contents(Lesson.objects.filter(pk=lesson.pk)).get()
    quiz_key = f"{LESSON_QUIZ_PREFIX}{full.key}"
    accepted = _accepted_later([full.pk])
    return _lesson_document(full, _quizzes([quiz_key]).get(quiz_key), accepted)


def _lesson_document(
    lesson: Lesson, quiz: Quiz | None, accepted: dict[int, list[tuple[int, str]]]
) -> dict[str, Any]:
    refs = {citation.pk: citation.ref for citation in lesson.ordered_citations}
    head: dict[str, Any] = {"key": lesson.key, "title": lesson.title}
    if lesson.summary:
        head["summary"] = lesson.summary
    if lesson.ordered_citations:
        head["citations"] = {
            c.ref: {"source": c.source.slug, "paragraph": c.paragraph, "quote": c.quote}
            for c in lesson.ordered_citations
        }
    sections = sorted(lesson.sections.all(), key=lambda s: s.position)
    if sections:
        head["sections"] = [{"title": s.title, "body": s.body} for s in sections]
    terms = sorted(lesson.key_terms.all(), key=lambda t: t.position)
    if terms:
        head["key_terms"] = [{"term": t.term, "definition": t.definition} for t in terms]
    quiz_fields = _quiz_fields(quiz, LessonIn.model_fields["quiz"].default, lesson.title)
    if quiz_fields:
        head["quiz"] = quiz_fields

    doc: dict[str, Any] = {"lesson": head}
    questions = [
        question_document(
            q,
            cite=_cite(q.citations.all(), refs),
            accepted_later=accepted.get(q.pk, []),
        )
        for q in lesson.active_questions
        if q.current_version is not None
    ]
    if questions:
        doc["questions"] = questions
    cards = [_flashcard_document(card, refs) for card in lesson.active_flashcards]
    if cards:
        doc["flashcards"] = cards
    return doc


def _cite(citations: Iterable[Citation], refs: dict[int, str]) -> list[str]:
    """Cited ids in the lesson's order of citations (the files' order is not stored)."""
    order = {pk: i for i, pk in enumerate(refs)}
    return [refs[c.pk] for c in sorted(citations, key=lambda c: order.get(c.pk, 0)) if c.pk in refs]


def _flashcard_document(card: Card, refs: dict[int, str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"key": card.key, "front": card.front, "back": card.back}
    if card.hint:
        doc["hint"] = card.hint
    cite = _cite(card.citations.all(), refs)
    if cite:
        doc["cite"] = cite
    return doc


def _studied_as_card(question: Question) -> bool:
    try:
        card = question.card
    except Card.DoesNotExist:
        return False
    return card.retired_at is None


def question_document(
    question: Question,
    *,
    cite: Sequence[str] = (),
    accepted_later: Sequence[tuple[int, str]] = (),
) -> dict[str, Any]:
    """A question as its lesson file holds it, from its current version: `key`, `type`,
    `level`, `prompt`, the type's own fields (`authored_fields`), `explanation`, `cite`,
    `flashcard`; optional fields only when set."""
    version: QuestionVersion = question.current_version
    doc: dict[str, Any] = {"key": question.key, "type": version.type}
    if question.level:
        doc["level"] = question.level
    if version.prompt or version.type != QuestionType.CLOZE:
        doc["prompt"] = version.prompt
    doc.update(
        authored_fields(
            version.type,
            version.body,
            version.answer_key,
            feedback=getattr(version, "feedback", None) or {},
            accepted_later=accepted_later,
        )
    )
    if version.explanation:
        doc["explanation"] = version.explanation
    if cite:
        doc["cite"] = list(cite)
    if _studied_as_card(question):
        doc["flashcard"] = True
    return doc


def authored_fields(
    qtype: str,
    body: dict[str, Any],
    answer_key: dict[str, Any],
    *,
    feedback: dict[str, Any] | None = None,
    accepted_later: Sequence[tuple[int, str]] = (),
) -> dict[str, Any]:
    """The inverse of `quizzes.grading.stored_form`: a question's type-specific fields as its
    file holds them, from a version's `body`, `answer_key` and `feedback` (docs/authoring.md,
    and issue 12's stored form of weights and feedback).

    `accepted_later` are the (blank, text) responses authors accepted in the browser: those at
    the end of an accepted list are written as `also_accept`, where the author would add them.
    Raises ExportError for a key that no file can produce.
    """
    feedback = feedback or {}
    match qtype:
        case QuestionType.SINGLE_CHOICE:
            return _single_choice(body, answer_key, feedback)
        case QuestionType.MULTIPLE_RESPONSE:
            return _multiple_response(body, answer_key, feedback)
        case QuestionType.TRUE_FALSE:
            fields: dict[str, Any] = {}
            if body.get("labels") == "yes_no":
                fields["labels"] = "yes_no"
            fields["answer"] = bool(answer_key["value"])
            said = {
                v: feedback[k] for k, v in (("true", True), ("false", False)) if feedback.get(k)
            }
            if said:
                fields["feedback"] = said
            return fields
        case QuestionType.SHORT_ANSWER:
            return _short_answer(answer_key, feedback, accepted_later)
        case QuestionType.NUMERIC:
            return _numeric(body, answer_key, feedback)
        case QuestionType.MATCHING:
            rights = body["rights"]
            pairs = [
                {"left": left, "right": rights[match]}
                for left, match in zip(body["lefts"], answer_key["matches"], strict=True)
            ]
            return {"pairs": pairs}
        case QuestionType.ORDERING:
            return {"items": [body["items"][i] for i in answer_key["order"]]}
        case QuestionType.CLOZE:
            return _cloze(body, answer_key, accepted_later)
    raise ExportError(f"unknown question type {qtype!r}")


def _number(value: float | int) -> float | int:
    """A stored number as an author would write it: 1977, not 1977.0 (read back as a float by
    the file's float fields, and so stored the same)."""
    if (
        isinstance(value, float)
        and value.is_integer()
        and abs(value) < 2**53
        and math.copysign(1, value) > 0
    ):
        return int(value)
    return value


def _said(feedback: dict, index: int) -> str | None:
    """The feedback stored for an option by its index (a JSON key, so a string); None if none."""
    return feedback.get(str(index)) or feedback.get(index) or None


def _choice(text: str, feedback: str | None, weight: float | None) -> str | dict[str, Any]:
    if feedback is None and weight is None:
        return text
    entry: dict[str, Any] = {"text": text}
    if feedback is not None:
        entry["feedback"] = feedback
    if weight is not None:
        entry["weight"] = _number(weight)
    return entry


def _single_choice(body: dict, key: dict, feedback: dict) -> dict[str, Any]:
    choices = list(body["choices"])
    answer = key["choice"]
    written: list = [None] * len(choices)
    if (weights := _weights(key, len(choices))) is not None:
        # The answer is worth 1 and any other choice 0 without saying so; if every weight is
        # that default, the zeros are written, so that the file still says there are weights.
        written = [w if w != (1 if i == answer else 0) else None for i, w in enumerate(weights)]
        if all(w is None for w in written):
            written = [None if i == answer else w for i, w in enumerate(weights)]
    said = feedback.get("choices") or {}
    return {
        "choices": [_choice(text, _said(said, i), written[i]) for i, text in enumerate(choices)],
        "answer": choices[answer],
    }


def _multiple_response(body: dict, key: dict, feedback: dict) -> dict[str, Any]:
    choices = list(body["choices"])
    right = set(key["choices"])
    written: list = [None] * len(choices)
    if (weights := _weights(key, len(choices))) is not None:
        # Every right choice carries its weight; any other, a weight other than 0.
        written = [w if (i in right or w != 0) else None for i, w in enumerate(weights)]
    said = feedback.get("choices") or {}
    return {
        "choices": [_choice(text, _said(said, i), written[i]) for i, text in enumerate(choices)],
        "answers": [choices[i] for i in sorted(right)],
    }


def _weights(key: dict, count: int) -> list | None:
    weights = key.get("weights")
    if weights is not None and len(weights) != count:
        raise ExportError(f"{len(weights)} weights for {count} choices")
    return weights


def _tail(
    qtype: str,
    key: dict,
    blank: int,
    texts: list[str],
    *,
    movable: set[str],
    must_move: Any = lambda text: False,
) -> int:
    """Where the texts that go to `also_accept` start in an accepted list (at least 1: the
    first is the answer shown). They are the texts from the first that `must_move` (no file
    can hold it among the authored ones), or else the run of `movable` texts at the end. Each
    of them must be new to the texts before it (the loader drops an `also_accept` text that
    the key already accepts): where one is not, the split moves past it."""
    start = next((i for i, t in enumerate(texts) if i and must_move(t)), None)
    if start is None:
        start = len(texts)
        while start > 1 and texts[start - 1] in movable:
            start -= 1
    for i in range(len(texts) - 1, start - 1, -1):
        trial = _key_with(qtype, key, blank, texts[:i])
        if accepts(qtype, trial, blank, texts[i]):
            start = i + 1
            break
    stuck = [t for t in texts[1:start] if must_move(t)]
    if stuck:
        raise ExportError(f"the accepted answer {stuck[0]!r} cannot be written")
    return start


def _key_with(qtype: str, key: dict, blank: int, texts: list[str]) -> dict:
    if qtype == QuestionType.CLOZE:
        blanks = [list(b) for b in key["blanks"]]
        blanks[blank] = texts
        return {**key, "blanks": blanks}
    return {**key, "accepted": texts}


def _text_options(key: dict) -> dict[str, bool]:
    return {name: True for name in TEXT_OPTIONS if key.get(name)}


def _short_answer(
    key: dict, feedback: dict, accepted_later: Sequence[tuple[int, str]]
) -> dict[str, Any]:
    accepted = list(key["accepted"])
    weights = key.get("weights")
    if weights is not None:
        count = len(weights)  # the authored answers; `also_accept` texts follow them
    else:
        later = {text for blank, text in accepted_later if blank == WHOLE}
        count = _tail(QuestionType.SHORT_ANSWER, key, WHOLE, accepted, movable=later)
    said = feedback.get("answers") or {}
    written: list = [None] * count
    if weights is not None:
        # An answer is worth 1 without saying so; if every one is, the weights are written, so
        # that the file still says there are weights.
        written = [None if w == 1 else w for w in weights]
        if all(w is None for w in written):
            written = list(weights)
    answers = []
    for i, text in enumerate(accepted[:count]):
        note = _said(said, i)
        if written[i] is None and note is None:
            answers.append(text)
            continue
        entry: dict[str, Any] = {"text": text}
        if written[i] is not None:
            entry["weight"] = _number(written[i])
        if note is not None:
            entry["feedback"] = note
        answers.append(entry)
    fields: dict[str, Any] = {"answers": answers, **_text_options(key)}
    if accepted[count:]:
        fields["also_accept"] = accepted[count:]
    return fields


def _numeric(body: dict, key: dict, feedback: dict) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "answer": _number(key["value"]),
        "tolerance": _number(key["tolerance"]),
    }
    if body.get("unit"):
        fields["unit"] = body["unit"]
    if feedback.get("answer"):
        fields["feedback"] = feedback["answer"]
    said = feedback.get("alternatives") or {}
    alternatives = []
    for i, alternative in enumerate(key.get("alternatives") or []):
        entry: dict[str, Any] = {"answer": _number(alternative["value"])}
        # No tolerance is stored as 0 (quizzes.grading.stored_form), the default: left out.
        if tolerance := alternative.get("tolerance"):
            entry["tolerance"] = _number(tolerance)
        entry["weight"] = _number(alternative["weight"])
        if note := _said(said, i):
            entry["feedback"] = note
        alternatives.append(entry)
    if alternatives:
        fields["alternatives"] = alternatives
    if feedback.get("other"):
        fields["other_feedback"] = feedback["other"]
    if key.get("texts"):
        fields["also_accept"] = list(key["texts"])
    return fields


def _not_in_text(alternative: str) -> bool:
    """Whether a blank's alternative cannot be written inside `[[…]]`: the text would read it
    as another (or no) alternative."""
    return (
        "|" in alternative
        or "\n" in alternative
        or "[[" in alternative
        or "]]" in alternative
        or alternative.endswith("]")
    )


def _cloze(body: dict, key: dict, accepted_later: Sequence[tuple[int, str]]) -> dict[str, Any]:
    texts, blanks = list(body["texts"]), key["blanks"]
    if len(texts) != len(blanks) + 1:
        raise ExportError(f"{len(texts)} texts around {len(blanks)} blanks")
    parts, also = [texts[0]], {}
    for number, alternatives in enumerate(blanks):
        later = {text for blank, text in accepted_later if blank == number}
        count = _tail(
            QuestionType.CLOZE, key, number, list(alternatives), movable=later,
            must_move=_not_in_text,
        )  # fmt: skip
        parts.append(f"[[{'|'.join(alternatives[:count])}]]")
        parts.append(texts[number + 1])
        if alternatives[count:]:
            also[number + 1] = list(alternatives[count:])
    text = "".join(parts)
    written = [alternatives[: len(alternatives) - len(also.get(i + 1, []))]
               for i, alternatives in enumerate(blanks)]  # fmt: skip
    if cloze_parts(text) != (texts, written):
        raise ExportError("the cloze text cannot be written back as it is stored")
    fields: dict[str, Any] = {"text": text, **_text_options(key)}
    if also:
        fields["also_accept"] = also
    return fields


# The course file --------------------------------------------------------------------------------


def course_document(course: Course, lessons: Sequence[Lesson]) -> dict[str, Any]:
    """`course.yaml` as a dict: the course's settings, the sources `lessons` cite (in the order
    they are first cited), the lesson sets with their lessons and quiz settings."""
    head: dict[str, Any] = {"key": course.key, "title": course.title}
    if course.summary:
        head["summary"] = course.summary
    for name in ("desired_retention", "new_cards_per_day", "reviews_per_day",
                 "learn_ahead_minutes"):  # fmt: skip
        head[name] = _number(getattr(course, name))
    doc: dict[str, Any] = {"course": head}
    sources = {}
    for lesson in lessons:
        for citation in lesson.ordered_citations:
            sources.setdefault(citation.source.slug, citation.source)
    if sources:
        doc["sources"] = [_source_document(source) for source in sources.values()]
    lesson_sets = list(
        course.lesson_sets.prefetch_related(
            Prefetch("items", queryset=LessonSetItem.objects.select_related("lesson"))
        ).order_by("position", "pk")
    )
    quizzes = _quizzes(f"{SET_QUIZ_PREFIX}{s.key}" for s in lesson_sets)
    default = LessonSetIn.model_fields["quiz"].default
    sets = []
    for lesson_set in lesson_sets:
        items = sorted(lesson_set.items.all(), key=lambda item: item.position)
        entry: dict[str, Any] = {
            "key": lesson_set.key,
            "title": lesson_set.title,
            "lessons": [item.lesson.key for item in items],
        }
        quiz = quizzes.get(f"{SET_QUIZ_PREFIX}{lesson_set.key}")
        quiz_fields = _quiz_fields(quiz, default, lesson_set.title)
        if quiz_fields:
            entry["quiz"] = quiz_fields
        sets.append(entry)
    if sets:
        doc["lesson_sets"] = sets
    return doc


def _source_document(source: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"slug": source.slug, "title": source.title}
    if source.author:
        doc["author"] = source.author
    if source.year is not None:
        doc["year"] = source.year
    doc["file"] = f"{SOURCE_DIR}/{source.slug}.txt"
    return doc


def _file_names(lessons: Sequence[Lesson]) -> list[str]:
    """Each lesson's file name: the one it was loaded from where that is a plain name used by
    no other lesson, else its key."""
    wanted = [Path(lesson.source_file).name for lesson in lessons]
    names = []
    for lesson, name in zip(lessons, wanted, strict=True):
        keep = _FILE_NAME.match(name) and wanted.count(name) == 1
        names.append(name if keep else f"{lesson.key}.yaml")
    if len(set(names)) != len(names):  # a loaded name that is another lesson's key
        names = [f"{lesson.key}.yaml" for lesson in lessons]
    return names


def course_files(course: Course) -> dict[str, str]:
    """Every file of the course's folder, by its path in the folder: `course.yaml`, the
    sources' texts, one file per lesson under `lessons/`."""
    lessons = list(_with_contents(course_lessons(course)))
    quizzes = _quizzes(f"{LESSON_QUIZ_PREFIX}{lesson.key}" for lesson in lessons)
    accepted = _accepted_later(course_lessons(course).values("pk"))
    course_doc = course_document(course, lessons)
    files = {COURSE_FILE: course_yaml(course_doc)}
    texts = {c.source.slug: c.source.text for lesson in lessons for c in lesson.ordered_citations}
    for source in course_doc.get("sources", []):
        files[source["file"]] = texts[source["slug"]]
    for lesson, name in zip(lessons, _file_names(lessons), strict=True):
        quiz = quizzes.get(f"{LESSON_QUIZ_PREFIX}{lesson.key}")
        files[f"{LESSON_DIR}/{name}"] = lesson_yaml(_lesson_document(lesson, quiz, accepted))
    return files


def export_course(course: Course, folder: Path) -> list[Path]:
    """Write the course's folder into `folder`, which must be empty or not exist (a lesson file
    left from before would be loaded with the export). Returns the files written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportError(f"{folder} exists and is not an empty folder")
    files = course_files(course)
    written = []
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def export_course_zip(course: Course, target: str | Path | IO[bytes]) -> None:
    """Write the course's folder as a .zip holding one folder named by the course's key."""
    files = course_files(course)  # before the file is opened: an error leaves no partial zip
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            entry = zipfile.ZipInfo(f"{course.key}/{name}", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, text.encode("utf-8"))


# YAML as authors write it -----------------------------------------------------------------------


class _Flow(list):
    """A list written on one line: `cite: [a, b]`."""


class _FlowMap(dict):
    """A mapping written on one line: `- {left: Treaty, right: "1977"}`."""


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, no anchors (the loader refuses them), long texts folded
    and texts of several lines as blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: _Dumper, text: str) -> yaml.Node:
    style = None
    if "\n" in text:
        style = "|"
    elif len(text) > FOLD_AFTER:
        style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)
_Dumper.add_representer(
    _FlowMap, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _short(value: Any) -> bool:
    return isinstance(value, str) and "\n" not in value and len(value) <= FLOW_WITHIN


def _styled(value: Any) -> Any:
    """`value` with the lists of short texts marked to be written on one line, and a matching
    question's short pairs too, as the bundled course writes them."""
    if isinstance(value, dict):
        styled = {k: _styled(v) for k, v in value.items()}
        if set(value) == {"left", "right"} and sum(len(str(v)) for v in value.values()) <= 60:
            return _FlowMap(styled)
        return styled
    if isinstance(value, list):
        items = [_styled(v) for v in value]
        short = value and all(_short(v) for v in value)
        if short and sum(len(v) + 2 for v in value) <= FLOW_WITHIN:
            return _Flow(items)
        return items
    return value


def _dump(value: Any) -> str:
    return yaml.dump(
        _styled(value),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=YAML_WIDTH,
        default_flow_style=False,
    )


def _indented(text: str) -> str:
    return "".join(line if line == "\n" else f"  {line}" for line in text.splitlines(True))


def _document_yaml(doc: dict[str, Any], spaced: set[str]) -> str:
    """Top-level keys apart by a blank line; the items of the `spaced` lists too."""
    parts = []
    for name, value in doc.items():
        if name in spaced and isinstance(value, list) and value:
            items = "\n".join(_indented(_dump([item])) for item in value)
            parts.append(f"{name}:\n{items}")
        else:
            parts.append(_dump({name: value}))
    return "\n".join(parts)


def lesson_yaml(doc: dict[str, Any]) -> str:
    """A lesson file's text from its document (`lesson_document`)."""
    return _document_yaml(doc, {"questions", "flashcards"})


def course_yaml(doc: dict[str, Any]) -> str:
    """`course.yaml`'s text from its document (`course_document`)."""
    return _document_yaml(doc, set())


# The review log ---------------------------------------------------------------------------------

REVIEW_COLUMNS = (
    "card_id",
    "review_time",
    "review_rating",
    "review_state",
    "review_duration",
    "student",
    "card_key",
    "source",
)
# FSRS optimizers' review_state: a card's state before the review, 0 for a new card.
NEW_STATE = 0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PSEUDONYM_SALT = "content.export.review_rows"
ROWS_PER_CHUNK = 1000


def pseudonym(course: Course, student_id: int) -> str:
    """A student's name in the course's review log: the same at every export of the course
    (while SECRET_KEY stays), another in another course's, and not the account's id or name.
    A keyed hash: without the site's secret, trying every id does not find the student."""
    return salted_hmac(
        _PSEUDONYM_SALT, f"{course.key}:{student_id}", algorithm="sha256"
    ).hexdigest()[:16]


def _card_id(course: Course, student_id: int, card_id: int) -> int:
    """One student's history of one card is a card to an optimizer, as in Anki: a number per
    (student, card), stable as `pseudonym`, below 2**60."""
    value = f"{course.key}:{student_id}:{card_id}"
    digest = salted_hmac(_PSEUDONYM_SALT, value, algorithm="sha256").hexdigest()
    return int(digest[:15], 16)


def _milliseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def course_reviews(course: Course) -> QuerySet:
    """Every review of a card of the course's lessons (retired ones too: their history still
    counts), quiz answers that fed a card's schedule included: each student's in time order."""
    in_sets = LessonSetItem.objects.filter(lesson_set__course=course).values("lesson_id")
    lessons = Lesson.objects.filter(Q(course_key=course.key) | Q(pk__in=in_sets)).values("pk")
    return ReviewLog.objects.filter(card__lesson__in=lessons).order_by(
        "student_id", "reviewed_at", "id"
    )


def review_rows(course: Course) -> Iterator[list[Any]]:
    """The course's review log as CSV rows, the header first: one query, read in chunks, so
    that a log of any size is never held in memory."""
    yield list(REVIEW_COLUMNS)
    names: dict[int, str] = {}
    # A quiz answer's review carries no time of its own: the answer's is the time it took.
    duration = Coalesce("duration_ms", "answer__duration_ms")
    rows = course_reviews(course).values_list(
        "student_id", "card_id", "card__key", "reviewed_at", "rating", "state_before",
        duration, "source",
    )  # fmt: skip
    for row in rows.iterator(chunk_size=ROWS_PER_CHUNK):
        student_id, card_id, card_key, reviewed_at, rating, state, duration, source = row
        if student_id not in names:
            names[student_id] = pseudonym(course, student_id)
        yield [
            _card_id(course, student_id, card_id),
            _milliseconds(reviewed_at),
            rating,
            NEW_STATE if state is None else state,
            "" if duration is None else duration,
            names[student_id],
            card_key,
            source,
        ]


def csv_chunks(rows: Iterable[Sequence[Any]], per_chunk: int = ROWS_PER_CHUNK) -> Iterator[str]:
    """CSV text, `per_chunk` rows at a time (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if count == per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            count = 0
    if count:
        yield buffer.getvalue()


def write_reviews_csv(course: Course, out: IO[str]) -> int:
    """Write the course's review log to a text file; returns how many reviews it holds."""
    count = 0

    def counted(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
        nonlocal count
        yield next(rows)  # the header
        for row in rows:
            count += 1
            yield row

    for chunk in csv_chunks(counted(review_rows(course))):
        out.write(chunk)
    return count
