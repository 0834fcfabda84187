"""The author dashboard and the authoring guide as a page (issue 11, "Authors")."""

import os
import re

import pytest
from django.urls import reverse

from content.markdown import render_document
from courses import author
from courses.models import LessonSet
from quizzes.models import Card, Question
from tests.factories import (
    AuthorFactory,
    CardFactory,
    CardFlagFactory,
    LessonFactory,
    LessonSetFactory,
    LessonSetItemFactory,
    QuestionFactory,
    QuestionVersionFactory,
    StudentFactory,
    TeacherFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def author_client(client, mini):
    client.force_login(AuthorFactory(username="aut"))
    return client


def _row(html: str, lesson_title: str) -> list[str]:
    """The cells of the lesson's row: its title cell, then the five counts."""
    row = re.search(rf"<tr><th scope=\"row\"><a [^>]*>{re.escape(lesson_title)}</a>.*?</tr>", html)
    assert row, f"no row for {lesson_title}"
    return re.findall(r"<td>(.*?)</td>", row.group(0))


def test_the_dashboard_counts_each_lesson_s_questions_cards_versions_and_retired(author_client):
    lesson_set = LessonSet.objects.get(key="mini-set")
    lesson = lesson_set.items.get().lesson
    questions = Question.objects.filter(lesson=lesson)
    active_questions = questions.filter(retired_at__isnull=True).count()
    active_cards = Card.objects.filter(lesson=lesson, retired_at__isnull=True).count()
    html = author_client.get(reverse("author_dashboard")).content.decode()
    assert _row(html, lesson.title) == [str(active_questions), str(active_cards),
                                        str(active_questions), "0", "0"]  # fmt: skip

    # A question changes meaning (a second version), another is retired, and so is a card.
    changed, retired = questions[:2]
    QuestionVersionFactory(question=changed, number=changed.current_version.number + 1)
    Question.objects.filter(pk=retired.pk).update(retired_at="2026-01-01T00:00Z")
    card = Card.objects.filter(lesson=lesson, question__isnull=True).first()
    Card.objects.filter(pk=card.pk).update(retired_at="2026-01-01T00:00Z")

    html = author_client.get(reverse("author_dashboard")).content.decode()
    # Versions count those of the questions in use: the retired one's version is not among them.
    assert _row(html, lesson.title) == [
        str(active_questions - 1),
        str(active_cards - 1),
        str(active_questions - 1 + 1),
        "1",
        "1",
    ]
    # Grouped by course, then by lesson set.
    assert (
        html.index(lesson_set.course.title)
        < html.index(lesson_set.title)
        < html.index(lesson.title)
    )


def test_a_lesson_in_no_set_is_listed_apart_and_a_retired_lesson_not_at_all(author_client):
    loose = LessonFactory(title="Loose lesson")
    LessonFactory(title="Old lesson", retired_at="2026-01-01T00:00Z")
    html = author_client.get(reverse("author_dashboard")).content.decode()
    assert "Lessons in no lesson set" in html
    assert _row(html, "Loose lesson") == ["0", "0", "0", "0", "0"]
    assert html.index("Lessons in no lesson set") < html.index(loose.title)
    assert "Old lesson" not in html


def test_the_dashboard_shows_the_open_reports_the_latest_first_and_links_to_them(author_client):
    card = Card.objects.filter(retired_at__isnull=True).first()
    html = author_client.get(reverse("author_dashboard")).content.decode()
    assert "No open report" in html
    for i in range(7):
        CardFlagFactory(card=card, note=f"Report number {i}.")
    CardFlagFactory(card=card, note="Already fixed.", resolved_at="2026-01-01T00:00Z")

    html = author_client.get(reverse("author_dashboard")).content.decode()
    assert "7 reports are open." in html
    shown = re.findall(r"Report number (\d)\.", html)
    assert shown == ["6", "5", "4", "3", "2"]  # the latest five, newest first
    assert "Already fixed." not in html
    assert f'href="{reverse("quizzes:card_flags")}"' in html
    assert f'href="{reverse("quizzes:questions")}"' in html
    assert f'href="{reverse("author_guide")}"' in html


def test_the_author_dashboard_is_for_authors_only(client, mini):
    url = reverse("author_dashboard")
    assert client.get(url).status_code == 302  # sign in first
    for user in (StudentFactory(), TeacherFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(AuthorFactory())
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_authors_find_the_dashboard_in_the_navigation(client, mini):
    client.force_login(AuthorFactory())
    url = reverse("author_dashboard")
    html = client.get(url).content.decode()
    assert f'<a href="{url}" aria-current="page">Authoring</a>' in html
    html = client.get(reverse("lessons")).content.decode()
    assert f'<a href="{url}">Authoring</a>' in html
    client.force_login(StudentFactory())
    assert url not in client.get(reverse("lessons")).content.decode()


def _grow(lessons: int, per_lesson: int) -> None:
    """More lessons in the mini course's set and in a second set, each with questions (two
    versions each), flashcards, retired ones, and reports."""
    lesson_set = LessonSet.objects.get(key="mini-set")
    second = LessonSetFactory(course=lesson_set.course)
    for i in range(lessons):
        lesson = LessonFactory()
        LessonSetItemFactory(lesson_set=lesson_set if i % 2 else second, lesson=lesson)
        for _ in range(per_lesson):
            question = QuestionFactory(lesson=lesson)
            QuestionVersionFactory(question=question, number=question.current_version.number + 1)
            CardFlagFactory(card=CardFactory(lesson=lesson))
        QuestionFactory(lesson=lesson, retired_at="2026-01-01T00:00Z")
        CardFactory(lesson=lesson, retired_at="2026-01-01T00:00Z")


@pytest.mark.parametrize("lessons", [0, 20])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    author_client, django_assert_num_queries, lessons
):
    _grow(lessons, per_lesson=3)
    url = reverse("author_dashboard")
    author_client.get(url)
    # The user and their roles (the session is in the cache); the open reports with their
    # cards and their count (one query, the count a window); the lessons with their counts
    # (one query of subqueries), the sets' lessons, the lesson sets with their courses.
    with django_assert_num_queries(6):
        response = author_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row"><a href="/lessons/') == 1 + lessons


# The guide --------------------------------------------------------------------------------------


def test_the_guide_is_the_authoring_doc_with_a_table_of_contents_whose_links_all_land(client, mini):
    client.force_login(AuthorFactory())
    html = client.get(reverse("author_guide")).content.decode()
    assert "<h1>Writing a course</h1>" in html
    assert '<h2 id="how-loading-behaves">How loading behaves</h2>' in html
    assert '<a href="#typed-answers">Typed answers</a>' in html  # in the table of contents
    ids = set(re.findall(r' id="([^"]+)"', html))
    targets = re.findall(r'href="#([^"]+)"', html)
    assert len(targets) > 10
    assert [t for t in targets if t not in ids] == []  # the contents' and the guide's own links
    assert len(re.findall(r' id="([^"]+)"', html)) == len(ids)  # no id twice
    assert "<script" not in html.split("<article", 1)[1]


def test_teachers_may_read_the_guide_and_students_may_not(client, mini):
    url = reverse("author_guide")
    client.force_login(TeacherFactory())
    assert client.get(url).status_code == 200
    client.force_login(StudentFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_guide_is_rendered_once_per_version_of_the_file(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("# Guide\n\n## First\n\nOne.\n")
    first = author.guide_render(path)
    assert first is author.guide_render(path)  # not rendered again
    assert first.title == "Guide" and [h.id for h, _ in first.contents] == ["first"]

    path.write_text("# Guide\n\n## Second\n\nTwo.\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a deploy: a newer file
    second = author.guide_render(path)
    assert [h.id for h, _ in second.contents] == ["second"] and "Two." in second.html


def test_headings_get_ids_as_on_github_and_raw_html_stays_escaped():
    html, headings = render_document(
        "# Main\n\n## `course.yaml`\n\n## Main\n\n### Accepting (regrade)\n\n<script>x</script>",
        reserved_ids={"main"},
    )
    assert [(h.level, h.id) for h in headings] == [
        (1, "main-1"),
        (2, "courseyaml"),
        (2, "main-2"),
        (3, "accepting-regrade"),
    ]
    assert '<h2 id="courseyaml"><code>course.yaml</code></h2>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
