"""Issue 11, "Forgiving pages": confirmations, undo, messages that say what happened, the
assignment form, join links, and the first sign-in after a roster import."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses import joincodes, services
from courses.models import Assignment, AssignmentKind, Classroom, Enrollment, LessonSet, Profile
from quizzes.models import Attempt
from quizzes.services import attempt_start
from tests.factories import PASSWORD, StudentFactory, TeacherFactory


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


@pytest.fixture
def classroom(mini, teacher):
    return services.classroom_create(name="Period 3", teacher=teacher)


@pytest.fixture
def pupil(classroom):
    student = StudentFactory(username="pupil")
    services.enrollment_add(classroom=classroom, student=student)
    return student


def study_goal(classroom, teacher) -> Assignment:
    return services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        due_at=timezone.now() + timedelta(days=3),
    )


def quiz(classroom, teacher) -> Assignment:
    return services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=timezone.now() + timedelta(days=3),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# Archiving asks first, and archived classes can be restored ------------------------------------


@pytest.mark.django_db
def test_archiving_asks_first_and_a_restored_class_comes_back_for_teacher_and_students(
    client, classroom, teacher, pupil
):
    study_goal(classroom, teacher)
    client.force_login(pupil)
    assert client.get("/").content.decode().count('<article class="assignment') == 1
    client.force_login(teacher)
    class_page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert f'href="/classes/{classroom.pk}/archive/"' in class_page

    confirm = client.get(f"/classes/{classroom.pk}/archive/")
    assert confirm.status_code == 200
    assert "Archive Period 3?" in confirm.content.decode()
    assert "1 student" in confirm.content.decode()
    classroom.refresh_from_db()
    assert classroom.archived_at is None  # asking changes nothing

    archived = client.post(f"/classes/{classroom.pk}/archive/", follow=True)
    classroom.refresh_from_db()
    assert classroom.archived_at is not None
    assert archived.redirect_chain == [("/classes/archived/", 302)]
    html = archived.content.decode()
    assert "Period 3 is archived" in html
    assert f'action="/classes/{classroom.pk}/restore/"' in html and ">Restore<" in html
    assert "Period 3" not in client.get("/").content.decode()
    assert 'href="/classes/archived/"' in client.get("/").content.decode()
    client.force_login(pupil)
    assert '<article class="assignment' not in client.get("/").content.decode()

    client.force_login(teacher)
    restored = client.post(f"/classes/{classroom.pk}/restore/", follow=True)
    classroom.refresh_from_db()
    assert classroom.archived_at is None
    assert "Period 3 is restored" in restored.content.decode()
    assert "Period 3" in client.get("/").content.decode()
    assert "no archived classes" in client.get("/classes/archived/").content.decode()
    client.force_login(pupil)
    assert client.get("/").content.decode().count('<article class="assignment') == 1


@pytest.mark.django_db
def test_archiving_or_restoring_twice_says_so_and_changes_nothing_more(client, classroom, teacher):
    client.force_login(teacher)
    client.post(f"/classes/{classroom.pk}/archive/")
    classroom.refresh_from_db()
    first = classroom.archived_at

    again = client.post(f"/classes/{classroom.pk}/archive/", follow=True)
    classroom.refresh_from_db()
    assert classroom.archived_at == first
    assert "Period 3 was archived already." in messages_of(again)
    asked = client.get(f"/classes/{classroom.pk}/archive/", follow=True)
    assert asked.redirect_chain == [(f"/classes/{classroom.pk}/", 302)]

    client.post(f"/classes/{classroom.pk}/restore/")
    again = client.post(f"/classes/{classroom.pk}/restore/", follow=True)
    assert "Period 3 is not archived." in messages_of(again)


@pytest.mark.django_db
def test_archived_classes_are_listed_only_to_their_own_teachers(client, classroom, teacher):
    other_teacher = TeacherFactory()
    theirs = services.classroom_create(name="Their class", teacher=other_teacher)
    services.classroom_archive(classroom=classroom)
    services.classroom_archive(classroom=theirs)

    client.force_login(teacher)
    html = client.get("/classes/archived/").content.decode()
    assert "Period 3" in html and "Their class" not in html
    assert client.post(f"/classes/{theirs.pk}/restore/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.archived_at is not None

    client.force_login(StudentFactory())
    assert client.get("/classes/archived/").status_code == 404
    assert client.post(f"/classes/{classroom.pk}/restore/").status_code == 404


@pytest.mark.django_db
def test_the_archived_classes_page_costs_the_same_queries_for_2_and_20_classes(
    client, teacher, mini, django_assert_num_queries
):
    client.force_login(teacher)
    for size in (2, 20):
        while Classroom.objects.filter(archived_at__isnull=False).count() < size:
            services.classroom_archive(
                classroom=services.classroom_create(name="Old", teacher=teacher)
            )
        # user, groups (the session comes from the cache), the classes
        with django_assert_num_queries(3):
            assert client.get("/classes/archived/").status_code == 200


# Removing a student asks first, and can be undone for a while ----------------------------------


@pytest.mark.django_db
def test_removing_a_student_asks_first_and_an_undo_restores_the_same_membership(
    client, classroom, teacher, pupil
):
    set_quiz = quiz(classroom, teacher)
    open_attempt = attempt_start(quiz=set_quiz.quiz, student=pupil, now=timezone.now())
    enrolment = Enrollment.objects.get(classroom=classroom, student=pupil)
    client.force_login(teacher)
    remove_url = f"/classes/{classroom.pk}/students/{pupil.pk}/remove/"
    assert f'href="{remove_url}"' in client.get(f"/classes/{classroom.pk}/").content.decode()

    confirm = client.get(remove_url)
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert f"Remove {pupil.get_full_name()} from Period 3?" in html
    assert "Their history stays" in html and "submitted as it stands" in html
    assert "undo this on the class page for 10 minutes" in html
    assert Enrollment.objects.get(pk=enrolment.pk).removed_at is None  # asking changes nothing

    removed = client.post(remove_url, follow=True)
    enrolment.refresh_from_db()
    assert enrolment.removed_at is not None
    html = removed.content.decode()
    assert "pupil was removed; their history stays." in html
    undo_url = f"/classes/{classroom.pk}/students/{pupil.pk}/undo-remove/"
    assert f'action="{undo_url}"' in html and ">Undo<" in html
    assert Attempt.objects.get(pk=open_attempt.pk).finished_at is not None

    undone = client.post(undo_url, follow=True)
    enrolment_after = Enrollment.objects.get(classroom=classroom, student=pupil)
    assert enrolment_after.pk == enrolment.pk
    assert enrolment_after.removed_at is None
    assert enrolment_after.joined_at == enrolment.joined_at  # the same membership, no gap
    assert "pupil is back in the class." in messages_of(undone)
    assert f'action="{undo_url}"' not in undone.content.decode()
    # The quiz the removal submitted stays submitted.
    assert Attempt.objects.get(pk=open_attempt.pk).finished_at is not None
    client.force_login(pupil)
    assert client.get("/").content.decode().count('<article class="assignment') == 1

    client.force_login(teacher)
    again = client.post(undo_url, follow=True)
    assert "pupil is in the class." in messages_of(again)
    assert Enrollment.objects.filter(classroom=classroom, student=pupil).count() == 1


@pytest.mark.django_db
def test_a_removal_older_than_the_undo_window_cannot_be_undone(client, classroom, teacher, pupil):
    services.enrollment_remove(classroom=classroom, student_id=pupil.pk)
    long_ago = timezone.now() - services.REMOVAL_UNDO_WINDOW - timedelta(seconds=1)
    Enrollment.objects.filter(student=pupil).update(removed_at=long_ago)
    client.force_login(teacher)
    undo_url = f"/classes/{classroom.pk}/students/{pupil.pk}/undo-remove/"
    assert f'action="{undo_url}"' not in client.get(f"/classes/{classroom.pk}/").content.decode()

    late = client.post(undo_url, follow=True)

    assert Enrollment.objects.get(student=pupil).removed_at == long_ago
    assert any("too long to undo" in m for m in messages_of(late))


@pytest.mark.django_db
def test_removing_a_student_who_left_already_says_so(client, classroom, teacher, pupil):
    services.enrollment_remove(classroom=classroom, student_id=pupil.pk)
    client.force_login(teacher)
    remove_url = f"/classes/{classroom.pk}/students/{pupil.pk}/remove/"
    asked = client.get(remove_url, follow=True)
    assert asked.redirect_chain == [(f"/classes/{classroom.pk}/", 302)]
    assert "pupil is not in this class." in messages_of(asked)
    assert "pupil is not in this class." in messages_of(client.post(remove_url, follow=True))


@pytest.mark.django_db
def test_another_teacher_can_neither_remove_nor_bring_back_a_student(
    client, classroom, teacher, pupil
):
    services.enrollment_remove(classroom=classroom, student_id=pupil.pk)
    client.force_login(TeacherFactory())
    base = f"/classes/{classroom.pk}/students/{pupil.pk}"
    assert client.get(f"{base}/remove/").status_code == 404
    assert client.post(f"{base}/undo-remove/").status_code == 404
    assert Enrollment.objects.get(student=pupil).removed_at is not None


# Messages say what happened ---------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_students_says_what_happened(client, classroom, teacher, pupil):
    client.force_login(teacher)
    url = f"/classes/{classroom.pk}/"

    def add(username: str, action: str = "add-student") -> list[str]:
        return messages_of(client.post(url, {"action": action, "username": username}, follow=True))

    assert add("PUPIL") == ["pupil is already in this class."]
    assert add("tea") == [
        "That is your own username: a teacher cannot enrol themselves as a student."
    ]
    StudentFactory(username="newcomer")
    assert add("newcomer")[0].startswith("newcomer is invited.")
    assert add("newcomer") == [
        "newcomer was invited already; they join when they accept the invitation."
    ]
    assert classroom.invitations.filter(student__username="newcomer").count() == 1
    TeacherFactory(username="helper")
    assert add("helper", "add-teacher") == ["helper now teaches this class too."]
    assert add("helper", "add-teacher") == ["helper already teaches this class."]
    assert add("", "add-teacher") == ["Enter a username."]

    roster = SimpleUploadedFile("r.csv", b"tea,The Teacher,\n")
    page = client.post(f"/classes/{classroom.pk}/roster/", {"roster": roster})
    assert page.status_code == 422
    assert "“tea” is your own username: a teacher cannot enrol themselves" in (
        page.content.decode()
    )


@pytest.mark.django_db
def test_joining_a_class_you_are_in_or_teach_says_so(client, classroom, teacher, pupil):
    client.force_login(pupil)
    joined = client.post("/join/", {"code": classroom.join_code}, follow=True)
    assert messages_of(joined) == ["You are already in Period 3."]
    assert Enrollment.objects.filter(student=pupil).count() == 1

    client.force_login(teacher)
    refused = client.post("/join/", {"code": classroom.join_code})
    assert refused.status_code == 422
    assert "You teach this class, so you cannot join it as a student." in (refused.content.decode())
    assert not Enrollment.objects.filter(student=teacher).exists()


# The assignment form ----------------------------------------------------------------------------


def assignment_form(**fields) -> dict:
    due = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    return {
        "lesson_set": LessonSet.objects.get(key="mini-set").pk,
        "kind": "study",
        "due_at": due,
        "target_recall": "85",
        "feedback": "immediate",
        **fields,
    }


@pytest.mark.django_db
def test_an_assignment_is_named_after_its_lesson_set_unless_the_teacher_names_it(
    client, classroom, teacher
):
    client.force_login(teacher)
    url = f"/classes/{classroom.pk}/assignments/new/"
    page = client.get(url).content.decode()
    assert '<input type="text" name="title"' in page
    assert "Leave it empty to use the lesson set&#x27;s title" in page

    assert client.post(url, assignment_form()).status_code == 302
    assert (
        client.post(
            url, assignment_form(title="  Week 3   review ", kind="quiz", question_count="2")
        ).status_code
        == 302
    )

    default, named = Assignment.objects.order_by("pk")
    assert default.title == "The mini set"
    assert named.title == "Week 3 review" and named.quiz.title == "Week 3 review"


@pytest.mark.django_db
def test_the_form_shows_every_kinds_settings_and_ignores_the_other_kinds(
    client, classroom, teacher
):
    client.force_login(teacher)
    url = f"/classes/{classroom.pk}/assignments/new/"
    page = client.get(url).content.decode()
    # Without JavaScript, both kinds' settings show (the script hides the other kind's).
    study = re.search(r'<fieldset data-kind="study">(.*?)</fieldset>', page, re.S)[1]
    quiz_part = re.search(r'<fieldset data-kind="quiz">(.*?)</fieldset>', page, re.S)[1]
    assert "hidden" not in study and "hidden" not in quiz_part
    assert 'name="target_recall"' in study and 'name="question_count"' in quiz_part
    assert 'name="target_recall" value="85"' in page and "Target recall (%)" in page
    assert 'type="radio" name="kind" value="study"' in page and "checked" in page

    # A study goal with a nonsense quiz setting, a quiz with no target: each kind's own count.
    study_post = client.post(url, assignment_form(question_count="0", target_recall="90"))
    quiz_post = client.post(url, assignment_form(kind="quiz", target_recall=""))
    assert (study_post.status_code, quiz_post.status_code) == (302, 302)
    goal, set_quiz = Assignment.objects.order_by("pk")
    assert goal.kind == "study" and goal.target_recall == pytest.approx(0.90)
    assert set_quiz.kind == "quiz" and set_quiz.target_recall == pytest.approx(0.85)

    refused = client.post(url, assignment_form(target_recall="120"))
    assert refused.status_code == 422
    assert "Ensure this value is less than or equal to 99." in refused.content.decode()


@pytest.mark.django_db
def test_a_due_date_in_the_past_is_assigned_only_once_confirmed(client, classroom, teacher):
    client.force_login(teacher)
    url = f"/classes/{classroom.pk}/assignments/new/"
    yesterday = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert "past_due_ok" not in client.get(url).content.decode()

    warned = client.post(url, assignment_form(due_at=yesterday))
    html = warned.content.decode()
    assert warned.status_code == 422
    assert "This due date is in the past" in html
    assert 'name="past_due_ok"' in html and "Yes, assign it with this due date in the past" in html
    assert not Assignment.objects.exists()

    confirmed = client.post(url, assignment_form(due_at=yesterday, past_due_ok="on"))
    assert confirmed.status_code == 302
    assert Assignment.objects.get().due_at < timezone.now()


# Join page, join links and their QR code --------------------------------------------------------


@pytest.mark.django_db
def test_the_join_page_and_a_join_link_ask_before_joining(client, classroom, teacher):
    student = StudentFactory(username="newbie")
    client.force_login(student)
    page = client.get("/join/")
    assert page.status_code == 200
    assert 'action="/join/"' in page.content.decode()

    code = classroom.join_code
    dashed = f"{code[:4].lower()}-{code[4:].lower()}"
    for link in (f"/join/{code}/", f"/join/{dashed}/"):
        asked = client.get(link)
        html = asked.content.decode()
        assert asked.status_code == 200
        assert "Join Period 3?" in html and f"Teacher: {teacher.get_full_name()}" in html
        assert 'name="code" maxlength="20"' in html and f'value="{code}"' in html
        assert not Enrollment.objects.filter(student=student).exists()  # asking only

    joined = client.post("/join/", {"code": code}, follow=True)
    assert messages_of(joined) == ["You joined Period 3."]
    assert Enrollment.objects.filter(classroom=classroom, student=student).count() == 1
    already = client.get(f"/join/{code}/").content.decode()
    assert "You are already in Period 3." in already and 'action="/join/"' not in already

    client.force_login(teacher)
    own = client.get(f"/join/{code}/").content.decode()
    assert "You teach this class" in own and 'action="/join/"' not in own


@pytest.mark.django_db
def test_a_join_link_needs_a_sign_in_and_comes_back_after_it(client, classroom):
    response = client.get(f"/join/{classroom.join_code}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/join/{classroom.join_code}/"


@pytest.mark.django_db
def test_a_join_link_of_no_open_class_is_a_404_with_the_form(client, classroom):
    client.force_login(StudentFactory())
    for code in ["NOPE2345", "x" * 40, "%00", "<b>"]:
        page = client.get(f"/join/{code}/")
        assert page.status_code == 404, code
        assert "No open class has that join code" in page.content.decode()
        assert "<b>" not in page.content.decode()
    services.classroom_archive(classroom=classroom)
    assert client.get(f"/join/{classroom.join_code}/").status_code == 404


@pytest.mark.django_db
def test_wrong_join_codes_are_limited_per_user_by_link_and_by_form(client, classroom, settings):
    guesser, bystander = StudentFactory(), StudentFactory()
    client.force_login(guesser)
    for i in range(joincodes.FAILURE_LIMIT):
        if i % 2:
            assert client.get(f"/join/WRONG{i}/").status_code == 404
        else:
            assert client.post("/join/", {"code": f"WRONG{i}"}).status_code == 422

    # Past the limit, even the right code is not looked up, by link or by form.
    for response in (
        client.get(f"/join/{classroom.join_code}/"),
        client.post("/join/", {"code": classroom.join_code}),
    ):
        assert response.status_code == 429
        assert "Too many wrong join codes" in response.content.decode()
        assert "Period 3" not in response.content.decode()
        assert response["Retry-After"] == str(joincodes.FAILURE_WINDOW_S)
    assert not Enrollment.objects.filter(student=guesser).exists()

    client.force_login(bystander)  # the limit is the guesser's own
    assert client.get(f"/join/{classroom.join_code}/").status_code == 200


@pytest.mark.django_db
def test_right_join_codes_do_not_count_towards_the_limit(client, classroom):
    student = StudentFactory()
    client.force_login(student)
    for _ in range(joincodes.FAILURE_LIMIT + 2):
        assert client.get(f"/join/{classroom.join_code}/").status_code == 200
    for i in range(joincodes.FAILURE_LIMIT - 1):
        client.post("/join/", {"code": f"WRONG{i}"})
    assert client.post("/join/", {"code": classroom.join_code}).status_code == 302
    assert Enrollment.objects.filter(student=student).exists()


@pytest.mark.django_db
def test_the_class_page_and_the_projection_page_show_the_join_link_and_its_qr_code(
    client, classroom, teacher
):
    client.force_login(teacher)
    link = f"http://testserver/join/{classroom.join_code}/"
    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert f'<a href="{link}">{link}</a>' in html
    assert '<img class="qr" src="data:image/svg+xml' in html
    assert f'href="/classes/{classroom.pk}/join-link/"' in html

    poster = client.get(f"/classes/{classroom.pk}/join-link/").content.decode()
    assert f'alt="QR code of the join link {link}"' in poster
    assert 'src="data:image/svg+xml' in poster and classroom.join_code in poster
    # The SVG is a QR code's: one path over a viewBox, and no script.
    svg = re.search(r'src="data:image/svg\+xml;charset=utf-8,([^"]+)"', poster)[1]
    assert "viewBox" in svg.replace("%20", " ") and "script" not in svg.lower()

    services.classroom_archive(classroom=classroom)
    archived = client.get(f"/classes/{classroom.pk}/join-link/").content.decode()
    assert "nobody can join it" in archived and "data:image/svg+xml" not in archived


# First sign-in after a roster import ------------------------------------------------------------


@pytest.mark.django_db
def test_first_sign_in_with_a_code_asks_only_for_a_new_password_and_says_why(
    client, classroom, teacher
):
    client.force_login(teacher)
    roster = SimpleUploadedFile("r.csv", b"kit,Kit Lee,\n")
    html = client.post(f"/classes/{classroom.pk}/roster/", {"roster": roster}).content.decode()
    code = html.split("<code>")[1].split("</code>")[0]
    client.logout()

    client.post("/sign-in/code/", {"username": "kit", "code": code})
    page = client.get("/accounts/password_change/").content.decode()
    assert "<h1>Choose your password</h1>" in page
    assert "You signed in with your one-time code, which is now used up." in page
    assert "<strong>kit</strong>" in page
    assert 'name="old_password"' not in page and 'name="new_password1"' in page


@pytest.mark.django_db
def test_first_sign_in_with_a_one_time_password_says_the_old_password_is_that_one(client, mini):
    student = StudentFactory(username="otp")
    Profile.objects.create(user=student, must_change_password=True)
    client.post("/accounts/login/", {"username": "otp", "password": PASSWORD})
    page = client.get("/", follow=True).content.decode()
    assert "<h1>Choose your password</h1>" in page
    assert "The password you signed in with was a one-time password" in page
    assert '<label for="id_old_password">One-time password:</label>' in page
    assert "The password you were given and just signed in with." in page


@pytest.mark.django_db
def test_changing_a_password_later_is_not_called_a_first_sign_in(client, mini):
    client.force_login(StudentFactory())
    page = client.get("/accounts/password_change/").content.decode()
    assert "<h1>Change your password</h1>" in page
    assert "one-time" not in page
    assert '<label for="id_old_password">Old password:</label>' in page
