"""Load courses and lessons from YAML files: validate everything, then write it in one transaction.

`load_content(paths)` either raises `ContentError` with every problem found, as
`file:line: message`, having written nothing, or writes the content and returns what changed.
The format is documented in docs/authoring.md.
"""

import os
import random
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from content import usercache
from content.markdown import RENDERER_VERSION, collapse_whitespace, footnote_refs, paragraphs
from content.models import Citation, KeyTerm, Lesson, Section, Source, render_stale_markdown
from content.reading import (
    MAX_FILES,
    Budget,
    Located,
    Unreadable,
    check_source_text,
    read_text,
    shorten,
)
from content.schema import (
    LESSON_QUIZ_PREFIX,
    QUESTION_CARD_OFFSET,
    QUESTION_TYPES,
    SET_QUIZ_PREFIX,
    CourseFile,
    FlashcardIn,
    LessonFile,
    QuestionIn,
    QuizIn,
)
from courses.models import Course, LessonSet, LessonSetItem
from quizzes.grading import (
    WHOLE,
    accepts,
    answer_text,
    blank_still_fits,
    meaning_hash,
    stored_feedback,
    stored_form,
    with_accepted,
)
from quizzes.models import (
    AcceptedResponse,
    Card,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
)

COURSE_FILE = "course.yaml"
# A lesson remembers the file it was loaded from.
SOURCE_FILE_MAX_LENGTH = Lesson._meta.get_field("source_file").max_length


class ContentError(Exception):
    def __init__(self, errors: Sequence[str]):
        super().__init__("\n".join(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class VersionChange:
    """A question whose meaning changed: its current version before the load and after, each
    as a dict of `number`, `type`, `prompt`, `body` and `answer_key` (JSON, for a preview)."""

    key: str
    old: dict[str, Any]
    new: dict[str, Any]


@dataclass
class LoadReport:
    changes: list[str] = field(default_factory=list)
    lessons: int = 0
    questions: int = 0
    flashcards: int = 0
    versions: list[VersionChange] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.changes.append(message)


# Errors from pydantic, located ---------------------------------------------------------------


def _loc_text(loc: Iterable) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part not in QUESTION_TYPES:
            part = str(part) if len(str(part)) <= 60 else shorten(part)
            text += f".{part}" if text else part
    return text


def _pydantic_errors(doc: Located, exc: ValidationError) -> list[str]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if p not in QUESTION_TYPES or not isinstance(p, str)]
        where = _loc_text(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            parent, name = where.rpartition(".")[0], loc[-1]
            message = f"unknown field {shorten(name)}"
            where = parent
        elif kind == "missing":
            parent, name = where.rpartition(".")[0], loc[-1]
            message = f"missing required field {shorten(name)}"
            where = parent
        elif kind == "union_tag_invalid":
            tag = err.get("ctx", {}).get("tag")
            message = (
                f"unknown question type {shorten(tag)} "
                f"(expected one of: {', '.join(QUESTION_TYPES)})"
            )
        elif kind == "union_tag_not_found":
            message = "missing required field 'type'"
        elif kind == "string_pattern_mismatch":
            message = "a key may hold only lowercase letters, digits and hyphens"
        elif kind == "value_error":
            message = str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
        else:
            message = err["msg"][0].lower() + err["msg"][1:]
        errors.append(doc.error(loc, f"{where}: {message}" if where else message))
    return errors


# Collecting and validating ----------------------------------------------------------------------


@dataclass
class ParsedCourse:
    doc: Located
    spec: CourseFile
    folder: Path
    source_texts: dict[str, str]


@dataclass
class ParsedLesson:
    doc: Located
    spec: LessonFile
    course_key: str
    path: Path | None = None


# Where the files of an upload were unpacked (content/imports.py): paths are shown relative to
# it, as the author named them inside the upload, never as the server's temporary folder.
_display_root: ContextVar[Path | None] = ContextVar("display_root", default=None)


def _display(path: Path) -> str:
    """The path as the author knows it: relative to the current folder (or to the upload's
    root, inside `validate(root=...)`), symlinks not followed."""
    root = _display_root.get()
    try:
        if root is not None:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return path.name if root is not None else str(path)


@dataclass
class FoundFile:
    path: Path
    course_file: str = ""  # the course.yaml of the folder a lesson file was found in
    folder: Path | None = None  # the course folder it was found in, which it may not leave


def _files(paths: Sequence[Path]) -> tuple[list[FoundFile], list[FoundFile], list[str]]:
    """Course files, lesson files (with the course folder they were found in), errors."""
    courses: list[FoundFile] = []
    lessons: list[FoundFile] = []
    errors: list[str] = []
    for path in paths:
        if path.is_dir():
            course_file = path / COURSE_FILE
            if course_file.is_file():
                courses.append(FoundFile(course_file, folder=path))
                lesson_dir = path / "lessons"
                found = sorted(lesson_dir.glob("*.yaml")) + sorted(lesson_dir.glob("*.yml"))
                lessons.extend(FoundFile(p, str(course_file), path) for p in sorted(found))
            else:
                found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
                if not found:
                    errors.append(f"{_display(path)}: no {COURSE_FILE} and no lesson files here")
                lessons.extend(FoundFile(p, folder=path) for p in found)
        elif path.is_file():
            if path.name == COURSE_FILE:
                courses.append(FoundFile(path))
            else:
                lessons.append(FoundFile(path))
        elif path.exists():
            errors.append(f"{_display(path)}: not a regular file or a folder")
        else:
            errors.append(f"{_display(path)}: no such file or folder")
    if len(courses) + len(lessons) > MAX_FILES:
        errors.append(
            f"{len(courses) + len(lessons)} files to load; one load may read at most "
            f"{MAX_FILES}: load fewer at a time"
        )
        return [], [], errors
    return courses, lessons, errors


def _read(found: FoundFile, budget: Budget) -> Located | None:
    """The file, parsed; None if the load may read no more."""
    if budget.exhausted:
        return None
    display = _display(found.path)
    try:
        text = read_text(found.path, budget, inside=found.folder)
    except Unreadable as exc:
        doc = Located(display)
        doc.errors.append(f"{display}:{exc.line}: the file {exc.reason}")
        return doc
    return Located(display, text)


def _read_sources(doc: Located, spec: CourseFile, folder: Path, budget: Budget) -> dict[str, str]:
    """Each source's text, by slug. A source file must lie inside the course folder."""
    texts: dict[str, str] = {}
    for i, source in enumerate(spec.sources):
        loc = ("sources", i, "file")
        name = f"source file {shorten(source.file)}"
        if PurePath(source.file).is_absolute():
            doc.errors.append(doc.error(loc, f"{name}: give a path relative to {COURSE_FILE}"))
            continue
        if budget.exhausted:
            continue
        path = folder / source.file
        try:
            text = read_text(path, budget, inside=folder)
        except Unreadable as exc:
            doc.errors.append(doc.error(loc, f"{name} {exc.reason}"))
            continue
        problems = check_source_text(_display(path), text)
        if problems:
            doc.errors.extend(problems)
        else:
            texts[source.slug] = text
    return texts


def parse_file(doc: Located, model: type[CourseFile] | type[LessonFile]) -> Any:
    if doc.errors:
        return None
    if not isinstance(doc.data, dict):
        doc.errors.append(f"{doc.display}:1: expected a mapping with a '{_top(model)}' field")
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        doc.errors.extend(_pydantic_errors(doc, exc))
        return None


def _top(model: type) -> str:
    return "course" if model is CourseFile else "lesson"


@dataclass
class Plan:
    courses: list[ParsedCourse]
    lessons: list[ParsedLesson]
    sources: dict[str, tuple[dict[str, Any], str]]  # slug -> (fields, text)


def validate(paths: Sequence[Path], *, root: Path | None = None) -> Plan:
    """Read and check every file. Raises ContentError listing every problem found.

    With `root`, files are named in messages (and lessons' `source_file`) relative to it."""
    token = _display_root.set(root)
    try:
        return _validate(paths)
    finally:
        _display_root.reset(token)


def _stored_course_key(lesson_key: str) -> str:
    """The course a lesson loaded before belongs to: a lesson file loaded on its own, without
    its course.yaml, stays in its course."""
    found = Lesson.objects.filter(key=lesson_key).values_list("course_key", flat=True).first()
    return found or ""


def _validate(paths: Sequence[Path]) -> Plan:
    course_files, lesson_files, errors = _files(paths)
    courses: list[ParsedCourse] = []
    lessons: list[ParsedLesson] = []
    course_keys: dict[str, str] = {}  # course file path -> course key
    docs: list[Located] = []
    budget = Budget()

    for found in course_files:
        doc = _read(found, budget)
        if doc is None:
            continue
        docs.append(doc)
        spec = parse_file(doc, CourseFile)
        if spec is None:
            continue
        folder = found.path.parent
        texts = _read_sources(doc, spec, folder, budget)
        courses.append(ParsedCourse(doc, spec, folder, texts))
        course_keys[str(found.path)] = spec.course.key

    for found in lesson_files:
        doc = _read(found, budget)
        if doc is None:
            continue
        docs.append(doc)
        if len(doc.display) > SOURCE_FILE_MAX_LENGTH:
            doc.errors.append(
                f"{doc.display}:1: the file's path has {len(doc.display)} characters; "
                f"the limit is {SOURCE_FILE_MAX_LENGTH}"
            )
            continue
        spec = parse_file(doc, LessonFile)
        if spec is not None:
            course_key = course_keys.get(found.course_file) or _stored_course_key(spec.lesson.key)
            lessons.append(ParsedLesson(doc, spec, course_key, found.path))

    sources: dict[str, tuple[dict[str, Any], str]] = {}
    for course in courses:
        for source in course.spec.sources:
            if source.slug in course.source_texts:
                fields = {"title": source.title, "author": source.author, "year": source.year}
                sources[source.slug] = (fields, course.source_texts[source.slug])

    # A source declared but not read has an error already: its citations cannot be checked. A
    # course file that could not be read may declare the sources that lessons cite.
    unread = {s.slug for c in courses for s in c.spec.sources if s.slug not in c.source_texts}
    _check_keys(courses, lessons)
    _check_owners(courses, lessons)
    _check_references(lessons, sources, unread, all_known=len(courses) == len(course_files))
    if len(lessons) == len(lesson_files):
        # A lesson file that could not be read may define the lessons the sets name.
        _check_lesson_sets(courses, lessons)

    for doc in docs:
        errors.extend(doc.errors)
    if errors:
        raise ContentError(errors)
    return Plan(courses, lessons, sources)


def _check_keys(courses: list[ParsedCourse], lessons: list[ParsedLesson]) -> None:
    """Keys are unique for their kind, across every file loaded and what is already stored."""
    seen: dict[tuple[str, str], str] = {}

    def claim(kind: str, key: str, doc: Located, loc: tuple) -> None:
        where = f"{doc.display}:{doc.line(loc)}"
        first = seen.setdefault((kind, key), where)
        if first != where:
            doc.errors.append(f"{where}: {kind} key {key!r} is already used at {first}")

    for course in courses:
        claim("course", course.spec.course.key, course.doc, ("course", "key"))
        for i, lesson_set in enumerate(course.spec.lesson_sets):
            claim("lesson set", lesson_set.key, course.doc, ("lesson_sets", i, "key"))
        for i, source in enumerate(course.spec.sources):
            claim("source", source.slug, course.doc, ("sources", i, "slug"))
    for lesson in lessons:
        spec, doc = lesson.spec, lesson.doc
        claim("lesson", spec.lesson.key, doc, ("lesson", "key"))
        # Questions and flashcards share one namespace: a question studied as a flashcard
        # becomes a card with the question's key.
        for i, question in enumerate(spec.questions):
            claim("question or flashcard", question.key, doc, ("questions", i, "key"))
        for i, card in enumerate(spec.flashcards):
            claim("question or flashcard", card.key, doc, ("flashcards", i, "key"))

    # Against the database: a key that belongs to another lesson that is not being loaded.
    loaded = {lesson.spec.lesson.key for lesson in lessons}
    for lesson in lessons:
        spec, doc = lesson.spec, lesson.doc
        keys = {q.key: ("questions", i, "key") for i, q in enumerate(spec.questions)}
        keys.update({c.key: ("flashcards", i, "key") for i, c in enumerate(spec.flashcards)})
        elsewhere = [
            *Question.objects.filter(key__in=keys).exclude(lesson__key__in=loaded)
            .values_list("key", "lesson__key"),
            *Card.objects.filter(key__in=keys, question__isnull=True)
            .exclude(lesson__key__in=loaded).values_list("key", "lesson__key"),
        ]  # fmt: skip
        for key, other in elsewhere:
            doc.errors.append(
                doc.error(keys[key], f"key {key!r} already belongs to lesson {other!r}")
            )


def _check_references(
    lessons: list[ParsedLesson],
    sources: dict[str, tuple[dict[str, Any], str]],
    unread: set[str],
    *,
    all_known: bool,
) -> None:
    # Filtered here, not with `slug__in`: a load may name more sources than a query may bind.
    stored = {
        slug: text
        for slug, text in Source.objects.values_list("slug", "text").iterator()
        if slug not in sources
    }
    texts = {slug: text for slug, (_, text) in sources.items()} | stored
    found_in: dict[str, list[str]] = {}  # each source's paragraphs, split once

    def paragraphs_of(slug: str) -> list[str]:
        if slug not in found_in:
            found_in[slug] = [collapse_whitespace(p) for p in paragraphs(texts[slug])]
        return found_in[slug]

    for lesson in lessons:
        spec, doc = lesson.spec, lesson.doc
        refs = spec.lesson.citations
        for ref, citation in refs.items():
            loc = ("lesson", "citations", ref)
            if citation.source not in texts:
                if citation.source in unread or not all_known:
                    continue
                doc.errors.append(
                    doc.error((*loc, "source"), f"unknown source {shorten(citation.source)}")
                )
                continue
            found = paragraphs_of(citation.source)
            if citation.paragraph > len(found):
                doc.errors.append(
                    doc.error(
                        (*loc, "paragraph"),
                        f"citation {ref!r}: {citation.source} has only {len(found)} paragraphs",
                    )
                )
            elif collapse_whitespace(citation.quote) not in found[citation.paragraph - 1]:
                doc.errors.append(
                    doc.error(
                        (*loc, "quote"),
                        f"citation {ref!r}: the quotation does not stand in paragraph "
                        f"{citation.paragraph} of {citation.source}",
                    )
                )
        items: list[tuple[str, int, QuestionIn | FlashcardIn]] = [
            *(("questions", i, q) for i, q in enumerate(spec.questions)),
            *(("flashcards", i, c) for i, c in enumerate(spec.flashcards)),
        ]
        for kind, i, item in items:
            for j, ref in enumerate(item.cite):
                if ref not in refs:
                    doc.errors.append(
                        doc.error((kind, i, "cite", j), f"unknown citation {shorten(ref)}")
                    )
        for loc, text in spec.footnote_texts():
            for ref in footnote_refs(text):
                if ref not in refs:
                    doc.errors.append(doc.error(loc, f"footnote [^{ref}] names no citation"))


def _check_owners(courses: list[ParsedCourse], lessons: list[ParsedLesson]) -> None:
    """A lesson set, or a lesson loaded from a course's folder, that belongs to another course
    already is refused: loading would move it, and the other course's students would lose it (a
    course copied to start a new one must get new keys). A lesson loaded on its own, or a course
    loaded again, moves nothing."""
    loading = {course.spec.course.key for course in courses}
    set_keys = {s.key for course in courses for s in course.spec.lesson_sets}
    owners = dict(
        LessonSet.objects.filter(key__in=set_keys).values_list("key", "course__key")
    ) if set_keys else {}  # fmt: skip
    for course in courses:
        mine = course.spec.course.key
        for i, lesson_set in enumerate(course.spec.lesson_sets):
            other = owners.get(lesson_set.key)
            if other is not None and other != mine and other not in loading:
                course.doc.errors.append(
                    course.doc.error(
                        ("lesson_sets", i, "key"),
                        f"lesson set {shorten(lesson_set.key)} belongs to course "
                        f"{shorten(other)}: give this course's sets keys of their own",
                    )
                )
    in_courses = [lesson for lesson in lessons if lesson.course_key]
    lesson_owners = dict(
        Lesson.objects.filter(key__in=[lesson.spec.lesson.key for lesson in in_courses])
        .exclude(course_key="")
        .values_list("key", "course_key")
    ) if in_courses else {}  # fmt: skip
    for lesson in in_courses:
        other = lesson_owners.get(lesson.spec.lesson.key)
        if other is not None and other != lesson.course_key and other not in loading:
            lesson.doc.errors.append(
                lesson.doc.error(
                    ("lesson", "key"),
                    f"lesson {shorten(lesson.spec.lesson.key)} belongs to course "
                    f"{shorten(other)}: give this course's lessons keys of their own",
                )
            )


def _check_lesson_sets(courses: list[ParsedCourse], lessons: list[ParsedLesson]) -> None:
    available = {lesson.spec.lesson.key for lesson in lessons}
    wanted = {k for c in courses for s in c.spec.lesson_sets for k in s.lessons} - available
    # Every stored key, not `key__in=wanted`: the sets may name more lessons than a query may bind.
    available |= wanted & set(Lesson.objects.active().values_list("key", flat=True))
    for course in courses:
        for i, lesson_set in enumerate(course.spec.lesson_sets):
            for j, key in enumerate(lesson_set.lessons):
                if key not in available:
                    course.doc.errors.append(
                        course.doc.error(
                            ("lesson_sets", i, "lessons", j), f"unknown lesson {shorten(key)}"
                        )
                    )


# Writing ----------------------------------------------------------------------------------------


def _update(obj: Any, fields: dict[str, Any]) -> bool:
    """Set fields that differ; save and return True only when something changed."""
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, fields[name])
    if changed:
        obj.save()
    return bool(changed)


def _write_sources(plan: Plan, report: LoadReport) -> dict[str, Source]:
    for slug, (fields, text) in plan.sources.items():
        source, created = Source.objects.get_or_create(slug=slug, defaults={**fields, "text": text})
        if created:
            report.add(f"created source {slug}")
        elif _update(source, {**fields, "text": text}):
            report.add(f"updated source {slug}")
    return {source.slug: source for source in Source.objects.all()}


def _write_lesson(
    parsed: ParsedLesson, sources: dict[str, Source], report: LoadReport, now: Any
) -> None:
    spec = parsed.spec.lesson
    fields = {
        "title": spec.title,
        "summary": spec.summary,
        "source_file": parsed.doc.display,
        "course_key": parsed.course_key,
        "retired_at": None,
    }
    lesson, created = Lesson.objects.get_or_create(key=spec.key, defaults=fields)
    changed = False
    if created:
        report.add(f"created lesson {spec.key}")
    else:
        was_retired = lesson.retired_at is not None
        # The file a lesson was loaded from is bookkeeping, not a change worth reporting; set on
        # the instance too, which _update saves whole when anything else changed.
        lesson.source_file = fields.pop("source_file")
        Lesson.objects.filter(pk=lesson.pk).update(source_file=lesson.source_file)
        changed = _update(lesson, fields)
        if was_retired:
            report.add(f"restored lesson {spec.key}")

    # The footnote numbers the lesson page will give the citations, rendered into the sections'
    # and key terms' stored HTML.
    numbers = {ref: number for number, ref in enumerate(spec.citations, start=1)}
    sections = [(s.title, s.body) for s in spec.sections]
    if list(lesson.sections.values_list("title", "body")) != sections:
        lesson.sections.all().delete()
        Section.objects.bulk_create(
            _rendered(Section(lesson=lesson, position=i, title=t, body=b), numbers)
            for i, (t, b) in enumerate(sections)
        )
        changed = True
    terms = [(t.term, t.definition) for t in spec.key_terms]
    if list(lesson.key_terms.values_list("term", "definition")) != terms:
        lesson.key_terms.all().delete()
        KeyTerm.objects.bulk_create(
            _rendered(KeyTerm(lesson=lesson, position=i, term=t, definition=d), numbers)
            for i, (t, d) in enumerate(terms)
        )
        changed = True

    existing = {c.ref: c for c in lesson.citations.all()}
    renumbered = numbers != {ref: number for number, ref in enumerate(existing, start=1)}
    citations: dict[str, Citation] = {}
    new: list[Citation] = []
    for position, (ref, cited) in enumerate(spec.citations.items()):
        values = {
            "position": position,
            "source": sources[cited.source],
            "paragraph": cited.paragraph,
            "quote": cited.quote,
        }
        if ref in existing:
            changed |= _update(existing[ref], values)
            citations[ref] = existing[ref]
        else:
            citations[ref] = Citation(lesson=lesson, ref=ref, **values)
            new.append(citations[ref])
    if new:
        # In bulk: Citation.save() would render the lesson's HTML again for each one.
        Citation.objects.bulk_create(new)
        changed = True
    stale = [c.pk for ref, c in existing.items() if ref not in citations]
    if stale:
        Citation.objects.filter(pk__in=stale).delete()
        changed = True
    if renumbered and not created:
        # Sections and key terms kept from before carry the old numbers.
        lesson.render_cited_html()
    if changed and not created:
        report.add(f"updated lesson {spec.key}")

    _write_questions(parsed, lesson, citations, report, now)
    _write_flashcards(parsed, lesson, citations, report, now)
    _write_quiz(
        key=f"{LESSON_QUIZ_PREFIX}{lesson.key}",
        default_title=lesson.title,
        spec=spec.quiz,
        lessons=[lesson],
        report=report,
    )
    report.lessons += 1


def _rendered(row: Section | KeyTerm, numbers: dict[str, int]) -> Section | KeyTerm:
    row.render_html(footnotes=numbers)
    return row


def _write_quiz(
    *, key: str, default_title: str, spec: QuizIn, lessons: list[Lesson], report: LoadReport
) -> None:
    fields = spec.model_dump()
    fields["title"] = fields["title"] or default_title
    quiz, created = Quiz.objects.get_or_create(key=key, defaults=fields)
    changed = not created and _update(quiz, fields)
    wanted = {lesson.pk for lesson in lessons}
    if set(quiz.lessons.values_list("pk", flat=True)) != wanted:
        quiz.lessons.set(wanted)
        changed = True
    if created:
        report.add(f"created quiz {key}")
    elif changed:
        report.add(f"updated quiz {key}")


def _set_citations(obj: Question | Card, wanted: list[Citation]) -> bool:
    current = {c.pk for c in obj.citations.all()}
    if current == {c.pk for c in wanted}:
        return False
    obj.citations.set(wanted)
    return True


def _write_questions(
    parsed: ParsedLesson,
    lesson: Lesson,
    citations: dict[str, Citation],
    report: LoadReport,
    now: Any,
) -> None:
    existing = {
        q.key: q
        for q in Question.objects.filter(lesson=lesson)
        .select_related("current_version")
        .prefetch_related("citations")
    }
    cards = {c.question_id: c for c in Card.objects.filter(lesson=lesson, question__isnull=False)}
    accepted = _accepted_after(parsed)
    for position, spec in enumerate(parsed.spec.questions):
        authored = spec.authored()
        body, answer_key = stored_form(spec.type, authored)
        feedback = stored_feedback(spec.type, authored)
        question = existing.pop(spec.key, None) or Question.objects.filter(key=spec.key).first()
        if question is not None:
            answer_key = _with_accepted(spec, answer_key, accepted.get(question.pk, []), report)
        digest = meaning_hash(spec.type, spec.prompt, body, answer_key)
        fields = {
            "lesson": lesson,
            "position": position,
            "type": spec.type,
            "level": spec.level or "",
            "retired_at": None,
        }
        created = question is None
        if created:
            question = Question.objects.create(key=spec.key, **fields)
            changed = False
        else:
            if question.retired_at is not None:
                report.add(f"restored question {spec.key}")
            changed = _update(question, fields)
        version = question.current_version
        if version is None or version.meaning_hash != digest:
            number = (version.number + 1) if version else 1
            version = QuestionVersion.objects.create(
                question=question,
                number=number,
                type=spec.type,
                prompt=spec.prompt,
                body=body,
                answer_key=answer_key,
                explanation=spec.explanation,
                feedback=feedback,
                meaning_hash=digest,
            )
            question.current_version = version
            question.save(update_fields=["current_version", "updated_at"])
            if number > 1:
                report.add(f"question {spec.key}: new version {number} (its meaning changed)")
        else:
            # Neither is part of the meaning: changed in place, in the version students answer.
            changed |= _update(version, {"explanation": spec.explanation, "feedback": feedback})
        changed |= _set_citations(question, [citations[ref] for ref in spec.cite])
        if created:
            report.add(f"created question {spec.key}")
        elif changed:
            report.add(f"updated question {spec.key}")
        _write_question_card(spec, question, version, cards.pop(question.pk, None), report, now)
        report.questions += 1
    for question in existing.values():
        if question.retired_at is None:
            question.retired_at = now
            question.save(update_fields=["retired_at", "updated_at"])
            report.add(f"retired question {question.key}")
    for card in cards.values():
        if card.retired_at is None:
            card.retired_at = now
            card.save(update_fields=["retired_at", "updated_at"])


def _accepted_after(parsed: ParsedLesson) -> dict[int, list[AcceptedResponse]]:
    """The responses that authors accepted in the browser for the lesson file's questions
    (wherever they were before), by question."""
    found: dict[int, list[AcceptedResponse]] = {}
    for row in (
        AcceptedResponse.objects.filter(
            question__key__in=[spec.key for spec in parsed.spec.questions], classroom__isnull=True
        )
        .select_related("version")
        .order_by("accepted_at", "pk")
    ):
        found.setdefault(row.question_id, []).append(row)
    return found


def _with_accepted(
    spec: QuestionIn, answer_key: dict, accepted: list[AcceptedResponse], report: LoadReport
) -> dict:
    """The file's key with the responses accepted in the browser that the file does not list.

    The loader never drops one (no silent revert of a regrade): it says which the file lacks,
    so that the author writes them in (`manage.py accepted_responses --write`), and which no
    longer fit the question (kept, not applied).
    """
    if not accepted:
        return answer_key
    missing, unfit = [], []
    for row in accepted:
        if not blank_still_fits(
            row.version.type, row.version.answer_key, spec.type, answer_key, row.blank
        ):
            unfit.append(row)
        elif not accepts(spec.type, answer_key, row.blank, row.text):
            missing.append(row)
    for row in unfit:
        where = f"blank {row.blank + 1}" if row.blank != WHOLE else "the answer"
        report.add(
            f"warning: question {spec.key}: the response {row.text!r} accepted for {where} on "
            f"{row.accepted_at:%Y-%m-%d} no longer fits the question ({spec.type}); kept, "
            "not applied"
        )
    if missing:
        texts = ", ".join(repr(row.text) for row in missing)
        report.add(
            f"warning: question {spec.key}: still accepts {texts}, accepted in the browser but "
            "not in its file (manage.py accepted_responses --write adds them to the file)"
        )
    return with_accepted(spec.type, answer_key, [(row.blank, row.text) for row in missing])


def _card_sides(spec: QuestionIn, version: QuestionVersion) -> tuple[str, str]:
    front = spec.prompt
    if version.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_RESPONSE):
        # Authors tend to write the right answer first. Shuffle, seeded by the card's key so
        # that the front is the same at every load (and a reload changes nothing).
        choices = list(version.body["choices"])
        random.Random(spec.key).shuffle(choices)
        front += "\n\n" + "\n".join(f"- {choice}" for choice in choices)
    elif version.type == QuestionType.CLOZE:
        front = (front + "\n\n" if front else "") + "\\_\\_\\_\\_".join(version.body["texts"])
    back = f"**{answer_text(version.type, version.body, version.answer_key)}**"
    return front, f"{back}\n\n{spec.explanation}" if spec.explanation else back


def _write_question_card(
    spec: QuestionIn,
    question: Question,
    version: QuestionVersion,
    card: Card | None,
    report: LoadReport,
    now: Any,
) -> None:
    if not spec.flashcard:
        if card is not None and card.retired_at is None:
            card.retired_at = now
            card.save(update_fields=["retired_at", "updated_at"])
            report.add(f"question {spec.key} is no longer studied as a flashcard")
        return
    front, back = _card_sides(spec, version)
    fields = {
        "key": spec.key,
        "lesson": question.lesson,
        "position": QUESTION_CARD_OFFSET + question.position,
        "front": front,
        "back": back,
        "hint": "",
        "retired_at": None,
    }
    if card is None:
        card = Card.objects.create(question=question, **fields)
        report.flashcards += 1
        report.add(f"question {spec.key} is studied as a flashcard")
    else:
        _update(card, fields)
        report.flashcards += 1
    _set_citations(card, list(question.citations.all()))


def _write_flashcards(
    parsed: ParsedLesson,
    lesson: Lesson,
    citations: dict[str, Citation],
    report: LoadReport,
    now: Any,
) -> None:
    existing = {
        c.key: c
        for c in Card.objects.filter(lesson=lesson, question__isnull=True).prefetch_related(
            "citations"
        )
    }
    for position, spec in enumerate(parsed.spec.flashcards):
        fields = {
            "lesson": lesson,
            "position": position,
            "front": spec.front,
            "back": spec.back,
            "hint": spec.hint,
            "retired_at": None,
        }
        card = (
            existing.pop(spec.key, None)
            or Card.objects.filter(key=spec.key, question__isnull=True).first()
        )
        wanted = [citations[ref] for ref in spec.cite]
        if card is None:
            card = Card.objects.create(key=spec.key, **fields)
            card.citations.set(wanted)
            report.add(f"created flashcard {spec.key}")
        else:
            if card.retired_at is not None:
                report.add(f"restored flashcard {spec.key}")
            changed = _update(card, fields)
            changed |= _set_citations(card, wanted)
            if changed:
                report.add(f"updated flashcard {spec.key}")
        report.flashcards += 1
    for card in existing.values():
        if card.retired_at is None:
            card.retired_at = now
            card.save(update_fields=["retired_at", "updated_at"])
            report.add(f"retired flashcard {card.key}")


def _write_course(parsed: ParsedCourse, loaded: set[str], report: LoadReport, now: Any) -> None:
    spec = parsed.spec.course
    fields = spec.model_dump(exclude={"key"})
    # Authors may set the retention on the course's scheduling page: only a course file that
    # states it sets it.
    stated = spec.desired_retention if "desired_retention" in spec.model_fields_set else None
    if stated is None:
        del fields["desired_retention"]
    course, created = Course.objects.get_or_create(key=spec.key, defaults=fields)
    if created:
        report.add(f"created course {spec.key}")
    elif _update(course, fields):
        report.add(f"updated course {spec.key}")
    if course.file_desired_retention != stated:  # a note for that page, not a change of content
        Course.objects.filter(pk=course.pk).update(file_desired_retention=stated)

    lessons = {lesson.key: lesson for lesson in Lesson.objects.all()}
    kept_sets = []
    for position, set_spec in enumerate(parsed.spec.lesson_sets):
        values = {"course": course, "title": set_spec.title, "position": position}
        lesson_set, set_created = LessonSet.objects.get_or_create(key=set_spec.key, defaults=values)
        changed = not set_created and _update(lesson_set, values)
        wanted = [lessons[key].pk for key in set_spec.lessons]
        current = list(lesson_set.items.order_by("position").values_list("lesson_id", flat=True))
        if current != wanted:
            lesson_set.items.all().delete()
            LessonSetItem.objects.bulk_create(
                LessonSetItem(lesson_set=lesson_set, lesson_id=pk, position=i)
                for i, pk in enumerate(wanted)
            )
            changed = True
        if set_created:
            report.add(f"created lesson set {set_spec.key}")
        elif changed:
            report.add(f"updated lesson set {set_spec.key}")
        _write_quiz(
            key=f"{SET_QUIZ_PREFIX}{set_spec.key}",
            default_title=set_spec.title,
            spec=set_spec.quiz,
            lessons=[lessons[key] for key in set_spec.lessons],
            report=report,
        )
        kept_sets.append(lesson_set.pk)
    for lesson_set in course.lesson_sets.exclude(pk__in=kept_sets):
        if lesson_set.assignments.exists():
            # Classes were assigned this set: keep it (emptied of nothing) and say so.
            report.add(
                f"lesson set {lesson_set.key} is no longer in the files; kept: it is assigned"
            )
            continue
        lesson_set.delete()
        report.add(f"removed lesson set {lesson_set.key}")

    # A lesson loaded before from this course's folder whose file is gone is retired.
    for lesson in Lesson.objects.active().filter(course_key=spec.key).exclude(key__in=loaded):
        lesson.retired_at = now
        lesson.save(update_fields=["retired_at", "updated_at"])
        retired = Question.objects.active().filter(lesson=lesson).update(retired_at=now)
        Card.objects.active().filter(lesson=lesson).update(retired_at=now)
        report.add(f"retired lesson {lesson.key} and its {retired} questions")


def _current_versions(plan: Plan) -> dict[str, int | None]:
    """The current version of each stored question that the plan's lesson files hold, by key."""
    return _current_versions_of([q.key for parsed in plan.lessons for q in parsed.spec.questions])


def _current_versions_of(keys: list[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    # In batches: a load may hold more questions than a query may bind.
    for start in range(0, len(keys), 500):
        found.update(
            Question.objects.filter(key__in=keys[start : start + 500]).values_list(
                "key", "current_version_id"
            )
        )
    return found


def _version_fields(version: QuestionVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "type": version.type,
        "prompt": version.prompt,
        "body": version.body,
        "answer_key": version.answer_key,
    }


def _version_changes(before: dict[str, int | None]) -> list[VersionChange]:
    """The questions whose current version is not the one in `before`, with both versions."""
    after = _current_versions_of(list(before))
    moved = {key: pk for key, pk in after.items() if before.get(key) and pk != before[key]}
    wanted = [*moved.values(), *(before[key] for key in moved)]
    versions = QuestionVersion.objects.in_bulk(wanted)
    return [
        VersionChange(
            key,
            _version_fields(versions[before[key]]),  # type: ignore[index]
            _version_fields(versions[pk]),
        )
        for key, pk in moved.items()
    ]


def load_content(
    paths: Sequence[Path], *, dry_run: bool = False, root: Path | None = None
) -> LoadReport:
    """Validate every file, then write everything in one transaction (rolled back if dry_run).

    `root`: as for `validate`. The report lists the questions given a new version, with the
    version before and after (`LoadReport.versions`), for a preview's diff."""
    plan = validate(paths, root=root)
    report = LoadReport()
    now = timezone.now()
    with transaction.atomic():
        before = _current_versions(plan)
        sources = _write_sources(plan, report)
        for parsed in plan.lessons:
            _write_lesson(parsed, sources, report, now)
        report.versions = _version_changes(before)
        loaded = {parsed.spec.lesson.key for parsed in plan.lessons}
        for parsed in plan.courses:
            _write_course(parsed, loaded, report, now)
        # HTML stored by an older renderer (nh3, markdown-it-py or our rules upgraded since),
        # in what was loaded and anything else: only those rows are rendered.
        for model, count in render_stale_markdown().items():
            if count:
                report.add(
                    f"rendered the HTML of {count} {model._meta.verbose_name_plural} again "
                    f"(renderer {RENDERER_VERSION})"
                )
        if dry_run:
            transaction.set_rollback(True)
        else:
            # Lessons retired or moved between lesson sets (some by bulk writes, which send no
            # signal) change what students study: every cached study context is read again.
            usercache.forget_all()
    return report
