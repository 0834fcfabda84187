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
    <article class="assignment{% if item.overdue %} overdue{% endif %}">
      <h3>{{ item.assignment.title }}</h3>
      <p class="meta">
        {{ item.assignment.classroom.name }} ·
        {% if item.assignment.kind == "quiz" %}{% translate "Quiz" %} · {% else %}{% blocktranslate with target=item.assignment.target_recall|floatformat:2 %}Study goal: every card studied, recall at least {{ target }}{% endblocktranslate %} · {% endif %}
        {% if item.overdue %}<strong>{% translate "Overdue" %}</strong> · {% endif %}
        {% translate "Due" %} <time datetime="{{ item.assignment.due_at|date:'c' }}">{{ item.assignment.due_at|date:"j M Y" }}</time>
      </p>
      <p class="bar-line"><progress max="100" value="{{ item.percent }}" aria-label="{% blocktranslate with title=item.assignment.title %}Cards studied in {{ title }}{% endblocktranslate %}">{{ item.percent }}%</progress>
        <span>{% blocktranslate with studied=item.studied cards=item.cards %}{{ studied }} of {{ cards }} cards studied{% endblocktranslate %}</span></p>
      <ol class="lessons">
        {% for lesson in item.lessons %}<li><a href="{{ lesson.get_absolute_url }}">{{ lesson.title }}</a></li>{% endfor %}
      </ol>
      {% if item.assignment.quiz_id %}<p><a class="button" href="{% url 'quizzes:quiz' item.assignment.quiz_id %}">{% translate "Take the quiz" %}</a></p>{% endif %}
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
      {% for bar in overview.forecast %}
        <rect x="{{ bar.x|stringformat:'.1f' }}" y="{{ bar.y|stringformat:'.1f' }}" width="24" height="{{ bar.height|stringformat:'.1f' }}" class="bar"></rect>
        {% if bar.count %}<text x="{{ bar.x|add:12 }}" y="{{ bar.y|stringformat:'.1f' }}" dy="-3" text-anchor="middle" class="count">{{ bar.count }}</text>{% endif %}
        <text x="{{ bar.x|add:12 }}" y="136" text-anchor="middle" class="day">{{ bar.day|date:"j" }}</text>
      {% endfor %}
|
<tbody>{% for bar in overview.forecast %}<tr><th scope="row">{{ bar.day|date:"D j M" }}</th><td>{{ bar.count }}</td></tr>{% endfor %}</tbody>"""
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


@pytest.mark.django_db
def test_the_dashboards_built_parts_are_the_template_loops_html(client, varied):
    client.force_login(varied)

    response = client.get("/")

    html = _squeeze(response.content.decode())
    with timezone.override("Asia/Ho_Chi_Minh"):
        reference = REFERENCE.render(Context({"overview": response.context["overview"]}))
    parts = [_squeeze(part) for part in reference.split("|")]
    assert all(parts)
    for part in parts:
        assert part in html
    assert html.count('<article class="assignment') == 3
    assert html.count('class="bar"') == 14


@pytest.mark.django_db
def test_authored_names_and_titles_are_escaped_on_the_dashboard(client, varied):
    client.force_login(varied)

    html = client.get("/").content.decode()

    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Q&#x27;s"
    assert "<script>alert" not in html
    assert f"<h3>{escaped}</h3>" in html  # the assignment's title
    assert f'aria-label="Cards studied in {escaped}"' in html
    assert f"{escaped} ·" in html  # the class's name
    assert f'<a href="/lessons/authored/">{escaped}</a>' in html  # the lesson, twice
    assert html.count(f'<a href="/lessons/authored/">{escaped}</a>') == 2


@pytest.mark.django_db
def test_the_dashboard_shows_goals_dates_quizzes_and_unstudied_lessons(client, varied):
    client.force_login(varied)

    html = _squeeze(client.get("/").content.decode())

    assert "Study goal: every card studied, recall at least 0.90 ·" in html
    assert '<article class="assignment overdue">' in html
    assert "<strong>Overdue</strong> ·" in html
    assert re.search(r'<time datetime="2030-01-02T03:00:00\+07:00">2 Jan 2030</time>', html)
    assert re.search(r'<a class="button" href="/quizzes/\d+/">Take the quiz</a>', html)
    # The authored lesson has no cards: nothing studied, no recall.
    assert re.search(r"<td>0 / 0</td> <td>—</td> <td>—</td>", html)
