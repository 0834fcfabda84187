"""Question banks and decks in other formats, into and out of one lesson: GIFT, Moodle XML and
Anki's .apkg (docs/authoring.md, "Other formats").

Import: the file's questions (GIFT, Moodle XML) or notes (.apkg, as flashcards) go into one lesson,
merged into the lesson file the database holds (content.export.lesson_document): a question or
flashcard whose key the lesson has is replaced, keeping what the format has no place for (its
citations, level, whether it is studied as a flashcard, …); one it does not have is added; nothing
is retired, since a bank may hold part of a lesson. The merged lesson file then loads as any lesson
file does (content.imports), with the loader's versions and checks.

The lesson is the one the author chose, or else the one the file's category names (GIFT's
`$CATEGORY: course/lesson`, Moodle XML's category question, as this module exports them).

Export: a lesson's questions as GIFT or Moodle XML, and messages for what the format cannot hold.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, get_args

from content import anki, convert, gift, moodlexml, schema
from content.export import lesson_document, lesson_yaml
from content.markdown import render_markdown
from content.models import Lesson
from quizzes.models import Card, Question

# Fields a format has no place for; a question that the file leaves without them keeps those it
# had in the lesson (where its new type has them). Moodle XML carries ours in a <learnhall>
# element, which a file from Moodle lacks; it has its own place for case and unit, so there an
# absent one means "none", as it does in a lesson file.
KEPT_IF_ABSENT = {
    "gift": ("cite", "level", "flashcard", "labels", "typos", "case_sensitive",
             "accent_sensitive", "also_accept", "unit"),
    "xml": ("cite", "level", "flashcard", "labels", "typos", "accent_sensitive", "also_accept"),
}  # fmt: skip
# Each question type's model in the schema, read from its discriminated union.
_QUESTION_MODELS = {
    get_args(model.model_fields["type"].annotation)[0]: model
    for model in get_args(get_args(schema.Question)[0])
}
FORMATS = {".gift": "GIFT", ".txt": "GIFT", ".xml": "Moodle XML", ".apkg": "Anki"}


@dataclass
class Imported:
    """What a file holds for a lesson: questions and flashcards as lesson files write them."""

    questions: list[dict] = field(default_factory=list)
    flashcards: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # file:line: message; nothing is imported
    notices: list[str] = field(default_factory=list)  # what is left out, by design
    kept: tuple[str, ...] = ()  # the questions' fields the format has no place for
    categories: list[str] = field(default_factory=list)  # as the file names them


def _text(data: bytes, filename: str) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", [f"{filename}:{line}: the file is not UTF-8 text"]


def read(extension: str, data: bytes, filename: str) -> Imported:
    """Read a GIFT, Moodle XML or .apkg file. Never raises for what the file holds."""
    if extension == ".apkg":
        notices: list[str] = []
        flashcards, messages = anki.read_apkg(data, filename, notices=notices)
        # A note that cannot be mapped is an error, never dropped unsaid: the import waits until
        # the author leaves it out of the deck. Fields a flashcard has no place for are notices.
        return Imported(flashcards=flashcards, errors=messages, notices=notices)
    if extension == ".xml":
        parsed, errors = moodlexml.parse(data, filename)
        questions, problems = convert.xml_to_questions(parsed, filename)
        kept = KEPT_IF_ABSENT["xml"]
    elif extension in (".gift", ".txt"):
        text, errors = _text(data, filename)
        if errors:
            return Imported(errors=errors)
        parsed, errors = gift.parse(text, filename)
        questions, problems = convert.gift_to_questions(parsed, filename)
        kept = KEPT_IF_ABSENT["gift"]
    else:
        raise ValueError(f"not a question format: {extension}")
    categories = [q.category for q in parsed if q.category]
    return Imported(questions=questions, errors=errors + problems, categories=categories, kept=kept)


def lesson_named(imported: Imported, chosen: str, filename: str) -> tuple[Lesson | None, str]:
    """The lesson to import into: the author's choice, or the one the file's categories all
    name (their last part a lesson's key); else (None, why)."""
    lessons = Lesson.objects.active()
    if chosen:
        lesson = lessons.filter(key=chosen).first()
        return (lesson, "") if lesson else (None, f"{filename}: there is no lesson {chosen!r}")
    named = {category.rstrip("/").rsplit("/", 1)[-1].strip() for category in imported.categories}
    if len(named) == 1 and (lesson := lessons.filter(key=named.pop()).first()):
        return lesson, ""
    return None, (
        f"{filename}: choose the lesson to import into (the file's categories name no one "
        "lesson of this site)"
    )


def _kept(old: dict, new: dict, names: tuple[str, ...]) -> dict:
    fields = _QUESTION_MODELS[new["type"]].model_fields
    kept = {name: old[name] for name in names if name in old and name not in new and name in fields}
    return {**new, **kept}


_CLOZE_NUMBER = re.compile(r"-c[0-9]+\Z")


def _same_rendering(old: dict, new: dict) -> dict:
    """`new`, keeping `old`'s Markdown for each side that renders the same (an .apkg holds
    HTML, which comes back as Markdown written another way)."""
    return {
        **new,
        **{
            side: old[side]
            for side in ("front", "back", "hint")
            if side in old and render_markdown(old[side]) == render_markdown(new.get(side, ""))
        },
    }


def _anki_cards(doc: dict[str, Any], flashcards: list[dict]) -> list[dict]:
    """Notes this site exported come back under the keys of the cards they were made from:
    a flashcard is updated rather than added again, and a question's card (its text comes from
    the question) is left as it is."""
    ours = {anki.imported_key(card["key"]): card for card in doc.get("flashcards", [])}
    questions = {anki.imported_key(q["key"]) for q in doc.get("questions", [])}
    kept = []
    for card in flashcards:
        if _CLOZE_NUMBER.sub("", card["key"]) in questions:
            continue
        if (old := ours.get(card["key"])) is not None:
            card = {**_same_rendering(old, card), "key": old["key"]}
        kept.append(card)
    return kept


def merged(doc: dict[str, Any], imported: Imported) -> dict[str, Any]:
    """The lesson document with the imported questions and flashcards in it, by key."""
    doc = dict(doc)
    flashcards = _anki_cards(doc, imported.flashcards)
    for name, items in (("questions", imported.questions), ("flashcards", flashcards)):
        if not items:
            continue
        current = list(doc.get(name, []))
        where = {item["key"]: i for i, item in enumerate(current)}
        for item in items:
            if item["key"] in where:
                old = current[where[item["key"]]]
                if name == "questions":
                    current[where[item["key"]]] = _kept(old, item, imported.kept)
                else:  # a flashcard: an .apkg has no citations
                    cite = {"cite": old["cite"]} if "cite" in old and "cite" not in item else {}
                    current[where[item["key"]]] = {**item, **cite}
            else:
                where[item["key"]] = len(current)
                current.append(item)
        doc[name] = current
    return doc


def keys_taken(lesson: Lesson, imported: Imported, filename: str) -> list[str]:
    """The imported keys that another lesson's question or card has (keys are the site's, not a
    lesson's), each as a message naming the file: the loader would refuse them in the merged
    lesson file, whose lines the author never saw."""
    keys = [item["key"] for item in (*imported.questions, *imported.flashcards)]
    taken = dict(
        Question.objects.filter(key__in=keys)
        .exclude(lesson=lesson)
        .values_list("key", "lesson__key")
    )
    taken.update(
        Card.objects.filter(key__in=keys)
        .exclude(lesson=lesson)
        .exclude(key__in=taken)
        .values_list("key", "lesson__key")
    )
    return [
        f"{filename}: the key {key!r} belongs to a question or card of lesson {other!r}: give "
        "this one another title (its key)"
        for key, other in sorted(taken.items())
    ]


def write_lesson_file(lesson: Lesson, imported: Imported, root: Path) -> Path:
    """The lesson's file with the import merged in, written under `root` for the loader."""
    # At the path the lesson was loaded from, so that the loader, which names the file by its
    # path under `root`, keeps the lesson's `source_file` as it was.
    stored = PurePosixPath(lesson.source_file or "")
    if stored.parts and not stored.is_absolute() and ".." not in stored.parts:
        path = root.joinpath(*stored.parts)
    else:
        path = root / "lessons" / f"{lesson.key}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lesson_yaml(merged(lesson_document(lesson), imported)), encoding="utf-8")
    return path


# Export ------------------------------------------------------------------------------------------


def _course_key(lesson: Lesson) -> str:
    """The course whose folder holds the lesson, or whose lesson set names it."""
    if lesson.course_key:
        return lesson.course_key
    course = lesson.lesson_sets.values_list("course__key", flat=True).first()
    return course or "learnhall"


def lesson_gift(lesson: Lesson) -> tuple[str, list[str]]:
    """The lesson's questions as GIFT text, and what GIFT could not hold, by question key."""
    questions = lesson_document(lesson).get("questions", [])
    exported, messages = convert.questions_to_gift(questions, lesson.key, _course_key(lesson))
    return gift.dump(exported), messages


def lesson_xml(lesson: Lesson) -> tuple[bytes, list[str]]:
    """The lesson's questions as Moodle XML, and what could not be written, by question key."""
    questions = lesson_document(lesson).get("questions", [])
    exported, messages = convert.questions_to_xml(questions, lesson.key, _course_key(lesson))
    return moodlexml.dump(exported), messages
