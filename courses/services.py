"""Writes for courses: classes, enrollments, rosters, assignments, and the demo data."""

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from content import usercache
from content.models import Lesson
from courses import joincodes, selectors, signin
from courses.models import (
    Assignment,
    AssignmentKind,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    Invitation,
    InvitationStatus,
    LessonSet,
    Profile,
)
from courses.roles import Role, roles_grant, roles_of
from quizzes.models import Attempt, FeedbackMode, NavigationMode, Quiz
from quizzes.services import attempt_finish

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


class AlreadyDone(ClassError):
    """What was asked for is so already (the student is in the class): nothing changed, and
    the message says so. Not a mistake to be told off for."""


# How long a teacher may undo a student's removal (`enrollment_restore`).
REMOVAL_UNDO_WINDOW = timedelta(minutes=10)


def user_add_role(*, user: AbstractBaseUser, role: str) -> None:
    user.groups.add(Group.objects.get(name=role))


@transaction.atomic
def classroom_create(*, name: str, teacher: AbstractBaseUser) -> Classroom:
    classroom = Classroom.objects.create(name=name.strip())
    classroom.teachers.add(teacher)
    return classroom


def enrollment_add(*, classroom: Classroom, student: AbstractBaseUser) -> Enrollment:
    """Enroll a student, or enroll them again after a removal (their history is still there).

    Callers have the student's consent: they typed the join code, accepted an invitation, or
    their account was made for this class from a roster. Safe against a concurrent enrolment.
    """
    enrollment, created = Enrollment.objects.get_or_create(classroom=classroom, student=student)
    if not created and enrollment.removed_at is not None:
        # A new membership: what the student did while out of the class is not the class's.
        enrollment.removed_at = None
        enrollment.joined_at = timezone.now()
        enrollment.save(update_fields=["removed_at", "joined_at"])
    return enrollment


def _is_enrolled(classroom: Classroom, student: AbstractBaseUser) -> bool:
    return classroom.enrollments.filter(student=student, removed_at__isnull=True).exists()


@transaction.atomic
def invitation_create(
    *, classroom: Classroom, username: str, invited_by: AbstractBaseUser
) -> Invitation:
    """Invite an existing student account to the class; they join when they accept.

    Only accounts with the Student role can be invited, so a teacher cannot pull an author,
    another teacher or themselves into a class. Inviting twice gives the same invitation.
    """
    username = username.strip()
    if classroom.archived_at is not None:
        raise ClassError(_("This class is archived: it takes no new students."))
    user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise ClassError(_("There is no account with the username “%s”.") % username)
    if user.pk == invited_by.pk:
        raise ClassError(
            _("That is your own username: a teacher cannot enrol themselves as a student.")
        )
    if Role.STUDENT not in roles_of(user):
        raise ClassError(
            _("“%s” is not a student account; only students can be added to a class.") % username
        )
    if classroom.teachers.filter(pk=user.pk).exists():
        raise ClassError(_("%s teaches this class.") % user.get_username())
    if _is_enrolled(classroom, user):
        raise AlreadyDone(_("%s is already in this class.") % user.get_username())
    pending = classroom.invitations.filter(student=user, status=InvitationStatus.PENDING)
    invitation = pending.first()
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    classroom=classroom, student=user, invited_by=invited_by
                )
        except IntegrityError:  # the same invitation, sent at the same instant
            invitation = pending.get()
    return invitation


@transaction.atomic
def invitation_respond(
    *, invitation_id: int, student: AbstractBaseUser, accept: bool, now: datetime
) -> Invitation | None:
    """Accept or decline the student's own pending invitation. None if there is no such
    invitation (someone else's, already answered, or its class archived)."""
    invitation = (
        selectors.invitations_for_student(student=student)
        .select_for_update(of=("self",))
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return None
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.responded_at = now
    invitation.save(update_fields=["status", "responded_at"])
    if accept:
        enrollment_add(classroom=invitation.classroom, student=student)
    return invitation


def open_class_attempts(*, classroom: Classroom, student_id: int) -> models.QuerySet[Attempt]:
    """The student's unfinished attempts at the class's quizzes."""
    return Attempt.objects.filter(
        student_id=student_id,
        finished_at__isnull=True,
        quiz__in=classroom.assignments.filter(kind=AssignmentKind.QUIZ).values("quiz_id"),
    )


@transaction.atomic
def enrollment_remove(*, classroom: Classroom, student_id: int) -> bool:
    """End a student's membership. Their answers, reviews and grades stay; an attempt they had
    open at one of the class's quizzes is submitted as it stands, since the quiz is no longer
    theirs to answer. False if they were not in the class (removed already, in another tab)."""
    now = timezone.now()
    ended = Enrollment.objects.filter(
        classroom=classroom, student_id=student_id, removed_at__isnull=True
    ).update(removed_at=now)
    if not ended:
        return False
    usercache.forget_user(student_id)  # the update above sends no signal
    for attempt in open_class_attempts(classroom=classroom, student_id=student_id).select_related(
        "student"
    ):
        attempt_submit(attempt=attempt, now=now)
    return True


def attempt_submit(*, attempt: Attempt, now: datetime) -> Attempt:
    """Submit the attempt, by its student or on their behalf (a removal from the class). Where
    its answers could still change, they feed the student's flashcard schedule now, within the
    student's study day and with their course's desired retention, as their answers would have
    one by one (read only then: one more query or two)."""
    day_start, retention, parameters = None, 0.9, ()
    if attempt.answers_changeable:
        lesson_id = attempt.quiz.lessons.values_list("pk", flat=True).first()
        day = selectors.study_day_for(user=attempt.student, now=now, lesson_ids=[lesson_id])
        day_start, retention, parameters = day.start, day.desired_retention, day.parameters
    return attempt_finish(
        attempt=attempt,
        now=now,
        day_start=day_start,
        desired_retention=retention,
        parameters=parameters,
    )


def enrollment_restore(*, classroom: Classroom, student_id: int, now: datetime) -> bool:
    """Undo a removal made within REMOVAL_UNDO_WINDOW before `now`: the same membership goes on
    (the same enrolment row, its first `joined_at`), as if the removal had not happened, so the
    class's record of the student has no gap. The quiz attempt the removal submitted stays
    submitted, with the score it had; the student may start another where the quiz allows.

    False if there is no such removal: undone already (another tab), too old to undo (invite
    the student again), or the student was never removed. One UPDATE, so two undos at once
    restore once.
    """
    restored = Enrollment.objects.filter(
        classroom=classroom,
        student_id=student_id,
        removed_at__gte=now - REMOVAL_UNDO_WINDOW,
    ).update(removed_at=None)
    if restored:
        usercache.forget_user(student_id)  # the update above sends no signal
    return bool(restored)


@transaction.atomic
def classroom_join(*, code: str, student: AbstractBaseUser) -> Classroom:
    """The student typed the class's code, or followed its join link: they join it, and become
    a student if they were not one (an account with no role yet). A teacher of the class cannot
    join it as a student. Wrong codes count towards the user's limit (courses.joincodes), past
    which this raises joincodes.TooManyGuesses."""
    classroom = joincodes.open_class_for(code=code, user_id=student.pk)
    if classroom is None:
        raise ClassError(_("No open class has that join code. Check it with your teacher."))
    if classroom.teachers.filter(pk=student.pk).exists():
        raise ClassError(_("You teach this class, so you cannot join it as a student."))
    if _is_enrolled(classroom, student):
        raise AlreadyDone(_("You are already in %s.") % classroom.name)
    if Role.STUDENT not in roles_of(student):
        user_add_role(user=student, role=Role.STUDENT)
    enrollment_add(classroom=classroom, student=student)
    classroom.invitations.filter(student=student, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.ACCEPTED, responded_at=timezone.now()
    )
    return classroom


def classroom_archive(*, classroom: Classroom, now: datetime | None = None) -> bool:
    """Archive the class: it leaves its teachers' and students' dashboards, takes no new
    students and no new assignments; nothing is deleted, and `classroom_restore` brings it
    back. False if it was archived already (another tab): one UPDATE, so two at once archive
    once."""
    now = now or timezone.now()
    archived = Classroom.objects.filter(pk=classroom.pk, archived_at__isnull=True).update(
        archived_at=now
    )
    if archived:
        classroom.archived_at = now
        usercache.forget_all()  # the update above sends no signal
    return bool(archived)


def classroom_restore(*, classroom: Classroom) -> bool:
    """Bring an archived class back as it was: its students, assignments and join code. False
    if it was not archived (restored already, in another tab)."""
    restored = Classroom.objects.filter(pk=classroom.pk, archived_at__isnull=False).update(
        archived_at=None
    )
    if restored:
        classroom.archived_at = None
        usercache.forget_all()  # the update above sends no signal
    return bool(restored)


def coteacher_add(*, classroom: Classroom, username: str) -> AbstractBaseUser:
    teacher = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if teacher is None or Role.TEACHER not in roles_of(teacher):
        raise ClassError(_("There is no teacher with the username “%s”.") % username.strip())
    if classroom.teachers.filter(pk=teacher.pk).exists():
        raise AlreadyDone(_("%s already teaches this class.") % teacher.get_username())
    classroom.teachers.add(teacher)
    return teacher


# Rosters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    line: int
    username: str
    name: str
    email: str


class RosterOutcome(models.TextChoices):
    CREATED = "created", _("new account, enrolled")
    INVITED = "invited", _("existing account, invited")
    ALREADY = "already", _("already in this class")


@dataclass(frozen=True)
class Imported:
    username: str
    name: str
    outcome: str
    # A one-time sign-in code, for an account made for this class that has not signed in yet.
    code: str | None = None


class RosterError(Exception):
    def __init__(self, errors: Sequence[str]):
        super().__init__("\n".join(errors))
        self.errors = list(errors)


MAX_ROSTER_ROWS = 1000
MAX_EMAIL_LENGTH = 254  # the column's length
MAX_NAME_LENGTH = 300  # first and last name, 150 characters each at most


def roster_parse(text: str) -> list[RosterRow]:
    """Read a CSV roster (username, name, email; a header row is optional).

    Raises RosterError listing every bad row, as "line N: message".
    """
    errors: list[str] = []
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    for line, record in _csv_records(reader, errors):
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
        if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs"} for ch in name):
            errors.append(
                _("line %(line)d: the name contains control or invisible characters")
                % {"line": line}
            )
        if len(name) > MAX_NAME_LENGTH:
            errors.append(
                _("line %(line)d: the name is longer than %(n)d characters")
                % {"line": line, "n": MAX_NAME_LENGTH}
            )
        if email:
            try:
                if len(email) > MAX_EMAIL_LENGTH:
                    raise ValidationError("too long")
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


def _csv_records(reader, errors: list[str]):
    """(line number, cells) for each record; a record the csv module cannot read (an unclosed
    quote, a field over its size limit) ends the file with an error rather than a crash."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(
                _("line %(line)d: this line cannot be read as CSV (%(reason)s)")
                % {"line": reader.line_num, "reason": exc}
            )
            return
        yield reader.line_num, record


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
    if get_user_model().normalize_username(username) != username:
        # Full-width and other compatibility forms: the login form would turn the name into
        # another account's (NFKC), so its owner could never sign in with a password.
        return _("the username has look-alike characters; use plain letters and digits")
    return None


@transaction.atomic
def roster_import(
    *, classroom: Classroom, text: str, invited_by: AbstractBaseUser | None = None
) -> list[Imported]:
    """Bring everyone on the roster into the class. All or nothing: any bad row raises
    RosterError and nothing is imported.

    A username with no account gets a new student account, enrolled, with a one-time sign-in
    code (courses.signin) and no password hash, so a roster of 1,000 takes seconds. A student
    account that exists already is invited, not enrolled: its owner consents on their dashboard.
    Students of this class who have not chosen a password yet get a current code, so a teacher
    who lost the list, or a student who signed in and left before choosing a password, is
    helped by uploading the roster again. Imports into one class are serialised on its row.
    """
    rows = roster_parse(text)
    Classroom.objects.select_for_update().filter(pk=classroom.pk).first()
    User = get_user_model()
    existing = {
        user.username.lower(): user
        for user in User.objects.annotate(lower=Lower("username")).filter(
            lower__in=[row.username.lower() for row in rows]
        )
    }
    student_ids = set(
        User.objects.filter(
            pk__in=[u.pk for u in existing.values()], groups__name=Role.STUDENT
        ).values_list("pk", flat=True)
    )
    teacher_ids = set(classroom.teachers.filter(pk__in=student_ids).values_list("pk", flat=True))
    errors = []
    for row in rows:
        user = existing.get(row.username.lower())
        if user is None:
            continue
        if invited_by is not None and user.pk == invited_by.pk:
            problem = _("“%s” is your own username: a teacher cannot enrol themselves") % (
                row.username
            )
        elif user.pk not in student_ids:
            problem = _("“%s” is not a student account") % row.username
        elif user.pk in teacher_ids:
            problem = _("%s teaches this class") % row.username
        elif not user.is_active:
            problem = _("the account “%s” is deactivated") % row.username
        else:
            continue
        errors.append(_("line %(line)d: %(problem)s") % {"line": row.line, "problem": problem})
    if errors:
        raise RosterError(errors)
    enrolled = set(
        classroom.enrollments.filter(
            student__in=existing.values(), removed_at__isnull=True
        ).values_list("student_id", flat=True)
    )
    new_rows = [row for row in rows if row.username.lower() not in existing]
    created = _accounts_create(new_rows)
    Enrollment.objects.bulk_create(
        Enrollment(classroom=classroom, student=user) for user in created.values()
    )
    # Existing students are invited; one already invited keeps their pending invitation (the
    # conflict with `invitation_one_pending` is ignored).
    Invitation.objects.bulk_create(
        [
            Invitation(classroom=classroom, student=user, invited_by=invited_by)
            for user in existing.values()
            if user.pk not in enrolled
        ],
        ignore_conflicts=True,
    )
    usercache.forget_all()  # the bulk inserts above send no signal
    imported = []
    for row in rows:
        user = existing.get(row.username.lower())
        if user is None:
            user = created[row.username.lower()]
            outcome, code = RosterOutcome.CREATED, signin.sign_in_code(user)
        elif user.pk in enrolled:
            outcome, code = RosterOutcome.ALREADY, None
            # Not signed in yet, or signed in with a code but never chose a password: a new
            # code (signing in changed the account's last login, so the old one is spent).
            if not user.has_usable_password():
                code = signin.sign_in_code(user)
        else:
            outcome, code = RosterOutcome.INVITED, None
        imported.append(Imported(user.username, row.name or user.get_full_name(), outcome, code))
    return imported


def _accounts_create(rows: Sequence[RosterRow]) -> dict[str, AbstractBaseUser]:
    """New student accounts, with unusable passwords, in a fixed number of queries."""
    if not rows:
        return {}
    User = get_user_model()
    users = []
    for row in rows:
        first, _sep, last = row.name.partition(" ")
        users.append(
            User(
                username=row.username,
                email=row.email,
                first_name=first[:150],
                last_name=last[:150].strip(),
                password=make_password(None),
            )
        )
    try:
        with transaction.atomic():
            User.objects.bulk_create(users)
    except IntegrityError as exc:  # another import created one of them at the same instant
        raise RosterError(
            [_("some of these accounts were created by another import just now; upload again")]
        ) from exc
    if users and users[0].pk is None:  # a database that does not return ids from bulk inserts
        users = list(User.objects.filter(username__in=[u.username for u in users]))
    Profile.objects.bulk_create(Profile(user=user, must_change_password=True) for user in users)
    group = Group.objects.get(name=Role.STUDENT)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=group.pk) for user in users
    )
    return {user.username.lower(): user for user in users}


# Assignments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizSettings:
    question_count: int | None = 10
    shuffle_questions: bool = True
    shuffle_options: bool = True
    attempts_allowed: int | None = None
    time_limit_minutes: int | None = None
    feedback: str = FeedbackMode.IMMEDIATE
    navigation: str = NavigationMode.SEQUENTIAL


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
    title: str = "",
) -> Assignment:
    """Assign a lesson set, or single lessons, to a class or to some of its students.

    A quiz assignment gets its own quiz, with the teacher's settings, over those lessons.
    Without a `title`, the lesson set's title, or the lessons' titles, name it.
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
    title = (
        " ".join(title.split())
        or (lesson_set.title if lesson_set else ", ".join(lesson.title for lesson in chosen))
    )[:300]  # the columns' length, for the quiz too
    quiz = None
    if kind == AssignmentKind.QUIZ:
        settings = quiz_settings or QuizSettings()
        quiz = Quiz.objects.create(title=title, created_by=teacher, **asdict(settings))
        quiz.lessons.set(chosen)
    assignment = Assignment.objects.create(
        classroom=classroom,
        title=title,
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
