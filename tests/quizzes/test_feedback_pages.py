"""Per-option feedback and weights on the quiz pages (issue 12): nothing of them before the
student answers; after, the feedback of what was chosen, as sanitised Markdown, with the partial
score a weight gives, after each question and on the attempt's review."""

import re
import shutil
from pathlib import Path

import pytest
from django.utils import timezone

from content.loader import load_content
from quizzes.grading import stored_feedback, stored_form
from quizzes.models import Attempt, Quiz
from tests.conftest import MINI_COURSE
from tests.factories import AnswerFactory, AttemptFactory, QuestionFactory, QuizFactory
from tests.quizzes.test_quiz_views import RIGHT, answer, next_question, right, start

HTMX = {"HX-Request": "true"}

SINGLE = """\
    choices:
      - text: Shared borders
        weight: 0.5
        feedback: "**Borders** help, but they are not enough."
      - text: Shared interests and ideology
        feedback: Both, as the paragraph says.
      - text: Shared languages
        feedback: "Languages <script>alert(1)</script> are *not* needed."
"""
TRUE_FALSE = """\
    answer: false
    feedback:
      true: Interests alone did not hold the alliance.
      false: "Right: ideology counts as well."
"""
NUMERIC = """\
    answer: 1977
    feedback: The treaty of 1977.
    alternatives:
      - {answer: 1977, tolerance: 2, weight: 0.5, feedback: Within two years of it.}
    other_feedback: Look for the treaty's year.
"""
# Every text of the feedback, none of which may be in a page before its question is answered.
FEEDBACK_TEXTS = [
    "help, but they are not enough",
    "Both, as the paragraph says",
    "are *not* needed",
    "alert(1)",
    "Interests alone did not hold",
    "ideology counts as well",
    "The treaty of 1977",
    "Within two years",
    "the treaty&#x27;s year",
    "the treaty's year",
]


@pytest.fixture
def quiz(student, tmp_path: Path) -> Quiz:
    """The mini course's quiz (not shuffled: single choice first, true/false third, numeric
    fifth) with feedback and a weight on those three questions."""
    folder = tmp_path / "mini-course"
    shutil.copytree(MINI_COURSE, folder)
    lesson = folder / "lessons" / "01-mini.yaml"
    text = lesson.read_text()
    for old, new in [
        (
            "    choices: [Shared borders, Shared interests and ideology, Shared languages]\n",
            SINGLE,
        ),
        ("    answer: false\n", TRUE_FALSE),
        ("    answer: 1977\n", NUMERIC),
    ]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    lesson.write_text(text)
    report = load_content([folder])
    assert "question mini-single: new version 2 (its meaning changed)" in report.changes
    return Quiz.objects.get(key="lesson-mini-lesson")


def page(response) -> str:
    return response.content.decode()


def leaks(html: str) -> list[str]:
    found = [text for text in FEEDBACK_TEXTS if text in html]
    if re.search(r"weight", html, re.I) or "0.5" in html:
        found.append("a weight")
    return found


@pytest.mark.django_db
def test_no_feedback_nor_weight_is_in_a_question_page_before_it_is_answered(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    seen = []
    for _ in range(len(attempt.versions)):
        attempt.refresh_from_db()
        html = page(client.get(f"/attempts/{attempt.pk}/"))
        assert 'name="action" value="answer"' in html
        seen.append(leaks(html))
        partial = page(client.get(f"/attempts/{attempt.pk}/", headers=HTMX))
        seen.append(leaks(partial))
        answer(client, attempt, right(attempt))
        next_question(client, attempt)
    assert seen == [[]] * 2 * len(attempt.versions)


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_after_answering_the_picked_options_feedback_is_shown_with_its_partial_score(
    client, student, quiz, headers
):
    client.force_login(student)
    attempt = start(client, quiz)

    response = answer(
        client, attempt, right(attempt, {"single_choice": {"choice": 0}}), headers=headers
    )
    html = page(response if headers else client.get(f"/attempts/{attempt.pk}/"))

    assert "Partly right: 50%" in html
    assert '<span class="option">Shared borders:</span>' in html
    assert "<strong>Borders</strong> help, but they are not enough." in html
    assert "Both, as the paragraph says" not in html  # another option's
    assert "are *not* needed" not in html and "<em>not</em> needed" not in html
    assert "Both interests and ideology." in html  # the explanation, as before
    assert "weight" not in html.lower()


@pytest.mark.django_db
def test_feedback_is_sanitised_markdown(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)

    answer(client, attempt, right(attempt, {"single_choice": {"choice": 2}}))
    html = page(client.get(f"/attempts/{attempt.pk}/"))

    assert "Languages &lt;script&gt;alert(1)&lt;/script&gt; are <em>not</em> needed." in html
    assert "<script>alert" not in html


def responses(**overrides: dict) -> dict:
    """The form data of a right response per type, some of them replaced."""
    return {**RIGHT, **overrides}


@pytest.mark.django_db
def test_true_false_and_numeric_feedback_follow_the_answer_given(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    given = responses(true_false={"value": "true"}, numeric={"text": "1978"})
    shown = []
    for _ in range(5):  # single choice, multiple response, true/false, short answer, numeric
        answer(client, attempt, right(attempt, given))
        shown.append(page(client.get(f"/attempts/{attempt.pk}/")))
        next_question(client, attempt)

    assert "Both, as the paragraph says." in shown[0]
    assert "Interests alone did not hold the alliance." in shown[2]
    assert "ideology counts as well" not in shown[2]
    assert "Partly right: 50%" in shown[4] and "Within two years of it." in shown[4]
    assert "Look for the treaty" not in shown[4] and "The treaty of 1977." not in shown[4]


@pytest.mark.django_db
def test_the_review_shows_each_answers_feedback_and_a_feedback_at_the_end_quiz_waits_for_it(
    client, student, quiz
):
    Quiz.objects.filter(pk=quiz.pk).update(feedback="end")
    client.force_login(student)
    attempt = start(client, quiz)
    given = responses(single_choice={"choice": 0})
    pages = []
    for _ in range(len(attempt.versions)):
        response = answer(client, attempt, right(attempt, given))
        assert response.status_code == 302
        pages.append(page(client.get(response["Location"], follow=True)))
    assert [leaks(html) for html in pages] == [[]] * len(pages)

    client.post(f"/attempts/{attempt.pk}/summary/", {"action": "finish"})
    html = page(client.get(f"/attempts/{attempt.pk}/review/"))

    assert "<strong>Borders</strong> help, but they are not enough." in html
    assert "Right: ideology counts as well." in html
    assert "The treaty of 1977." in html
    assert "Interests alone" not in html and "Within two years" not in html


# Query budget ------------------------------------------------------------------------------------


def review_with_feedback(student, questions: int) -> Attempt:
    """A finished attempt at `questions` multiple-response questions, each with feedback on
    every choice and a weight, every choice picked."""
    authored = {
        "choices": [
            {"text": "A", "weight": 0.5, "feedback": "About *A*."},
            {"text": "B", "weight": 0.5, "feedback": "About *B*."},
            {"text": "C", "weight": -0.25, "feedback": "About *C*."},
        ],
        "answers": ["A", "B"],
    }
    body, key = stored_form("multiple_response", authored)
    made = [QuestionFactory(type="multiple_response") for _ in range(questions)]
    versions = [q.current_version for q in made]
    for version in versions:
        version.body, version.answer_key = body, key
        version.feedback = stored_feedback("multiple_response", authored)
        version.save()
    attempt = AttemptFactory(
        quiz=QuizFactory(),
        student=student,
        versions=[v.pk for v in versions],
        position=questions,
        finished_at=timezone.now(),
        score=0.75,
    )
    for position, version in enumerate(versions):
        AnswerFactory(
            attempt=attempt,
            version=version,
            position=position,
            response={"choices": [0, 1, 2]},
            score=0.75,
            correct=False,
        )
    return attempt


@pytest.mark.django_db
def test_the_review_with_feedback_runs_the_same_queries_at_every_size(
    client, student, assert_queries
):
    client.force_login(student)
    for questions in (2, 40):
        attempt = review_with_feedback(student, questions)
        client.get(f"/attempts/{attempt.pk}/review/")
        with assert_queries(6):
            # user; the attempt with its quiz; its versions; its answers; their regrades; the
            # citations of its questions (none: so none of their questions)
            html = page(client.get(f"/attempts/{attempt.pk}/review/"))
        assert html.count("About <em>C</em>.") == questions
        assert html.count("Partly right: 75%") == questions
