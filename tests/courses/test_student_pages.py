"""The student's own pages besides the dashboard: their classes, a class page with their own
results only, the lessons list, settings, and the lesson page's footnotes."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from content.markdown import footnotes_by_appearance, render_markdown
from courses import services as course_services
from courses.models import AssignmentKind, LessonSet, Profile
from courses.timezones import COMMON_ZONES, zone_names
from tests.factories import (
    CitationFactory,
    KeyTermFactory,
    LessonFactory,
    SectionFactory,
    StudentFactory,
    TeacherFactory,
)
from tests.quizzes.test_regrade import answer


def _squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.fixture
def two_in_a_class(mini):
    """A class with a quiz and two students; each has finished an attempt at it."""
    teacher = TeacherFactory(username="tea", first_name="Tam", last_name="Tran")
    classroom = course_services.classroom_create(name="Period 3", teacher=teacher)
    assignment = course_services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=timezone.now() + timedelta(days=3),
        quiz_settings=course_services.QuizSettings(
            question_count=None, shuffle_questions=False, shuffle_options=False
        ),
    )
    kim, lee = StudentFactory(username="kim"), StudentFactory(username="lee")
    for student in (kim, lee):
        course_services.enrollment_add(classroom=classroom, student=student)
    kim_answer = answer(assignment.quiz, kim, "mini-short", {"text": "ideology"})
    lee_answer = answer(assignment.quiz, lee, "mini-short", {"text": "money"})
    return classroom, kim, kim_answer.attempt, lee_answer.attempt


@pytest.mark.django_db
def test_a_class_page_shows_its_teacher_assignments_and_only_the_students_own_results(
    client, two_in_a_class
):
    classroom, kim, kims, lees = two_in_a_class
    client.force_login(kim)

    html = _squeeze(client.get(f"/my-classes/{classroom.pk}/").content.decode())

    assert "<h1>Period 3</h1>" in html
    assert "Teacher: Tam Tran" in html
    assert f"Best score {round(kims.score * 100)}%" in html
    assert "1 attempt used, no limit" in html
    assert f'href="/attempts/{kims.pk}/review/"' in html
    assert f"/attempts/{lees.pk}/" not in html
    assert "lee" not in html.replace("Lessons:", "")  # no classmate's name anywhere


@pytest.mark.django_db
def test_a_class_page_is_404_for_a_removed_student_and_the_classes_page_lists_the_class(
    client, two_in_a_class
):
    classroom, kim, _kims, _lees = two_in_a_class
    client.force_login(kim)
    listed = client.get("/classes/").content.decode()
    assert f'<a href="/my-classes/{classroom.pk}/">Period 3</a>' in listed

    course_services.enrollment_remove(classroom=classroom, student_id=kim.pk)

    assert client.get(f"/my-classes/{classroom.pk}/").status_code == 404
    assert "Period 3" not in client.get("/classes/").content.decode()


@pytest.mark.django_db
def test_the_lessons_page_lists_the_courses_lessons_and_marks_the_assigned_ones(client, student):
    other = LessonFactory(key="unassigned", title="Not assigned")
    course_set = LessonSet.objects.get(key="mini-set")
    course_set.items.create(lesson=other, position=99)
    LessonFactory(key="retired", title="Retired lesson", retired_at=timezone.now())
    client.force_login(student)

    html = _squeeze(client.get("/lessons/").content.decode())

    assert '<a href="/lessons/mini-lesson/">A mini lesson</a> <span class="tag">' in html
    assert '<a href="/lessons/unassigned/">Not assigned</a></li>' in html
    assert "Retired lesson" not in html
    assert html.index("A mini lesson") < html.index("Not assigned")


@pytest.mark.django_db
def test_the_navigation_marks_the_current_page(client, student):
    client.force_login(student)
    for path, name in [("/", "Learnhall"), ("/study/", "Study"), ("/lessons/", "Lessons")]:
        html = client.get(path).content.decode()
        current = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]*)</a>', html)
        assert current == [name], path
    html = client.get("/classes/").content.decode()
    assert html.count('aria-current="page"') == 1


# Settings ---------------------------------------------------------------------------------------


def test_the_time_zones_offered_are_places_common_ones_first():
    names = zone_names()
    assert "Factory" not in names and "localtime" not in names
    assert "Asia/Ho_Chi_Minh" in names and "UTC" in names
    assert all(name in names for name in COMMON_ZONES)


@pytest.mark.django_db
def test_settings_refuse_factory_and_localtime_and_save_a_place(client, student):
    client.force_login(student)
    page = client.get("/settings/").content.decode()
    assert "data-browser-zone" in page  # never set: the browser's zone is preselected
    first_group = page.index("<optgroup")
    assert page.index('label="Common time zones"') == first_group + len("<optgroup ")
    assert 'value="Factory"' not in page and 'value="localtime"' not in page
    assert 'href="/accounts/password_change/"' in page

    for name in ("Factory", "localtime", "Not/AZone"):
        response = client.post("/settings/", {"time_zone": name, "day_starts_at": 4})
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.content.decode()
    assert not Profile.objects.filter(user=student).exists()

    response = client.post(
        "/settings/", {"time_zone": "Asia/Ho_Chi_Minh", "day_starts_at": 4}, follow=True
    )
    assert Profile.objects.get(user=student).time_zone == "Asia/Ho_Chi_Minh"
    html = response.content.decode()
    assert '<p class="message success" role="status">' in html
    assert "data-browser-zone" not in html  # chosen now: no preselection


@pytest.mark.django_db
def test_a_field_error_is_in_its_fields_description(client, student):
    client.force_login(student)

    html = client.post("/settings/", {"time_zone": "Factory", "day_starts_at": 4}).content.decode()

    described = re.search(r'<select name="time_zone"[^>]*aria-describedby="([^"]*)"', html)
    ids = described.group(1).split()
    assert "id_time_zone_error" in ids
    assert re.search(r'<ul class="errorlist" id="id_time_zone_error"><li>Select a valid', html)


@pytest.mark.django_db
def test_an_error_message_is_an_alert(client, student):
    client.force_login(student)

    response = client.post("/study/", {"action": "suspend", "card": 987654321}, follow=True)

    assert '<p class="message error" role="alert">' in response.content.decode()


# The lesson page's footnotes --------------------------------------------------------------------


@pytest.mark.django_db
def test_footnotes_are_numbered_in_the_order_the_reader_meets_them(client, student):
    lesson = LessonFactory(key="cited")
    CitationFactory(lesson=lesson, ref="a", position=1, quote="quote A")
    CitationFactory(lesson=lesson, ref="b", position=2, quote="quote B")
    CitationFactory(lesson=lesson, ref="c", position=3, quote="quote C")  # cited nowhere
    SectionFactory(lesson=lesson, position=1, body="First [^b].")
    SectionFactory(lesson=lesson, position=2, body="Then [^a] and [^b] again.")
    KeyTermFactory(lesson=lesson, position=1, definition="Also [^a].")
    client.force_login(student)

    html = _squeeze(client.get("/lessons/cited/").content.decode())

    refs = re.findall(r'<sup class="footnote-ref" id="([^"]+)"><a href="#fn-(\d)"', html)
    assert refs == [("fnref-1", "1"), ("fnref-2", "2"), ("fnref-1-2", "1"), ("fnref-2-2", "2")]
    notes = re.findall(r'<li id="fn-(\d)"> <blockquote>([^<]+)</blockquote>', html)
    assert notes == [("1", "quote B"), ("2", "quote A"), ("3", "quote C")]
    back = re.findall(r'<a class="back" href="#([^"]+)"', html)
    assert back == ["fnref-1", "fnref-1-2", "fnref-2", "fnref-2-2"]
    # "Study flashcards" and "Take quiz" at the top and again at the end.
    assert html.count(">Study flashcards</a>") == 2 and html.count(">Take quiz</a>") == 2


def test_renumbering_leaves_authored_text_that_looks_like_a_footnote_alone():
    typed = render_markdown('<sup class="footnote-ref"><a href="#fn-9">9</a></sup>')
    assert "&lt;sup" in typed

    htmls, notes = footnotes_by_appearance([typed], [1])

    assert htmls == [typed]
    assert notes == [(1, 1, [])]
