"""The attempt's navigator and flags, Moodle's summary page with its confirmation, errors shown
with and without htmx, the countdown's data, the review's grid and marks, and Yes/No labels."""

import re
import shutil
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from content.loader import ContentError, load_content
from content.models import Citation
from courses.models import Profile
from quizzes.models import Answer, Attempt, Question, QuestionVersion
from quizzes.services import QuizError, attempt_flag
from tests.conftest import MINI_COURSE
from tests.quizzes.test_quiz_views import (
    RIGHT,
    answer,
    next_question,
    right,
    start,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def quiz(mini):
    from quizzes.models import Quiz

    return Quiz.objects.get(key="lesson-mini-lesson")


def to_position(client, attempt, position: int) -> None:
    """Answer (rightly) and move on until the attempt's current question is `position`."""
    while True:
        attempt.refresh_from_db()
        if attempt.position == position:
            return
        answer(client, attempt, right(attempt))
        next_question(client, attempt)


def html(response) -> str:
    return response.content.decode()


# Errors with and without htmx ------------------------------------------------------------------

ORDERING, CLOZE = 6, 7  # the mini quiz is not shuffled


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_ordering_with_a_place_used_twice_comes_back_with_its_message(
    client, student, quiz, headers
):
    client.force_login(student)
    attempt = start(client, quiz)
    to_position(client, attempt, ORDERING)

    response = answer(
        client, attempt, {"item_0": "1", "item_1": "1", "item_2": "2"}, headers=headers
    )

    assert response.status_code == 422
    page = html(response)
    assert ("<html" in page) == (not headers)
    summary = re.search(r'<div id="answer-errors"[^>]*>(.*?)</div>', page, re.S)
    assert summary, page
    assert 'role="alert"' in summary.group(0) and "data-focus" in summary.group(0)
    assert "Give each item a different place." in summary.group(1)
    assert 'aria-describedby="answer-errors"' in page
    # The student's choices are kept, and nothing was recorded.
    assert re.search(r'name="item_0"[^>]*>.*?<option value="1" selected>', page, re.S)
    assert not Answer.objects.filter(attempt=attempt, position=ORDERING).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_empty_cloze_comes_back_with_its_message(client, student, quiz, headers):
    client.force_login(student)
    attempt = start(client, quiz)
    to_position(client, attempt, CLOZE)

    response = answer(client, attempt, {"blank_0": " ", "blank_1": ""}, headers=headers)

    assert response.status_code == 422
    assert "Fill in at least one blank." in html(response)
    assert not Answer.objects.filter(attempt=attempt, position=CLOZE).exists()


# Focus on the first input ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_input_of_every_question_type_carries_the_focus_mark(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    for _ in range(8):
        page = html(client.get(f"/attempts/{attempt.pk}/"))
        form = page[page.index('class="answer-form"') :]
        first_control = re.search(r"<(input|select)\b(?![^>]*type=\"hidden\")[^>]*>", form)
        assert "data-focus" in first_control.group(0), first_control.group(0)
        assert not re.search(r"<button[^>]*data-focus[^>]*>Check answer", page)
        answer(client, attempt, right(attempt))
        next_question(client, attempt)


# The navigator and flags -----------------------------------------------------------------------


def boxes(page: str) -> list[str]:
    return re.findall(r'<span class="qbox([^"]*)"', page)


@pytest.mark.django_db
def test_the_navigator_shows_answered_current_and_flagged_but_not_correctness(
    client, student, quiz
):
    quiz.feedback = "end"
    quiz.save()
    client.force_login(student)
    attempt = start(client, quiz)
    answer(client, attempt, {"choice": "0"})  # whatever it is, the page must not say
    client.post(f"/attempts/{attempt.pk}/", {"action": "flag", "position": "1", "flagged": "1"})

    page = html(client.get(f"/attempts/{attempt.pk}/"))

    assert boxes(page) == [" answered", " flagged current"] + [""] * 6
    assert ": answered" in page and ", flagged" in page
    assert "correct" not in page.lower().replace("incorrect", "")  # neither word
    assert f'href="/attempts/{attempt.pk}/summary/">Finish attempt…' in page
    # Sequential attempts: the boxes are not links.
    assert not re.search(r'<a[^>]*class="qbox', page)


@pytest.mark.django_db
def test_a_flag_is_set_and_cleared_by_state_so_a_resent_post_changes_nothing(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    url = f"/attempts/{attempt.pk}/"
    seq = attempt.seq

    for _ in range(2):
        response = client.post(url, {"action": "flag", "position": "0", "flagged": "1"})
        assert response.status_code == 302
        attempt.refresh_from_db()
        assert attempt.flagged == [0]
    assert attempt.seq == seq  # a flag never makes the answer form stale
    assert "Remove the flag from question 1" in html(client.get(url))

    client.post(url, {"action": "flag", "position": "0", "flagged": "0"})
    attempt.refresh_from_db()
    assert attempt.flagged == []
    assert "Flag question 1 for later" in html(client.get(url))


@pytest.mark.django_db
def test_htmx_flag_swaps_only_the_navigator_with_focus_back_on_the_button(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)

    response = client.post(
        f"/attempts/{attempt.pk}/",
        {"action": "flag", "position": "0", "flagged": "1"},
        headers=HTMX,
    )

    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="question-nav"')
    assert "answer-form" not in page  # what the student typed in the form stays as it is
    assert re.search(r'<button type="submit" class="flag" data-focus>Remove the flag', page)


@pytest.mark.django_db
def test_flags_that_cannot_be_set_say_why_and_never_fail(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    url = f"/attempts/{attempt.pk}/"
    for data in [{"action": "flag"}, {"action": "flag", "position": "8", "flagged": "1"},
                 {"action": "flag", "position": "-1", "flagged": "1"},
                 {"action": "flag", "position": "x" * 40, "flagged": "1"}]:  # fmt: skip
        assert client.post(url, data).status_code == 302
        swapped = client.post(url, data, headers=HTMX)
        assert swapped.status_code == 200
        assert html(swapped).lstrip().startswith('<div id="question-nav"')  # the flag's target
    attempt.refresh_from_db()
    assert attempt.flagged == []

    client.post(url, {"action": "finish"})
    with pytest.raises(QuizError):
        attempt_flag(attempt=attempt, position=0, flagged=True)


@pytest.mark.django_db
def test_another_students_attempt_cannot_be_flagged_or_summarised(client, student, quiz):
    from tests.factories import StudentFactory

    client.force_login(student)
    attempt = start(client, quiz)
    client.force_login(StudentFactory())
    flag = {"action": "flag", "position": "0", "flagged": "1"}
    assert client.post(f"/attempts/{attempt.pk}/", flag).status_code == 404
    assert client.get(f"/attempts/{attempt.pk}/summary/").status_code == 404
    assert client.post(f"/attempts/{attempt.pk}/summary/", {"action": "finish"}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.flagged == [] and attempt.finished_at is None


# The summary page ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_summary_lists_each_question_and_submits_only_after_the_confirmation(
    client, student, quiz
):
    client.force_login(student)
    attempt = start(client, quiz)
    to_position(client, attempt, 2)
    client.post(f"/attempts/{attempt.pk}/", {"action": "flag", "position": "2", "flagged": "1"})
    url = f"/attempts/{attempt.pk}/summary/"

    page = html(client.get(url))
    statuses = re.findall(
        r'<th scope="row">(\d+)</th>\s*<td>([^<]*)(<span class="flag-mark">)?', page
    )
    assert [(n, s.strip(), bool(f)) for n, s, f in statuses] == [
        ("1", "Answered", False),
        ("2", "Answered", False),
        ("3", "Not yet answered", True),
    ] + [(str(n), "Not yet answered", False) for n in range(4, 9)]
    assert f'href="/attempts/{attempt.pk}/">Return to attempt' in page
    assert 'href="?confirm=1">Submit all and finish…' in page
    assert "Right answer" not in page and "Incorrect" not in page
    assert 'method="post"' not in page.split("<main", 1)[1]  # no one-tap submit

    confirm = html(client.get(url + "?confirm=1"))
    assert "Submit all your answers and finish?" in confirm
    assert "6 questions are not answered and will score nothing." in confirm
    assert f'action="{url}"' in confirm
    attempt.refresh_from_db()
    assert attempt.finished_at is None  # looking at it changes nothing

    response = client.post(url, {"action": "finish"})
    assert response["Location"] == f"/attempts/{attempt.pk}/review/"
    attempt.refresh_from_db()
    assert attempt.finished_at is not None and attempt.score == pytest.approx(2 / 8)
    assert client.get(url)["Location"] == f"/attempts/{attempt.pk}/review/"


@pytest.mark.django_db
def test_a_post_to_the_summary_without_finish_changes_nothing(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    for data in [{}, {"action": "bogus"}, {"action": "Finish"}]:
        response = client.post(f"/attempts/{attempt.pk}/summary/", data)
        assert response["Location"] == f"/attempts/{attempt.pk}/summary/"
    attempt.refresh_from_db()
    assert attempt.finished_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_answering_the_last_question_leads_to_the_summary_not_the_results(
    client, student, quiz, headers
):
    quiz.feedback = "end"
    quiz.save()
    client.force_login(student)
    attempt = start(client, quiz)
    for _ in range(7):
        answer(client, attempt, right(attempt))

    response = answer(client, attempt, right(attempt), headers=headers)

    summary = f"/attempts/{attempt.pk}/summary/"
    if headers:
        assert (response.status_code, response["HX-Redirect"]) == (204, summary)
    else:
        assert client.get(response["Location"])["Location"] == summary
    attempt.refresh_from_db()
    assert attempt.finished_at is None
    page = html(client.get(summary))
    assert page.count(">Answered") == 8
    assert "Return to attempt" not in page  # there is nothing left to answer


@pytest.mark.django_db
def test_the_last_question_with_feedback_offers_the_summary(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    to_position(client, attempt, 7)
    answer(client, attempt, right(attempt))
    page = html(client.get(f"/attempts/{attempt.pk}/"))
    assert f'href="/attempts/{attempt.pk}/summary/">Finish attempt…' in page
    assert 'value="finish"' not in page


@pytest.mark.django_db
def test_a_summary_past_the_time_limit_submits_the_attempt(client, student, quiz):
    quiz.time_limit_minutes = 5
    quiz.save()
    client.force_login(student)
    attempt = start(client, quiz)
    Attempt.objects.filter(pk=attempt.pk).update(started_at=timezone.now() - timedelta(minutes=6))
    response = client.get(f"/attempts/{attempt.pk}/summary/")
    assert response["Location"] == f"/attempts/{attempt.pk}/review/"
    attempt.refresh_from_db()
    assert attempt.finished_at is not None


# The countdown ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_timed_attempt_states_its_end_in_the_students_zone_and_the_time_left(
    client, student, quiz
):
    quiz.time_limit_minutes = 30
    quiz.save()
    Profile.objects.update_or_create(user=student, defaults={"time_zone": "Asia/Ho_Chi_Minh"})
    client.force_login(student)  # the zone is read at login
    attempt = start(client, quiz)
    end = attempt.started_at + timedelta(minutes=30)
    local = end.astimezone(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))

    for url in (f"/attempts/{attempt.pk}/", f"/attempts/{attempt.pk}/summary/"):
        page = html(client.get(url))
        assert f'Time limit ends at <time datetime="{local.isoformat()}">' in page
        assert local.strftime("%H:%M") in page
        left = int(re.search(r'data-remaining-ms="(\d+)"', page).group(1))
        assert 29 * 60 * 1000 < left <= 30 * 60 * 1000
        assert re.search(r'<span class="countdown" hidden role="timer"', page)


@pytest.mark.django_db
def test_an_untimed_attempt_has_no_countdown(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    assert "data-countdown" not in html(client.get(f"/attempts/{attempt.pk}/"))


# The review ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_review_has_a_grid_linking_to_each_question_and_each_mark(client, student, quiz):
    client.force_login(student)
    attempt = start(client, quiz)
    answer(client, attempt, right(attempt))  # 1: right
    next_question(client, attempt)
    answer(client, attempt, {"choices": [str(i) for i in range(3)]})  # 2: partly right
    next_question(client, attempt)
    client.post(f"/attempts/{attempt.pk}/", {"action": "finish"})

    page = html(client.get(f"/attempts/{attempt.pk}/review/"))

    grid = re.findall(r'<a class="qbox ([a-z]*)" href="#question-(\d+)">', page)
    assert grid[:3] == [("correct", "1"), ("partly", "2"), ("", "3")]
    assert len(grid) == 8
    for n in range(1, 9):
        assert f'<h2 id="question-{n}">' in page
    partly = Answer.objects.get(attempt=attempt, position=1).score
    assert 0 < partly < 1
    marks = re.findall(r'<p class="mark">Mark ([\d.]+) out of 1.00</p>', page)
    assert marks == ["1.00", f"{partly:.2f}"] + ["0.00"] * 6


@pytest.mark.django_db
def test_a_citation_shared_by_two_questions_is_listed_once_for_each(client, student, quiz):
    single = Question.objects.get(key="mini-single")
    numeric = Question.objects.get(key="mini-numeric")
    shared = Citation.objects.get(ref="both")
    numeric.citations.add(shared)  # now cited by questions 1, 2, 3, 4 and 5
    client.force_login(student)
    attempt = start(client, quiz)
    client.post(f"/attempts/{attempt.pk}/", {"action": "finish"})

    page = html(client.get(f"/attempts/{attempt.pk}/review/"))

    items = page.split('<li class="card')[1:]
    assert len(items) == 8
    assert items[0].count(shared.quote) == 1, single
    assert items[4].count(shared.quote) == 1  # numeric: its own citation and the shared one
    assert items[4].count("<blockquote>") == 2


# Yes/No labels ---------------------------------------------------------------------------------


def with_yes_no(tmp_path, labels: str = "yes_no"):
    course = tmp_path / "mini-course"
    shutil.copytree(MINI_COURSE, course)
    lesson = course / "lessons" / "01-mini.yaml"
    text = lesson.read_text()
    old = "    prompt: Shared interests alone are enough.\n"
    assert old in text
    lesson.write_text(
        text.replace(old, f"    prompt: Are shared interests alone enough?\n    labels: {labels}\n")
    )
    return course


@pytest.mark.django_db
def test_a_true_false_question_may_ask_yes_or_no(client, student, quiz, tmp_path):
    load_content([with_yes_no(tmp_path)])
    version = Question.objects.get(key="mini-tf").current_version
    assert (version.number, version.body) == (2, {"labels": "yes_no"})
    client.force_login(student)
    attempt = start(client, quiz)
    to_position(client, attempt, 2)

    page = html(client.get(f"/attempts/{attempt.pk}/"))
    assert "<legend>Yes or no?</legend>" in page
    assert ">Yes</label>" in page and ">No</label>" in page
    assert "True" not in page.split('id="question-panel"')[1]

    answer(client, attempt, {"value": "true"})
    page = html(client.get(f"/attempts/{attempt.pk}/"))
    assert "Your answer: Yes" in page and "Right answer: <strong>No</strong>" in page


@pytest.mark.django_db
def test_true_false_labels_are_checked_and_the_default_changes_no_version(mini, tmp_path):
    with pytest.raises(ContentError, match="labels"):
        load_content([with_yes_no(tmp_path, labels="oui_non")])
    assert QuestionVersion.objects.filter(question__key="mini-tf").count() == 1
    assert Question.objects.get(key="mini-tf").current_version.body == {}
    assert RIGHT["true_false"] == {"value": "false"}
