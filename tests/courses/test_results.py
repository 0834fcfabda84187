"""Teacher results that read at a glance (issue 11, "Results"): study goals as their two parts,
answers with their questions, item analysis, the retention chart, an assignment's own page,
the CSV, weakest cards and plurals."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from courses import results, services
from courses.models import Assignment, AssignmentKind, LessonSet
from quizzes.models import Answer, Card, Question, QuestionVersion
from quizzes.services import attempt_finish, attempt_start, card_unsuspend, review_record
from tests.courses.test_teaching import enroll, quiz_assignment, take
from tests.factories import TeacherFactory


@pytest.fixture
def teacher(db):
    return TeacherFactory(username="tea")


@pytest.fixture
def classroom(mini, teacher):
    return services.classroom_create(name="Period 6", teacher=teacher)


def study_assignment(classroom, teacher, *, due_in_days: float = 3, target: float = 0.85):
    return services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=LessonSet.objects.get(key="mini-set"),
        kind=AssignmentKind.STUDY,
        due_at=timezone.now() + timedelta(days=due_in_days),
        target_recall=target,
    )


# Study goals: two numbers, met only when both are ----------------------------------------------


def test_a_study_goal_is_its_two_parts_and_met_only_when_both_are():
    # Two lessons: 3 of 4 cards studied at mean recall 0.9, 2 of 2 at 0.6.
    goal = results.study_goal(target=0.85, lessons=[(4, 3, 0.9), (2, 2, 0.6)])
    assert (goal.studied, goal.total, goal.target) == (5, 6, 0.85)
    assert goal.recall == pytest.approx((3 * 0.9 + 2 * 0.6) / 5)  # per studied card
    assert not goal.cards_met and not goal.recall_met and not goal.met

    every_card_low_recall = results.study_goal(target=0.85, lessons=[(2, 2, 0.5)])
    assert every_card_low_recall.cards_met and not every_card_low_recall.met
    one_perfect_review = results.study_goal(target=0.85, lessons=[(31, 1, 1.0)])
    assert one_perfect_review.recall_met and not one_perfect_review.met
    both = results.study_goal(target=0.85, lessons=[(2, 2, 0.85)])
    assert both.met


def test_a_study_goal_with_nothing_studied_has_no_recall_and_an_empty_one_is_never_met():
    nothing = results.study_goal(target=0.9, lessons=[(5, 0, None)])
    assert nothing.recall is None and nothing.recall_percent is None and not nothing.started
    assert not results.study_goal(target=0.9, lessons=[]).met  # no cards: nothing to meet


def test_recall_is_shown_rounded_down_so_a_recall_shown_at_the_target_meets_it():
    below = results.study_goal(target=0.85, lessons=[(1, 1, 0.8499)])
    assert below.recall_percent == 84 and below.target_percent == 85 and not below.recall_met
    at = results.study_goal(target=0.29, lessons=[(1, 1, 0.29)])
    assert at.recall_percent == 29 and at.recall_met


@pytest.mark.django_db
def test_the_gradebook_the_csv_and_the_overview_show_the_goals_two_parts(
    client, classroom, teacher
):
    """One perfect review of one card of five was "(1/5 + 1) / 2 = 60 %" before: now it is
    "1 of 5 cards studied" and a recall against the target, and not met."""
    (ana,) = enroll(classroom, 1)
    goal = study_assignment(classroom, teacher)
    review_record(student=ana, card=Card.objects.order_by("pk").first(), rating=4,
                  reviewed_at=timezone.now())  # fmt: skip

    (cell,) = results.gradebook(classroom=classroom, now=timezone.now()).rows[0].cells
    assert (cell.goal.studied, cell.goal.total) == (1, 5)
    assert cell.goal.recall_met and not cell.complete and cell.score is None

    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    recall = cell.goal.recall_percent
    assert (
        f'1 of 5 cards studied</span> <span class="goal-part">recall {recall}% (target 85%)' in html
    )
    assert "goal met" not in html and "60%" not in html

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode())
        )
    )
    heading = f"{goal.title} (due {timezone.localtime(goal.due_at).date().isoformat()})"
    assert rows[0][f"{heading}: cards studied (of 5)"] == "1"
    assert rows[0][f"{heading}: recall (%, target 85%)"] == str(recall)
    assert rows[0][f"{heading}: goal met"] == "no"

    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "<td>0 / 1</td>" in html  # met by none of one student
    assert "1 of 5 cards studied on average" in html and f"mean recall {recall}%" in html
    assert "(target 85%)" in html


@pytest.mark.django_db
def test_a_goal_is_met_in_every_view_once_every_card_is_studied_at_the_target(
    client, classroom, teacher
):
    (ana,) = enroll(classroom, 1)
    goal = study_assignment(classroom, teacher, target=0.5)
    for card in Card.objects.all():
        review_record(student=ana, card=card, rating=3, reviewed_at=timezone.now())

    (cell,) = results.gradebook(classroom=classroom, now=timezone.now()).rows[0].cells
    assert cell.complete and cell.goal.met

    client.force_login(teacher)
    assert "goal met" in client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode())
        )
    )
    assert rows[1][-1] == "yes"
    assert goal.title in client.get(f"/classes/{classroom.pk}/").content.decode()


def forget(student, card, times: int, *, start) -> None:
    """Learn the card (Easy) and forget it (Again) `times` times, a few days apart: each Again
    after the card is learnt is a lapse."""
    at = start
    review_record(student=student, card=card, rating=4, reviewed_at=at, fuzz=False)
    for _ in range(times):
        at += timedelta(days=3)
        review_record(student=student, card=card, rating=1, reviewed_at=at, fuzz=False)
        at += timedelta(minutes=20)
        review_record(student=student, card=card, rating=4, reviewed_at=at, fuzz=False)


# The student page: answers with their questions ------------------------------------------------


@pytest.mark.django_db
def test_the_student_page_shows_each_answers_prompt_response_right_answer_score_and_link(
    client, classroom, teacher
):
    (ana,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    take(assignment, ana, {0})  # the first question right, the rest wrong
    client.force_login(teacher)

    html = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()

    single = Question.objects.get(key="mini-single")
    link = (
        f'<a href="/classes/{classroom.pk}/item-analysis/?assignment={assignment.pk}'
        f'#question-{single.pk}">What do alliances need?</a>'
    )
    assert link in html
    assert '<span class="meta">mini-single</span>' in html  # the key, as a detail
    row = html[html.index(link) :]
    row = row[: row.index("</tr>")]
    # Response and right answer are the same option: the answer was right, scored 100 %.
    assert row.count("<td>Shared interests and ideology</td>") == 2
    assert "<td>Correct</td>" in row
    tf = html[html.index("Shared interests alone are enough.") :]
    tf = tf[: tf.index("</tr>")]
    assert "<td>False</td>" in tf and "<td>Incorrect</td>" in tf
    # The link leads to the question's row of the item analysis.
    analysis = client.get(f"/classes/{classroom.pk}/item-analysis/?assignment={assignment.pk}")
    assert f'<tr id="question-{single.pk}">' in analysis.content.decode()


def test_a_long_prompt_is_shortened_at_a_word_as_plain_text():
    version = QuestionVersion(
        prompt_html="<p>Which <em>two</em> treaties &amp; " + "long words " * 30 + "</p>"
    )
    text = results.plain_prompt(version, limit=60)
    assert text.startswith("Which two treaties & long words")
    assert len(text) <= 60 and text.endswith("…")
    whole = "Which two treaties & " + "long words " * 30
    assert whole.startswith(text[:-1] + " "), "cut after a whole word"
    assert results.plain_prompt(QuestionVersion(prompt_html="<p>Short.</p>")) == "Short."


# Item analysis ---------------------------------------------------------------------------------


def answer_first(assignment, student, response: dict, *, score: float) -> None:
    attempt = attempt_start(quiz=assignment.quiz, student=student, now=timezone.now())
    version = QuestionVersion.objects.get(pk=attempt.versions[0])
    Answer.objects.create(attempt=attempt, version=version, position=0, response=response,
                          score=score, correct=score == 1, answered_at=timezone.now())  # fmt: skip
    attempt_finish(attempt=attempt, now=timezone.now())


@pytest.mark.django_db
def test_item_analysis_counts_answers_per_option_and_leads_with_the_prompt(
    client, classroom, teacher
):
    students = enroll(classroom, 6)
    assignment = quiz_assignment(classroom, teacher)
    # mini-single: options 0 Shared borders, 1 Shared interests and ideology (right), 2 ...
    for student, choice in zip(students, [1, 1, 1, 0, 0, 2], strict=True):
        answer_first(assignment, student, {"choice": choice}, score=1.0 if choice == 1 else 0)

    (item,) = results.item_analysis(assignment=assignment).items
    assert [(o.text, o.count, o.right) for o in item.options] == [
        ("Shared borders", 2, False),
        ("Shared interests and ideology", 3, True),
        ("Shared languages", 1, False),
    ]
    assert item.facility == pytest.approx(0.5)

    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()
    row = html[html.index(f'id="question-{item.version.question_id}"') :]
    row = row[: row.index("</tr>")]
    heading = row[row.index("<th") : row.index("</th>")]
    assert heading.index("What do alliances need?") < heading.index("mini-single")
    assert 'Shared interests and ideology <span class="ok">✓' in row
    assert 'Shared borders: <strong>2</strong> <span class="meta">(33%)</span>' in row
    assert 'Shared languages: <strong>1</strong> <span class="meta">(17%)</span>' in row


def test_options_are_counted_for_multiple_response_and_true_false_and_bad_responses_ignored():
    multiple = QuestionVersion(
        type="multiple_response",
        body={"choices": ["Interests", "Borders", "Ideology"]},
        answer_key={"choices": [0, 2]},
    )
    counts = results.option_counts(
        multiple, [({"choices": [0, 2]}, 3), ({"choices": [1]}, 1), ({"choices": [9, "x"]}, 1)]
    )
    assert [(o.count, o.right) for o in counts] == [(3, True), (1, False), (3, True)]
    assert counts[1].share == pytest.approx(1 / 5)
    true_false = QuestionVersion(type="true_false", body={}, answer_key={"value": False})
    counts = results.option_counts(
        true_false, [({"value": True}, 2), ({"value": False}, 4), ("x", 1)]
    )
    assert [(o.text, o.count, o.right) for o in counts] == [("True", 2, False), ("False", 4, True)]
    short = QuestionVersion(type="short_answer", body={}, answer_key={"accepted": ["x"]})
    assert results.option_counts(short, [({"text": "x"}, 1)]) == []


@pytest.mark.django_db
def test_no_question_is_flagged_below_five_answers_and_the_count_is_shown(
    client, classroom, teacher
):
    students = enroll(classroom, 5)
    assignment = quiz_assignment(classroom, teacher)
    for student in students[:4]:
        answer_first(assignment, student, {"choice": 0}, score=0)
    client.force_login(teacher)
    url = f"/classes/{classroom.pk}/item-analysis/"

    (item,) = results.item_analysis(assignment=assignment).items
    assert item.facility == 0 and item.too_few and item.flags == []
    html = client.get(url).content.decode()
    assert "only 4 answers: too few to judge" in html and "check the answer key" not in html

    answer_first(assignment, students[4], {"choice": 0}, score=0)
    (item,) = results.item_analysis(assignment=assignment).items
    assert not item.too_few and item.flags == ["almost nobody gets it right: check the answer key"]
    html = client.get(url).content.decode()
    assert "check the answer key" in html and "too few to judge" not in html


@pytest.mark.django_db
def test_the_cards_the_class_keeps_forgetting(client, classroom, teacher):
    """Card one: forgotten by 3 of 4 students, 8 times by one (a leech for them). Card two:
    forgotten by one student only: not listed. Card three: studied, never forgotten."""
    people = enroll(classroom, 4)
    study_assignment(classroom, teacher)
    one, two, three = (Card.objects.get(key=k) for k in ("mini-f1", "mini-f2", "mini-f3"))
    start = timezone.now() - timedelta(days=60)
    forget(people[0], one, 8, start=start)
    forget(people[1], one, 1, start=start)
    forget(people[2], one, 2, start=start)
    forget(people[3], one, 0, start=start)
    forget(people[0], two, 1, start=start)
    for student in people:
        forget(student, three, 0, start=start)

    (card,) = results.class_leeches(classroom=classroom)

    assert (card.card_id, card.studied, card.lapsed, card.lapses, card.leeches) == (
        one.pk, 4, 3, 11, 1,
    )  # fmt: skip
    client.force_login(teacher)
    html = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()
    assert "Cards the class keeps forgetting" in html
    assert "<td>3 of 4 who studied it</td><td>11</td><td>1 student</td>" in html
    assert two.front not in html and three.front not in html


@pytest.mark.django_db
def test_the_student_page_lists_the_students_leeches_suspended_or_put_back(
    client, classroom, teacher
):
    """Card one: 8 lapses, a leech, suspended. Card two: 9 lapses, put back by the student.
    Card three: 7 lapses, no leech. Another student's leech is not theirs."""
    ana, bob = enroll(classroom, 2)
    study_assignment(classroom, teacher)
    one, two, three = (Card.objects.get(key=k) for k in ("mini-f1", "mini-f2", "mini-f3"))
    start = timezone.now() - timedelta(days=60)
    forget(ana, one, 8, start=start)
    forget(ana, two, 9, start=start)
    card_unsuspend(student=ana, card_id=two.pk)
    forget(ana, three, 7, start=start)
    forget(bob, three, 8, start=start)
    client.force_login(teacher)

    html = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()
    leeches = html[html.index("<h2>Leeches</h2>") : html.index("<h2>Quiz attempts</h2>")]
    rows = re.findall(
        r'<tr><th scope="row">(.*?)</th><td>.*?</td><td>(\d+)</td><td>(.*?)</td>', leeches
    )

    assert rows == [(two.front, "9", "Put back"), (one.front, "8", "Suspended")]
    bobs = client.get(f"/classes/{classroom.pk}/students/{bob.pk}/").content.decode()
    bobs = bobs[bobs.index("<h2>Leeches</h2>") : bobs.index("<h2>Quiz attempts</h2>")]
    assert three.front in bobs and one.front not in bobs
    services.enrollment_remove(classroom=classroom, student_id=ana.pk)
    left = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()
    assert one.front not in left


# The retention chart and an assignment's own page ----------------------------------------------


@pytest.mark.django_db
def test_the_retention_chart_has_a_legend_axis_values_and_a_table(client, classroom, teacher):
    (ana,) = enroll(classroom, 1)
    study_assignment(classroom, teacher)
    review_record(student=ana, card=Card.objects.get(key="mini-f1"), rating=3,
                  reviewed_at=timezone.now() - timedelta(days=2))  # fmt: skip
    (lesson,) = results.gradebook(classroom=classroom, now=timezone.now()).retention
    now, week = round(lesson.now * 100), round(lesson.week * 100)
    client.force_login(teacher)

    html = client.get(f"/classes/{classroom.pk}/").content.decode()
    chart = html[html.index('<figure class="retention-chart">') : html.index("</figure>")]

    legend = chart[chart.index('<ul class="legend"') : chart.index("</ul>")]
    assert '<span class="swatch now"></span>Now' in legend
    assert '<span class="swatch week"></span>In 7 days' in legend
    svg = chart[chart.index("<svg") : chart.index("</svg>")]
    for tick in ("0%", "25%", "50%", "75%", "100%"):
        assert f'text-anchor="middle">{tick}</text>' in svg
    assert "Mean predicted recall of the studied cards</text>" in svg  # the axis's label
    assert f'class="value">{now}%</text>' in svg and f'class="value">{week}%</text>' in svg
    assert f"<td>{now}%</td><td>{week}%</td><td>1</td>" in chart  # the table of the numbers


@pytest.mark.django_db
def test_an_assignments_page_lists_who_is_overdue_in_progress_and_done_with_scores(
    client, classroom, teacher
):
    ana, ben, cat, dan = enroll(classroom, 4)
    ana.first_name, ben.first_name, cat.first_name, dan.first_name = "Ana", "Ben", "Cat", "Dan"
    for person in (ana, ben, cat, dan):
        person.save()
    quiz = quiz_assignment(classroom, teacher)
    take(quiz, ana, {0, 1, 2, 3, 4, 5})  # 6 of 8
    attempt_start(quiz=quiz.quiz, student=ben, now=timezone.now())  # begun, not finished
    services.assignment_create(  # given to Dan only: the quiz's page does not count it
        classroom=classroom, teacher=teacher, lesson_set=LessonSet.objects.get(),
        students=[dan], due_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    Assignment.objects.filter(pk=quiz.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(teacher)

    gradebook = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    url = f"/classes/{classroom.pk}/assignments/{quiz.pk}/"
    assert f'<a href="{url}">{quiz.title}</a>' in gradebook
    html = client.get(url).content.decode()

    table = html[html.index('<table class="assignment-students">') :]
    rows = re.findall(r'<tr class="([a-z-]+)">\s*<th scope="row"><a href="[^"]+">(\w+)', table)
    # Overdue first (by name), then done; the study goal given to Dan alone is not this one.
    assert rows == [("overdue", "Ben"), ("overdue", "Cat"), ("overdue", "Dan"), ("done", "Ana")]
    assert "<td>finished</td>" in table
    ana_row = table[table.index(">Ana") :]
    ana_row = ana_row[: ana_row.index("</tr>")]
    assert "<td>finished</td>" in ana_row and "<td>75%</td>" in ana_row and "<td>1</td>" in ana_row
    assert table.count('<strong class="warn">overdue</strong>') == 3
    assert "Finished: <strong>1 / 4</strong>" in html and "Started: 2 / 4" in html
    assert f'href="/classes/{classroom.pk}/item-analysis/?assignment={quiz.pk}"' in html


@pytest.mark.django_db
def test_a_study_goals_page_shows_cards_studied_and_recall_against_the_target(
    client, classroom, teacher
):
    ana, ben = enroll(classroom, 2)
    goal = study_assignment(classroom, teacher, target=0.5)
    for card in Card.objects.all():
        review_record(student=ana, card=card, rating=3, reviewed_at=timezone.now())
    review_record(student=ben, card=Card.objects.first(), rating=3, reviewed_at=timezone.now())
    client.force_login(teacher)

    html = client.get(f"/classes/{classroom.pk}/assignments/{goal.pk}/").content.decode()

    assert "Goal: all 5 cards studied, recall at least 50%" in html
    assert "Recall (target 50%)" in html
    assert "<td>1 / 5</td>" in html and "<td>5 / 5</td>" in html
    assert "<td>in progress</td>" in html and "<td>goal met</td>" in html
    assert "Goal met: <strong>1 / 2</strong>" in html


# The CSV ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_csv_has_columns_for_assigned_attempted_and_overdue_and_unique_headings(
    client, classroom, teacher
):
    ana, ben = enroll(classroom, 2)
    first = quiz_assignment(classroom, teacher)
    second = quiz_assignment(classroom, teacher)  # the same title and due date
    Assignment.objects.filter(pk=second.pk).update(due_at=first.due_at)
    study = services.assignment_create(
        classroom=classroom, teacher=teacher, lesson_set=LessonSet.objects.get(),
        students=[ana], due_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    take(first, ana, {0, 1})
    client.force_login(teacher)

    response = client.get(f"/classes/{classroom.pk}/gradebook.csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))

    assert len(header) == len(set(header)), "every heading is unique"
    due = timezone.localtime(first.due_at).date().isoformat()
    heading = f"{first.title} (due {due})"
    assert f"{heading}: best score (%)" in header and f"{heading} #2: best score (%)" in header
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    done, untouched = by_name[ana.username], by_name[ben.username]
    assert done[f"{heading}: attempted"] == "yes" and done[f"{heading}: best score (%)"] == "25"
    assert done[f"{heading}: finished attempts"] == "1"
    assert untouched[f"{heading}: attempted"] == "no"
    assert untouched[f"{heading}: best score (%)"] == ""  # a number or nothing, never a word
    study = f"{study.title} (due {timezone.localtime(study.due_at).date().isoformat()})"
    assert done[f"{study}: overdue"] == "yes" and done[f"{study}: assigned"] == "yes"
    assert untouched[f"{study}: assigned"] == "no" and untouched[f"{study}: overdue"] == ""
    words = {"overdue", "not assigned", "not attempted"}
    assert not any(cell in words for row in rows for cell in row)


# Weakest cards and plurals ---------------------------------------------------------------------


@pytest.mark.django_db
def test_weakest_cards_are_only_forgotten_ones_or_ones_with_low_recall(client, classroom, teacher):
    (ana,) = enroll(classroom, 1)
    study_assignment(classroom, teacher)
    lapsed, faded, fresh = (Card.objects.get(key=k) for k in ("mini-f1", "mini-f2", "mini-f3"))
    forget(ana, lapsed, 1, start=timezone.now() - timedelta(days=5))
    review_record(
        student=ana, card=faded, rating=1, reviewed_at=timezone.now() - timedelta(days=60)
    )
    review_record(student=ana, card=fresh, rating=4, reviewed_at=timezone.now())
    client.force_login(teacher)

    record = results.student_record(classroom=classroom, student=ana, now=timezone.now())
    assert {s.card for s in record.weakest} == {lapsed, faded}
    html = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()
    assert "Front one" in html and "Front two" in html and "Front three" not in html
    assert "predicted recall below 70%" in html


@pytest.mark.django_db
def test_counts_on_teacher_pages_are_pluralised(client, classroom, teacher):
    (ana,) = enroll(classroom, 1)
    quiz = quiz_assignment(classroom, teacher)
    take(quiz, ana, {0})  # eight answers of 2 s each: 16 s, which rounds to no minute
    client.force_login(teacher)

    gradebook = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    assert "(1 attempt)" in gradebook and "(1 attempts)" not in gradebook
    record = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()
    assert "Less than a minute answering quizzes" in record

    Answer.objects.filter(attempt__student=ana).update(duration_ms=7500)  # 60 s in all
    record = client.get(f"/classes/{classroom.pk}/students/{ana.pk}/").content.decode()
    assert "1 minute answering quizzes" in record and "1 minutes" not in record


@pytest.mark.django_db
def test_a_long_prompt_leads_its_row_shortened_with_the_whole_question_beside(
    client, classroom, teacher
):
    (ana,) = enroll(classroom, 1)
    assignment = quiz_assignment(classroom, teacher)
    long = "<p>What do <em>alliances</em> need " + "and then some more words " * 12 + "?</p>"
    QuestionVersion.objects.filter(question__key="mini-single").update(prompt_html=long)
    answer_first(assignment, ana, {"choice": 1}, score=1)
    client.force_login(teacher)

    html = client.get(f"/classes/{classroom.pk}/item-analysis/").content.decode()

    row = html[html.index('<th scope="row">What do alliances need and then') :]
    row = row[: row.index("</th>")]
    assert "…" in row.split("<details", 1)[0]
    assert "<summary>The whole question</summary>" + long in row
