"""Issue 8's defects in the teacher pages: consent before enrolment, a class's view of a student
limited to that class, sane dates and numbers, rosters that finish, and CSV cells that stay
text. Each test failed before its fix."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses import services, signin
from courses.models import (
    Assignment,
    AssignmentKind,
    Enrollment,
    Invitation,
    InvitationStatus,
    LessonSet,
    Profile,
)
from courses.roles import Role, roles_of
from quizzes.models import Attempt, Quiz
from quizzes.services import attempt_finish, attempt_start
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory


@pytest.fixture
def teacher_a(db):
    return TeacherFactory(username="teacher-a")


@pytest.fixture
def teacher_b(db):
    return TeacherFactory(username="teacher-b")


def quiz_for(classroom, teacher) -> Assignment:
    return services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=timezone.now() + timedelta(days=3),
        quiz_settings=services.QuizSettings(question_count=2),
    )


def finished_attempt(quiz, student, at=None) -> Attempt:
    at = at or timezone.now()
    return attempt_finish(attempt=attempt_start(quiz=quiz, student=student, now=at), now=at)


# Defect 1: consent, and a class sees only what the student did for it ----------------------------


@pytest.mark.django_db
def test_another_teacher_cannot_enrol_a_student_or_read_their_work_without_consent(
    client, mini, teacher_a, teacher_b
):
    student = StudentFactory(username="student")
    class_a = services.classroom_create(name="A", teacher=teacher_a)
    services.enrollment_add(classroom=class_a, student=student)
    finished_attempt(quiz_for(class_a, teacher_a).quiz, student)
    class_b = services.classroom_create(name="B", teacher=teacher_b)

    client.force_login(teacher_b)
    client.post(f"/classes/{class_b.pk}/", {"action": "add-student", "username": "student"})

    assert not Enrollment.objects.filter(classroom=class_b).exists()
    assert Invitation.objects.get(classroom=class_b).status == InvitationStatus.PENDING
    assert client.get(f"/classes/{class_b.pk}/students/{student.pk}/").status_code == 404


@pytest.mark.django_db
def test_only_student_accounts_can_be_invited_and_nobody_gains_a_role_by_it(
    client, mini, teacher_a, teacher_b
):
    author = AuthorFactory(username="writer")
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    for username, refusal in [
        ("writer", "is not a student account"),
        ("teacher-b", "is not a student account"),
        ("teacher-a", "a teacher cannot enrol themselves as a student"),
    ]:
        page = client.post(
            f"/classes/{classroom.pk}/",
            {"action": "add-student", "username": username},
            follow=True,
        )
        assert refusal in page.content.decode()
    assert not Invitation.objects.exists() and not Enrollment.objects.exists()
    author.refresh_from_db()
    assert Role.STUDENT not in set(author.groups.values_list("name", flat=True))


@pytest.mark.django_db
def test_a_student_accepts_or_declines_only_their_own_invitation(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    invited, other = StudentFactory(), StudentFactory()
    invitation = services.invitation_create(
        classroom=classroom, username=invited.username, invited_by=teacher_a
    )
    again = services.invitation_create(
        classroom=classroom, username=invited.username, invited_by=teacher_a
    )
    assert again.pk == invitation.pk

    client.force_login(other)
    assert client.post(f"/invitations/{invitation.pk}/", {"action": "accept"}).status_code == 404
    assert not classroom.enrollments.exists()

    client.force_login(invited)
    client.post(f"/invitations/{invitation.pk}/", {"action": "decline"})
    assert not classroom.enrollments.exists()
    assert client.post(f"/invitations/{invitation.pk}/", {"action": "accept"}).status_code == 404
    assert "invites you" not in client.get("/").content.decode()

    second = services.invitation_create(
        classroom=classroom, username=invited.username, invited_by=teacher_a
    )
    client.post(f"/invitations/{second.pk}/", {"action": "accept"})
    assert list(classroom.students.all()) == [invited]
    page = client.post(
        f"/classes/{classroom.pk}/", {"action": "add-student", "username": invited.username}
    )
    assert page.status_code == 404  # the student is no teacher; and a teacher is told below
    client.force_login(teacher_a)
    page = client.post(
        f"/classes/{classroom.pk}/",
        {"action": "add-student", "username": invited.username},
        follow=True,
    )
    assert "is already in this class" in page.content.decode()


@pytest.mark.django_db
def test_a_roster_invites_existing_students_instead_of_enrolling_them(client, mini, teacher_b):
    student = StudentFactory(username="student")
    classroom = services.classroom_create(name="B", teacher=teacher_b)
    client.force_login(teacher_b)
    page = client.post(
        f"/classes/{classroom.pk}/roster/",
        {"roster": SimpleUploadedFile("r.csv", b"student,Sam,\nnewbie,New Bie,\n")},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "existing account, invited" in html
    assert list(classroom.students.all()) == [get_user_model().objects.get(username="newbie")]
    assert Invitation.objects.get(student=student).status == InvitationStatus.PENDING
    assert html.count("<code>") == 2  # the new account's sign-in code, and the address


@pytest.mark.django_db
def test_the_class_record_shows_only_that_class_and_nothing_after_the_student_left(
    client, mini, teacher_a, teacher_b
):
    student = StudentFactory()
    class_a = services.classroom_create(name="A", teacher=teacher_a)
    class_b = services.classroom_create(name="B", teacher=teacher_b)
    services.enrollment_add(classroom=class_a, student=student)
    services.enrollment_add(classroom=class_b, student=student)
    quiz_a = quiz_for(class_a, teacher_a).quiz
    quiz_b = quiz_for(class_b, teacher_b).quiz
    self_study = Quiz.objects.get(key="lesson-mini-lesson")
    for quiz in (quiz_a, quiz_b, self_study):
        finished_attempt(quiz, student)

    client.force_login(teacher_b)
    url = f"/classes/{class_b.pk}/students/{student.pk}/"
    html = client.get(url).content.decode()
    assert quiz_b.title in html
    assert html.count('<article class="attempt">') == 1  # not A's quiz, not self-study

    client.post(f"/classes/{class_b.pk}/students/{student.pk}/remove/")
    later = timezone.now() + timedelta(hours=1)
    finished_attempt(quiz_b, student, at=later)  # started after leaving: not the class's
    record = client.get(url)
    html = record.content.decode()
    assert record.status_code == 200
    assert html.count('<article class="attempt">') == 1
    assert "left the class on" in html
    assert "Weakest cards" in html and "Not shown: the student has left the class." in html


@pytest.mark.django_db
def test_a_teacher_cannot_join_their_own_class_and_a_member_is_told_they_are_in(
    client, mini, teacher_a
):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    page = client.post("/join/", {"code": classroom.join_code}, follow=True)
    assert "You teach this class" in page.content.decode()
    assert not classroom.enrollments.exists()
    assert Role.STUDENT not in roles_of(get_user_model().objects.get(pk=teacher_a.pk))

    student = StudentFactory()
    client.force_login(student)
    client.post("/join/", {"code": classroom.join_code})
    page = client.post("/join/", {"code": classroom.join_code}, follow=True)
    assert "You are already in A" in page.content.decode()
    assert classroom.enrollments.count() == 1


# Defects 6 and 7: dates and numbers within what the columns hold ------------------------------


def assignment_post(lesson_set, **fields) -> dict:
    data = {
        "lesson_set": lesson_set.pk,
        "kind": AssignmentKind.QUIZ,
        "due_at": "2030-01-01T10:00",
        "target_recall": 85,
        "question_count": 10,
        "feedback": "immediate",
    }
    data.update(fields)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"due_at": "9999-12-31T23:59"}, "between the years 2000 and 2200"),
        ({"opens_at": "1900-01-01T00:00"}, "between the years 2000 and 2200"),
        ({"question_count": 32768}, "less than or equal to 1000"),
        ({"attempts_allowed": 40000}, "less than or equal to 100"),
        ({"time_limit_minutes": 10**24}, "less than or equal to 600"),
    ],
)
def test_far_off_dates_and_huge_numbers_are_form_errors(client, mini, teacher_a, fields, message):
    Profile.objects.create(user=teacher_a, time_zone="Pacific/Pago_Pago")
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    lesson_set = LessonSet.objects.get(key="mini-set")
    page = client.post(
        f"/classes/{classroom.pk}/assignments/new/", assignment_post(lesson_set, **fields)
    )
    assert page.status_code == 422
    assert message in page.content.decode()
    assert not Assignment.objects.exists()
    assert client.get(f"/classes/{classroom.pk}/").status_code == 200
    assert (
        client.post(
            f"/classes/{classroom.pk}/assignments/new/", assignment_post(lesson_set)
        ).status_code
        == 302
    )


@pytest.mark.django_db
def test_the_model_refuses_far_off_dates_too_for_the_admin(mini, teacher_a):
    from django.core.exceptions import ValidationError

    classroom = services.classroom_create(name="A", teacher=teacher_a)
    assignment = Assignment(
        classroom=classroom,
        title="x",
        due_at=timezone.now().replace(year=9999),
    )
    with pytest.raises(ValidationError, match="between the years"):
        assignment.full_clean()


@pytest.mark.django_db
def test_ids_that_overflow_the_database_are_not_found(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    huge = "1" + "0" * 24
    assert client.get(f"/classes/{huge}/").status_code == 404
    assert client.get(f"/classes/{classroom.pk}/students/{huge}/").status_code == 404
    assert client.get(f"/quizzes/{huge}/").status_code == 404
    assert client.get(f"/attempts/{huge}/").status_code == 404
    assert client.post(f"/classes/{classroom.pk}/students/{huge}/remove/").status_code == 404


# Defect 8: a roster of 1,000 without 1,000 password hashes ---------------------------------------


def roster(n: int, start: int = 0) -> SimpleUploadedFile:
    lines = "".join(f"s{i:04d},Student {i},s{i}@example.org\n" for i in range(start, start + n))
    return SimpleUploadedFile("roster.csv", ("username,name,email\n" + lines).encode())


@pytest.mark.django_db
def test_a_roster_creates_accounts_in_a_fixed_number_of_queries_without_hashing(
    client, mini, teacher_a, settings, django_assert_num_queries
):
    # The real, slow hasher: were one hash made per account, 1,000 rows would take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    # user, groups, class; savepoint; class row lock, existing accounts; savepoint, insert
    # users, release; profiles, student group, group memberships, enrolments; release (the
    # session comes from the cache)
    with django_assert_num_queries(14):
        page = client.post(f"/classes/{classroom.pk}/roster/", {"roster": roster(10)})
    assert page.status_code == 200
    with django_assert_num_queries(14):
        page = client.post(f"/classes/{classroom.pk}/roster/", {"roster": roster(1000, 10)})
    assert "1000 new accounts enrolled" in page.content.decode()
    created = get_user_model().objects.filter(username__startswith="s")
    assert created.count() == 1010 and classroom.enrollments.count() == 1010
    assert not any(user.has_usable_password() for user in created)
    assert Profile.objects.filter(user__in=created, must_change_password=True).count() == 1010
    assert all(Role.STUDENT in roles_of(user) for user in created[:5])


@pytest.mark.django_db
def test_a_sign_in_code_works_once_and_not_after_two_weeks(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    services.roster_import(classroom=classroom, text="kim,Kim Le,\n")
    kim = get_user_model().objects.get(username="kim")
    code = signin.sign_in_code(kim)

    assert not signin.sign_in_code_is_valid(kim, code, now=timezone.now() + timedelta(days=15))
    assert signin.sign_in_code_is_valid(kim, code, now=timezone.now() + timedelta(days=13))
    wrong = client.post("/sign-in/code/", {"username": "kim", "code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 422 and "do not match" in wrong.content.decode()
    assert client.post("/sign-in/code/", {"username": "KIM", "code": code}).status_code == 302
    client.logout()
    used = client.post("/sign-in/code/", {"username": "kim", "code": code})
    assert used.status_code == 422  # signing in changed last_login: the code is spent

    client.force_login(kim)
    client.post(
        "/accounts/password_change/",
        {"new_password1": "kims-own-2026!", "new_password2": "kims-own-2026!"},
    )
    again = services.roster_import(classroom=classroom, text="kim,Kim Le,\n")
    assert again[0].outcome == "already" and again[0].code is None  # kim has a password now


@pytest.mark.django_db
def test_a_roster_line_too_long_for_csv_is_a_clear_error(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    text = 'ok,Okay,\n"' + "x" * 140_000 + '",name,\n'
    page = client.post(
        f"/classes/{classroom.pk}/roster/",
        {"roster": SimpleUploadedFile("r.csv", text.encode())},
    )
    assert page.status_code == 422
    assert "line 2: this line cannot be read as CSV" in page.content.decode()
    assert not classroom.enrollments.exists()


# Defect 14: nothing stored by caches, and CSV cells that stay text ------------------------------


@pytest.mark.django_db
def test_private_pages_are_not_stored_and_csv_cells_stay_text(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    student = StudentFactory(username="x;=cmd", first_name="\t=1+1", last_name="a;@SUM(A1)")
    services.enrollment_add(classroom=classroom, student=student)
    client.force_login(teacher_a)
    for url in [
        f"/classes/{classroom.pk}/gradebook.csv",
        f"/classes/{classroom.pk}/students/{student.pk}/",
        f"/classes/{classroom.pk}/",
        "/",
    ]:
        assert "no-store" in client.get(url)["Cache-Control"], url
    body = client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode()
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    for separator in [";", "\t", ","]:
        for cell in cells:
            for part in cell.split(separator):
                assert not part.lstrip().startswith(("=", "+", "-", "@")), cell
    assert "x;'=cmd" in cells


@pytest.mark.django_db
def test_an_archived_class_takes_no_invitations_and_hides_old_ones(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    student = StudentFactory()
    services.invitation_create(classroom=classroom, username=student.username, invited_by=teacher_a)
    services.classroom_archive(classroom=classroom)
    with pytest.raises(services.ClassError, match="archived"):
        services.invitation_create(
            classroom=classroom, username=StudentFactory().username, invited_by=teacher_a
        )
    client.force_login(student)
    assert "invites you" not in client.get("/").content.decode()


# Found by a second reader attacking the above -------------------------------------------------


@pytest.mark.django_db
def test_removing_a_student_submits_their_open_attempt_at_the_class_quiz(client, mini, teacher_a):
    student = StudentFactory()
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    services.enrollment_add(classroom=classroom, student=student)
    quiz = quiz_for(classroom, teacher_a).quiz
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
    services.enrollment_remove(classroom=classroom, student_id=student.pk)
    attempt.refresh_from_db()
    assert attempt.finished_at is not None
    client.force_login(student)
    page = client.post(
        f"/attempts/{attempt.pk}/",
        {"action": "answer", "seq": attempt.seq, "position": 0, "choice": "0"},
    )
    assert page.status_code == 302 and not attempt.answers.exists()


@pytest.mark.django_db
def test_study_while_out_of_the_class_is_not_the_classes_after_rejoining(mini, teacher_a):
    from quizzes.models import Card
    from quizzes.services import review_record

    student = StudentFactory()
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    services.enrollment_add(classroom=classroom, student=student)
    quiz_for(classroom, teacher_a)
    services.enrollment_remove(classroom=classroom, student_id=student.pk)
    card = Card.objects.filter(lesson__key="mini-lesson").first()
    review_record(
        student=student, card=card, rating=3, reviewed_at=timezone.now(), duration_ms=3_000_000
    )
    services.classroom_join(code=classroom.join_code, student=student)
    from courses.results import student_record

    record = student_record(classroom=classroom, student=student, now=timezone.now())
    assert record.time_on_task_ms == 0


@pytest.mark.django_db
def test_a_teacher_with_a_student_role_cannot_invite_themselves(mini, teacher_a, teacher_b):
    from courses.services import user_add_role

    classroom = services.classroom_create(name="A", teacher=teacher_a)
    services.coteacher_add(classroom=classroom, username=teacher_b.username)
    for teacher in (teacher_a, teacher_b):
        user_add_role(user=teacher, role=Role.STUDENT)
        teacher._roles = None
    with pytest.raises(services.ClassError, match="cannot enrol themselves as a student"):
        services.invitation_create(
            classroom=classroom, username=teacher_a.username, invited_by=teacher_a
        )
    with pytest.raises(services.ClassError, match="teaches this class"):
        services.invitation_create(
            classroom=classroom, username=teacher_b.username, invited_by=teacher_a
        )
    assert not classroom.invitations.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bob,Bo\x00b,\n", "control or invisible characters"),
        ("bob,Bob \u202eevil,\n", "control or invisible characters"),
        ("ｓｔｕｄｅｎｔ,Full Width,\n", "look-alike characters"),
        ("gone,Gone Student,\n", "the account “gone” is deactivated"),
    ],
)
def test_roster_rows_that_cannot_be_stored_or_trusted_are_errors(
    client, mini, teacher_a, text, message
):
    StudentFactory(username="gone", is_active=False)
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    client.force_login(teacher_a)
    page = client.post(
        f"/classes/{classroom.pk}/roster/",
        {"roster": SimpleUploadedFile("r.csv", text.encode())},
    )
    assert page.status_code == 422
    assert message in page.content.decode()
    assert not classroom.enrollments.exists()


@pytest.mark.django_db
def test_a_roster_with_old_mac_line_endings_is_read(mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    imported = services.roster_import(classroom=classroom, text="ann,Ann,\rben,Ben,\r")
    assert [row.username for row in imported] == ["ann", "ben"]


@pytest.mark.django_db
def test_a_student_who_left_before_choosing_a_password_gets_a_new_code(client, mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    (row,) = services.roster_import(classroom=classroom, text="kim,Kim Le,\n")
    assert client.post("/sign-in/code/", {"username": "kim", "code": row.code}).status_code == 302
    client.post("/accounts/logout/")
    (again,) = services.roster_import(classroom=classroom, text="kim,Kim Le,\n")
    assert again.code and again.code != row.code
    assert client.post("/sign-in/code/", {"username": "kim", "code": again.code}).status_code == 302


@pytest.mark.django_db
def test_sign_in_code_failures_count_against_the_account_whatever_the_case(
    client, mini, teacher_a, settings
):
    from axes.models import AccessAttempt

    classroom = services.classroom_create(name="A", teacher=teacher_a)
    services.roster_import(classroom=classroom, text="kim,Kim Le,\n")
    for typed in ["kim", "Kim", "KIM", "kIm"]:
        client.post("/sign-in/code/", {"username": typed, "code": "AAAA-BBBB-CCCC"})
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"kim"}


def test_a_formula_behind_a_quote_after_a_separator_is_neutralised():
    from courses.results import csv_safe

    assert csv_safe('a;"=1+1"') == 'a;"\'=1+1"'
    assert csv_safe("'@cmd") == "''@cmd"


@pytest.mark.django_db
def test_a_roster_of_existing_students_invites_them_in_a_fixed_number_of_queries(
    mini, teacher_a, django_assert_num_queries
):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    students = [StudentFactory(username=f"ex{i:03d}") for i in range(300)]
    services.invitation_create(classroom=classroom, username="ex000", invited_by=teacher_a)

    def roster_of(users) -> str:
        return "".join(f"{u.username},{u.first_name},\n" for u in users)

    # savepoint; class row lock, existing accounts, students among them, teachers among them,
    # enrolled among them; insert invitations; release
    with django_assert_num_queries(8):
        services.roster_import(classroom=classroom, text=roster_of(students[:10]))
    with django_assert_num_queries(8):
        imported = services.roster_import(classroom=classroom, text=roster_of(students))
    assert {row.outcome for row in imported} == {"invited"}
    pending = Invitation.objects.filter(classroom=classroom, status=InvitationStatus.PENDING)
    assert pending.count() == 300
    assert not classroom.enrollments.exists()


@pytest.mark.django_db
def test_the_date_the_roster_page_gives_is_when_the_code_stops_working(mini, teacher_a):
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    (row,) = services.roster_import(classroom=classroom, text="kim,Kim Le,\n")
    kim = get_user_model().objects.get(username="kim")
    until = signin.valid_until()
    assert signin.sign_in_code_is_valid(kim, row.code, now=until - timedelta(microseconds=1))
    assert not signin.sign_in_code_is_valid(kim, row.code, now=until)


@pytest.mark.django_db
def test_a_removal_submits_changeable_answers_within_the_students_study_day(
    client, mini, teacher_a
):
    """A free quiz with feedback at the end feeds the schedule at submission, once per card per
    study day. Submitted by the student's removal, it keeps that rule: a card the student
    reviewed earlier today is not fed again by the quiz."""
    from quizzes.models import Card, QuestionVersion, ReviewLog, ReviewSource
    from quizzes.services import review_record
    from tests.quizzes.test_quiz_navigation import answer_at

    student = StudentFactory()
    classroom = services.classroom_create(name="A", teacher=teacher_a)
    services.enrollment_add(classroom=classroom, student=student)
    assignment = services.assignment_create(
        classroom=classroom,
        teacher=teacher_a,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=timezone.now() + timedelta(days=3),
        quiz_settings=services.QuizSettings(
            question_count=None, shuffle_questions=False, feedback="end", navigation="free"
        ),
    )
    attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
    versions = QuestionVersion.objects.in_bulk(attempt.versions)
    fed = {
        position
        for position, pk in enumerate(attempt.versions)
        if Card.objects.filter(question_id=versions[pk].question_id).exists()
    }
    client.force_login(student)
    for position in sorted(fed):
        assert answer_at(client, attempt, position).status_code == 302
    reviewed = Card.objects.get(question_id=versions[attempt.versions[min(fed)]].question_id)
    review_record(
        student=student, card=reviewed, rating=3, reviewed_at=timezone.now(), duration_ms=4000
    )

    services.enrollment_remove(classroom=classroom, student_id=student.pk)

    attempt.refresh_from_db()
    quiz_fed = ReviewLog.objects.filter(student=student, source=ReviewSource.QUIZ)
    assert attempt.finished_at is not None
    assert not quiz_fed.filter(card=reviewed).exists()  # reviewed today already
    assert attempt.answers.filter(position__in=fed).count() == len(fed) >= 1
