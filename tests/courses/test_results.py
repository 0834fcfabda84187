"""Teacher results that read at a glance (issue 11, "Results"): study goals as their two parts,
answers with their questions, item analysis, the retention chart, an assignment's own page,
the CSV, weakest cards and plurals."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from courses import results, services
from courses.models import AssignmentKind, LessonSet
from quizzes.models import Card
from quizzes.services import review_record
from tests.courses.test_teaching import enroll
from tests.factories import TeacherFactory


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


@pytest.fixture
def classroom(mini, teacher):
    return services.classroom_create(name="Period 6", teacher=teacher)


def study_assignment(classroom, teacher, *, due_in_days: float = 3, target: float = 0.85):
    return services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.STUDY,
        due_at=timezone.now() + timedelta(days=due_in_days),
        target_recall=target,
    )


# Study goals: two numbers, met only when both are ----------------------------------------------


def test_a_study_goal_is_its_two_parts_and_met_only_when_both_are():
    # Two lessons: 3 of 4 cards studied at mean recall 0.9, 2 of 2 at 0.6.
    goal = results.study_goal(target=0.85, lessons=[(4, 3, 0.9), (2, 2, 0.6)])
    assert (goal.studied, goal.total, goal.target) == (5, 6, 0.85)
    assert goal.recall == pytest.approx((3 * 0.9 + 2 * 0.6) / 5)  # per studied card
    assert not goal.cards_met and not goal.recall_met and not goal.met

    every_card_low_recall = results.study_goal(target=0.85, lessons=[(2, 2, 0.5)])
    assert every_card_low_recall.cards_met and not every_card_low_recall.met
    one_perfect_review = results.study_goal(target=0.85, lessons=[(31, 1, 1.0)])
    assert one_perfect_review.recall_met and not one_perfect_review.met
    both = results.study_goal(target=0.85, lessons=[(2, 2, 0.85)])
    assert both.met


def test_a_study_goal_with_nothing_studied_has_no_recall_and_an_empty_one_is_never_met():
    nothing = results.study_goal(target=0.9, lessons=[(5, 0, None)])
    assert nothing.recall is None and nothing.recall_percent is None and not nothing.started
    assert not results.study_goal(target=0.9, lessons=[]).met  # no cards: nothing to meet


def test_recall_is_shown_rounded_down_so_a_recall_shown_at_the_target_meets_it():
    below = results.study_goal(target=0.85, lessons=[(1, 1, 0.8499)])
    assert below.recall_percent == 84 and below.target_percent == 85 and not below.recall_met
    at = results.study_goal(target=0.29, lessons=[(1, 1, 0.29)])
    assert at.recall_percent == 29 and at.recall_met


@pytest.mark.django_db
def test_the_gradebook_the_csv_and_the_overview_show_the_goals_two_parts(
    client, classroom, teacher
):
    """One perfect review of one card of five was "(1/5 + 1) / 2 = 60 %" before: now it is
    "1 of 5 cards studied" and a recall against the target, and not met."""
    (ana,) = enroll(classroom, 1)
    goal = study_assignment(classroom, teacher)
    review_record(student=ana, card=Card.objects.order_by("pk").first(), rating=4,
                  reviewed_at=timezone.now())  # fmt: skip

    (cell,) = results.gradebook(classroom=classroom, now=timezone.now()).rows[0].cells
    assert (cell.goal.studied, cell.goal.total) == (1, 5)
    assert cell.goal.recall_met and not cell.complete and cell.score is None

    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    recall = cell.goal.recall_percent
    assert (
        f'1 of 5 cards studied</span> <span class="goal-part">recall {recall}% (target 85%)' in html
    )
    assert "goal met" not in html and "60%" not in html

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode())
        )
    )
    heading = f"{goal.title} (due {timezone.localtime(goal.due_at).date().isoformat()})"
    assert rows[0][f"{heading}: cards studied (of 5)"] == "1"
    assert rows[0][f"{heading}: recall (%, target 85%)"] == str(recall)
    assert rows[0][f"{heading}: goal met"] == "no"

    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "<td>0 / 1</td>" in html  # met by none of one student
    assert "1 of 5 cards studied on average" in html and f"mean recall {recall}%" in html
    assert "(target 85%)" in html


@pytest.mark.django_db
def test_a_goal_is_met_in_every_view_once_every_card_is_studied_at_the_target(
    client, classroom, teacher
):
    (ana,) = enroll(classroom, 1)
    goal = study_assignment(classroom, teacher, target=0.5)
    for card in Card.objects.all():
        review_record(student=ana, card=card, rating=3, reviewed_at=timezone.now())

    (cell,) = results.gradebook(classroom=classroom, now=timezone.now()).rows[0].cells
    assert cell.complete and cell.goal.met

    client.force_login(teacher)
    assert "goal met" in client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode())
        )
    )
    assert rows[1][-1] == "yes"
    assert goal.title in client.get(f"/classes/{classroom.pk}/").content.decode()
