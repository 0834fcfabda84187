"""Django fixtures of a course (issue 12): with natural keys, `dumpdata --natural-foreign
--natural-primary content quizzes` names every row by what the course files name it by (a lesson
by its key, a section by its lesson and position, a question version by its question's key and
number), so `loaddata` into an empty database reproduces the course, row for row."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from content.loader import load_content
from content.models import Citation, Lesson, Section, Source
from quizzes.models import Card, Question, QuestionVersion


def dump() -> str:
    out = StringIO()
    call_command(
        "dumpdata",
        "content",
        "quizzes",
        natural_foreign=True,
        natural_primary=True,
        indent=1,
        stdout=out,
    )
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Source, Lesson, Section, Citation, Question, QuestionVersion, Card)
    }


@pytest.mark.django_db(transaction=True)
def test_a_dumped_course_loads_into_an_empty_database_as_the_same_course(bundle, tmp_path):
    load_content([bundle])
    before, rows = dump(), counts()
    records = json.loads(before)
    question = next(r for r in records if r["model"] == "quizzes.question")
    assert "pk" not in question  # named by its key, not by an id of this database
    version = next(r for r in records if r["model"] == "quizzes.questionversion")
    assert isinstance(version["fields"]["question"], list)  # [the question's key]
    fixture = tmp_path / "course.json"
    fixture.write_text(before, encoding="utf-8")

    call_command("flush", interactive=False, verbosity=0)
    assert counts() == dict.fromkeys(rows, 0)
    call_command("loaddata", str(fixture), verbosity=0)

    assert counts() == rows
    # Django's JSON keeps milliseconds: a time of 12:55:26.000412 comes back as 12:55:26.
    assert dump() == re.sub(r'\.000Z"', 'Z"', before)
    # Every question points at its current version again, by key and number.
    for q in Question.objects.select_related("current_version"):
        assert q.current_version.question_id == q.pk


@pytest.mark.django_db
def test_rows_are_found_by_their_natural_keys(bundle):
    load_content([bundle])
    section = Section.objects.select_related("lesson").first()
    assert Section.objects.get_by_natural_key(*section.natural_key()) == section
    citation = Citation.objects.select_related("lesson").first()
    assert citation.natural_key() == (citation.lesson.key, citation.ref)
    assert Citation.objects.get_by_natural_key(*citation.natural_key()) == citation
    version = QuestionVersion.objects.select_related("question").first()
    assert QuestionVersion.objects.get_by_natural_key(*version.natural_key()) == version
    card = Card.objects.first()
    assert Card.objects.get_by_natural_key(card.key) == card
    lesson = Lesson.objects.first()
    assert Lesson.objects.get_by_natural_key(lesson.key) == lesson
