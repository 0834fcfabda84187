"""Accepting responses from two tabs at the same moment."""

from functools import partial

from django.utils import timezone

from quizzes.grading import WHOLE
from quizzes.models import AcceptedResponse, Answer, Attempt, Question, QuestionVersion, Regrade
from tests.factories import (
    AnswerFactory,
    AttemptFactory,
    AuthorFactory,
    QuizFactory,
    StudentFactory,
)

TABS = 4


def _wrong_answers(texts: list[str]) -> list[Answer]:
    version = Question.objects.get(key="mini-short").current_version
    quiz = QuizFactory()
    answers = []
    for text in texts:
        attempt = AttemptFactory(
            quiz=quiz,
            student=StudentFactory(),
            versions=[version.pk],
            finished_at=timezone.now(),
            score=0.0,
        )
        answers.append(
            AnswerFactory(
                attempt=attempt,
                version=version,
                position=0,
                response={"text": text},
                score=0.0,
                correct=False,
            )
        )
    return answers


def test_the_same_response_accepted_at_once_is_accepted_and_regraded_once(
    mini, tabs_for, race, server_errors
):
    answers = _wrong_answers(["values", "Values", "money"])
    tabs = tabs_for(AuthorFactory())
    version = Question.objects.get(key="mini-short").current_version
    data = {"version": version.pk, "blank": WHOLE, "text": "values"}

    responses = race(*[partial(tabs.post, "/questions/mini-short/", data)] * TABS)

    assert [r.status_code for r in responses] == [302] * TABS
    assert AcceptedResponse.objects.count() == 1
    assert Regrade.objects.count() == 2
    assert [Answer.objects.get(pk=a.pk).correct for a in answers] == [True, True, False]
    assert [Attempt.objects.get(pk=a.attempt_id).score for a in answers] == [1.0, 1.0, 0.0]
    assert QuestionVersion.objects.get(pk=version.pk).answer_key["accepted"].count("values") == 1
    assert server_errors() == []


def test_different_responses_accepted_at_once_all_land_in_the_key(
    mini, tabs_for, race, server_errors
):
    texts = [f"value {n}" for n in range(TABS)]
    answers = _wrong_answers(texts)
    tabs = tabs_for(AuthorFactory())
    version = Question.objects.get(key="mini-short").current_version
    posts = [
        partial(
            tabs.post,
            "/questions/mini-short/",
            {"version": version.pk, "blank": WHOLE, "text": text},
        )
        for text in texts
    ]

    responses = race(*posts)

    assert [r.status_code for r in responses] == [302] * TABS
    key = QuestionVersion.objects.get(pk=version.pk).answer_key["accepted"]
    assert sorted(key[2:]) == texts  # none lost to another's write of the key
    assert all(Answer.objects.get(pk=a.pk).correct for a in answers)
    assert Regrade.objects.count() == TABS
    assert server_errors() == []
