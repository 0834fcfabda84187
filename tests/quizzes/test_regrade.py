"""Accepting a typed response after the fact: who may, what it regrades (answers, attempt
scores, the gradebook, the flashcard schedule), the audit trail, and how it survives a load."""

import shutil
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from content.loader import load_content
from courses import results
from courses import services as course_services
from courses.models import AssignmentKind, LessonSet
from quizzes import scheduling
from quizzes.grading import WHOLE, grade, stored_form, with_accepted, wrong_parts
from quizzes.models import (
    AcceptedResponse,
    Answer,
    Attempt,
    Card,
    MemoryState,
    Question,
    QuestionVersion,
    Rating,
    Regrade,
    ReviewLog,
)
from quizzes.regrade import RegradeError, response_accept
from quizzes.services import answer_record, attempt_finish, attempt_start
from tests.conftest import MINI_COURSE
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory

# The grader's part ------------------------------------------------------------------------------


def test_accepting_adds_to_the_key_once_and_only_where_it_fits():
    key = {"accepted": ["ideology"]}
    once = with_accepted("short_answer", key, [(WHOLE, "common values")])
    assert once == {"accepted": ["ideology", "common values"]}
    assert with_accepted("short_answer", once, [(WHOLE, "Common  Values!")]) == once
    assert with_accepted("short_answer", key, [(0, "x")]) == key  # no blank 1 in a short answer
    assert key == {"accepted": ["ideology"]}  # not changed in place

    cloze = {"blanks": [["1977"], ["40,000"]]}
    assert with_accepted("cloze", cloze, [(1, "forty thousand"), (2, "x")]) == {
        "blanks": [["1977"], ["40,000", "forty thousand"]]
    }
    assert cloze == {"blanks": [["1977"], ["40,000"]]}


def test_a_numeric_question_accepts_texts_after_the_fact_and_no_other_number():
    key = {"value": 1977, "tolerance": 0}
    assert not grade("numeric", key, {"text": "the late seventies"}).correct
    key = with_accepted("numeric", key, [(WHOLE, "the late seventies")])
    assert key["texts"] == ["the late seventies"]
    assert grade("numeric", key, {"text": "The late Seventies."}).correct
    assert grade("numeric", key, {"text": "1977"}).correct
    assert not grade("numeric", key, {"text": "1978"}).correct
    # A number the grader reads is accepted already: nothing is added.
    assert "texts" not in with_accepted("numeric", {"value": 60, "tolerance": 0}, [(WHOLE, "60th")])


def test_wrong_parts_are_the_refused_texts_and_each_refused_blank():
    assert wrong_parts("short_answer", {"accepted": ["ideology"]}, {"text": " Ideologies "}) == []
    assert wrong_parts("short_answer", {"accepted": ["ideology"]}, {"text": " values "}) == [
        (WHOLE, "values")
    ]
    cloze = {"blanks": [["1977"], ["40,000"]]}
    assert wrong_parts("cloze", cloze, {"blanks": ["1977", "forty thousand"]}) == [
        (1, "forty thousand")
    ]
    assert wrong_parts("cloze", cloze, {"blanks": ["", "x", "y"]}) == []  # malformed
    assert wrong_parts("single_choice", {"choice": 0}, {"choice": 1}) == []


def test_a_files_also_accept_is_part_of_the_key():
    authored = {"answers": ["ideology"], "also_accept": ["common values"]}
    assert stored_form("short_answer", authored)[1] == {"accepted": ["ideology", "common values"]}
    authored = {"text": "In [[1977]] with [[40,000]].", "also_accept": {2: ["forty thousand"]}}
    assert stored_form("cloze", authored)[1]["blanks"] == [["1977"], ["40,000", "forty thousand"]]
    # Without it the key is what it always was (no stored version changes its meaning).
    assert stored_form("short_answer", {"answers": ["ideology"]})[1] == {"accepted": ["ideology"]}


# Regrading --------------------------------------------------------------------------------------


@pytest.fixture
def author(db):
    return AuthorFactory(username="auth", first_name="Ada", last_name="Author")


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


def _class(teacher, name="Period 3"):
    classroom = course_services.classroom_create(name=name, teacher=teacher)
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
    return classroom, assignment


def _join(classroom, student):
    course_services.enrollment_add(classroom=classroom, student=student)


def answer(quiz, student, key: str, response: dict, *, finish=True, now=None) -> Answer:
    """Start an attempt, answer the question `key` with `response` (the only one answered), and
    finish it."""
    now = now or timezone.now()
    attempt = attempt_start(quiz=quiz, student=student, now=now)
    versions = QuestionVersion.objects.select_related("question").in_bulk(attempt.versions)
    position = next(i for i, pk in enumerate(attempt.versions) if versions[pk].question.key == key)
    Attempt.objects.filter(pk=attempt.pk).update(position=position)
    attempt.refresh_from_db()
    recorded = answer_record(
        attempt=attempt,
        seq=attempt.seq,
        position=position,
        response=response,
        now=now,
        day_start=now - timedelta(hours=1),
    )
    if finish:
        attempt_finish(attempt=attempt, now=now)
    return Answer.objects.select_related("attempt").get(pk=recorded.answer.pk)


def version_of(key: str) -> QuestionVersion:
    return Question.objects.get(key=key).current_version


@pytest.mark.django_db
def test_an_authors_acceptance_regrades_answers_attempts_and_the_gradebook(mini, author, teacher):
    classroom, assignment = _class(teacher)
    students = [StudentFactory() for _ in range(3)]
    for s in students:
        _join(classroom, s)
    wrong = [
        answer(assignment.quiz, s, "mini-short", {"text": "Common values"}) for s in students[:2]
    ]
    other = answer(assignment.quiz, students[2], "mini-short", {"text": "money"})
    total = len(wrong[0].attempt.versions)
    assert wrong[0].score == 0 and wrong[0].attempt.score == 0
    book = results.gradebook(classroom=classroom, now=timezone.now(), retention=False)
    assert [c.percent for row in book.rows for c in row.cells] == [0, 0, 0]

    outcome = response_accept(
        version=version_of("mini-short"), blank=WHOLE, text="common values", by=author,
        now=timezone.now(),
    )  # fmt: skip

    assert outcome.answers == 2 and outcome.attempts == 2 and len(outcome.students) == 2
    for before in wrong:
        after = Answer.objects.select_related("attempt").get(pk=before.pk)
        assert (after.score, after.correct) == (1.0, True)
        assert after.attempt.score == pytest.approx(1 / total)
        (regrade,) = Regrade.objects.filter(answer=after)
        assert (regrade.old_score, regrade.new_score) == (0.0, 1.0)
        assert (regrade.old_attempt_score, regrade.new_attempt_score) == (
            0.0,
            pytest.approx(1 / total),
        )
        assert regrade.regraded_by == author and regrade.accepted.text == "common values"
    assert Answer.objects.get(pk=other.pk).score == 0
    book = results.gradebook(classroom=classroom, now=timezone.now(), retention=False)
    share = round(100 / total)
    assert sorted(c.percent for row in book.rows for c in row.cells) == [0, share, share]
    key = version_of("mini-short").answer_key
    assert key["accepted"] == ["ideology", "shared ideology", "common values"]
    # Later answers are graded with it; accepting it again changes nothing.
    assert answer(
        assignment.quiz, StudentFactory(), "mini-short", {"text": "COMMON VALUES"}
    ).correct
    again = response_accept(
        version=version_of("mini-short"), blank=WHOLE, text="Common Values", by=author,
        now=timezone.now(),
    )  # fmt: skip
    assert again.accepted is None
    assert AcceptedResponse.objects.count() == 1 and Regrade.objects.count() == 2


@pytest.mark.django_db
def test_a_cloze_blank_is_accepted_on_its_own_and_partial_credit_rises(mini, author, teacher):
    _, assignment = _class(teacher)
    given = answer(assignment.quiz, StudentFactory(), "mini-cloze", {"blanks": ["1977", "forty k"]})
    assert given.score == 0.5

    response_accept(
        version=version_of("mini-cloze"), blank=1, text="forty k", by=author, now=timezone.now()
    )

    given.refresh_from_db()
    assert (given.score, given.correct) == (1.0, True)
    with pytest.raises(RegradeError):
        response_accept(
            version=version_of("mini-cloze"), blank=2, text="x", by=author, now=timezone.now()
        )
    with pytest.raises(RegradeError):
        response_accept(
            version=version_of("mini-ordering"), blank=WHOLE, text="x", by=author,
            now=timezone.now(),
        )  # fmt: skip


@pytest.mark.django_db
def test_a_quiz_answer_that_fed_the_schedule_as_again_becomes_good_and_the_state_is_replayed(
    mini, author, teacher
):
    question = Question.objects.get(key="mini-short")
    card = Card.objects.create(key="mini-short-card", lesson=question.lesson, question=question,
                               front="Q", back="A")  # fmt: skip
    _, assignment = _class(teacher)
    student = StudentFactory()
    start = timezone.now() - timedelta(days=10)
    given = answer(assignment.quiz, student, "mini-short", {"text": "common values"}, now=start)
    log = ReviewLog.objects.get(answer=given)
    assert log.rating == Rating.AGAIN
    # A flashcard review of the card two days later, rated Good.
    from quizzes.services import review_record

    review_record(student=student, card=card, rating=Rating.GOOD,
                  reviewed_at=start + timedelta(days=2))  # fmt: skip
    before = MemoryState.objects.get(student=student, card=card)

    response_accept(version=question.current_version, blank=WHOLE, text="common values",
                    by=author, now=timezone.now())  # fmt: skip

    log.refresh_from_db()
    assert log.rating == Rating.GOOD
    (regrade,) = Regrade.objects.all()
    assert (regrade.old_rating, regrade.new_rating) == (Rating.AGAIN, Rating.GOOD)
    # The state is the replay of Good then Good (without fuzz), not of Again then Good.
    scheduler = scheduling.scheduler_for(fuzz=False)
    first = scheduling.review(scheduler, None, card_id=card.pk, rating=Rating.GOOD,
                              reviewed_at=start)  # fmt: skip
    replayed = MemoryState(state=first.state, step=first.step, stability=first.stability,
                           difficulty=first.difficulty, due_at=first.due_at,
                           last_review_at=first.last_review_at)  # fmt: skip
    second = scheduling.review(scheduler, replayed, card_id=card.pk, rating=Rating.GOOD,
                               reviewed_at=start + timedelta(days=2))  # fmt: skip
    state = MemoryState.objects.get(student=student, card=card)
    assert state.stability == pytest.approx(second.stability)
    assert state.stability != pytest.approx(before.stability)
    assert state.due_at == second.due_at and state.reps == 2 and state.lapses == 0
    logs = list(ReviewLog.objects.filter(student=student, card=card).order_by("reviewed_at"))
    assert [entry.due_after for entry in logs] == [first.due_at, second.due_at]


@pytest.mark.django_db
def test_a_teachers_acceptance_is_for_their_own_class_attempts_only(mini, teacher):
    classroom, assignment = _class(teacher)
    other_teacher = TeacherFactory()
    other_class, other_assignment = _class(other_teacher, "Period 4")
    mine, theirs, both = StudentFactory(), StudentFactory(), StudentFactory()
    _join(classroom, mine)
    _join(other_class, theirs)
    _join(classroom, both)
    _join(other_class, both)
    a_mine = answer(assignment.quiz, mine, "mini-short", {"text": "values"})
    a_theirs = answer(other_assignment.quiz, theirs, "mini-short", {"text": "values"})
    a_both = answer(other_assignment.quiz, both, "mini-short", {"text": "values"})

    outcome = response_accept(version=version_of("mini-short"), blank=WHOLE, text="values",
                              by=teacher, now=timezone.now(), classroom=classroom)  # fmt: skip

    assert outcome.answers == 1
    assert Answer.objects.get(pk=a_mine.pk).correct
    assert not Answer.objects.get(pk=a_theirs.pk).correct
    assert not Answer.objects.get(pk=a_both.pk).correct  # the other class's quiz
    assert "values" not in version_of("mini-short").answer_key["accepted"]
    # New answers: accepted in this class's quiz, not in the other's.
    assert answer(assignment.quiz, both, "mini-short", {"text": "Values"}).correct
    assert not answer(other_assignment.quiz, theirs, "mini-short", {"text": "Values"}).correct
    # The item analysis of the class no longer lists it; the other class's still does.
    listed = results.item_analysis(assignment=assignment).items
    assert all(w.text.casefold() != "values" for item in listed for w in item.wrong_responses)
    listed = results.item_analysis(assignment=other_assignment).items
    assert any(w.text == "values" for item in listed for w in item.wrong_responses)


# Who may -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_classes_teachers_may_accept_there_and_only_authors_for_everyone(
    client, mini, teacher, author
):
    classroom, assignment = _class(teacher)
    student = StudentFactory()
    _join(classroom, student)
    answer(assignment.quiz, student, "mini-short", {"text": "values"})
    version = version_of("mini-short")
    data = {"version": version.pk, "blank": WHOLE, "text": "values", "assignment": assignment.pk}
    url = f"/classes/{classroom.pk}/item-analysis/accept/"
    for intruder in (student, TeacherFactory(), author):
        client.force_login(intruder)
        assert client.post(url, data).status_code == 404
        assert client.get(url).status_code in (404, 405)
    client.force_login(teacher)
    for bad in ({**data, "version": "x"}, {**data, "version": "9" * 30}, {**data, "blank": "a"},
                {**data, "text": ""}, {}):  # fmt: skip
        assert client.post(url, bad).status_code == 404
    assert client.get("/questions/").status_code == 404
    assert client.post("/questions/mini-short/", data).status_code == 404
    assert AcceptedResponse.objects.count() == 0

    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?assignment={assignment.pk}")
    assert AcceptedResponse.objects.get().classroom == classroom

    client.force_login(author)
    assert client.get("/questions/").status_code == 200
    assert client.get("/questions/mini-ordering/").status_code == 404  # not a typed answer
    assert client.get("/questions/nope/").status_code == 404
    page = client.get("/questions/mini-short/").content.decode()
    assert "“values”" in page and "accepted by 1 class" in page
    for bad in ({**data, "version": "x"}, {**data, "blank": 5}, {}):
        response = client.post("/questions/mini-short/", bad)
        assert response.status_code in (302, 404)
    assert AcceptedResponse.objects.filter(classroom=None).count() == 0
    response = client.post("/questions/mini-short/", data, follow=True)
    # The class's answer was regraded by its teacher already.
    assert "Accepted “values”. No past answer changed." in response.content.decode()
    assert AcceptedResponse.objects.filter(classroom=None).count() == 1


@pytest.mark.django_db
def test_the_attempt_review_and_the_teachers_record_say_what_was_regraded(
    client, mini, teacher, author
):
    classroom, assignment = _class(teacher)
    student = StudentFactory()
    _join(classroom, student)
    given = answer(assignment.quiz, student, "mini-short", {"text": "values"})
    response_accept(version=version_of("mini-short"), blank=WHOLE, text="values", by=author,
                    now=timezone.now())  # fmt: skip
    client.force_login(student)
    page = client.get(f"/attempts/{given.attempt_id}/review/").content.decode()
    assert "Regraded on" in page and "by Ada Author: “values” is accepted; 0% → 100%." in page
    assert "your score went from 0% to" in page
    client.force_login(teacher)
    page = client.get(f"/classes/{classroom.pk}/students/{student.pk}/").content.decode()
    assert "by Ada Author (“values” accepted), was 0%" in page


# Loading the files again ------------------------------------------------------------------------


@pytest.fixture
def course_copy(tmp_path):
    target = tmp_path / "mini-course"
    shutil.copytree(MINI_COURSE, target)
    return target


@pytest.mark.django_db
def test_an_accepted_response_survives_a_load_and_is_written_back_into_the_file(
    mini, author, teacher, course_copy, capsys
):
    _, assignment = _class(teacher)
    given = answer(assignment.quiz, StudentFactory(), "mini-short", {"text": "values"})
    cloze = answer(assignment.quiz, StudentFactory(), "mini-cloze", {"blanks": ["1977", "forty k"]})
    response_accept(version=version_of("mini-short"), blank=WHOLE, text="values", by=author,
                    now=timezone.now())  # fmt: skip
    response_accept(version=version_of("mini-cloze"), blank=1, text="forty k", by=author,
                    now=timezone.now())  # fmt: skip
    versions = QuestionVersion.objects.count()

    report = load_content([course_copy])

    assert QuestionVersion.objects.count() == versions  # no new version, no revert
    assert "values" in version_of("mini-short").answer_key["accepted"]
    assert Answer.objects.get(pk=given.pk).correct and Answer.objects.get(pk=cloze.pk).correct
    warnings = [c for c in report.changes if "accepted in the browser but not in its file" in c]
    assert len(warnings) == 2 and "'values'" in warnings[0] + warnings[1]

    call_command("accepted_responses", str(course_copy))
    listed = capsys.readouterr().out
    assert "question mini-short: 'values'" in listed and "2 to add" in listed
    call_command("accepted_responses", str(course_copy), "--write")
    text = (course_copy / "lessons" / "01-mini.yaml").read_text()
    assert "    also_accept:\n      - values\n" in text
    assert "    also_accept:\n      2:\n        - forty k\n" in text

    report = load_content([course_copy])
    assert QuestionVersion.objects.count() == versions
    assert not [c for c in report.changes if "question mini-" in c]
    call_command("accepted_responses", str(course_copy))
    assert "The files list every accepted response." in capsys.readouterr().out


@pytest.mark.django_db
def test_a_load_that_no_longer_fits_an_accepted_response_keeps_it_and_says_so(
    mini, author, course_copy
):
    response_accept(version=version_of("mini-cloze"), blank=1, text="forty k", by=author,
                    now=timezone.now())  # fmt: skip
    lesson = course_copy / "lessons" / "01-mini.yaml"
    lesson.write_text(
        lesson.read_text().replace("with [[40,000|40000]] troops", "with many troops")
    )

    report = load_content([course_copy])

    assert any("no longer fits the question" in c and "'forty k'" in c for c in report.changes)
    assert AcceptedResponse.objects.count() == 1
    assert version_of("mini-cloze").answer_key["blanks"] == [["1977"]]


@pytest.mark.django_db
def test_a_files_also_accept_of_a_blank_that_does_not_exist_is_an_error(course_copy):
    from content.loader import ContentError, validate

    lesson = course_copy / "lessons" / "01-mini.yaml"
    lesson.write_text(
        lesson.read_text().replace(
            "    text: The treaty was signed in [[1977]] with [[40,000|40000]] troops.\n",
            "    text: The treaty was signed in [[1977]] with [[40,000|40000]] troops.\n"
            "    also_accept: {3: [x]}\n",
        )
    )
    with pytest.raises(ContentError) as caught:
        validate([course_copy])
    assert any("blank 3 does not exist: the text has 2" in e for e in caught.value.errors)


# What was found by trying to break it ------------------------------------------------------------


@pytest.mark.django_db
def test_a_numeric_question_never_accepts_a_text_that_names_another_number(
    client, mini, author, teacher
):
    classroom, assignment = _class(teacher)
    student = StudentFactory()
    _join(classroom, student)
    given = answer(assignment.quiz, student, "mini-numeric", {"text": "1978"})
    for text in ("1978", "about 1978", "nineteen seventy-eight", "1977 or 1978", "1,97", "6²"):
        for scope in ({}, {"classroom": classroom}):
            with pytest.raises(RegradeError, match="another number"):
                response_accept(version=version_of("mini-numeric"), blank=WHOLE, text=text,
                                by=author, now=timezone.now(), **scope)  # fmt: skip
    assert AcceptedResponse.objects.count() == 0 and not Answer.objects.get(pk=given.pk).correct
    assert "texts" not in version_of("mini-numeric").answer_key
    # A text without a number in it may be accepted.
    response_accept(version=version_of("mini-numeric"), blank=WHOLE, text="the late seventies",
                    by=author, now=timezone.now())  # fmt: skip
    assert not grade("numeric", version_of("mini-numeric").answer_key, {"text": "1978"}).correct
    # Nor does the grader, whatever a key says (a file's also_accept is checked on loading).
    assert not grade("numeric", {"value": 1977, "tolerance": 0, "texts": ["1978"]},
                     {"text": "1978"}).correct  # fmt: skip
    # The pages list "1978" as given, but offer no button to accept it.
    client.force_login(author)
    page = client.get("/questions/mini-numeric/").content.decode()
    assert "1978" in page and 'name="text" value="1978"' not in page
    client.force_login(teacher)
    page = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()
    assert "1978" in page and 'name="text" value="1978"' not in page


@pytest.mark.django_db
def test_a_response_whose_compared_form_is_too_long_is_refused_not_an_error(mini, author):
    # Each of these letters is 18 letters once compatibility-decomposed (NFKD, NFKC).
    text = "\ufdfa" * 400
    with pytest.raises(RegradeError, match="too long"):
        response_accept(version=version_of("mini-short"), blank=WHOLE, text=text, by=author,
                        now=timezone.now())  # fmt: skip
    assert AcceptedResponse.objects.count() == 0


@pytest.mark.django_db
def test_an_authors_acceptance_keeps_what_the_class_accepted_in_the_other_blanks(
    mini, author, teacher
):
    classroom, assignment = _class(teacher)
    student = StudentFactory()
    _join(classroom, student)
    other_class, other_assignment = _class(TeacherFactory(), "Period 4")
    elsewhere = StudentFactory()
    _join(other_class, elsewhere)
    _join(other_class, student)  # in both classes, but answering this class's quiz
    response = {"blanks": ["MCMLXXVII", "forty k"]}
    given = answer(assignment.quiz, student, "mini-cloze", response)
    other = answer(other_assignment.quiz, elsewhere, "mini-cloze", response)
    response_accept(version=version_of("mini-cloze"), blank=0, text="MCMLXXVII", by=teacher,
                    now=timezone.now(), classroom=classroom)  # fmt: skip
    given.refresh_from_db()
    assert given.score == 0.5

    outcome = response_accept(version=version_of("mini-cloze"), blank=1, text="forty k",
                              by=author, now=timezone.now())  # fmt: skip

    given.refresh_from_db()
    other.refresh_from_db()
    assert (given.score, given.correct) == (1.0, True) and outcome.answers == 2
    assert (other.score, other.correct) == (0.5, False)  # the other class did not accept it
    regrades = Regrade.objects.filter(accepted=outcome.accepted).order_by("answer_id")
    assert [(r.old_score, r.new_score) for r in regrades] == [(0.5, 1.0), (0.0, 0.5)]


@pytest.mark.django_db
def test_the_questions_page_counts_each_wrong_answer_once(client, mini, author, teacher):
    _, assignment = _class(teacher)
    for text in ("money", "power", "land"):
        answer(assignment.quiz, StudentFactory(), "mini-short", {"text": text})
    for text in ("common values", "shared values"):
        response_accept(version=version_of("mini-short"), blank=WHOLE, text=text, by=author,
                        now=timezone.now())  # fmt: skip
    client.force_login(author)
    row = next(q for q in client.get("/questions/").context["questions"] if q.key == "mini-short")
    assert (row.wrong, row.accepted) == (3, 2)


@pytest.mark.django_db
def test_a_files_also_accept_naming_another_number_is_an_error(course_copy):
    from content.loader import ContentError, validate

    lesson = course_copy / "lessons" / "01-mini.yaml"
    lesson.write_text(
        lesson.read_text().replace(
            "    answer: 1977\n", "    answer: 1977\n    also_accept: [the late seventies, 1978]\n"
        )
    )
    with pytest.raises(ContentError) as caught:
        validate([course_copy])
    assert any("'1978' names another number than the answer" in e for e in caught.value.errors)


@pytest.mark.django_db
def test_writing_back_adds_lines_and_keeps_comments_and_line_endings(mini, author, course_copy):
    lesson = course_copy / "lessons" / "01-mini.yaml"
    text = (
        lesson.read_text()
        .replace(
            "    answers: [ideology, shared ideology]\n",
            "    answers: [ideology, shared ideology]\n"
            "    also_accept:\n"
            "      # from the audit\n"
            "      - common ground  # said in class\n",
        )
        .replace(
            "    text: The treaty was signed in [[1977]] with [[40,000|40000]] troops.\n",
            "    text: The treaty was signed in [[1977]] with [[40,000|40000]] troops.\n"
            "    also_accept:  # both blanks\n"
            "      2:\n"
            "        - forty thousand  # spelled out\n",
        )
        .replace(
            "    answer: 1977\n", "    answer: 1977\n    also_accept: [the late seventies]  # why\n"
        )
    )
    lesson.write_bytes(text.replace("\n", "\r\n").encode())
    load_content([course_copy])
    for key, blank, given in (
        ("mini-short", WHOLE, "values: yes #1"),
        ("mini-cloze", 1, "forty k"),
        ("mini-cloze", 0, "MCMLXXVII"),
        ("mini-numeric", WHOLE, "the year of the treaty"),
    ):
        response_accept(version=version_of(key), blank=blank, text=given, by=author,
                        now=timezone.now())  # fmt: skip

    call_command("accepted_responses", str(course_copy), "--write")

    expected = (
        text.replace(
            "      - common ground  # said in class\n",
            "      - common ground  # said in class\n      - 'values: yes #1'\n",
        )
        .replace(
            "        - forty thousand  # spelled out\n",
            "        - forty thousand  # spelled out\n        - forty k\n      1:\n"
            "        - MCMLXXVII\n",
        )
        .replace(
            "    also_accept: [the late seventies]  # why\n",
            "    also_accept:  # why\n      - the late seventies\n      - the year of the treaty\n",
        )
    )
    assert lesson.read_bytes().decode() == expected.replace("\n", "\r\n")
    versions = QuestionVersion.objects.count()
    load_content([course_copy])
    assert QuestionVersion.objects.count() == versions


@pytest.mark.django_db
def test_no_malformed_acceptance_is_an_error_or_accepts_anything(client, mini, author, teacher):
    classroom, assignment = _class(teacher)
    student = StudentFactory()
    _join(classroom, student)
    answer(assignment.quiz, student, "mini-short", {"text": "values"})
    answer(assignment.quiz, student, "mini-cloze", {"blanks": ["x", "y"]})
    short, cloze = version_of("mini-short"), version_of("mini-cloze")
    data = {"version": short.pk, "blank": WHOLE, "text": "values"}
    malformed = [
        {}, {"version": short.pk}, {"version": short.pk, "blank": WHOLE},
        {**data, "text": "\x01\x02"}, {**data, "text": "\x00"}, {**data, "text": "a" * 100_000},
        {**data, "text": "   "}, {**data, "text": "!!!"}, {**data, "text": "\ufdfa" * 30},
        {**data, "blank": -2}, {**data, "blank": 1000}, {**data, "blank": "1e3"},
        {**data, "blank": 32768}, {**data, "version": 0}, {**data, "version": -5},
        {**data, "version": "1" * 18}, {**data, "version": version_of("mini-numeric").pk},
        {**data, "version": cloze.pk, "blank": 5}, {**data, "version": cloze.pk},
        {**data, "version": cloze.pk, "blank": 1, "text": "\u200b"},
        {**data, "version": [short.pk, cloze.pk]},
    ]  # fmt: skip
    for who, url in (
        (teacher, f"/classes/{classroom.pk}/item-analysis/accept/"),
        (author, "/questions/mini-short/"),
    ):
        client.force_login(who)
        for bad in malformed:
            assert client.post(url, bad).status_code in (302, 404), bad
        # Not UTF-8 at all.
        body = f"version={short.pk}&blank=-1&text=%ED%A0%80%FF"
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 302
    assert AcceptedResponse.objects.count() == 0


@pytest.mark.django_db
def test_a_response_accepted_for_a_blank_that_now_asks_for_something_else_is_not_applied(
    mini, author, teacher, course_copy, capsys
):
    _, assignment = _class(teacher)
    old = answer(assignment.quiz, StudentFactory(), "mini-cloze", {"blanks": ["1977", "forty k"]})
    lesson = course_copy / "lessons" / "01-mini.yaml"
    lesson.write_text(
        lesson.read_text().replace(
            "The treaty was signed in [[1977]] with [[40,000|40000]] troops.",
            "With [[40,000|40000]] troops, the treaty was signed in [[1977]].",
        )
    )
    report = load_content([course_copy])
    assert any("new version 2" in c for c in report.changes)
    first, second = QuestionVersion.objects.filter(question__key="mini-cloze").order_by("number")

    # Accepted for blank 2 of version 1 (the troops): not for blank 2 of version 2 (the year).
    response_accept(version=first, blank=1, text="forty k", by=author, now=timezone.now())

    old.refresh_from_db()
    assert old.correct
    first.refresh_from_db()
    second.refresh_from_db()
    assert "forty k" in first.answer_key["blanks"][1]
    assert second.answer_key["blanks"] == [["40,000", "40000"], ["1977"]]
    assert not answer(assignment.quiz, StudentFactory(), "mini-cloze",
                      {"blanks": ["40,000", "forty k"]}).correct  # fmt: skip
    # Nor on the next load, nor in the file.
    report = load_content([course_copy])
    assert any("'forty k'" in c and "no longer fits" in c for c in report.changes)
    assert version_of("mini-cloze").answer_key["blanks"] == [["40,000", "40000"], ["1977"]]
    call_command("accepted_responses", str(course_copy))
    assert "The files list every accepted response." in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("classroom_scope", [False, True])
def test_a_regrades_queries_do_not_grow_with_the_students(mini, author, teacher, classroom_scope):
    """Without flashcards to correct, accepting costs as many queries for 2 students as for 6:
    the lock, the key, the acceptance, the answers, the classes' acceptances (3), the updates."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    classroom, assignment = _class(teacher)
    other_class, _ = _class(teacher, "Period 4")
    counts = []
    for n, text in ((2, "values"), (6, "money")):
        for _ in range(n):
            student = StudentFactory()
            _join(classroom, student)
            answer(assignment.quiz, student, "mini-short", {"text": text})
        # Another class's acceptance of another response, so that the classes' are read.
        response_accept(version=version_of("mini-short"), blank=WHOLE, text=f"{text} too",
                        by=teacher, now=timezone.now(), classroom=other_class)  # fmt: skip
        scope = {"classroom": classroom} if classroom_scope else {}
        with CaptureQueriesContext(connection) as queries:
            outcome = response_accept(version=version_of("mini-short"), blank=WHOLE, text=text,
                                      by=author, now=timezone.now(), **scope)  # fmt: skip
        assert outcome.answers == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
