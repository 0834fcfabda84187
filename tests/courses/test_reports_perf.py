"""Teacher reports at size: the class page reads the memory states once, its retention is the
class aggregate's, and every teacher page runs the same number of queries at 3 and 60 students."""

import math
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
    classroom = services.classroom_create(name="Period 4", teacher=teacher)
    services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.STUDY,
        due_at=timezone.now() - timedelta(days=1),
    )
    return classroom


def study(students: list, cards: list, *, days_ago: int) -> None:
    reviewed_at = timezone.now() - timedelta(days=days_ago)
    for i, student in enumerate(students):
        for card in cards[: 1 + i % len(cards)]:
            review_record(student=student, card=card, rating=1 + i % 4, reviewed_at=reviewed_at)


@pytest.mark.django_db
def test_the_class_pages_retention_is_the_class_recall_aggregate(client, classroom, teacher):
    people = enroll(classroom, 7)
    cards = list(Card.objects.order_by("pk"))
    study(people, cards, days_ago=3)
    now = timezone.now()

    book = results.gradebook(classroom=classroom, now=now)
    separate = results.class_retention(classroom=classroom, now=now)

    assert [(r.lesson_id, r.title, r.studied) for r in book.retention] == [
        (r.lesson_id, r.title, r.studied) for r in separate
    ]
    assert sum(r.studied for r in book.retention) == sum(1 + i % len(cards) for i in range(7))
    for mine, theirs in zip(book.retention, separate, strict=True):
        assert mine.now == pytest.approx(theirs.now)
        assert mine.week == pytest.approx(theirs.week)
        assert mine.week < mine.now  # recall falls over the week
    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    first = book.retention[0]
    assert f"<td>{round(first.now * 100)}%</td><td>{round(first.week * 100)}%</td>" in html


@pytest.mark.django_db
def test_a_removed_students_memory_leaves_the_class_retention(classroom, teacher):
    stay, leave = enroll(classroom, 2)
    cards = list(Card.objects.order_by("pk"))
    study([stay], cards[:1], days_ago=1)
    study([leave], cards, days_ago=1)
    before = results.gradebook(classroom=classroom, now=timezone.now()).retention
    assert sum(r.studied for r in before) == 2  # study() gives the first student one card

    services.enrollment_remove(classroom=classroom, student_id=leave.pk)

    after = results.gradebook(classroom=classroom, now=timezone.now()).retention
    assert sum(r.studied for r in after) == 1


@pytest.mark.django_db
def test_gradebook_cells_and_class_rows_show_the_rounded_percentages(client, classroom, teacher):
    (ana,) = enroll(classroom, 1)
    card = Card.objects.order_by("pk").first()
    review_record(student=ana, card=card, rating=3, reviewed_at=timezone.now() - timedelta(days=2))
    book = results.gradebook(classroom=classroom, now=timezone.now())
    cell = book.rows[0].cells[0]
    assert cell.goal.studied == 1 and cell.overdue and cell.css == "overdue"

    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    recall = math.floor(cell.goal.recall * 100)  # rounded down: shown at the target, it meets it
    assert f"1 of {cell.goal.total} cards studied" in html
    assert f"recall {recall}% (target 85%)" in html
    assert '<td class="overdue">' in html and "overdue</strong>" in html
    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert f"<td>1 / {cell.goal.total}</td><td>—</td>" in html  # cards studied; no quiz
    assert f"<td>{round(book.rows[0].recall * 100)}%</td>" in html


@pytest.mark.django_db
def test_rows_built_in_python_escape_names_and_link_each_student(client, classroom, teacher):
    """The class page's and the gradebook's rows are HTML built by the view, not the template:
    names are escaped there, in text and in attributes, and each row links its own student."""
    ana, ben = enroll(classroom, 2)
    ana.first_name, ana.last_name, ana.username = '<b id="x">Ana', "O'Neil & co", 'ana"<i>'
    ana.save()
    client.force_login(teacher)

    for url in (f"/classes/{classroom.pk}/", f"/classes/{classroom.pk}/gradebook/"):
        html = client.get(url).content.decode()
        assert '<b id="x">' not in html and "<i>" not in html
        assert "&lt;b id=&quot;x&quot;&gt;Ana O&#x27;Neil &amp; co" in html
        for student in (ana, ben):
            assert f'<a href="/classes/{classroom.pk}/students/{student.pk}/">' in html
    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert 'aria-label="Remove ana&quot;&lt;i&gt; from the class"' in html
    assert f'<a href="/classes/{classroom.pk}/students/{ana.pk}/remove/"' in html


@pytest.mark.django_db
def test_the_gradebook_without_retention_has_the_same_cells(classroom):
    people = enroll(classroom, 4)
    study(people, list(Card.objects.order_by("pk")), days_ago=2)
    now = timezone.now()

    full = results.gradebook(classroom=classroom, now=now)
    lean = results.gradebook(classroom=classroom, now=now, retention=False)

    assert lean.retention == [] and full.retention
    assert [row.cells for row in lean.rows] == [row.cells for row in full.rows]
    assert lean.summaries == full.summaries
