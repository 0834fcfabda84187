"""The student dashboard's repeated parts (assignments, recall table, forecast) are built in
Python (courses.views.dashboard). They must give the HTML the template's loops gave, escaping
included: the loops are kept here as the reference, rendered from the same overview."""

# ruff: noqa: E501 -- the reference is the template's lines as they were (a tag is one line)

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from courses.models import AssignmentKind, Profile
from quizzes.models import Card
from quizzes.services import review_record
from tests.factories import (
    AssignmentFactory,
    AssignmentLessonFactory,
    ClassroomFactory,
    EnrollmentFactory,
    LessonFactory,
    QuizFactory,
)

# The template's loops as they were before the dashboard built them in Python.
REFERENCE = Template(
    """{% load i18n %}
  {% for item in overview.assignments %}
    <article class="assignment{% if item.overdue %} overdue{% elif item.done %} done{% endif %}">
      <h3>{{ item.assignment.title }}</h3>
      <p class="meta">{{ item.assignment.classroom.name }} · {% if item.quiz is not None %}{% translate "Quiz" %}{% else %}{% translate "Study goal" %}{% endif %} · {% translate "Due" %} <time datetime="{{ item.assignment.due_at|date:'c' }}">{% if item.assignment.due_at|date:"Y" == now|date:"Y" %}{{ item.assignment.due_at|date:"D j M, H:i" }}{% else %}{{ item.assignment.due_at|date:"D j M Y, H:i" }}{% endif %}</time>{% if item.overdue %} · <strong class="warn">{% translate "Overdue" %}</strong>{% elif item.done %} · <strong class="ok">{% translate "Done" %} ✓</strong>{% endif %}</p>
      {% if item.quiz is not None %}
        <p class="result">{% if item.score_percent is None %}{% translate "Not taken yet" %}{% else %}{% blocktranslate with score=item.score_percent %}Best score {{ score }}%{% endblocktranslate %}{% endif %} · {% if item.attempts_left is None %}{% blocktranslate count used=item.quiz.started %}{{ used }} attempt used, no limit{% plural %}{{ used }} attempts used, no limit{% endblocktranslate %}{% else %}{% blocktranslate count allowed=item.assignment.attempts_allowed with used=item.quiz.started left=item.attempts_left %}{{ used }} of {{ allowed }} attempt used, {{ left }} left{% plural %}{{ used }} of {{ allowed }} attempts used, {{ left }} left{% endblocktranslate %}{% endif %}</p>
        {% if item.quiz.open or item.attempts_left is None or item.attempts_left > 0 %}
          <p><a class="button" href="{% url 'quizzes:quiz' item.assignment.quiz_id %}">{% if item.quiz.open %}{% translate "Continue the quiz" %}{% elif item.quiz.started %}{% translate "Try again" %}{% else %}{% translate "Take the quiz" %}{% endif %}</a></p>
        {% else %}
          <p class="meta">{% translate "No attempts left." %}</p>
        {% endif %}
      {% else %}
        <p class="bar-line"><progress max="100" value="{{ item.percent }}" aria-label="{% blocktranslate with title=item.assignment.title %}Cards studied in {{ title }}{% endblocktranslate %}">{{ item.percent }}%</progress>
          <span>{% blocktranslate with studied=item.studied cards=item.cards %}{{ studied }} of {{ cards }} cards studied{% endblocktranslate %}</span></p>
        <p class="result">{% widthratio item.assignment.target_recall 1 100 as target %}{% if item.recall_percent is None %}{% blocktranslate %}Recall — (nothing studied yet) · target {{ target }}%{% endblocktranslate %}{% else %}{% blocktranslate with recall=item.recall_percent %}Recall {{ recall }}% · target {{ target }}%{% endblocktranslate %}{% endif %}</p>
      {% endif %}
      {% if item.lessons %}<p class="meta">{% translate "Lessons:" %} {% for lesson in item.lessons %}{{ lesson.title }}{% if not forloop.last %}, {% endif %}{% endfor %}</p>{% endif %}
    </article>
  {% endfor %}
|
      {% for lesson, r in overview.lessons %}
      <tr>
        <th scope="row"><a href="{{ lesson.get_absolute_url }}">{{ lesson.title }}</a></th>
        <td>{{ r.studied }} / {{ r.cards }}</td>
        <td>{% if r.recall_now is not None %}{% widthratio r.recall_now 1 100 %}%{% else %}—{% endif %}</td>
        <td>{% if r.recall_week is not None %}{% widthratio r.recall_week 1 100 %}%{% else %}—{% endif %}</td>
      </tr>
      {% endfor %}
|
      {% for bar, step in forecast %}<li><span class="visually-hidden">{% blocktranslate with date=bar.day|date:"l j F" count=bar.count %}{{ date }}: {{ count }} due{% endblocktranslate %}</span><span class="count" aria-hidden="true">{% if bar.count %}{{ bar.count }}{% endif %}</span><span class="bar h{{ step }}" aria-hidden="true"></span><span class="day" aria-hidden="true">{{ bar.day|date:"D" }}<br>{{ bar.day|date:"j" }}</span></li>{% endfor %}"""
)

AUTHORED = '<script>alert("x")</script> & Q\'s'


def _squeeze(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


@pytest.fixture
def varied(student):
    """The `student` fixture's student in Hanoi, with one card reviewed, and a second class
    (an authored name) with an overdue study goal of 0.9 over an authored lesson and one of
    the course's, and a quiz."""
    Profile.objects.create(user=student, time_zone="Asia/Ho_Chi_Minh")
    classroom = ClassroomFactory(name=AUTHORED)
    EnrollmentFactory(classroom=classroom, student=student)
    goal = AssignmentFactory(
        classroom=classroom,
        lesson_set=None,
        title=AUTHORED,
        target_recall=0.9,
        due_at=timezone.now() - timedelta(days=1),
    )
    AssignmentLessonFactory(assignment=goal, lesson=LessonFactory(key="authored", title=AUTHORED))
    card = Card.objects.get(key="mini-f1")
    AssignmentLessonFactory(assignment=goal, lesson=card.lesson)
    quiz = AssignmentFactory(
        classroom=classroom,
        lesson_set=None,
        title="A quiz",
        kind=AssignmentKind.QUIZ,
        quiz=QuizFactory(lessons=[card.lesson]),
        # 03:00 on 2 January in Hanoi, so the date shows which time zone the page used.
        due_at=datetime(2030, 1, 1, 20, 0, tzinfo=UTC),
    )
    AssignmentLessonFactory(assignment=quiz, lesson=card.lesson)
    review_record(
        student=student, card=card, rating=3, reviewed_at=timezone.now() - timedelta(days=2)
    )
    return student


def _steps(bars) -> list:
    """Each forecast bar with its height in twentieths of the highest, at least one for a day
    with reviews."""
    top = max(bar.count for bar in bars)
    return [(bar, max(round(20 * bar.count / top), 1 if bar.count else 0)) for bar in bars]


@pytest.mark.django_db
def test_the_dashboards_built_parts_are_the_template_loops_html(client, varied):
    client.force_login(varied)

    response = client.get("/")

    html = _squeeze(response.content.decode())
    overview = response.context["overview"]
    assert any(bar.count for bar in overview.forecast)
    with timezone.override("Asia/Ho_Chi_Minh"):
        reference = REFERENCE.render(
            Context(
                {
                    "overview": overview,
                    "now": response.context["now"],
                    "forecast": _steps(overview.forecast),
                }
            )
        )
    parts = [_squeeze(part) for part in reference.split("|")]
    assert all(parts)
    for part in parts:
        assert part in html
    assert html.count('<article class="assignment') == 3
    assert html.count('class="bar h') == 14


@pytest.mark.django_db
def test_authored_names_and_titles_are_escaped_on_the_dashboard(client, varied):
    client.force_login(varied)

    html = client.get("/").content.decode()

    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Q&#x27;s"
    assert "<script>alert" not in html
    assert f"<h3>{escaped}</h3>" in html  # the assignment's title
    assert f'aria-label="Cards studied in {escaped}"' in html
    assert f"{escaped} ·" in html  # the class's name
    assert f"Lessons: {escaped}, " in html  # the lesson, named in its assignment
    # and linked once, in the recall table
    assert html.count(f'<a href="/lessons/authored/">{escaped}</a>') == 1


@pytest.mark.django_db
def test_the_dashboard_shows_goals_dates_quizzes_and_unstudied_lessons(client, varied):
    client.force_login(varied)

    html = _squeeze(client.get("/").content.decode())

    assert "Study goal · Due" in html
    assert re.search(r"Recall \d+% · target 90%", html)
    assert '<article class="assignment overdue">' in html
    assert '<strong class="warn">Overdue</strong></p>' in html
    assert re.search(
        r'<time datetime="2030-01-02T03:00:00\+07:00">Wed 2 Jan 2030, 03:00</time>', html
    )
    assert "Not taken yet · 0 attempts used, no limit" in html
    assert re.search(r'<a class="button" href="/quizzes/\d+/">Take the quiz</a>', html)
    # The authored lesson has no cards: nothing studied, no recall.
    assert re.search(r"<td>0 / 0</td> <td>—</td> <td>—</td>", html)
