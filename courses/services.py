"""Writes for courses: classes, enrollments, rosters, assignments, and the demo data."""

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from content.models import Lesson
from courses.models import (
    Assignment,
    AssignmentKind,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    LessonSet,
    Profile,
)
from courses.roles import Role, roles_grant, roles_of
from quizzes.models import FeedbackMode, Quiz

DEMO_PASSWORD = "learn-2026"
DEMO_USERS = [
    # username, first name, roles, staff (the admin is for authors)
    ("student", "Sam", [Role.STUDENT], False),
    ("student2", "Kim", [Role.STUDENT], False),
    ("teacher", "Tran", [Role.TEACHER], False),
    ("author", "Alex", [Role.AUTHOR], True),
]
DEMO_CLASS = "Demo class"


class ClassError(Exception):
    """A teacher's or student's request that cannot be done; the message is for them."""


def user_add_role(*, user: AbstractBaseUser, role: str) -> None:
    user.groups.add(Group.objects.get(name=role))


@transaction.atomic
def classroom_create(*, name: str, teacher: AbstractBaseUser) -> Classroom:
    classroom = Classroom.objects.create(name=name.strip())
    classroom.teachers.add(teacher)
    return classroom


def enrollment_add(*, classroom: Classroom, student: AbstractBaseUser) -> Enrollment:
    """Enroll a student, or enroll them again after a removal (their history is still there)."""
    if Role.STUDENT not in roles_of(student):
        user_add_role(user=student, role=Role.STUDENT)
    enrollment, created = Enrollment.objects.get_or_create(classroom=classroom, student=student)
    if not created and enrollment.removed_at is not None:
        enrollment.removed_at = None
        enrollment.save(update_fields=["removed_at"])
    return enrollment


def enrollment_add_by_username(*, classroom: Classroom, username: str) -> Enrollment:
    user = get_user_model().objects.filter(username__iexact=username.strip(), is_active=True)
    student = user.first()
    if student is None:
        raise ClassError(_("There is no account with the username “%s”.") % username.strip())
    return enrollment_add(classroom=classroom, student=student)


def enrollment_remove(*, classroom: Classroom, student_id: int) -> None:
    """End a student's membership. Their answers, reviews and grades stay."""
    Enrollment.objects.filter(
        classroom=classroom, student_id=student_id, removed_at__isnull=True
    ).update(removed_at=timezone.now())


def classroom_join(*, code: str, student: AbstractBaseUser) -> Classroom:
    classroom = Classroom.objects.filter(
        join_code=code.strip().upper().replace(" ", "").replace("-", ""),
        archived_at__isnull=True,
    ).first()
    if classroom is None:
        raise ClassError(_("No open class has that join code. Check it with your teacher."))
    enrollment_add(classroom=classroom, student=student)
    return classroom


def classroom_archive(*, classroom: Classroom) -> None:
    if classroom.archived_at is None:
        classroom.archived_at = timezone.now()
        classroom.save(update_fields=["archived_at"])


def coteacher_add(*, classroom: Classroom, username: str) -> AbstractBaseUser:
    teacher = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if teacher is None or Role.TEACHER not in roles_of(teacher):
        raise ClassError(_("There is no teacher with the username “%s”.") % username.strip())
    classroom.teachers.add(teacher)
    return teacher


# Rosters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    line: int
    username: str
    name: str
    email: str


@dataclass(frozen=True)
class Imported:
    username: str
    name: str
    password: str | None  # a one-time password, for an account the import created


class RosterError(Exception):
    def __init__(self, errors: Sequence[str]):
        super().__init__("\n".join(errors))
        self.errors = list(errors)


MAX_ROSTER_ROWS = 1000


def roster_parse(text: str) -> list[RosterRow]:
    """Read a CSV roster (username, name, email; a header row is optional).

    Raises RosterError listing every bad row, as "line N: message".
    """
    errors: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line, record in enumerate(reader, start=1):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue
        if line == 1 and [c.lower() for c in cells[:3]] == ["username", "name", "email"]:
            continue
        if len(cells) != 3:
            errors.append(
                _("line %(line)d: expected 3 columns (username, name, email), found %(n)d")
                % {"line": line, "n": len(cells)}
            )
            continue
        username, name, email = cells
        problem = _username_problem(username)
        if problem:
            errors.append(_("line %(line)d: %(problem)s") % {"line": line, "problem": problem})
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(
                    _("line %(line)d: “%(email)s” is not an email address")
                    % {"line": line, "email": email}
                )
        key = username.lower()
        if key in seen:
            errors.append(
                _("line %(line)d: username “%(username)s” is already on line %(first)d")
                % {"line": line, "username": username, "first": seen[key]}
            )
        seen.setdefault(key, line)
        rows.append(RosterRow(line, username, name, email))
        if len(rows) > MAX_ROSTER_ROWS:
            errors.append(_("the roster has more than %d rows") % MAX_ROSTER_ROWS)
            break
    if not rows and not errors:
        errors.append(_("the roster has no rows"))
    if errors:
        raise RosterError(errors)
    return rows


def _username_problem(username: str) -> str | None:
    if not username:
        return _("the username is empty")
    field = get_user_model()._meta.get_field("username")
    try:
        field.run_validators(username)
    except ValidationError as exc:
        return " ".join(exc.messages)
    if len(username) > field.max_length:
        return _("the username is longer than %d characters") % field.max_length
    return None


@transaction.atomic
def roster_import(*, classroom: Classroom, text: str) -> list[Imported]:
    """Enroll everyone on the roster, creating missing accounts with one-time passwords.

    All or nothing: any bad row raises RosterError and nothing is imported.
    """
    rows = roster_parse(text)
    User = get_user_model()
    existing = {
        user.username.lower(): user
        for user in User.objects.annotate(lower=Lower("username")).filter(
            lower__in=[row.username.lower() for row in rows]
        )
    }
    errors = [
        _("line %(line)d: “%(username)s” belongs to a teacher or author, not a student")
        % {"line": row.line, "username": row.username}
        for row in rows
        if (user := existing.get(row.username.lower()))
        and roles_of(user) & {Role.TEACHER, Role.AUTHOR}
    ]
    if errors:
        raise RosterError(errors)
    imported = []
    for row in rows:
        user = existing.get(row.username.lower())
        password = None
        if user is None:
            first, _sep, last = row.name.partition(" ")
            password = one_time_password()
            user = User.objects.create_user(
                username=row.username, email=row.email, first_name=first, last_name=last
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            Profile.objects.create(user=user, must_change_password=True)
        enrollment_add(classroom=classroom, student=user)
        imported.append(Imported(user.username, row.name, password))
    return imported


def one_time_password() -> str:
    words = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(12))
    return f"{words[:4]}-{words[4:8]}-{words[8:]}"


# Assignments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizSettings:
    question_count: int | None = 10
    shuffle_questions: bool = True
    shuffle_options: bool = True
    attempts_allowed: int | None = None
    time_limit_minutes: int | None = None
    feedback: str = FeedbackMode.IMMEDIATE


@transaction.atomic
def assignment_create(
    *,
    classroom: Classroom,
    teacher: AbstractBaseUser,
    lesson_set: LessonSet | None,
    lessons: Sequence[Lesson] = (),
    students: Sequence[AbstractBaseUser] = (),
    kind: str = AssignmentKind.STUDY,
    due_at: datetime,
    opens_at: datetime | None = None,
    target_recall: float = 0.85,
    quiz_settings: QuizSettings | None = None,
) -> Assignment:
    """Assign a lesson set, or single lessons, to a class or to some of its students.

    A quiz assignment gets its own quiz, with the teacher's settings, over those lessons.
    """
    if lesson_set is not None:
        items = lesson_set.items.filter(lesson__retired_at__isnull=True).select_related("lesson")
        chosen = [item.lesson for item in items.order_by("position")]
    else:
        chosen = list(lessons)
    if not chosen:
        raise ClassError(_("Choose a lesson set or at least one lesson."))
    if opens_at and opens_at >= due_at:
        raise ClassError(_("The due date must come after the opening date."))
    enrolled = set(
        classroom.enrollments.filter(removed_at__isnull=True).values_list("student_id", flat=True)
    )
    if any(student.pk not in enrolled for student in students):
        raise ClassError(_("Only students of this class can be given its assignments."))
    title = lesson_set.title if lesson_set else ", ".join(lesson.title for lesson in chosen)
    quiz = None
    if kind == AssignmentKind.QUIZ:
        settings = quiz_settings or QuizSettings()
        quiz = Quiz.objects.create(title=title, created_by=teacher, **asdict(settings))
        quiz.lessons.set(chosen)
    assignment = Assignment.objects.create(
        classroom=classroom,
        title=title[:300],
        lesson_set=lesson_set,
        kind=kind,
        quiz=quiz,
        target_recall=target_recall,
        opens_at=opens_at,
        due_at=due_at,
        created_by=teacher,
    )
    AssignmentLesson.objects.bulk_create(
        AssignmentLesson(assignment=assignment, lesson=lesson, position=i)
        for i, lesson in enumerate(chosen)
    )
    assignment.students.set(students)
    return assignment


# Demo data --------------------------------------------------------------------------------------


@transaction.atomic
def demo_seed(*, due_in: timedelta) -> list[str]:
    """Create or refresh the demo accounts, class and assignments. Safe to run again."""
    done: list[str] = []
    roles_grant()
    User = get_user_model()
    users = {}
    for username, first_name, roles, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "is_staff": staff}
        )
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.is_staff = staff
        user.save()
        for role in roles:
            user_add_role(user=user, role=role)
        users[username] = user
        done.append(f"{'created' if created else 'kept'} account {username} ({', '.join(roles)})")

    classroom = Classroom.objects.filter(name=DEMO_CLASS, teachers=users["teacher"]).first()
    if classroom is None:
        classroom = classroom_create(name=DEMO_CLASS, teacher=users["teacher"])
        done.append(f"created class {DEMO_CLASS!r}, join code {classroom.join_code}")
    for username in ("student", "student2"):
        enrollment_add(classroom=classroom, student=users[username])

    course = Course.objects.order_by("pk").first()
    if course is None:
        done.append("no course is loaded: run load_content first to get an assignment")
        return done
    for lesson_set in LessonSet.objects.filter(course=course).order_by("position"):
        if classroom.assignments.filter(lesson_set=lesson_set, kind=AssignmentKind.STUDY).exists():
            continue
        assignment_create(
            classroom=classroom,
            teacher=users["teacher"],
            lesson_set=lesson_set,
            due_at=timezone.now() + due_in,
        )
        done.append(f"assigned {lesson_set.title!r} to {DEMO_CLASS!r}")
    first_set = LessonSet.objects.filter(course=course).order_by("position").first()
    if first_set and not classroom.assignments.filter(kind=AssignmentKind.QUIZ).exists():
        assignment_create(
            classroom=classroom,
            teacher=users["teacher"],
            lesson_set=first_set,
            kind=AssignmentKind.QUIZ,
            due_at=timezone.now() + due_in,
            quiz_settings=QuizSettings(question_count=10),
        )
        done.append(f"assigned a quiz on {first_set.title!r} to {DEMO_CLASS!r}")
    return done
