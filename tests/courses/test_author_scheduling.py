"""A course's scheduling page for authors (/author/courses/<key>/scheduling/, issue 13): who may
see it, "Fit now" (once at a time), putting a fit in force and back to the defaults, the
retention table with the preview of a typed value and saving it, and the loader's rule for the
course file's desired retention."""

import shutil

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from content.export import pseudonym
from content.loader import load_content
from courses.author_scheduling import HISTORY_LENGTH
from courses.fitting import (
    DEFAULT_PARAMETERS,
    SIMULATED_DECK_LIMIT,
    course_retention_set,
    fit_put_in_force,
)
from courses.models import Course, FitStatus, ParameterFit
from quizzes.models import Card, ReviewLog
from tests.conftest import MINI_COURSE
from tests.courses.test_fitting import simulated_course
from tests.factories import (
    AuthorFactory,
    CardFactory,
    CourseFactory,
    LessonFactory,
    LessonSetItemFactory,
    ParameterFitFactory,
    StudentFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    return AuthorFactory(username="aut")


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def small_course() -> Course:
    """A course of one lesson set with one lesson of 40 cards, 5 new a day."""
    course = CourseFactory(key="small", title="Small course", new_cards_per_day=5)
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    CardFactory.create_batch(40, lesson=lesson)
    return course


@pytest.fixture
def course(db):
    return small_course()


def _page(course: Course) -> str:
    return reverse("author_scheduling", args=[course.key])


def _winning_fit(course: Course, **fields) -> ParameterFit:
    """A finished fit that beat the defaults (as courses.fitting stores one)."""
    values = {
        "status": FitStatus.DONE,
        "parameters": [w * 1.01 for w in DEFAULT_PARAMETERS],
        "reviews": 1500,
        "train_reviews": 1000,
        "test_reviews": 300,
        "log_loss": 0.40,
        "rmse_bins": 0.05,
        "default_log_loss": 0.45,
        "default_rmse_bins": 0.08,
        **fields,
    }
    return ParameterFitFactory(course=course, **values)


# Who may see the page ---------------------------------------------------------------------------


def _urls(course: Course, fit: ParameterFit) -> list[tuple[str, str]]:
    return [
        ("get", _page(course)),
        ("post", reverse("author_scheduling_fit", args=[course.key])),
        ("post", reverse("author_scheduling_use", args=[course.key, fit.pk])),
        ("post", reverse("author_scheduling_defaults", args=[course.key])),
        ("post", reverse("author_scheduling_students_defaults", args=[course.key])),
        ("get", reverse("author_scheduling_retention", args=[course.key])),
        ("post", reverse("author_scheduling_retention", args=[course.key])),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, course):
    for method, url in _urls(course, _winning_fit(course)):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("factory", [StudentFactory, TeacherFactory])
def test_students_and_teachers_get_a_404_as_on_the_author_pages(client, course, factory):
    fit = _winning_fit(course)
    client.force_login(factory())
    for method, url in _urls(course, fit):
        assert getattr(client, method)(url).status_code == 404, url
    assert ParameterFit.objects.get().in_force is False
    assert ParameterFit.objects.count() == 1


def test_an_unknown_course_and_another_courses_fit_are_404(author_client, course):
    other = _winning_fit(CourseFactory())
    assert author_client.get("/author/courses/nothing-here/scheduling/").status_code == 404
    use = reverse("author_scheduling_use", args=[course.key, other.pk])
    assert author_client.post(use).status_code == 404
    unknown = f"/author/courses/{course.key}/scheduling/fits/{'9' * 18}/use/"
    assert author_client.post(unknown).status_code == 404
    other.refresh_from_db()
    assert not other.in_force


def test_every_post_needs_the_csrf_token(author, course):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    fit = _winning_fit(course)
    for method, url in _urls(course, fit):
        if method == "post":
            assert client.post(url, {"desired_retention": "0.85"}).status_code == 403, url
    assert ParameterFit.objects.count() == 1 and not ParameterFit.objects.get().in_force
    course.refresh_from_db()
    assert course.desired_retention == 0.9


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_the_defaults_the_log_size_the_threshold_and_the_workload(
    author_client, course, settings
):
    settings.FSRS_FIT_MIN_REVIEWS = 1234

    response = author_client.get(_page(course))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Vary" in response and "HX-Request" in response["Vary"]
    assert "FSRS's defaults" in html
    assert "The review log holds 0 reviews" in html
    assert "at least 1234" in html
    assert "No fit yet" in html
    for retention in ("0.80", "0.85", "0.90", "0.95"):
        assert f'<th scope="row">{retention}' in html
    assert "0.90 <strong>(now)</strong>" in html
    assert "Suggested: " in html
    assert 'id="fit-status"' in html and "hx-trigger" not in html.split('id="fit-status"')[1][:80]


def test_the_author_dashboard_links_to_the_page(author_client, course):
    html = author_client.get(reverse("author_dashboard")).content.decode()
    assert f'href="{_page(course)}"' in html


def test_fit_now_queues_a_fit_that_the_task_runs(
    author_client, author, settings, course, django_capture_on_commit_callbacks
):
    settings.FSRS_FIT_MIN_REVIEWS = 10**6
    assert not ParameterFit.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(reverse("author_scheduling_fit", args=[course.key]))

    assert response.status_code == 302 and response["Location"] == _page(course)
    fit = ParameterFit.objects.get()
    assert fit.requested_by == author
    # The tests' task backend runs it at once: too few reviews here.
    assert fit.status == FitStatus.FAILED and fit.note.startswith("Not enough reviews: 0")
    html = author_client.get(_page(course)).content.decode()
    assert "Fit queued" in html
    assert "Not enough reviews: 0 in the log" in html


def test_a_second_fit_now_while_one_is_queued_queues_nothing_and_says_so(author_client, course):
    queued = ParameterFit.objects.create(course=course, status=FitStatus.QUEUED)

    response = author_client.post(reverse("author_scheduling_fit", args=[course.key]), follow=True)

    assert ParameterFit.objects.get() == queued
    html = response.content.decode()
    assert "A fit is already queued or running: no other was queued." in html
    # The page polls while it runs, and without JavaScript refreshes itself.
    assert 'hx-trigger="every 2s"' in html
    assert '<meta http-equiv="refresh" content="2">' in html


def test_the_status_partial_polls_while_a_fit_runs_and_reloads_the_page_once_done(
    author_client, course
):
    running = ParameterFit.objects.create(course=course, status=FitStatus.RUNNING)

    response = author_client.get(_page(course), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html and 'id="fit-status"' in html
    assert "Fit: Fitting." in html and "HX-Refresh" not in response
    running.status = FitStatus.DONE
    running.save()

    response = author_client.get(_page(course), headers={"HX-Request": "true"})

    assert response["HX-Refresh"] == "true"
    assert "<progress" not in response.content.decode()


# In force and back ------------------------------------------------------------------------------


def test_use_these_and_back_to_defaults(author_client, course):
    older, newer = _winning_fit(course), _winning_fit(course, log_loss=0.41)
    fit_put_in_force(fit=newer)

    html = author_client.get(_page(course)).content.decode()
    assert "Fitted to this course's reviews" in html
    assert html.count(">Use these<") == 1

    author_client.post(reverse("author_scheduling_use", args=[course.key, older.pk]))

    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.in_force and not newer.in_force

    response = author_client.post(reverse("author_scheduling_defaults", args=[course.key]))

    assert response.status_code == 302
    assert not ParameterFit.objects.filter(in_force=True).exists()
    assert ParameterFit.objects.count() == 2


def test_a_failed_or_losing_fit_is_refused_with_a_message(author_client, course):
    failed = ParameterFit.objects.create(course=course, status=FitStatus.FAILED)
    losing = _winning_fit(course, log_loss=0.5)
    for fit in (failed, losing):
        response = author_client.post(
            reverse("author_scheduling_use", args=[course.key, fit.pk]), follow=True
        )
        assert "Only a finished fit whose log loss beat the defaults" in response.content.decode()
    assert not ParameterFit.objects.filter(in_force=True).exists()


def test_a_students_fit_goes_back_to_the_defaults_for_that_student_only(author_client, course):
    student, other = StudentFactory(), StudentFactory()
    own = _winning_fit(course, student=student)
    fit_put_in_force(fit=own)
    course_fit = _winning_fit(course)
    fit_put_in_force(fit=course_fit)
    elsewhere = fit_put_in_force(fit=_winning_fit(CourseFactory(key="other"), student=other))
    url = reverse("author_scheduling_defaults", args=[course.key])

    # Not an id, the course's own fit, another course's student fit: 404, nothing changes.
    for bad in ("abc", "-1", "1" * 40, "²", str(course_fit.pk), str(elsewhere.pk)):
        assert author_client.post(url, {"fit": bad}).status_code == 404, bad
    for fit in (own, course_fit, elsewhere):
        fit.refresh_from_db()
        assert fit.in_force

    response = author_client.post(url, {"fit": str(own.pk)}, follow=True)

    own.refresh_from_db()
    course_fit.refresh_from_db()
    assert not own.in_force and course_fit.in_force
    assert f"Student {pseudonym(course, student.pk)} is back on the course" in (
        response.content.decode()
    )


def test_the_author_page_names_students_by_pseudonym_never_by_account(author_client, course):
    """An author is not the students' teacher: the page shows a student's own fit (which says
    how many reviews they made) under the review-log CSV's pseudonym, and its form posts the
    fit's id, so neither the name nor the account's id reaches the author."""
    student = StudentFactory(username="zoe-private", first_name="Zoë", last_name="Quist")
    own = fit_put_in_force(fit=_winning_fit(course, student=student))
    _winning_fit(course, student=student)  # a later fit, not in force

    html = author_client.get(_page(course)).content.decode()

    assert html.count(pseudonym(course, student.pk)) >= 3  # two rows and the button
    for private in ("zoe-private", "Zoë", "Quist", f'value="{student.pk}"'):
        assert private not in html, private
    assert f'name="fit" value="{own.pk}"' in html
    assert pseudonym(course, student.pk) != pseudonym(CourseFactory(key="other"), student.pk)


# Retention --------------------------------------------------------------------------------------


def test_a_typed_retention_is_previewed_with_htmx(author_client, course):
    url = reverse("author_scheduling_retention", args=[course.key])

    response = author_client.get(url, {"desired_retention": "0.87"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "HX-Request" in response["Vary"]
    assert "retention-preview" not in html  # the contents of the page's live region
    assert "At 0.87: " in html and "minutes" in html
    course.refresh_from_db()
    assert course.desired_retention == 0.9


def test_without_javascript_preview_shows_the_cost_on_the_page_without_saving(
    author_client, course
):
    url = reverse("author_scheduling_retention", args=[course.key])

    response = author_client.post(url, {"desired_retention": "0.87", "preview": "1"})

    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert "At 0.87: " in html
    assert 'value="0.87"' in html
    course.refresh_from_db()
    assert course.desired_retention == 0.9


def test_save_writes_the_courses_desired_retention(author_client, course):
    url = reverse("author_scheduling_retention", args=[course.key])

    response = author_client.post(url, {"desired_retention": "0.85"})

    assert response.status_code == 302 and response["Location"] == _page(course)
    course.refresh_from_db()
    assert course.desired_retention == 0.85
    html = author_client.get(_page(course)).content.decode()
    assert "0.85 <strong>(now)</strong>" in html


@pytest.mark.parametrize("value", ["0.5", "1", "nan", "inf", "", "ninety", "0." + "9" * 400])
def test_a_retention_out_of_range_or_malformed_is_refused(author_client, course, value):
    url = reverse("author_scheduling_retention", args=[course.key])

    response = author_client.post(url, {"desired_retention": value})

    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.content.decode()
    partial = author_client.get(url, {"desired_retention": value}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and 'role="alert"' in partial.content.decode()
    course.refresh_from_db()
    assert course.desired_retention == 0.9


def test_the_page_with_a_fit_in_force_uses_its_parameters_and_suggestion(author_client, course):
    fit = _winning_fit(course, suggested_retention=0.85)
    fit_put_in_force(fit=fit)

    html = author_client.get(_page(course)).content.decode()

    assert "0.85 <strong>(suggested)</strong>" in html
    assert "Suggested: 0.85." in html
    assert "From the fit in force" in html


def test_page_queries_do_not_grow_with_the_fits(author_client, course, django_assert_num_queries):
    for _ in range(2):
        _winning_fit(course)
    author_client.get(_page(course))  # the workload is cached from here on
    # the user (the session is cached) and their roles; the course; the fit in force; the
    # running fit; the course's fits with who asked; the students' fits; the deck size; the
    # review count
    with django_assert_num_queries(9):
        author_client.get(_page(course))
    for _ in range(20):
        _winning_fit(course, student=StudentFactory())
    with django_assert_num_queries(9):
        author_client.get(_page(course))


# The course file's desired retention ------------------------------------------------------------


def test_a_course_file_that_does_not_state_the_retention_leaves_the_courses(tmp_path, mini):
    assert mini.file_desired_retention is None  # the mini course file does not state it
    course_retention_set(course=mini, desired_retention=0.83)

    load_content([MINI_COURSE])

    mini.refresh_from_db()
    assert mini.desired_retention == 0.83 and mini.file_desired_retention is None


def test_a_course_file_that_states_the_retention_sets_it_and_the_page_says_so(
    tmp_path, mini, author_client
):
    course_retention_set(course=mini, desired_retention=0.83)
    folder = tmp_path / "mini-course"
    shutil.copytree(MINI_COURSE, folder)
    course_file = folder / "course.yaml"
    course_file.write_text(
        course_file.read_text().replace(
            "  new_cards_per_day: 3", "  desired_retention: 0.8\n  new_cards_per_day: 3"
        )
    )

    load_content([folder])

    mini.refresh_from_db()
    assert mini.desired_retention == 0.8 and mini.file_desired_retention == 0.8
    html = author_client.get(_page(mini)).content.decode()
    assert "The course file sets 0.80: loading it again sets it back." in html


def test_a_new_course_without_the_retention_in_its_file_gets_the_default(mini):
    assert mini.desired_retention == 0.9


def test_a_simulated_log_is_counted_on_the_page(author_client):
    course = simulated_course(students=2, cards=10, days=20)

    html = author_client.get(_page(course)).content.decode()

    assert f"The review log holds {ReviewLog.objects.count()} reviews" in html


# The attack findings: an empty deck, unusable parameters, many students' fits, rounding -------


def _retention(course: Course) -> str:
    return reverse("author_scheduling_retention", args=[course.key])


@pytest.mark.parametrize("retired", [False, True])
def test_a_course_with_no_card_in_use_shows_why_there_is_no_simulation(author_client, retired):
    course = CourseFactory(key="empty")
    if retired:  # every card retired, as the loader retires those a course file leaves out
        lesson = LessonFactory()
        LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
        CardFactory.create_batch(3, lesson=lesson)
        Card.objects.update(retired_at=timezone.now())
    why = "Nothing to simulate: the course has no card in use"

    page = author_client.get(_page(course))

    assert page.status_code == 200
    html = page.content.decode()
    assert why in html and "No simulation." in html and "Suggested: " not in html
    partial = author_client.get(
        _retention(course), {"desired_retention": "0.85"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and why in partial.content.decode()
    preview = author_client.post(_retention(course), {"desired_retention": "0.85", "preview": "1"})
    assert preview.status_code == 200 and why in preview.content.decode()
    saved = author_client.post(_retention(course), {"desired_retention": "0.85"}, follow=True)
    assert saved.status_code == 200 and "Desired retention saved: 0.85." in saved.content.decode()
    course.refresh_from_db()
    assert course.desired_retention == 0.85


@pytest.mark.parametrize(
    "parameters",
    [["a"] * 21, [1e300] * 21, [None] * 21, [1.0] * 5, {"w": 1}, "nonsense"],
    ids=["strings", "huge", "nulls", "too-few", "object", "string"],
)
def test_a_fit_in_force_with_unusable_parameters_shows_and_simulates_the_defaults(
    author_client, course, parameters
):
    def simulated(html: str) -> tuple[str, str]:  # the workload table and the suggestion
        return (
            html.split('id="retention"')[1].split("</table>")[0],
            html.split('id="suggestion"')[1].split("</p>")[0],
        )

    defaults = simulated(author_client.get(_page(course)).content.decode())
    fit = _winning_fit(course, suggested_retention=0.75)
    # Edited in the admin after it was put in force.
    ParameterFit.objects.filter(pk=fit.pk).update(parameters=parameters, in_force=True)

    response = author_client.get(_page(course))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This fit's parameters are not usable: students are scheduled with the defaults" in html
    assert f"{DEFAULT_PARAMETERS[0]:.4f}, {DEFAULT_PARAMETERS[1]:.4f}" in html
    # The defaults' workload and suggestion from the table, not the fit's.
    assert simulated(html) == defaults
    assert "Suggested: 0.75." not in html
    partial = author_client.get(
        _retention(course), {"desired_retention": "0.85"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "At 0.85: " in partial.content.decode()


def test_every_students_fit_in_force_is_listed_and_all_go_back_at_once(author_client, course):
    course_fit = _winning_fit(course)
    fit_put_in_force(fit=course_fit)
    students = StudentFactory.create_batch(HISTORY_LENGTH + 5)
    for student in students:  # the oldest first: those in force are beyond the latest 50
        fit_put_in_force(fit=_winning_fit(course, student=student))
    for student in students[:HISTORY_LENGTH]:
        _winning_fit(course, student=student)  # later fits, not in force

    html = author_client.get(_page(course)).content.decode()

    assert html.count(">Back to defaults for ") == len(students)
    assert f"{len(students)} students have a fit of their own in force." in html
    assert f"For the course only: {len(students)} students have a fit of their own" in html
    assert ">All students back to the course's parameters<" in html

    response = author_client.post(
        reverse("author_scheduling_students_defaults", args=[course.key]), follow=True
    )

    html = response.content.decode()
    assert f"Every student is back on the course&#x27;s parameters ({len(students)} had" in html
    assert not ParameterFit.objects.filter(student__isnull=False, in_force=True).exists()
    course_fit.refresh_from_db()
    assert course_fit.in_force
    assert ">All students back to the course's parameters<" not in html
    assert "No student has a fit of their own in force." in html


def test_back_to_defaults_for_the_course_leaves_the_students_fits_in_force(author_client, course):
    fit_put_in_force(fit=_winning_fit(course))
    own = fit_put_in_force(fit=_winning_fit(course, student=StudentFactory()))

    author_client.post(reverse("author_scheduling_defaults", args=[course.key]))

    own.refresh_from_db()
    assert own.in_force
    assert not ParameterFit.objects.filter(student__isnull=True, in_force=True).exists()


def test_a_typed_retention_is_simulated_shown_and_saved_at_the_forms_step(author_client, course):
    partial = author_client.get(
        _retention(course), {"desired_retention": "0.855"}, headers={"HX-Request": "true"}
    )
    at_086 = author_client.get(
        _retention(course), {"desired_retention": "0.86"}, headers={"HX-Request": "true"}
    )

    assert "At 0.86: " in partial.content.decode()
    assert partial.content.decode() == at_086.content.decode()  # the same simulation

    response = author_client.post(_retention(course), {"desired_retention": "0.855"}, follow=True)

    assert "Desired retention saved: 0.86." in response.content.decode()
    course.refresh_from_db()
    assert course.desired_retention == 0.86


def test_a_deck_above_the_simulators_limit_is_capped_and_the_page_says_so(author_client):
    course = CourseFactory(key="large", new_cards_per_day=5)
    lesson = LessonFactory()
    LessonSetItemFactory(lesson_set__course=course, lesson=lesson)
    Card.objects.bulk_create(
        CardFactory.build(lesson=lesson) for _ in range(SIMULATED_DECK_LIMIT + 1)
    )

    html = author_client.get(_page(course)).content.decode()

    assert f"the course's {SIMULATED_DECK_LIMIT + 1} cards in use" in html
    assert f"The simulator takes {SIMULATED_DECK_LIMIT} of them" in html
