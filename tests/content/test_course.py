"""The bundled course stays honest as it grows: citations, counts, answer keys, reachability."""

import itertools
import re
from collections import Counter

import pytest

from content.loader import load_content
from content.markdown import collapse_whitespace, paragraphs
from content.models import Citation, Lesson
from courses.models import Course, LessonSetItem
from quizzes.grading import answer_form, grade, key_response, normalise, same_answer
from quizzes.models import Card, Question, QuestionType

MIN_QUESTIONS, MIN_FLASHCARDS = 180, 90
MIN_PER_TYPE = 8
MIN_LESSON_QUESTIONS, MIN_LESSON_FLASHCARDS = 16, 8


@pytest.fixture
def course(db, bundle) -> Course:
    load_content([bundle])
    return Course.objects.get(key="alliance-politics")


def active_questions():
    return Question.objects.active().select_related("current_version", "lesson")


def test_every_citation_quotation_stands_in_its_paragraph(course):
    citations = list(Citation.objects.select_related("source"))
    assert citations
    for citation in citations:
        paragraph = paragraphs(citation.source.text)[citation.paragraph - 1]
        assert collapse_whitespace(citation.quote) in collapse_whitespace(paragraph), (
            f"{citation.lesson.key}/{citation.ref}"
        )


def test_the_course_has_enough_questions_and_flashcards_of_every_type(course):
    questions = active_questions()
    assert questions.count() >= MIN_QUESTIONS
    assert Card.objects.active().filter(question__isnull=True).count() >= MIN_FLASHCARDS
    per_type = Counter(questions.values_list("type", flat=True))
    assert {t: per_type[t] for t in QuestionType.values} == {
        t: max(per_type[t], MIN_PER_TYPE) for t in QuestionType.values
    }


def test_every_lesson_is_complete(course):
    lessons = list(Lesson.objects.active())
    assert len(lessons) >= 9
    for lesson in lessons:
        questions = lesson.questions.filter(retired_at__isnull=True)
        types = set(questions.values_list("type", flat=True))
        assert questions.count() >= MIN_LESSON_QUESTIONS, lesson.key
        assert lesson.cards.active().filter(question__isnull=True).count() >= MIN_LESSON_FLASHCARDS
        assert len(types) >= 5, (lesson.key, types)
        assert lesson.summary and lesson.key_terms.exists(), lesson.key
        words = sum(len(section.body.split()) for section in lesson.sections.all())
        assert 450 <= words <= 1300, (lesson.key, words)


def test_every_question_and_flashcard_cites_the_sources_and_explains(course):
    for question in active_questions().prefetch_related("citations"):
        assert question.citations.exists(), question.key
        assert len(question.current_version.explanation.split()) >= 8, question.key
    for card in Card.objects.active().prefetch_related("citations"):
        assert card.citations.exists(), card.key


def question_text(question: Question) -> str:
    version = question.current_version
    return normalise(version.prompt + " " + " ".join(version.body.get("texts", [])))


def test_no_two_questions_are_the_same(course):
    texts = Counter(question_text(q) for q in active_questions())
    assert [text for text, n in texts.items() if n > 1] == []


def wrong_responses(qtype: str, body: dict, key: dict):
    """Every distractor, and a few near misses, for a question."""
    match qtype:
        case QuestionType.SINGLE_CHOICE:
            yield from ({"choice": i} for i in range(len(body["choices"])) if i != key["choice"])
        case QuestionType.MULTIPLE_RESPONSE:
            right = set(key["choices"])
            for i in range(len(body["choices"])):
                yield {"choices": sorted(right ^ {i})}  # one too many, or one too few
        case QuestionType.TRUE_FALSE:
            yield {"value": not key["value"]}
        case QuestionType.SHORT_ANSWER:
            yield {"text": ""}
        case QuestionType.NUMERIC:
            off = key["tolerance"] + 1
            yield from ({"text": str(key["value"] + d)} for d in (-off, off))
        case QuestionType.MATCHING | QuestionType.ORDERING:
            field = "matches" if qtype == QuestionType.MATCHING else "order"
            for i, j in itertools.combinations(range(len(key[field])), 2):
                swapped = list(key[field])
                swapped[i], swapped[j] = swapped[j], swapped[i]
                yield {field: swapped}
        case QuestionType.CLOZE:
            for i in range(len(key["blanks"])):
                yield {"blanks": [b[0] if j != i else "" for j, b in enumerate(key["blanks"])]}


def test_every_answer_key_passes_its_grader_and_every_distractor_fails(course):
    for question in active_questions():
        version = question.current_version
        assert grade(
            version.type, version.answer_key, key_response(version.type, version.answer_key)
        ).correct
        for response in wrong_responses(version.type, version.body, version.answer_key):
            assert not grade(version.type, version.answer_key, response).correct, (
                question.key,
                response,
            )


def test_short_answers_of_other_questions_are_not_accepted(course):
    short = [q for q in active_questions() if q.type == QuestionType.SHORT_ANSWER]
    for question, other in itertools.permutations(short, 2):
        # An answer the grader holds to be the same as an accepted one ("the DPRK", "DPRK") is
        # that answer; any other must be rejected.
        accepted = [answer_form(a) for a in question.current_version.answer_key["accepted"]]
        for answer in other.current_version.answer_key["accepted"]:
            if not any(same_answer(answer_form(answer), a) for a in accepted):
                response = {"text": answer}
                assert not grade(
                    "short_answer", question.current_version.answer_key, response
                ).correct


def test_every_lesson_and_question_is_reachable_from_the_course(course):
    in_sets = set(
        LessonSetItem.objects.filter(lesson_set__course=course).values_list(
            "lesson__key", flat=True
        )
    )
    assert set(Lesson.objects.active().values_list("key", flat=True)) == in_sets
    assert not active_questions().exclude(lesson__key__in=in_sets).exists()
    assert not Card.objects.active().exclude(lesson__key__in=in_sets).exists()
    assert course.lesson_sets.count() == 3


def test_the_course_reloads_with_no_changes(course, bundle):
    assert load_content([bundle]).changes == []


def test_the_summaries_are_two_or_three_sentences(course):
    for lesson in Lesson.objects.active():
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", lesson.summary.strip()) if s]
        assert 2 <= len(sentences) <= 3, (lesson.key, len(sentences))
