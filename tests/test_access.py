"""Who may use each URL: one table, and tests that try every kind of user on every row.

Every URL pattern the resolver knows must have a row in `ACCESS` (the site's own views and
Django's sign-in pages) or belong to an admin family in `ADMIN_SITE` / `ADMIN_MODELS`, so a new
view cannot be added without stating who may see it. Each row is a list of cases: a method, the
objects whose ids fill the URL, and the status each kind of user must get. A new view gets a
row like its neighbours: `GET(only(TEACHER), class_id="class")` reads "the class's teacher gets
200, anonymous users are sent to sign in, everyone else gets 404"; objects it needs go into the
`world` fixture.

The rules the table states, from the views' docstrings:
- Anonymous users are sent to the sign-in page, except on public pages (sign-in, password reset,
  the health check); a POST-only view answers a GET with 405, whoever asks.
- Another user's objects give 404, never 403, so that nobody learns which ids exist.
- A request that is refused (404, 403, 405, 422, or a redirect to sign in) writes nothing.
- The admin is for staff (authors) only, and within it each model only as far as the author's
  model permissions go: anyone else is sent to the admin's sign-in page.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from content.imports import Upload, import_record_create
from content.models import Lesson
from courses import services as course_services
from courses.models import (
    AssignmentKind,
    Classroom,
    Course,
    LessonSet,
    ParameterFit,
)
from quizzes import services as quiz_services
from quizzes.models import AcceptedResponse, Card, Question, Quiz, Regrade
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory, UserFactory

# Kinds of user ----------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
OWNER = "owner"  # a student in the class, who owns the attempts
OTHER_STUDENT = "other_student"  # a student of another class; owns nothing here
CLASSMATE = "classmate"  # another student in the same class
TEACHER = "teacher"  # the class's teacher
OTHER_TEACHER = "other_teacher"  # teaches another class, not this one
AUTHOR = "author"  # staff, in the Author group
NO_ROLE = "no_role"  # an account with no role at all
KINDS = (ANONYMOUS, OWNER, OTHER_STUDENT, CLASSMATE, TEACHER, OTHER_TEACHER, AUTHOR, NO_ROLE)
SIGNED_IN = KINDS[1:]

# Expected answers besides a plain status code.
LOGIN = "302 to the sign-in page"
ADMIN_LOGIN = "302 to the admin's sign-in page"
# Answers after which the request must have written nothing to the database.
UNCHANGED = {LOGIN, ADMIN_LOGIN, 403, 404, 405, 422}

HUGE = 10**24  # more than any integer column holds


def everyone(status) -> dict:
    return dict.fromkeys(KINDS, status)


def signed_in(status) -> dict:
    """Anonymous users sign in first; every signed-in user gets `status`."""
    return {ANONYMOUS: LOGIN, **dict.fromkeys(SIGNED_IN, status)}


def only(*kinds: str, status=200) -> dict:
    """`kinds` get `status`; anonymous users sign in first; everyone else gets 404."""
    return {ANONYMOUS: LOGIN, **dict.fromkeys(SIGNED_IN, 404), **dict.fromkeys(kinds, status)}


@dataclass(frozen=True)
class Case:
    """One request: `ids` fill the URL's segments with the fixture's objects (by name)."""

    expect: dict
    method: str = "get"
    ids: dict[str, str] = field(default_factory=dict)
    data: Callable[[dict], dict] | None = None
    query: str = ""


def GET(expect: dict, query: str = "", **ids: str) -> Case:
    return Case(expect, "get", ids, None, query)


def POST(expect: dict, data: Callable[[dict], dict] | None = None, **ids: str) -> Case:
    return Case(expect, "post", ids, data)


@dataclass(frozen=True)
class Row:
    who: str  # who may use it, as the view's docstring says
    cases: tuple[Case, ...]


def _roster(world: dict) -> dict:
    return {"roster": SimpleUploadedFile("roster.csv", b"newkid,New Kid,\n", "text/csv")}


# The table --------------------------------------------------------------------------------------
# Keyed by route, as the resolver spells it. Ids name objects of the fixture `world` below:
# `class` is the class (taught by TEACHER; OWNER and CLASSMATE are its students), `class_quiz`
# the quiz its teacher set for it, `open_attempt` and `finished_attempt` the OWNER's attempts at
# it, `other_student` a student of OTHER_TEACHER's class.

TEACHER_OF_CLASS = only(TEACHER)

ACCESS: dict[str, Row] = {
    # Sign-in pages (Django's) and the health check: public, or for any signed-in user.
    "accounts/login/": Row("Public.", (GET(everyone(200)),)),
    "accounts/logout/": Row("Anyone, by POST only.", (GET(everyone(405)), POST(everyone(302)))),
    "accounts/password_change/": Row(
        "Any signed-in user, their own password. (Ours; Django's pattern of the same route "
        "after it is never reached.)",
        (GET(signed_in(200)),),
    ),
    "accounts/password_change/done/": Row("Any signed-in user.", (GET(signed_in(200)),)),
    "accounts/password_reset/": Row("Public.", (GET(everyone(200)),)),
    "accounts/password_reset/done/": Row("Public.", (GET(everyone(200)),)),
    "accounts/reset/<uidb64>/<token>/": Row(
        "Public: a link from a reset email; a wrong token shows that the link is invalid.",
        (GET(everyone(200), uidb64="owner_uidb64", token="wrong_token"),),
    ),
    "accounts/reset/done/": Row("Public.", (GET(everyone(200)),)),
    "healthz": Row("Public.", (GET(everyone(200)), POST(everyone(405)))),
    # courses
    "": Row("Any signed-in user: their own dashboard.", (GET(signed_in(200)),)),
    "settings/": Row(
        "Any signed-in user, their own settings only (an unknown time zone is refused).",
        (
            GET(signed_in(200)),
            POST(signed_in(422), lambda world: {"time_zone": "Factory", "day_starts_at": 4}),
        ),
    ),
    "favicon.ico": Row(
        "Anyone: a redirect to the static icon.", (GET(everyone(302)), POST(everyone(405)))
    ),
    "lessons/": Row(
        "Any signed-in user: every course's lessons (course text is not private).",
        (GET(signed_in(200)),),
    ),
    "classes/": Row(
        "Any signed-in user: the classes they are in and those they teach.",
        (GET(signed_in(200)),),
    ),
    "my-classes/<id:class_id>/": Row(
        "The class's students, now, their own results only (404 for anyone else, the class's "
        "teachers included: theirs is classes/<id>/).",
        (
            GET(only(OWNER, CLASSMATE), class_id="class"),
            GET(only(OTHER_STUDENT), class_id="other_class"),
            POST(everyone(405), class_id="class"),
        ),
    ),
    "join/": Row(
        "Any signed-in user: the form (GET), and joining a class with its code (POST); the "
        "class's teacher cannot join it as a student (the form again, with the reason).",
        (
            GET(signed_in(200)),
            POST({**signed_in(302), TEACHER: 422}, lambda world: {"code": world["class_code"]}),
        ),
    ),
    "sign-in/code/": Row(
        "Anyone: sign in once with the code a teacher handed out (a wrong code is refused).",
        (
            GET(everyone(200)),
            POST(everyone(422), lambda world: {"username": "stu", "code": "AAAA-BBBB-CCCC"}),
        ),
    ),
    "invitations/<id:invitation_id>/": Row(
        "The invited student only (404 for anyone else), by POST only: accept or decline.",
        (
            GET(everyone(405), invitation_id="invitation"),
            *(
                POST(only(OWNER, status=302), data, invitation_id="invitation")
                for data in (
                    lambda world: {"action": "accept"},
                    lambda world: {"action": "decline"},
                )
            ),
        ),
    ),
    "classes/new/": Row(
        "Teachers: create a class they teach.",
        (
            GET(only(TEACHER, OTHER_TEACHER)),
            POST(only(TEACHER, OTHER_TEACHER, status=302), data=lambda world: {"name": "New"}),
        ),
    ),
    "classes/<id:class_id>/": Row(
        "The class's teachers.",
        (
            GET(TEACHER_OF_CLASS, class_id="class"),
            GET(only(OTHER_TEACHER), class_id="other_class"),
            POST(
                only(TEACHER, status=302),
                lambda world: {"action": "add-student", "username": "classmate"},
                class_id="class",
            ),
        ),
    ),
    "classes/<id:class_id>/roster/": Row(
        "The class's teachers, by POST only: import a CSV roster.",
        (GET(everyone(405), class_id="class"), POST(TEACHER_OF_CLASS, _roster, class_id="class")),
    ),
    "classes/<id:class_id>/assignments/new/": Row(
        "The class's teachers.",
        (
            GET(TEACHER_OF_CLASS, class_id="class"),
            # A form with errors: the class's teacher sees them, anyone else gets 404.
            POST(only(TEACHER, status=422), lambda world: {"kind": "quiz"}, class_id="class"),
        ),
    ),
    "classes/<id:class_id>/assignments/<id:assignment_id>/": Row(
        "The class's teachers, for one of the class's assignments.",
        (
            GET(TEACHER_OF_CLASS, class_id="class", assignment_id="class_quiz_assignment"),
            GET(only(TEACHER), class_id="class", assignment_id="class_study_assignment"),
            GET(
                only(OTHER_TEACHER),
                class_id="other_class",
                assignment_id="other_class_assignment",
            ),
            # Another class's assignment under this class's address, and the reverse.
            GET(only(), class_id="class", assignment_id="other_class_assignment"),
            GET(only(), class_id="other_class", assignment_id="class_quiz_assignment"),
        ),
    ),
    "classes/<id:class_id>/gradebook/": Row(
        "The class's teachers.", (GET(TEACHER_OF_CLASS, class_id="class"),)
    ),
    "classes/<id:class_id>/gradebook.csv": Row(
        "The class's teachers.", (GET(TEACHER_OF_CLASS, class_id="class"),)
    ),
    "classes/<id:class_id>/item-analysis/": Row(
        "The class's teachers.",
        (
            GET(TEACHER_OF_CLASS, class_id="class"),
            GET(TEACHER_OF_CLASS, query="assignment={class_quiz_assignment}", class_id="class"),
        ),
    ),
    "classes/<id:class_id>/scheduling/": Row(
        "The class's teachers: the parameters in force for each course the class studies, and "
        "the cost of a typed desired retention (read only; another course's key is ignored).",
        (
            GET(TEACHER_OF_CLASS, class_id="class"),
            GET(TEACHER_OF_CLASS, query="course={course}&desired_retention=0.85", class_id="class"),
            GET(TEACHER_OF_CLASS, query="course=other&desired_retention=2", class_id="class"),
            GET(only(OTHER_TEACHER), class_id="other_class"),
            POST(everyone(405), class_id="class"),
        ),
    ),
    "classes/<id:class_id>/item-analysis/accept/": Row(
        "The class's teachers, by POST only, for a question version the class's own attempts "
        "answered (here one whose type takes no typed answer: refused with a message).",
        (
            GET(everyone(405), class_id="class"),
            POST(
                only(TEACHER, status=302),
                lambda world: {"version": world["answered_version"], "blank": -1, "text": "x"},
                class_id="class",
            ),
            POST(
                only(),
                lambda world: {"version": world["answered_version"], "blank": -1, "text": "x"},
                class_id="other_class",
            ),
        ),
    ),
    "classes/<id:class_id>/students/<id:student_id>/": Row(
        "The class's teachers, for a student who is or was in the class.",
        (
            GET(TEACHER_OF_CLASS, class_id="class", student_id="owner"),
            GET(only(), class_id="class", student_id="other_student"),
            GET(only(), class_id="other_class", student_id="owner"),
        ),
    ),
    # quizzes
    "quizzes/<id:quiz_id>/": Row(
        "Everyone signed in for a lesson's quiz; a teacher's quiz only to the students it was "
        "set for and the class's teachers. POST starts or resumes the user's own attempt.",
        (
            GET(signed_in(200), quiz_id="lesson_quiz"),
            GET(only(OWNER, CLASSMATE, TEACHER), quiz_id="class_quiz"),
            POST(only(OWNER, CLASSMATE, TEACHER, status=302), quiz_id="class_quiz"),
        ),
    ),
    "lessons/<slug:key>/quiz/": Row(
        "Any signed-in user: the quiz of an active lesson.",
        (GET(signed_in(302), key="lesson"), GET(only(), key="no_such_lesson")),
    ),
    "attempts/<id:attempt_id>/": Row(
        "The attempt's owner only (404 for anyone else, the class's teacher included).",
        (
            GET(only(OWNER), attempt_id="open_attempt"),
            GET(only(OWNER, status=302), attempt_id="finished_attempt"),
            POST(
                only(OWNER, status=302),
                lambda world: {"action": "finish"},
                attempt_id="open_attempt",
            ),
        ),
    ),
    "attempts/<id:attempt_id>/summary/": Row(
        "The attempt's owner only, while the attempt is open; POST (the confirmation) submits it.",
        (
            GET(only(OWNER), attempt_id="open_attempt"),
            GET(only(OWNER, status=302), attempt_id="finished_attempt"),
            POST(
                only(OWNER, status=302),
                lambda world: {"action": "finish"},
                attempt_id="open_attempt",
            ),
        ),
    ),
    "attempts/<id:attempt_id>/review/": Row(
        "The attempt's owner only, once the attempt is finished.",
        (
            GET(only(OWNER), attempt_id="finished_attempt"),
            GET(only(OWNER, status=302), attempt_id="open_attempt"),
        ),
    ),
    "author/": Row(
        "Authors: every course's lessons with their counts, and the open reports.",
        (GET(only(AUTHOR)), POST(everyone(405))),
    ),
    "author/guide/": Row(
        "Authors and teachers: the authoring guide.",
        (GET(only(AUTHOR, TEACHER, OTHER_TEACHER)),),
    ),
    "author/lessons/<slug:lesson_key>/export/<slug:format>/": Row(
        "Authors: a lesson as GIFT, Moodle XML, an Anki package or its lesson file.",
        (
            GET(only(AUTHOR), lesson_key="lesson", format="gift_format"),
            GET(only(AUTHOR), lesson_key="lesson", format="anki_format"),
            GET(only(AUTHOR, status=404), lesson_key="lesson", format="no_such_format"),
            GET(only(AUTHOR, status=404), lesson_key="no_such_lesson", format="gift_format"),
            POST(everyone(405), lesson_key="lesson", format="gift_format"),
        ),
    ),
    "author/courses/<slug:course_key>/export.zip": Row(
        "Authors: the course's folder as a .zip.",
        (
            GET(only(AUTHOR), course_key="course"),
            GET(only(AUTHOR, status=404), course_key="no_such_course"),
            POST(everyone(405), course_key="course"),
        ),
    ),
    "author/courses/<slug:course_key>/reviews.csv": Row(
        "Authors (and superusers): the course's review log, students pseudonymised.",
        (
            GET(only(AUTHOR), course_key="course"),
            GET(only(AUTHOR, status=404), course_key="no_such_course"),
            POST(everyone(405), course_key="course"),
        ),
    ),
    "author/courses/<slug:course_key>/scheduling/": Row(
        "Authors: the course's FSRS parameters, its fits and the retention table.",
        (
            GET(only(AUTHOR), course_key="course"),
            GET(only(AUTHOR, status=404), course_key="no_such_course"),
            POST(everyone(405), course_key="course"),
        ),
    ),
    "author/courses/<slug:course_key>/scheduling/fit/": Row(
        "Authors, by POST only: queue a fit of the course's parameters.",
        (
            GET(everyone(405), course_key="course"),
            POST(only(AUTHOR, status=302), course_key="course"),
            POST(only(AUTHOR, status=404), course_key="no_such_course"),
        ),
    ),
    "author/courses/<slug:course_key>/scheduling/fits/<id:fit_id>/use/": Row(
        "Authors, by POST only: put one of the course's fits in force; another course's is 404.",
        (
            GET(everyone(405), course_key="course", fit_id="course_fit"),
            POST(only(AUTHOR, status=302), course_key="course", fit_id="course_fit"),
            POST(only(AUTHOR, status=404), course_key="course", fit_id="other_course_fit"),
        ),
    ),
    "author/courses/<slug:course_key>/scheduling/defaults/": Row(
        "Authors, by POST only: the course (or one student in it) back to the defaults; a fit "
        "of another course is 404.",
        (
            GET(everyone(405), course_key="course"),
            POST(only(AUTHOR, status=302), course_key="course"),
            POST(
                only(AUTHOR, status=404),
                data=lambda world: {"fit": world["other_student_fit"]},
                course_key="course",
            ),
        ),
    ),
    "author/courses/<slug:course_key>/scheduling/students/defaults/": Row(
        "Authors, by POST only: every student of the course back on the course's parameters.",
        (
            GET(everyone(405), course_key="course"),
            POST(only(AUTHOR, status=302), course_key="course"),
            POST(only(AUTHOR, status=404), course_key="no_such_course"),
        ),
    ),
    "author/courses/<slug:course_key>/scheduling/retention/": Row(
        "Authors: the cost of a typed desired retention; POST saves it.",
        (
            GET(only(AUTHOR), course_key="course"),
            GET(only(AUTHOR), query="desired_retention=0.85", course_key="course"),
            POST(
                only(AUTHOR, status=302),
                lambda world: {"desired_retention": "0.85"},
                course_key="course",
            ),
        ),
    ),
    "questions/": Row("Authors.", (GET(only(AUTHOR)),)),
    "questions/<slug:key>/": Row(
        "Authors, for a question with a typed answer; POST accepts a response for everyone.",
        (
            GET(only(AUTHOR), key="typed_question"),
            GET(only(), key="choice_question"),
            POST(
                only(AUTHOR, status=302),
                lambda world: {"version": world["typed_version"], "blank": -1, "text": "zzz"},
                key="typed_question",
            ),
        ),
    ),
    "cards/<id:card_id>/report/": Row(
        "Any signed-in user, on an active card: a report for its authors.",
        (
            GET(signed_in(200), card_id="card"),
            GET(only(), card_id="no_such_card"),
            POST(signed_in(302), lambda world: {"note": "Unclear"}, card_id="card"),
        ),
    ),
    "cards/reported/": Row(
        "Authors: every report (anonymous); POST resolves one.",
        (GET(only(AUTHOR)), POST(only(AUTHOR, status=302), lambda world: {"flag": "1"})),
    ),
    "cards/suspended/": Row(
        "Any signed-in user, their own suspended cards.",
        (GET(signed_in(200)), POST(signed_in(302), lambda world: {"card": world["card"]})),
    ),
    "study/": Row(
        "Any signed-in user, their own cards.",
        (GET(signed_in(200)), POST(signed_in(302), lambda world: {"action": "undo"})),
    ),
    "study/<slug:lesson_key>/": Row(
        "Any signed-in user, their own cards of an active lesson.",
        (GET(signed_in(200), lesson_key="lesson"), GET(only(), lesson_key="no_such_lesson")),
    ),
    # content
    "lessons/<slug:key>/": Row(
        "Any signed-in user: course text is not private.",
        (GET(signed_in(200), key="lesson"), GET(only(), key="no_such_lesson")),
    ),
}

# Forgiving pages (issue 11): confirmations, undo, archived classes, join links.
ACCESS |= {
    "join/<str:code>/": Row(
        "Any signed-in user: a join link names its open class and asks to confirm (the form "
        "posts to /join/); a code of no open class is a 404.",
        (
            GET(signed_in(200), code="class_code"),
            GET(only(), code="no_such_code"),
            POST(everyone(405), code="class_code"),
        ),
    ),
    "classes/<id:class_id>/students/<id:student_id>/remove/": Row(
        "The class's teachers, for a student who is or was in the class: GET asks to confirm, "
        "POST removes.",
        (
            GET(TEACHER_OF_CLASS, class_id="class", student_id="owner"),
            POST(only(TEACHER, status=302), class_id="class", student_id="owner"),
            GET(only(), class_id="class", student_id="other_student"),
            POST(only(), class_id="other_class", student_id="owner"),
        ),
    ),
    "classes/<id:class_id>/students/<id:student_id>/undo-remove/": Row(
        "The class's teachers, by POST only, for a student who is or was in the class: undo a "
        "removal of the last few minutes (here there is none: a message says so).",
        (
            GET(everyone(405), class_id="class", student_id="owner"),
            POST(only(TEACHER, status=302), class_id="class", student_id="owner"),
            POST(only(), class_id="class", student_id="other_student"),
        ),
    ),
    "classes/archived/": Row(
        "Teachers: the archived classes they teach.", (GET(only(TEACHER, OTHER_TEACHER)),)
    ),
    "classes/<id:class_id>/archive/": Row(
        "The class's teachers: GET asks to confirm, POST archives.",
        (
            GET(TEACHER_OF_CLASS, class_id="class"),
            POST(only(TEACHER, status=302), class_id="class"),
        ),
    ),
    "classes/<id:class_id>/restore/": Row(
        "The class's teachers, by POST only: restore an archived class (here it is not "
        "archived: a message says so).",
        (
            GET(everyone(405), class_id="class"),
            POST(only(TEACHER, status=302), class_id="class"),
            POST(only(OTHER_TEACHER, status=302), class_id="other_class"),
        ),
    ),
    "classes/<id:class_id>/join-link/": Row(
        "The class's teachers: the join link and its QR code, to project.",
        (GET(TEACHER_OF_CLASS, class_id="class"),),
    ),
}

# The web import (issue 12): authors, as /author/; only the uploader imports or cancels.
ACCESS |= {
    "author/import/": Row(
        "Authors: the upload form and the history; POST previews an upload.",
        (
            GET(only(AUTHOR)),
            POST(
                only(AUTHOR, status=302),
                lambda world: {"file": SimpleUploadedFile("lesson.yaml", b"lesson: [")},
            ),
        ),
    ),
    "author/import/<id:import_id>/": Row(
        "Authors: an import's preview and what became of it.",
        (
            GET(only(AUTHOR), import_id="import_record"),
            POST(everyone(405), import_id="import_record"),
        ),
    ),
    "author/import/<id:import_id>/apply/": Row(
        "The author who uploaded the file, by POST only: apply the previewed import.",
        (
            GET(everyone(405), import_id="import_record"),
            POST(only(AUTHOR, status=302), import_id="import_record"),
        ),
    ),
    "author/import/<id:import_id>/cancel/": Row(
        "The author who uploaded the file, by POST only: cancel the previewed import.",
        (
            GET(everyone(405), import_id="import_record"),
            POST(only(AUTHOR, status=302), import_id="import_record"),
        ),
    ),
    "author/import/<id:import_id>/file/": Row(
        "Authors: the uploaded file, as a download.",
        (GET(only(AUTHOR), import_id="import_record"),),
    ),
}

# The admin: staff only. Anyone else (signed in or not) is sent to the admin's sign-in page,
# except where a row says otherwise.
STAFF = {ANONYMOUS: ADMIN_LOGIN, **dict.fromkeys(SIGNED_IN, ADMIN_LOGIN)}


def staff(status) -> dict:
    return {**STAFF, AUTHOR: status}


ADMIN_SITE: dict[str, Row] = {
    "index": Row("Staff.", (GET(staff(200)),)),
    "login": Row(
        "Public; a signed-in staff user is sent on to the index.",
        (GET({**everyone(200), AUTHOR: 302}),),
    ),
    "logout": Row(
        "Staff, by POST only; anyone else is sent to the index.",
        (GET({**everyone(302), AUTHOR: 405}),),
    ),
    "password_change": Row("Staff.", (GET(staff(200)),)),
    "password_change_done": Row("Staff.", (GET(staff(200)),)),
    "autocomplete": Row("Staff; without its parameters it is refused.", (GET(staff(403)),)),
    "jsi18n": Row("Staff.", (GET(staff(200)),)),
    "view_on_site": Row(
        "Staff: a redirect to the object's page on the site.",
        (GET(staff(302), content_type_id="lesson_content_type", object_id="lesson_pk"),),
    ),
    "app_list": Row(
        "Staff, for an app in which they may see at least one model.",
        (
            *(
                GET(staff(200), app_label=f"{label} app")
                for label in ("content", "quizzes", "courses")
            ),
            GET(staff(404), app_label="auth app"),
        ),
    ),
    "catch_all": Row(
        "Staff: an unknown admin page is a 404.", (GET(staff(404), url="unknown_admin_page"),)
    ),
}

# What an author may do to each model registered in the admin (their group's permissions).
# Every model in the admin must be listed, with "" if authors may not see it.
ADMIN_MODELS: dict[str, str] = {
    "auth.group": "",
    "auth.user": "",
    "axes.accessattempt": "",
    "axes.accesslog": "",
    "axes.accessfailurelog": "",
    "content.lesson": "add change view",
    "content.source": "add change view",
    "content.citation": "add change delete view",
    "quizzes.question": "add change view",
    "quizzes.questionversion": "view",
    "quizzes.card": "add change view",
    "quizzes.quiz": "add change view",
    "quizzes.attempt": "",
    "quizzes.answer": "",
    "quizzes.memorystate": "",
    "quizzes.acceptedresponse": "",
    "quizzes.regrade": "",
    "quizzes.reviewlog": "",
    "courses.course": "add change view",
    "courses.lessonset": "add change view",
    "courses.classroom": "",
    "courses.assignment": "",
    # Background tasks and their results (django-tasks-db): superusers only.
    "django_tasks_database.dbtaskresult": "",
}

# An admin page of one model, by the suffix of its URL name, and what the author needs for it.
ADMIN_MODEL_PAGES = {
    "changelist": {"view", "change"},
    "add": {"add"},
    "change": {"view", "change"},
    "history": {"view", "change"},
    "delete": {"delete"},
}

# Pages a model admin adds of its own, by URL name: the author's status.
ADMIN_MODEL_EXTRA_PAGES: dict[str, Row] = {
    "auth_user_password_change": Row("Staff who may change users.", (GET(staff(403), id="owner"),)),
}


# The objects ------------------------------------------------------------------------------------


@pytest.fixture
def world(mini, student, settings) -> dict:
    """Users of every kind, signed in, and the objects they do or do not own, by name."""
    # Sessions kept in the cookie: a request costs no session query (there are about 1,300),
    # and no request, a logout included, can end the session another request will use. Who may
    # see what does not depend on where sessions are stored.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    now = timezone.now()
    owner = student
    classroom = Classroom.objects.get(enrollments__student=owner)
    teacher = TeacherFactory(username="teacher")
    course_services.coteacher_add(classroom=classroom, username=teacher.username)
    classmate = StudentFactory(username="classmate")
    course_services.enrollment_add(classroom=classroom, student=classmate)
    other_teacher = TeacherFactory(username="other-teacher")
    other_class = course_services.classroom_create(name="Other class", teacher=other_teacher)
    other_student = StudentFactory(username="other-student")
    course_services.classroom_join(code=other_class.join_code, student=other_student)
    users = {
        OWNER: owner,
        OTHER_STUDENT: other_student,
        CLASSMATE: classmate,
        TEACHER: teacher,
        OTHER_TEACHER: other_teacher,
        AUTHOR: AuthorFactory(username="author"),
        NO_ROLE: UserFactory(username="no-role"),
    }

    quiz_assignment = course_services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=now + timedelta(days=7),
        quiz_settings=course_services.QuizSettings(
            question_count=None, shuffle_questions=False, shuffle_options=False
        ),
    )
    class_quiz = quiz_assignment.quiz
    study_assignment = course_services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.STUDY,
        due_at=now - timedelta(days=1),
    )
    other_class_assignment = course_services.assignment_create(
        classroom=other_class,
        teacher=other_teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.STUDY,
        due_at=now + timedelta(days=7),
    )
    finished = quiz_services.attempt_start(quiz=class_quiz, student=owner, now=now)
    quiz_services.answer_record(
        attempt=finished,
        seq=finished.seq,
        position=0,
        response={"choice": 1},
        now=now,
        day_start=now - timedelta(hours=1),
    )
    quiz_services.attempt_finish(attempt=finished, now=now)
    open_attempt = quiz_services.attempt_start(quiz=class_quiz, student=owner, now=now)
    card = Card.objects.filter(question__isnull=True).order_by("pk").first()  # a plain flashcard
    quiz_services.review_record(student=owner, card=card, rating=3, reviewed_at=now)

    invitation = course_services.invitation_create(
        classroom=other_class, username=owner.username, invited_by=other_teacher
    )
    lesson = Lesson.objects.get(key="mini-lesson")
    # An accepted response and the regrade it made, for their (read-only) admin pages.
    answered = finished.answers.get()
    typed = Question.objects.get(key="mini-short")
    accepted = AcceptedResponse.objects.create(
        question=typed, version=typed.current_version, text="zz", form="zz",
        accepted_by=users[AUTHOR], accepted_at=now,
    )  # fmt: skip
    Regrade.objects.create(answer=answered, accepted=accepted, regraded_at=now, old_score=0,
                           new_score=1)  # fmt: skip
    # A previewed import of the author's, for the web import's pages.
    record = import_record_create(
        user=users[AUTHOR], upload=Upload("01-mini.yaml", b"lesson: {key: mini-lesson}")
    )
    # A fit of the course's parameters that beat the defaults, and one of another course.
    fit = {"status": "done", "parameters": [0.5] * 21, "log_loss": 0.4, "default_log_loss": 0.5}
    course_fit = ParameterFit.objects.create(course=Course.objects.get(key="mini"), **fit)
    other_course = Course.objects.create(key="other")
    other_fit = ParameterFit.objects.create(course=other_course, **fit)
    other_student_fit = ParameterFit.objects.create(
        course=other_course, student=users[OWNER], in_force=True, **fit
    )
    world = {
        "course_fit": course_fit.pk,
        "other_course_fit": other_fit.pk,
        "other_student_fit": other_student_fit.pk,
        "import_record": record.pk,
        "users": users,
        "class": classroom.pk,
        "class_code": classroom.join_code,
        "no_such_code": "NOPE2345",
        "other_class": other_class.pk,
        "class_quiz": class_quiz.pk,
        "class_quiz_assignment": quiz_assignment.pk,
        "class_study_assignment": study_assignment.pk,
        "other_class_assignment": other_class_assignment.pk,
        "answered_version": answered.version_id,
        "typed_question": typed.key,
        "typed_version": typed.current_version_id,
        "choice_question": answered.version.question.key,
        "lesson_quiz": Quiz.objects.get(key=f"lesson-{lesson.key}").pk,
        "open_attempt": open_attempt.pk,
        "finished_attempt": finished.pk,
        "lesson": lesson.key,
        "no_such_lesson": "no-such-lesson",
        "course": "mini",
        "no_such_course": "no-such-course",
        "gift_format": "gift",
        "anki_format": "anki",
        "no_such_format": "pdf",
        "card": Card.objects.filter(lesson=lesson).order_by("pk").first().pk,
        "no_such_card": 987654321,
        "owner_uidb64": urlsafe_base64_encode(str(owner.pk).encode()),
        "wrong_token": "abc-0123456789abcdef",
        "lesson_content_type": ContentType.objects.get_for_model(Lesson).pk,
        "lesson_pk": lesson.pk,
        "unknown_admin_page": "no-such-page/",
        "invitation": invitation.pk,
        **{f"{label} app": label for label in ("auth", "content", "quizzes", "courses")},
        **{kind: user.pk for kind, user in users.items()},
    }
    client = Client()
    # Rows for the admin pages of django-axes's logs: a failed sign-in records an attempt (for
    # a username that never signs in: signing in clears that username's attempts).
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    log = {"user_agent": "test", "http_accept": "*/*", "path_info": "/accounts/login/"}
    AccessLog.objects.create(username="nobody", **log)
    AccessFailureLog.objects.create(username="nobody", **log)
    # A task waiting for a worker, for the admin pages of django-tasks-db's results.
    DBTaskResult.objects.create(
        task_path="content.tasks.content_load",
        args_kwargs={"args": [], "kwargs": {"paths": []}},
        backend_name="default",
        enqueued_at=timezone.now(),
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    # One object of every model in the admin, for its change, history and delete pages.
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the fixture has no {model._meta.label_lower}"
        world[model._meta.label_lower] = obj.pk

    sessions = {}
    for kind, user in users.items():
        client.cookies = SimpleCookie()  # else logging in the next user ends this one's session
        client.force_login(user)
        sessions[kind] = client.cookies[settings.SESSION_COOKIE_NAME].value
    world["sessions"] = sessions
    world["session_cookie"] = settings.SESSION_COOKIE_NAME
    world["client"] = client
    return world


# Asking -----------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(route: str, values: dict) -> str:
    return "/" + _SEGMENT.sub(lambda m: str(values[m[2]]), route)


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class _Writes(list):
    """The tables a request wrote to, from every SQL statement it ran (even rolled back)."""

    def __call__(self, execute, sql, params, many, context):
        match = _WRITE.match(sql)
        # django-axes, when installed, rightly records a failed sign-in.
        if match and not match[1].startswith("axes_"):
            self.append(match[1])
        return execute(sql, params, many, context)


def _ask(world: dict, kind: str, case: Case, path: str) -> tuple[object, str, str]:
    """The answer `kind` gets (a status or a redirect marker), the tables the request wrote to,
    and where a redirect goes.

    Each request runs in a savepoint that is rolled back, so no request changes what the next
    one sees.
    """
    client: Client = world["client"]  # each new client loads the middleware (whitenoise: 0.2 s)
    client.cookies = SimpleCookie()
    if kind != ANONYMOUS:
        client.cookies[world["session_cookie"]] = world["sessions"][kind]
    query = case.query.format(**world)
    url = f"{path}?{query}" if query else path
    data = case.data(world) if case.data else {}
    writes = _Writes()
    try:
        with transaction.atomic(), connection.execute_wrapper(writes):
            response = getattr(client, case.method)(url, data)
            transaction.set_rollback(True)
    except Exception as exc:  # a 500: the test client re-raises the view's exception
        return f"500 ({type(exc).__name__}: {exc})", "", ""
    got: object = response.status_code
    location = response.get("Location", "")
    if got == 302:
        if location.startswith(f"{reverse('login')}?next="):
            got = LOGIN
        elif location.startswith(f"{reverse('admin:login')}?next="):
            got = ADMIN_LOGIN
    return got, ", ".join(sorted(set(writes))), location


def _check(world: dict, label: str, route: str, case: Case, values: dict) -> list[str]:
    problems = []
    path = _path(route, {**world, **values, **{k: world[v] for k, v in case.ids.items()}})
    for kind in KINDS:
        want = case.expect[kind]
        got, changed, _ = _ask(world, kind, case, path)
        asked = f"{label} {case.method.upper()} {path} as {kind}"
        if got != want:
            problems.append(f"{asked}: got {got}, want {want}")
        if changed and want in UNCHANGED:
            problems.append(f"{asked} wrote to {changed}")
    return problems


# The resolver -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None


def _patterns(patterns=None, prefix: str = "", namespace: str = "") -> list[Pattern]:
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(filter(None, [namespace, p.namespace or ""]))
            found += _patterns(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            found.append(Pattern(prefix + str(p.pattern), name))
    return found


_ADMIN_MODEL_ROUTE = re.compile(r"^admin/(\w+)/(\w+)/")


def _admin_family(pattern: Pattern) -> str | None:
    """The admin family a pattern belongs to, or None if the table does not cover it."""
    name = (pattern.name or "").removeprefix("admin:")
    if name in ADMIN_SITE:
        return name
    if pattern.name is None and pattern.route.endswith("(?P<url>.*)$"):
        return "catch_all"
    if name in ADMIN_MODEL_EXTRA_PAGES:
        return name
    match = _ADMIN_MODEL_ROUTE.match(pattern.route)
    if match is None or f"{match[1]}.{match[2]}" not in ADMIN_MODELS:
        return None
    model = f"{match[1]}.{match[2]}"
    if pattern.name is None and pattern.route.endswith("/<path:object_id>/"):
        return f"{model} object"
    for page in ADMIN_MODEL_PAGES:
        if name == f"{match[1]}_{match[2]}_{page}":
            return f"{model} {page}"
    return None


# The tests --------------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row_in_the_access_table():
    patterns = _patterns()
    site = [p for p in patterns if not p.route.startswith("admin/")]
    unlisted = sorted({p.route for p in site} - set(ACCESS))
    assert not unlisted, f"URL patterns with no row in ACCESS (say who may use them): {unlisted}"
    stale = sorted(set(ACCESS) - {p.route for p in site})
    assert not stale, f"rows in ACCESS for URL patterns that no longer exist: {stale}"

    in_admin = [p for p in patterns if p.route.startswith("admin/")]
    uncovered = [p for p in in_admin if _admin_family(p) is None]
    assert not uncovered, f"admin URL patterns the table does not cover: {uncovered}"
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODELS), "ADMIN_MODELS must list exactly the admin's models"


@pytest.mark.django_db
def test_every_kind_of_user_gets_what_the_access_table_says(world):
    problems = []
    for route, row in ACCESS.items():
        for case in row.cases:
            problems += _check(world, route or "(dashboard)", route, case, {})
    assert not problems, "\n".join(problems)


def _admin_rows(world: dict) -> list[tuple[str, str, Case, dict]]:
    """(label, route, case, extra values) for every admin pattern, from the resolver."""
    rows = []
    for pattern in _patterns():
        if not pattern.route.startswith("admin/"):
            continue
        family = _admin_family(pattern)
        if family in ADMIN_SITE or family in ADMIN_MODEL_EXTRA_PAGES:
            table = ADMIN_SITE if family in ADMIN_SITE else ADMIN_MODEL_EXTRA_PAGES
            route = pattern.route
            if family == "app_list":
                route = "admin/<app_label>/"
            elif family == "catch_all":
                route = "admin/<url>"
            rows += [(f"admin {family}", route, case, {}) for case in table[family].cases]
            continue
        model, page = family.split(" ")
        allowed = set(ADMIN_MODELS[model].split())
        if page == "object":  # a redirect to the change page, whatever the author may do
            expect = staff(302)
        else:
            expect = staff(200 if allowed & ADMIN_MODEL_PAGES[page] else 403)
        values = {"object_id": world[model]}
        rows.append((f"admin {family}", pattern.route, GET(expect), values))
    return rows


@pytest.mark.django_db
def test_the_admin_is_for_staff_and_each_model_as_far_as_their_permissions_go(world):
    problems = []
    rows = _admin_rows(world)
    assert len(rows) > 5 * len(ADMIN_MODELS)
    for label, route, case, values in rows:
        problems += _check(world, label, route, case, values)
    assert not problems, "\n".join(problems)


# Ids that do not parse, and huge ids ------------------------------------------------------------
# A request for an id that cannot exist is a 404 like any unknown id (or a form error), never a
# 500, for a user who could see the page with a real id.

_ID_SEGMENT = re.compile(r"<(?:int|id):(\w+)>")


def _allowed_requests(world: dict):
    """For every route with id segments: (route, case, kind, values) for its first case that
    lets someone in, that kind of user, and the case's real ids."""
    for route, row in ACCESS.items():
        if not _ID_SEGMENT.search(route):
            continue
        for case in row.cases:
            kinds = [k for k in SIGNED_IN if case.expect[k] not in UNCHANGED]
            if kinds:
                yield route, case, kinds[0], {**world, **{k: world[v] for k, v in case.ids.items()}}
                break


def _with_ids(world: dict, bad: str) -> list[str]:
    problems = []
    for route, case, kind, values in _allowed_requests(world):
        for segment in _ID_SEGMENT.findall(route):
            path = _path(route, {**values, segment: bad})
            got, changed, _ = _ask(world, kind, case, path)
            if got != 404 or changed:
                problems.append(f"{case.method.upper()} {path} as {kind}: got {got} {changed}")
    return problems


@pytest.mark.django_db
def test_ids_that_do_not_parse_give_404(world):
    problems = []
    for bad in ["abc", "-1", "1.5", "1e3", "%EF%BC%91", "%20"]:  # %EF%BC%91: a full-width 1
        problems += _with_ids(world, bad)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_huge_ids_in_url_paths_give_404(world):
    problems = []
    for huge in [HUGE, 2**63, 10**18 - 1]:
        problems += _with_ids(world, str(huge))
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_huge_ids_in_admin_paths_are_a_missing_object(world):
    """The admin sends staff back to its index with a message for an object that does not
    exist, a huge id being one of those; a page the author may not use may be refused first."""
    problems = []
    missing = (302, reverse("admin:index"))
    for model, allowed in ADMIN_MODELS.items():
        app, name = model.split(".")
        for page in ["change", "history", "delete"]:
            path = reverse(f"admin:{app}_{name}_{page}", args=[HUGE])
            may = set(allowed.split()) & ADMIN_MODEL_PAGES[page]
            got, _, location = _ask(world, AUTHOR, GET({}), path)
            if (got, location) not in ([missing] if may else [missing, (403, "")]):
                problems.append(f"{path}: got {got} {location}")
    for app_model, query in [
        ("quizzes_question", f"lesson__id__exact={HUGE}"),
        ("content_citation", f"source__id__exact={HUGE}"),
    ]:
        path = f"{reverse(f'admin:{app_model}_changelist')}?{query}"
        got, _, _ = _ask(world, AUTHOR, GET({}), path)
        if got != 200:
            problems.append(f"{path}: got {got}")
    path = reverse("admin:view_on_site", args=[HUGE, HUGE])
    got, _, _ = _ask(world, AUTHOR, GET({}), path)
    if got != 404:
        problems.append(f"{path}: got {got}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_huge_ids_in_forms_are_form_errors(world):
    """Ids posted in forms or queries: a clear refusal, never a 500, and nothing changes."""
    huge = str(HUGE)
    attempt = reverse("quizzes:attempt", args=[world["open_attempt"]])
    cases = [
        (OWNER, "post", reverse("quizzes:study"), {"card": huge, "reps": "0", "rating": "3"}, 302),
        (OWNER, "post", reverse("quizzes:study"), {"card": "1", "reps": huge, "rating": "3"}, 302),
        (OWNER, "post", attempt, {"action": "next", "seq": huge}, 302),
        (OWNER, "post", attempt, {"action": "answer", "position": huge, "seq": "0"}, 302),
        (OWNER, "post", attempt, {"action": "answer", "position": "0", "seq": huge,
                                  "choice": "1"}, 302),
        (TEACHER, "get", reverse("item_analysis", args=[world["class"]]),
         {"assignment": huge}, 200),
        (TEACHER, "post", reverse("assignment_new", args=[world["class"]]),
         {"lesson_set": huge, "kind": "study", "due_at": "2030-01-01T10:00",
          "target_recall": "85"}, 422),
    ]  # fmt: skip
    problems = _asked(world, cases)
    assert not problems, "\n".join(problems)


def _asked(world: dict, cases: list) -> list[str]:
    problems = []
    for kind, method, path, data, want in cases:
        case = Case({kind: want}, method, {}, lambda world, data=data: data)
        got, changed, _ = _ask(world, kind, case, path)
        if got != want or changed:
            problems.append(f"{method.upper()} {path} {data} as {kind}: got {got} {changed}")
    return problems


@pytest.mark.django_db
def test_huge_ids_in_multiple_choice_fields_are_form_errors(world):
    """A list of ids (Django's ModelMultipleChoiceField) is looked up with `pk__in`, which,
    unlike `pk=`, sends a huge number to the database as it is (SQLite cannot take it)."""
    huge = str(HUGE)
    path = reverse("assignment_new", args=[world["class"]])
    form = {"kind": "study", "due_at": "2030-01-01T10:00", "target_recall": "85"}
    quiz = {"title": "A quiz", "feedback": "immediate", "lessons": [huge]}
    cases = [
        (TEACHER, "post", path, {**form, "lessons": [huge]}, 422),
        (TEACHER, "post", path, {**form, "lesson_set": "1", "students": [huge]}, 422),
        (AUTHOR, "post", reverse("admin:quizzes_quiz_add"), quiz, 200),  # the form, with errors
    ]
    problems = _asked(world, cases)
    assert not problems, "\n".join(problems)
