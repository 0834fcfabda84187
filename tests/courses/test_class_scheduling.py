"""A class's scheduling page for its teachers (/classes/<id>/scheduling/, issue 13): for each
course the class studies, the parameters in force with the evidence for them, how many of the
class's students have a fit of their own in force, the workload of each desired retention and
the cost of a typed one. Read only: the course's authors fit and set (test_author_scheduling)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.fitting import fit_put_in_force
from courses.models import ParameterFit
from tests.courses.test_author_scheduling import _winning_fit, small_course
from tests.factories import (
    AssignmentFactory,
    CardFactory,
    ClassroomFactory,
    CourseFactory,
    EnrollmentFactory,
    LessonFactory,
    LessonSetItemFactory,
    StudentFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    return small_course()


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


@pytest.fixture
def classroom(course, teacher):
    classroom = ClassroomFactory(teachers=[teacher])
    AssignmentFactory(classroom=classroom, lesson_set=course.lesson_sets.get())
    return classroom


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


def _page(classroom) -> str:
    return reverse("class_scheduling", args=[classroom.pk])


def test_the_page_shows_the_fit_in_force_its_evidence_and_the_workload(
    teacher_client, classroom, course
):
    fit = _winning_fit(course, suggested_retention=0.85)
    fit_put_in_force(fit=fit)

    response = teacher_client.get(_page(classroom))

    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert "Small course" in html
    assert "on a log of 1500 reviews" in html
    assert "On the 300 later reviews it did not see, its log loss was 0.4000" in html
    assert "the defaults' 0.4500" in html
    for retention in ("0.80", "0.85", "0.90", "0.95"):
        assert f'<th scope="row">{retention}' in html
    assert "0.90 <strong>(now)</strong>" in html and "Suggested: 0.85." in html
    assert "set by the course's authors" in html
    assert f'id="fit-{fit.pk}"' in html


def test_the_page_changes_nothing_and_offers_no_form_that_would(teacher_client, classroom, course):
    fit = _winning_fit(course, requested_by=TeacherFactory(username="someone-who-fitted"))

    page = teacher_client.get(_page(classroom)).content.decode()

    html = page.split('<main id="main"')[1].split("</main>")[0]
    assert 'method="post"' not in html
    assert "Use these" not in html and "Back to defaults" not in html
    assert "someone-who-fitted" not in html  # who asked for a fit is the authors' business
    assert f'id="fit-{fit.pk}"' in html
    assert 'name="desired_retention"' in html and 'method="get"' in html


def test_only_this_classs_current_students_with_a_fit_in_force_are_counted(
    teacher_client, classroom, course
):
    fit = {"status": "done", "parameters": [0.5] * 21, "log_loss": 0.4, "default_log_loss": 0.5}
    counted = EnrollmentFactory(classroom=classroom).student
    ParameterFit.objects.create(course=course, student=counted, in_force=True, **fit)
    removed = EnrollmentFactory(classroom=classroom, removed_at=timezone.now()).student
    ParameterFit.objects.create(course=course, student=removed, in_force=True, **fit)
    not_in_force = EnrollmentFactory(classroom=classroom).student
    ParameterFit.objects.create(course=course, student=not_in_force, **fit)
    elsewhere = StudentFactory()  # another class's student
    ParameterFit.objects.create(course=course, student=elsewhere, in_force=True, **fit)

    html = teacher_client.get(_page(classroom)).content.decode()

    assert "1 student of this class has a fit of their own in force" in html
    for student in (counted, removed, not_in_force, elsewhere):
        assert student.username not in html


def test_a_typed_retention_is_previewed_with_htmx_and_nothing_is_saved(
    teacher_client, classroom, course
):
    query = {"course": course.key, "desired_retention": "0.87"}

    response = teacher_client.get(_page(classroom), query, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "retention-preview" not in html  # the contents of the page's live region
    assert "At 0.87: " in html and "minutes" in html
    course.refresh_from_db()
    assert course.desired_retention == 0.9


def test_without_javascript_the_preview_is_on_the_page(teacher_client, classroom, course):
    query = {"course": course.key, "desired_retention": "0.87"}

    response = teacher_client.get(_page(classroom), query)

    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "At 0.87: " in html and 'value="0.87"' in html
    course.refresh_from_db()
    assert course.desired_retention == 0.9


@pytest.mark.parametrize("value", ["0.5", "1", "nan", "inf", "", "ninety", "0." + "9" * 400])
def test_a_retention_out_of_range_or_malformed_is_a_form_error(
    teacher_client, classroom, course, value
):
    query = {"course": course.key, "desired_retention": value}

    page = teacher_client.get(_page(classroom), query)
    partial = teacher_client.get(_page(classroom), query, headers={"HX-Request": "true"})

    assert page.status_code == 200 and 'aria-invalid="true"' in page.content.decode()
    assert partial.status_code == 200 and 'role="alert"' in partial.content.decode()
    course.refresh_from_db()
    assert course.desired_retention == 0.9


def test_a_course_the_class_does_not_study_is_not_shown_nor_previewed(
    teacher_client, classroom, course
):
    other = CourseFactory(key="other", title="Someone else's course")
    _winning_fit(other)
    query = {"course": other.key, "desired_retention": "0.87"}

    html = teacher_client.get(_page(classroom), query).content.decode()
    partial = teacher_client.get(_page(classroom), query, headers={"HX-Request": "true"})

    assert "Someone else's course" not in html and "At 0.87" not in html
    assert "Small course" in html
    assert partial.status_code == 404  # not the whole page into the preview's place
    assert "At 0.87" not in partial.content.decode()


def test_two_courses_whose_keys_overlap_get_ids_of_their_own(teacher_client, classroom):
    # "b" and "preview-b": ids built from keys would collide ("retention-" + "preview-b").
    for key, title in (("b", "Z course"), ("preview-b", "A course")):
        other = CourseFactory(key=key, title=title)
        lesson = LessonFactory()
        LessonSetItemFactory(lesson_set__course=other, lesson=lesson)
        CardFactory.create_batch(3, lesson=lesson)
        AssignmentFactory(classroom=classroom, lesson_set=other.lesson_sets.get())

    html = teacher_client.get(_page(classroom)).content.decode()

    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    targets = re.findall(r'hx-target="#([^"]+)"', html)
    assert len(targets) == 3 and all(ids.count(t) == 1 for t in targets)
    for title in ("A course", "Z course", "Small course"):
        assert f'<span class="visually-hidden"> ({title})</span></label>' in html


def test_a_class_with_nothing_assigned_says_so(teacher_client, teacher):
    classroom = ClassroomFactory(teachers=[teacher])

    html = teacher_client.get(_page(classroom)).content.decode()

    assert "no lesson is assigned to the class" in html


def test_the_class_nav_links_to_the_page(teacher_client, classroom):
    html = teacher_client.get(reverse("gradebook", args=[classroom.pk])).content.decode()

    assert f'href="{_page(classroom)}"' in html


def test_page_queries_do_not_grow_with_fits_students_or_assignments(
    teacher_client, classroom, course, django_assert_num_queries
):
    _winning_fit(course)
    teacher_client.get(_page(classroom))  # the workload is cached from here on
    # the user (the session is cached) and their roles; the class; its lessons' courses; the
    # students' fits in force; per course: the fit in force, its fits, its deck size
    with django_assert_num_queries(9):
        teacher_client.get(_page(classroom))
    fit = {"status": "done", "parameters": [0.5] * 21, "log_loss": 0.4, "default_log_loss": 0.5}
    for _ in range(20):
        _winning_fit(course)
        student = EnrollmentFactory(classroom=classroom).student
        ParameterFit.objects.create(course=course, student=student, in_force=True, **fit)
        AssignmentFactory(classroom=classroom, lesson_set=course.lesson_sets.get())
    with django_assert_num_queries(9):
        teacher_client.get(_page(classroom))
