"""Teachers: classes, rosters, assignments, results, and who may see them."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from courses import results, services
from courses.models import Assignment, AssignmentKind, Classroom, Enrollment, LessonSet, Profile
from quizzes.models import Answer, Attempt, Card, MemoryState, QuestionVersion
from quizzes.scheduling import recall_expression
from quizzes.services import attempt_finish, attempt_start, review_record
from tests.factories import StudentFactory, TeacherFactory


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


@pytest.fixture
def classroom(mini, teacher):
    classroom = services.classroom_create(name="Period 3", teacher=teacher)
    return classroom


def enroll(classroom, n: int) -> list:
    students = [StudentFactory() for _ in range(n)]
    for student in students:
        services.enrollment_add(classroom=classroom, student=student)
    return students


def quiz_assignment(classroom, teacher, **settings) -> Assignment:
    return services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.QUIZ,
        due_at=timezone.now() + timedelta(days=3),
        quiz_settings=services.QuizSettings(
            question_count=None, shuffle_questions=False, shuffle_options=False, **settings
        ),
    )


def take(assignment, student, correct_positions: set[int]) -> Attempt:
    """A finished attempt answering the questions at `correct_positions` right, the rest wrong."""
    from quizzes.grading import key_response

    attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
    versions = QuestionVersion.objects.in_bulk(attempt.versions)
    for position, version_id in enumerate(attempt.versions):
        version = versions[version_id]
        response = key_response(version.type, version.answer_key)
        right = position in correct_positions
        Answer.objects.create(
            attempt=attempt,
            version=version,
            position=position,
            response=response if right else {"wrong": position},
            score=1.0 if right else 0.0,
            correct=right,
            answered_at=timezone.now(),
            duration_ms=2000,
        )
    return attempt_finish(attempt=attempt, now=timezone.now())


# Who may see what -------------------------------------------------------------------------------


def teacher_urls(classroom, student) -> list[tuple[str, str]]:
    base = f"/classes/{classroom.pk}"
    return [
        ("get", f"{base}/"),
        ("post", f"{base}/"),
        ("get", f"{base}/gradebook/"),
        ("get", f"{base}/gradebook.csv"),
        ("get", f"{base}/item-analysis/"),
        ("get", f"{base}/assignments/new/"),
        ("post", f"{base}/assignments/new/"),
        ("post", f"{base}/roster/"),
        ("get", f"{base}/students/{student.pk}/"),
    ]


@pytest.mark.django_db
def test_every_teacher_url_is_for_the_classes_own_teachers_only(client, classroom, teacher):
    (student,) = enroll(classroom, 1)
    other_teacher = TeacherFactory()
    for method, url in teacher_urls(classroom, student):
        client.logout()
        anonymous = getattr(client, method)(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
        for outsider in (student, other_teacher):
            client.force_login(outsider)
            assert getattr(client, method)(url).status_code == 404, (url, outsider)
        client.force_login(teacher)
        assert getattr(client, method)(url).status_code in {200, 302, 422}, url

    client.force_login(other_teacher)
    assert client.get("/classes/new/").status_code == 200
    client.force_login(student)
    assert client.get("/classes/new/").status_code == 404


@pytest.mark.django_db
def test_a_co_teacher_sees_the_class_and_a_student_of_another_class_is_404(
    client, classroom, teacher
):
    (student,) = enroll(classroom, 1)
    co = TeacherFactory(username="co")
    services.coteacher_add(classroom=classroom, username="co")
    client.force_login(co)
    assert client.get(f"/classes/{classroom.pk}/").status_code == 200
    assert "Period 3" in client.get("/").content.decode()

    elsewhere = services.classroom_create(name="Other", teacher=TeacherFactory())
    (stranger,) = enroll(elsewhere, 1)
    client.force_login(teacher)
    assert client.get(f"/classes/{classroom.pk}/students/{stranger.pk}/").status_code == 404
    assert client.get(f"/classes/{classroom.pk}/students/{student.pk}/").status_code == 200


# Classes ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_teacher_creates_a_class_and_adds_students_three_ways(client, teacher, mini):
    client.force_login(teacher)
    response = client.post("/classes/new/", {"name": "Period 4"})
    classroom = Classroom.objects.get(name="Period 4")
    assert response["Location"] == f"/classes/{classroom.pk}/"
    assert list(classroom.teachers.all()) == [teacher]

    # By username: an invitation, which the student accepts on their dashboard.
    ana = StudentFactory(username="ana")
    client.post(f"/classes/{classroom.pk}/", {"action": "add-student", "username": "ANA"})
    assert not classroom.students.exists()
    missing = client.post(
        f"/classes/{classroom.pk}/", {"action": "add-student", "username": "nobody"}, follow=True
    )
    assert "no account with the username" in missing.content.decode()
    client.force_login(ana)
    dashboard = client.get("/").content.decode()
    assert "invites you to the class <strong>Period 4</strong>" in dashboard
    invitation = ana.class_invitations.get()
    client.post(f"/invitations/{invitation.pk}/", {"action": "accept"})

    # By join code, typed by the student.
    joiner = StudentFactory(username="ben")
    client.force_login(joiner)
    client.post("/join/", {"code": classroom.join_code.lower()})
    bad = client.post("/join/", {"code": "NOPE"}, follow=True)
    assert "No open class has that join code" in bad.content.decode()

    # By roster: new accounts, each with a one-time sign-in code.
    client.force_login(teacher)
    roster = SimpleUploadedFile(
        "roster.csv", b"username,name,email\ncat,Cat Tran,cat@example.org\nana,Ana,\n"
    )
    page = client.post(f"/classes/{classroom.pk}/roster/", {"roster": roster})
    html = page.content.decode()

    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "1 new account enrolled" in html and "already in this class" in html
    code = html.split("<code>")[1].split("</code>")[0]
    assert set(classroom.students.values_list("username", flat=True)) == {"ana", "ben", "cat"}
    client.logout()
    signed_in = client.post("/sign-in/code/", {"username": "cat", "code": code.lower()})
    assert signed_in["Location"] == "/accounts/password_change/"
    assert client.get("/")["Location"] == "/accounts/password_change/"
    client.post(
        "/accounts/password_change/",
        {"new_password1": "a-new-pass-2026!", "new_password2": "a-new-pass-2026!"},
    )
    assert client.get("/").status_code == 200
    assert not Profile.objects.get(user__username="cat").must_change_password
    client.logout()
    assert client.login(username="cat", password="a-new-pass-2026!")


@pytest.mark.django_db
def test_a_roster_with_bad_rows_is_reported_row_by_row_and_nothing_is_imported(
    client, classroom, teacher
):
    TeacherFactory(username="boss")
    text = (
        "username,name,email\n"
        "good,Good Student,good@example.org\n"
        "bad name!,Bad,bad@example.org\n"
        "good,Again,\n"
        "noemail,No Email,not-an-email\n"
        "short,row\n"
        "boss,The Boss,\n"
    )
    client.force_login(teacher)
    page = client.post(
        f"/classes/{classroom.pk}/roster/",
        {"roster": SimpleUploadedFile("r.csv", text.encode())},
    )
    html = page.content.decode()
    assert page.status_code == 422
    assert "Nothing was imported" in html
    for fragment in ["line 3:", "line 4: username “good” is already on line 2",
                     "line 5: “not-an-email” is not an email address",
                     "line 6: expected 3 columns"]:  # fmt: skip
        assert fragment in html, fragment
    assert not classroom.enrollments.exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="good").exists()

    page = client.post(
        f"/classes/{classroom.pk}/roster/",
        {"roster": SimpleUploadedFile("r.csv", b"boss,The Boss,\n")},
    )
    assert "“boss” is not a student account" in page.content.decode()


@pytest.mark.django_db
def test_removing_a_student_keeps_their_history_and_archiving_hides_the_class(
    client, classroom, teacher
):
    (student,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    take(assignment, student, {0, 1})
    client.force_login(teacher)

    client.post(f"/classes/{classroom.pk}/students/{student.pk}/remove/")

    assert Enrollment.objects.get(student=student).removed_at is not None
    assert Attempt.objects.filter(student=student).exists()
    assert client.get(f"/classes/{classroom.pk}/students/{student.pk}/").status_code == 200
    assert (
        student.username not in client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    )

    client.post(f"/classes/{classroom.pk}/archive/", follow=True)  # its message shown
    classroom.refresh_from_db()
    assert classroom.archived_at is not None
    assert "Period 3" not in client.get("/").content.decode()


# Assignments ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assignments_to_a_class_or_to_some_students(client, classroom, teacher, mini):
    ana, ben = enroll(classroom, 2)
    client.force_login(teacher)
    due = (timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {"lesson_set": LessonSet.objects.get().pk, "kind": "quiz", "due_at": due,
         "target_recall": 85, "question_count": 4, "shuffle": "on", "feedback": "end"},
    )  # fmt: skip
    assert response.status_code == 302
    quiz_for_all = Assignment.objects.get()
    assert quiz_for_all.quiz.question_count == 4 and quiz_for_all.quiz.feedback == "end"
    assert list(quiz_for_all.lessons.values_list("key", flat=True)) == ["mini-lesson"]

    client.post(
        f"/classes/{classroom.pk}/assignments/new/",
        {"lessons": [mini.lesson_sets.get().lessons.get().pk], "students": [ben.pk],
         "kind": "study", "due_at": due, "target_recall": 90, "feedback": "immediate"},
    )  # fmt: skip
    assert Assignment.objects.count() == 2
    invalid = client.post(f"/classes/{classroom.pk}/assignments/new/", {"kind": "study"})
    assert invalid.status_code == 422

    client.force_login(ana)
    assert client.get("/").content.decode().count('<article class="assignment') == 1
    client.force_login(ben)
    assert client.get("/").content.decode().count('<article class="assignment') == 2


@pytest.mark.django_db
def test_an_overdue_assignment_stands_out_for_the_student(client, classroom, teacher):
    (student,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    Assignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() - timedelta(days=1))
    client.force_login(student)
    html = client.get("/").content.decode()
    assert '<article class="assignment overdue">' in html
    assert '<strong class="warn">Overdue</strong>' in html


# Results ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_gradebook_shows_best_scores_and_study_progress(client, classroom, teacher):
    ana, ben = enroll(classroom, 2)
    quiz = quiz_assignment(classroom, teacher)
    study = services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(),
        due_at=timezone.now() - timedelta(hours=1),
    )
    take(quiz, ana, {0, 1, 2, 3})
    take(quiz, ana, {0, 1, 2, 3, 4, 5})
    for card in Card.objects.all()[:2]:
        review_record(student=ben, card=card, rating=3, reviewed_at=timezone.now())

    book = results.gradebook(classroom=classroom, now=timezone.now())

    by_name = {row.student: row for row in book.rows}
    assert book.assignments == [study, quiz]  # soonest due first
    assert by_name[ana].cells[1].score == pytest.approx(6 / 8)
    assert by_name[ana].cells[1].attempts == 2
    assert by_name[ben].cells[1].score is None
    goal = by_name[ben].cells[0].goal
    assert (goal.studied, goal.total, goal.target) == (2, 5, 0.85)
    assert by_name[ben].cells[0].overdue and not by_name[ben].cells[0].complete
    assert book.summaries[1].complete == 1 and book.summaries[0].overdue == 2
    # Both are overdue on the study goal; Ana has done none of it, so she comes first.
    assert results.needing_attention(book)[0] == by_name[ana]
    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    assert "75%" in html and "(2 attempts)" in html and "2 of 5 cards studied" in html
    assert study.title in html


@pytest.mark.django_db
def test_the_csv_export_cannot_be_read_as_formulas(client, classroom, teacher):
    (student,) = enroll(classroom, 1)
    student.first_name, student.last_name = '=HYPERLINK("http://x")', "@SUM(A1)"
    student.save()
    due = quiz_assignment(classroom, teacher).due_at.date().isoformat()
    Assignment.objects.update(title="-2+3")
    client.force_login(teacher)

    response = client.get(f"/classes/{classroom.pk}/gradebook.csv")

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["username", "name", f"'-2+3 (due {due}): assigned"]
    assert rows[1][1] == '\'=HYPERLINK("http://x") @SUM(A1)'
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.django_db
def test_item_statistics_on_a_hand_computed_example(classroom, teacher):
    """Six students; thirds by score: top {s1, s2}, middle {s3, s4}, bottom {s5, s6}.

    Q1 (position 0): right for s1, s2, s3, s5 → facility 4/6; top 2/2, bottom 1/2 → D = 0.5.
    Q2 (position 1): right for s5, s6 only → facility 2/6; top 0/2, bottom 2/2 → D = -1 (flag).
    Q3 (position 2): nobody → facility 0 (flag); D = 0.
    """
    s1, s2, s3, s4, s5, s6 = enroll(classroom, 6)
    assignment = quiz_assignment(classroom, teacher)
    extra = {3, 4, 5, 6, 7}  # other questions, to rank the students by score
    take(assignment, s1, {0} | extra)
    take(assignment, s2, {0} | {3, 4, 5, 6})
    take(assignment, s3, {0} | {3, 4})
    take(assignment, s4, {3, 4})
    take(assignment, s5, {0, 1})
    take(assignment, s6, {1})
    take(assignment, s6, {0, 1, 2, 3, 4, 5, 6, 7})  # a second attempt does not count

    analysis = results.item_analysis(assignment=assignment)

    assert analysis.attempts == 6
    stats = {item.version.question.position: item for item in analysis.items}
    assert stats[0].facility == pytest.approx(4 / 6)
    assert stats[0].discrimination == pytest.approx(0.5)
    assert stats[1].facility == pytest.approx(2 / 6)
    assert stats[1].discrimination == pytest.approx(-1.0)
    assert stats[2].facility == 0 and stats[2].discrimination == 0
    assert stats[0].flags == []
    assert len(stats[1].flags) == 1 and len(stats[2].flags) == 1
    assert stats[2].common_wrong_count == 6


@pytest.mark.django_db
def test_item_statistics_count_partial_credit_by_its_score(client, classroom, teacher):
    """Three students, one question each scored 1, 2/3 and 0 (a partly right answer): the
    facility is the mean score, 5/9, not the share fully right, 1/3."""
    students = enroll(classroom, 3)
    assignment = quiz_assignment(classroom, teacher)
    for student, score in zip(students, [1.0, 2 / 3, 0.0], strict=True):
        attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
        version = QuestionVersion.objects.get(pk=attempt.versions[0])
        Answer.objects.create(attempt=attempt, version=version, position=0,
                              response={"partly": score}, score=score, correct=score == 1,
                              answered_at=timezone.now())  # fmt: skip
        attempt_finish(attempt=attempt, now=timezone.now())

    (item,) = results.item_analysis(assignment=assignment).items
    client.force_login(teacher)
    record = client.get(f"/classes/{classroom.pk}/students/{students[1].pk}/").content.decode()

    assert "<td>Partly right: 67%</td>" in record
    assert item.answered == 3
    assert item.facility == pytest.approx(5 / 9)
    assert item.discrimination == pytest.approx(1.0)  # top third 1, bottom third 0
    html = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()
    assert "<td>56%</td>" in html


@pytest.mark.django_db
def test_item_analysis_lists_every_distinct_wrong_response_to_a_free_text_question(
    client, classroom, teacher
):
    responses = ["Saigon", "saigon ", "Saigon", "Hanoi", "<b>Hue</b>", "Hanoi"]
    students = enroll(classroom, len(responses))
    assignment = quiz_assignment(classroom, teacher)
    for student, text in zip(students, responses, strict=True):
        attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
        version = next(
            v
            for v in QuestionVersion.objects.filter(pk__in=attempt.versions)
            if v.type == "short_answer"
        )
        Answer.objects.create(attempt=attempt, version=version, position=0,
                              response={"text": text}, score=0, correct=False,
                              answered_at=timezone.now())  # fmt: skip
        attempt_finish(attempt=attempt, now=timezone.now())

    (item,) = results.item_analysis(assignment=assignment).items

    assert [(w.text, w.count) for w in item.wrong_responses] == [
        ("Saigon", 3),
        ("Hanoi", 2),
        ("<b>Hue</b>", 1),
    ]
    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()
    assert "3 different wrong responses" in html
    assert "&lt;b&gt;Hue&lt;/b&gt;" in html and "<b>Hue</b>" not in html


@pytest.mark.django_db
def test_the_most_chosen_wrong_answer_is_named(client, classroom, teacher):
    students = enroll(classroom, 3)
    assignment = quiz_assignment(classroom, teacher)
    for student, choice in zip(students, [0, 0, 2], strict=True):
        attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
        version = QuestionVersion.objects.get(pk=attempt.versions[0])
        Answer.objects.create(attempt=attempt, version=version, position=0,
                              response={"choice": choice}, score=0, correct=False,
                              answered_at=timezone.now())  # fmt: skip
        attempt_finish(attempt=attempt, now=timezone.now())
    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()
    assert 'Shared borders: <strong>2</strong> <span class="meta">(67%)</span>' in html


@pytest.mark.django_db
def test_recall_computed_in_sql_matches_py_fsrs(mini):
    student = StudentFactory()
    card = Card.objects.first()
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    review_record(student=student, card=card, rating=3, reviewed_at=start, fuzz=False)
    review_record(
        student=student, card=card, rating=3, reviewed_at=start + timedelta(days=1), fuzz=False
    )
    at = start + timedelta(days=9)
    state = MemoryState.objects.annotate(recall=recall_expression(at)).get()

    fsrs_card = FsrsCard(
        card_id=1, state=state.state, step=state.step, stability=state.stability,
        difficulty=state.difficulty, due=state.due_at, last_review=state.last_review_at,
    )  # fmt: skip
    expected = Scheduler().get_card_retrievability(fsrs_card, at)
    assert state.recall == pytest.approx(expected, rel=1e-9)
    assert 0 < state.recall < 1
    assert Rating.Good == 3


@pytest.mark.django_db
def test_the_student_page_shows_attempts_time_recall_and_weakest_cards(client, classroom, teacher):
    (student,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    take(assignment, student, {0})
    card = Card.objects.get(key="mini-f1")
    review_record(student=student, card=card, rating=1, reviewed_at=timezone.now())
    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/students/{student.pk}/").content.decode()
    assert "#1 — 12%" in html
    assert html.count("<td>Incorrect</td>") == 7
    # A new card rated Again a moment ago is neither lapsed nor forgotten yet: not weak.
    assert "No weak cards" in html and "Front one" not in html
    assert "minute answering quizzes" in html  # 8 answers of 2 s


# Query budgets: the same count at 5 and at 50 students -----------------------------------------


def populate(classroom, teacher, students: int) -> Assignment:
    people = enroll(classroom, students)
    assignment = Assignment.objects.filter(classroom=classroom, kind="quiz").first()
    assignment = assignment or quiz_assignment(classroom, teacher)
    cards = list(Card.objects.all()[:2])
    for i, student in enumerate(people):
        take(assignment, student, set(range(i % 8)))
        for card in cards:
            review_record(student=student, card=card, rating=3, reviewed_at=timezone.now())
    return assignment


@pytest.mark.django_db
def test_teacher_pages_query_counts_do_not_grow_with_students(
    client, classroom, teacher, django_assert_num_queries
):
    client.force_login(teacher)
    base = f"/classes/{classroom.pk}"
    pages = {
        # user, groups, class (the session comes from the cache); gradebook (assignments,
        # lessons, targets, students, best scores, cards, studied with the retention);
        # teachers; invitations; removals that can still be undone
        f"{base}/": 13,
        # user, groups, class; the gradebook's seven
        f"{base}/gradebook/": 10,
        f"{base}/gradebook.csv": 10,
        # user, groups, class, quiz assignments; ranked attempts, counts, responses grouped,
        # versions, the responses the class accepted; the cards the class keeps forgetting,
        # and their texts (the class below keeps forgetting one)
        f"{base}/item-analysis/": 11,
    }
    populate(classroom, teacher, 5)
    student = classroom.students.order_by("pk").first()
    states = MemoryState.objects.filter(student=student)
    assert states.filter(pk=states.order_by("pk")[0].pk).update(lapses=8) == 1  # one leech
    lapsing = Card.objects.order_by("pk")[1]
    forgotten = MemoryState.objects.filter(card=lapsing).exclude(student=student)
    # user, groups, class, student; enrollment, lessons, attempts, answers with their versions
    # and questions, their regrades, quiz time, review time, cards per lesson, recall, weakest
    # cards, leeches (with their cards, lessons and whether they are suspended)
    pages[f"{base}/students/{student.pk}/"] = 15
    # user, groups, class, the assignment; its lessons, who it is given to, students, quiz
    # attempts, cards per lesson, memory states
    assignment = Assignment.objects.get(classroom=classroom)
    pages[f"{base}/assignments/{assignment.pk}/"] = 10
    assert forgotten.update(lapses=1) == 4  # a card the class keeps forgetting
    for url, count in pages.items():
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200, url
    populate(classroom, teacher, 45)
    assert forgotten.update(lapses=1) == 49
    assert classroom.students.count() == 50
    assert states.update(lapses=9) == 2  # every card the student studied a leech
    for url, count in pages.items():
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_a_teachers_quiz_is_open_only_to_the_students_it_was_set_for(client, classroom, teacher):
    (student,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    url = f"/quizzes/{assignment.quiz_id}/"
    client.force_login(StudentFactory())
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    client.force_login(student)
    assert client.get(url).status_code == 200
    client.force_login(teacher)
    assert client.get(url).status_code == 200
