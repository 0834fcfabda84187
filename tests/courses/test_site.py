"""Accounts, roles, the dashboard, the lesson reader, the health check and the demo data."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from content.loader import load_content
from courses.models import Assignment, Classroom
from tests.factories import (
    PASSWORD,
    AssignmentFactory,
    AssignmentLessonFactory,
    AuthorFactory,
    ClassroomFactory,
    EnrollmentFactory,
    LessonFactory,
    SectionFactory,
    StudentFactory,
    TeacherFactory,
    UserFactory,
)

ROOT = Path(__file__).resolve().parent.parent.parent


# Roles ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_three_roles_exist_with_only_what_they_need():
    perms = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.all()
    }
    assert set(perms) == {"Student", "Teacher", "Author"}
    assert "view_lesson" in perms["Student"]
    assert not any(p.startswith(("change_", "delete_")) for p in perms["Student"])
    assert "view_question" not in perms["Student"]  # answer keys live in question versions
    assert {"add_classroom", "add_assignment"} <= perms["Teacher"]
    assert not perms["Teacher"] & {"change_lesson", "change_question"}
    assert {"change_lesson", "change_question", "change_card"} <= perms["Author"]
    assert not perms["Author"] & {"delete_question", "delete_card", "delete_lesson"}
    assert not any("user" in p or "group" in p for group in perms.values() for p in group)


# Logging in and out -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_has_labelled_fields_and_a_log_in_button(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert '<button type="submit" class="primary">Log in</button>' in html


@pytest.mark.django_db
def test_a_student_logs_in_and_lands_on_the_dashboard(client):
    student = StudentFactory(username="ana")
    response = client.post(
        "/accounts/login/", {"username": "ana", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.context["user"] == student
    assert "Your assignments" in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(client):
    StudentFactory(username="ana")
    response = client.post("/accounts/login/", {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not response.context["user"].is_authenticated


@pytest.mark.django_db
def test_logout_is_a_post(client):
    client.force_login(StudentFactory())
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_csrf_is_enforced_on_login(db):
    from django.test import Client

    StudentFactory(username="ana")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "ana", "password": PASSWORD})
    assert response.status_code == 403


# The dashboard fits the role --------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


@pytest.mark.django_db
def test_a_student_sees_their_assignments_and_not_others(client):
    student = StudentFactory()
    mine = AssignmentFactory(lesson_set__title="Mine")
    EnrollmentFactory(classroom=mine.classroom, student=student)
    AssignmentLessonFactory(assignment=mine, lesson__title="A lesson of mine")
    AssignmentFactory(lesson_set__title="Someone else's")
    client.force_login(student)

    html = client.get("/").content.decode()

    assert "Mine" in html and "A lesson of mine" in html
    assert "Someone else" not in html
    assert "Your classes" not in html


@pytest.mark.django_db
def test_a_new_student_is_told_what_comes_next(client):
    client.force_login(StudentFactory())
    assert "Nothing is assigned to you yet" in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_teacher_who_is_also_an_author_sees_both_panels(client):
    teacher = TeacherFactory(roles=["Teacher", "Author"])
    ClassroomFactory(name="Period 3", teachers=[teacher])
    ClassroomFactory(name="Not mine")
    client.force_login(teacher)

    html = client.get("/").content.decode()

    assert "Period 3" in html and "Not mine" not in html
    assert "Authoring" in html
    assert "Your assignments" not in html


@pytest.mark.django_db
def test_the_dashboard_query_count_does_not_grow_with_assignments(client, assert_queries):
    student = StudentFactory()
    client.force_login(student)

    def add_assignments(n):
        for _ in range(n):
            assignment = AssignmentFactory()
            EnrollmentFactory(classroom=assignment.classroom, student=student)
            AssignmentLessonFactory(assignment=assignment)

    # user; per lesson the cards, due and new cards, recall and the forecast, with today's
    # counts (the session, the study context and the streak up to yesterday are cached).
    add_assignments(1)
    client.get("/")  # the first request after a change reads the study context again
    with assert_queries(2):
        client.get("/")
    add_assignments(9)
    client.get("/")
    with assert_queries(2):
        assert client.get("/").content.decode().count('<article class="assignment') == 10


# The lesson reader ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lesson_shows_sections_terms_and_footnotes(client, bundle):
    load_content([bundle])
    client.force_login(StudentFactory())

    html = client.get("/lessons/three-nos/").content.decode()

    assert "<h1>" in html and "Key terms" in html
    assert '<sup class="footnote-ref" id="fnref-1"><a href="#fn-1"' in html
    assert '<li id="fn-1">' in html
    assert "paragraph 5" in html


@pytest.mark.django_db
def test_authored_markdown_is_sanitised(client):
    lesson = LessonFactory(key="xss", summary="<script>alert(1)</script> **bold**")
    SectionFactory(
        lesson=lesson,
        body='[link](javascript:alert(1)) <img src=x onerror="alert(1)"> <b onclick="x()">b</b>',
    )
    client.force_login(StudentFactory())

    html = client.get("/lessons/xss/").content.decode()

    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html
    assert 'href="javascript:' not in html
    assert "<img" not in html and "<b onclick" not in html


@pytest.mark.django_db
def test_unknown_and_retired_lessons_are_404(client):
    from django.utils import timezone

    LessonFactory(key="gone", retired_at=timezone.now())
    client.force_login(StudentFactory())
    assert client.get("/lessons/gone/").status_code == 404
    assert client.get("/lessons/never-was/").status_code == 404
    assert client.get("/lessons/%00%ff/").status_code == 404


@pytest.mark.django_db
def test_malformed_requests_do_not_cause_server_errors(client):
    client.force_login(StudentFactory())
    assert client.post("/").status_code == 405
    assert client.post("/lessons/x/").status_code == 405
    assert client.get("/?page=%ff%fe").status_code == 200
    assert client.post(
        "/accounts/login/", {"username": "\x00", "password": "x" * 10_000}
    ).status_code in {200, 403}
    assert client.get("/no/such/page").status_code == 404


# Health ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}


def test_healthz_answers_503_when_the_database_is_unreachable():
    """A real unreachable database: a fresh process whose DATABASE_URL names a closed port."""
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing",  # nothing listens on port 1
        },
        capture_output=True,
        text=True,
        check=True,
    )
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"status": "error", "database": "unreachable"}


# Demo data --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_seed_demo_creates_the_accounts_class_and_assignment_and_is_repeatable(bundle, client):
    load_content([bundle])
    call_command("seed_demo", "--force")
    call_command("seed_demo", "--force")

    users = get_user_model().objects
    assert set(users.values_list("username", flat=True)) == {
        "student", "student2", "teacher", "author",
    }  # fmt: skip
    classroom = Classroom.objects.get(name="Demo class")
    assert list(classroom.teachers.values_list("username", flat=True)) == ["teacher"]
    assert set(classroom.students.values_list("username", flat=True)) == {"student", "student2"}
    assert Assignment.objects.filter(classroom=classroom).count() >= 1
    assert Classroom.objects.count() == 1
    for username in ("student", "student2", "teacher", "author"):
        assert client.login(username=username, password="learn-2026")
    assert users.get(username="author").is_staff


@pytest.mark.django_db
def test_an_author_can_browse_content_in_the_admin(client, bundle):
    load_content([bundle])
    client.force_login(AuthorFactory())
    assert client.get("/admin/quizzes/question/?type__exact=cloze").status_code == 200
    assert client.get("/admin/content/lesson/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


@pytest.mark.django_db
def test_a_student_cannot_use_the_admin(client):
    client.force_login(UserFactory(roles=["Student"]))
    assert client.get("/admin/").status_code == 302


# Production settings ----------------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings():
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x7Q9" * 12,
        "DJANGO_ALLOWED_HOSTS": "learn.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_a_student_sets_their_time_zone_and_day_start(client):
    from courses.models import Profile

    student = StudentFactory()
    client.force_login(student)
    assert client.get("/settings/").status_code == 200
    response = client.post("/settings/", {"time_zone": "Asia/Ho_Chi_Minh", "day_starts_at": "5"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=student)
    assert (profile.time_zone, profile.day_starts_at) == ("Asia/Ho_Chi_Minh", 5)
    bad = client.post("/settings/", {"time_zone": "Mars/Olympus", "day_starts_at": "25"})
    assert bad.status_code == 422
    assert Profile.objects.get(user=student).time_zone == "Asia/Ho_Chi_Minh"


@pytest.mark.django_db
def test_the_student_dashboard_shows_today_retention_and_the_forecast(client, student):
    from datetime import timedelta

    from django.utils import timezone

    from quizzes.models import Card
    from quizzes.services import review_record

    client.force_login(student)
    empty = client.get("/").content.decode()
    assert "0 of 5 cards studied" in empty
    assert "Study now" in empty

    card = Card.objects.get(key="mini-f1")
    review_record(
        student=student, card=card, rating=3, reviewed_at=timezone.now() - timedelta(days=2)
    )
    html = client.get("/").content.decode()

    assert "1 of 5 cards studied" in html
    assert "How much you remember" in html
    assert re.search(r"<td>1 / 5</td>\s*<td>\d+%</td>\s*<td>\d+%</td>", html)
    assert html.count('class="bar h') == 14
    assert "Cards due each day" in html


@pytest.mark.django_db
def test_times_are_shown_in_the_users_time_zone(client):
    from courses.models import Profile

    student = StudentFactory(username="hanoi")
    Profile.objects.create(user=student, time_zone="Asia/Ho_Chi_Minh")
    assignment = AssignmentFactory()
    EnrollmentFactory(classroom=assignment.classroom, student=student)
    from datetime import UTC, datetime

    type(assignment).objects.filter(pk=assignment.pk).update(
        due_at=datetime(2030, 1, 1, 20, 0, tzinfo=UTC)  # 03:00 on 2 January in Hanoi
    )
    client.post("/accounts/login/", {"username": "hanoi", "password": PASSWORD})
    assert "2 Jan 2030" in client.get("/").content.decode()
    client.post("/settings/", {"time_zone": "UTC", "day_starts_at": "4"})
    assert "1 Jan 2030" in client.get("/").content.decode()
