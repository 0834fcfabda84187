"""Authored Markdown is rendered when it is written, stored beside its source, and read by pages.

The stored HTML always equals `render_markdown` of its source (with the lesson's footnote numbers
for sections and key terms), whichever way the row was written: the loader, the admin, save(),
and the re-rendering of rows that an older renderer version made.
"""

import importlib
import re
import textwrap
from pathlib import Path

import pytest
from django.apps import apps
from django.core import checks
from django.core.management import call_command
from django.utils import timezone

import content.models
from content.loader import load_content
from content.markdown import RENDERER_VERSION, footnote_refs, render_markdown
from content.models import (
    Citation,
    KeyTerm,
    Lesson,
    Section,
    check_rendered_markdown,
    footnote_numbers,
)
from quizzes.grading import stored_form
from quizzes.models import Card, QuestionVersion, Quiz
from quizzes.services import attempt_finish, attempt_start
from tests.factories import (
    CardFactory,
    CitationFactory,
    KeyTermFactory,
    LessonFactory,
    QuestionFactory,
    QuestionVersionFactory,
    QuizFactory,
    SectionFactory,
    StudentFactory,
    UserFactory,
)
from tests.quizzes.test_quiz_views import answer, right

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)> **bold**'
STALE = "0+an-older-renderer"


def expected(row) -> dict[str, str]:
    """What each stored HTML field of `row` must hold: its source, rendered now."""
    footnotes = None
    if isinstance(row, Section | KeyTerm):
        footnotes = footnote_numbers([row.lesson_id])[row.lesson_id]
    return {
        field: render_markdown(row.markdown_text(field), footnotes=footnotes)
        for field in row.markdown_html
    }


def footnotes(html: str) -> list[str]:
    """The footnote numbers linked from `html`, in order."""
    return re.findall(r'<a href="#fn-(\d+)"[^>]*>\1</a>', html)


def stored(row) -> dict[str, str]:
    row = type(row).objects.get(pk=row.pk)
    return {field: getattr(row, field) for field in row.markdown_html}


def all_rows() -> list:
    return [
        row
        for model in (Lesson, Section, KeyTerm, Card, QuestionVersion)
        for row in model.objects.all()
    ]


def assert_all_current() -> None:
    rows = all_rows()
    assert rows
    for row in rows:
        assert row.html_version == RENDERER_VERSION, row
        assert stored(row) == expected(row), row


# Writing ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_loaded_bundle_stores_the_html_of_every_markdown_field(bundle):
    assert not Card.objects.exists()

    load_content([bundle])

    assert_all_current()
    # Not vacuous: the bundle cites its sources in sections, and cards have Markdown.
    assert Section.objects.filter(body_html__contains='class="footnote-ref"').exists()
    assert Card.objects.filter(back_html__contains="<strong>").exists()


@pytest.mark.django_db
def test_save_renders_a_new_row_and_a_changed_source_but_not_an_unchanged_one():
    card = CardFactory(front="*Front*", back="Back", hint="")
    assert stored(card) == {
        "front_html": "<p><em>Front</em></p>\n",
        "back_html": "<p>Back</p>\n",
        "hint_html": "",
    }
    assert card.html_version == RENDERER_VERSION

    card = Card.objects.get(pk=card.pk)
    card.front = "**New** front"
    card.save()
    assert stored(card)["front_html"] == "<p><strong>New</strong> front</p>\n"

    # A save that changes no source leaves the stored HTML alone (a marker set behind the
    # model's back survives), unless a source is saved.
    Card.objects.filter(pk=card.pk).update(front_html="marker")
    card = Card.objects.get(pk=card.pk)
    card.position = 7
    card.save()
    card.save(update_fields=["position"])
    assert stored(card)["front_html"] == "marker"
    card.hint = "A *hint*"
    card.save(update_fields=["hint"])
    assert stored(card) == expected(card)
    assert stored(card)["hint_html"] == "<p>A <em>hint</em></p>\n"


@pytest.mark.django_db
def test_a_script_in_a_card_front_is_removed_from_the_stored_html():
    card = CardFactory(front=SCRIPT)
    html = stored(card)["front_html"]
    # Raw HTML is not Markdown here: it stays text, escaped, and no element of it survives.
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html
    assert html == render_markdown(SCRIPT)


@pytest.mark.django_db
def test_stored_html_reads_back_safe_and_the_source_does_not():
    card = Card.objects.get(pk=CardFactory(front="*x*").pk)
    assert hasattr(card.front_html, "__html__")
    assert not hasattr(card.front, "__html__")


@pytest.mark.django_db
def test_a_question_version_stores_its_prompt_and_explanation():
    version = QuestionFactory().current_version
    version.explanation = "Because **B**."
    version.save()
    assert stored(version) == {
        "prompt_html": "<p>Pick B.</p>\n",
        "explanation_html": "<p>Because <strong>B</strong>.</p>\n",
    }


@pytest.mark.django_db
def test_sections_and_key_terms_carry_the_footnote_numbers_of_the_lessons_citations():
    lesson = LessonFactory()
    section = SectionFactory(lesson=lesson, body="One[^a] and two[^b].")
    term = KeyTermFactory(lesson=lesson, definition="See[^b].")
    assert "footnote-ref" not in stored(section)["body_html"]  # nothing to cite yet

    a = CitationFactory(lesson=lesson, ref="a", position=0)
    CitationFactory(lesson=lesson, ref="b", position=1)
    assert stored(section) == expected(section)
    assert footnotes(stored(section)["body_html"]) == ["1", "2"]
    assert footnotes(stored(term)["definition_html"]) == ["2"]

    a.position = 5  # now b is footnote 1
    a.save()
    assert footnotes(stored(term)["definition_html"]) == ["1"]
    assert footnotes(stored(section)["body_html"]) == ["2", "1"]
    assert stored(section) == expected(section)

    Citation.objects.get(ref="b").delete()
    assert stored(term)["definition_html"] == "<p>See.</p>\n"
    assert stored(section) == expected(section)


# The admin --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_hides_the_html_and_a_save_there_renders_it(client):
    card = CardFactory(front="Old", back="Back")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/quizzes/card/{card.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "front_html" not in page.content.decode()
    assert 'name="front"' in page.content.decode()

    response = client.post(
        url,
        {
            "key": card.key,
            "lesson": card.lesson_id,
            "position": card.position,
            "question": "",
            "front": "New *front* " + SCRIPT,
            "back": "Back",
            "hint": "",
            "retired_at_0": "",
            "retired_at_1": "",
            "front_html": "<script>forged</script>",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    card.refresh_from_db()
    assert card.front.startswith("New *front*")
    assert stored(card) == expected(card)
    assert "forged" not in card.front_html
    assert "<em>front</em>" in card.front_html


# Re-rendering what an older renderer made ------------------------------------------------------


def make_stale(model, **filters) -> None:
    fields = dict.fromkeys(model.markdown_html, "stale")
    model.objects.filter(**filters).update(html_version=STALE, **fields)


@pytest.mark.django_db
def test_the_command_renders_only_stale_rows_in_batches(bundle, capsys):
    load_content([bundle])
    assert Card.objects.count() > 5
    cards = list(Card.objects.order_by("pk").values_list("pk", flat=True))
    make_stale(Card, pk__in=cards[:5])
    make_stale(QuestionVersion)
    make_stale(Section)
    # A current row is not touched: its marker stays.
    Card.objects.filter(pk=cards[-1]).update(front_html="current-marker")

    call_command("render_markdown", "--batch-size", "2")

    out = capsys.readouterr().out
    assert "5 cards" in out
    assert f"{QuestionVersion.objects.count()} question versions" in out
    assert Card.objects.get(pk=cards[-1]).front_html == "current-marker"
    call_command("render_markdown", "--all", verbosity=0)  # puts the marked card right too
    assert_all_current()


@pytest.mark.django_db
def test_the_command_with_all_renders_every_row():
    card = CardFactory(front="x")
    Card.objects.filter(pk=card.pk).update(front_html="marker")
    call_command("render_markdown", "--all", verbosity=0)
    assert stored(card) == expected(card)


@pytest.mark.django_db
def test_load_content_renders_stale_rows_again_and_then_reports_no_changes(bundle):
    load_content([bundle])
    make_stale(Card)
    make_stale(Lesson)
    make_stale(KeyTerm)

    report = load_content([bundle])

    assert f"rendered the HTML of {Card.objects.count()} cards again" in " ".join(report.changes)
    assert_all_current()
    assert load_content([bundle]).changes == []


@pytest.mark.django_db
def test_a_renderer_version_bump_makes_every_row_stale(bundle, monkeypatch):
    load_content([bundle])
    card = Card.objects.first()
    Card.objects.filter(pk=card.pk).update(front_html="marker")
    bumped = RENDERER_VERSION + "-bumped"
    monkeypatch.setattr(content.models, "RENDERER_VERSION", bumped)

    # save() re-renders a row made by another version even when its source did not change.
    card = Card.objects.get(pk=card.pk)
    card.save()
    assert stored(card) == expected(card)
    assert Card.objects.get(pk=card.pk).html_version == bumped

    counts = content.models.render_stale_markdown(batch_size=50)
    assert counts[Card] == Card.objects.count() - 1
    assert counts[Lesson] == Lesson.objects.count()
    assert set(Section.objects.values_list("html_version", flat=True)) == {bumped}


@pytest.mark.django_db
def test_the_database_check_warns_of_stale_html():
    CardFactory()
    assert check_rendered_markdown(databases=["default"]) == []
    # Cards written in bulk without their HTML.
    Card.objects.bulk_create([Card(key="bulk", lesson=LessonFactory(), front="f", back="b")])

    warnings = check_rendered_markdown(databases=["default"])

    assert [w.id for w in warnings] == ["content.W001"]
    assert warnings[0].obj is Card
    assert "1 cards" in warnings[0].msg
    assert check_rendered_markdown(databases=None) == []  # not a database check run
    assert check_rendered_markdown in checks.registry.registry.get_checks(
        include_deployment_checks=False
    )


@pytest.mark.django_db
def test_the_data_migrations_render_rows_stored_before_the_fields_existed(bundle):
    load_content([bundle])
    for model in (Lesson, Section, KeyTerm, Card, QuestionVersion):
        model.objects.update(html_version="", **dict.fromkeys(model.markdown_html, ""))

    for name in ("content.migrations.0003_render_stored_html",
                 "quizzes.migrations.0006_render_stored_html"):  # fmt: skip
        importlib.import_module(name).render_stored_html(apps, None)

    assert_all_current()


# The loader -------------------------------------------------------------------------------------

COURSE = """\
course:
  key: tiny
  title: Tiny
sources:
  - slug: tiny-source
    title: Tiny source
    file: sources/tiny.txt
lesson_sets: []
"""

LESSON = """\
lesson:
  key: tiny-lesson
  title: Tiny lesson
  summary: A *summary*.
  citations:
    first:
      source: tiny-source
      paragraph: 1
      quote: the first
    second:
      source: tiny-source
      paragraph: 2
      quote: the second
  sections:
    - title: One
      body: Cites the second[^second] and the first[^first].
  key_terms:
    - term: T
      definition: Defined by the second[^second].
flashcards:
  - key: tiny-card
    front: Front <script>x</script>
    back: "**Back**"
"""


def write(root: Path, lesson: str) -> Path:
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "lessons").mkdir(exist_ok=True)
    (root / "sources" / "tiny.txt").write_text("Here is the first.\nHere is the second.\n")
    (root / "course.yaml").write_text(COURSE)
    (root / "lessons" / "tiny.yaml").write_text(textwrap.dedent(lesson))
    return root


@pytest.mark.django_db
def test_reordered_citations_renumber_the_html_of_sections_that_did_not_change(tmp_path):
    root = write(tmp_path / "tiny", LESSON)
    load_content([root])
    section = Section.objects.get()
    assert footnotes(stored(section)["body_html"]) == ["2", "1"]

    swapped = LESSON.replace(
        "    first:\n      source: tiny-source\n      paragraph: 1\n      quote: the first\n", ""
    ).replace(
        "      quote: the second\n",
        "      quote: the second\n    first:\n      source: tiny-source\n"
        "      paragraph: 1\n      quote: the first\n",
    )
    write(root, swapped)
    report = load_content([root])

    assert "updated lesson tiny-lesson" in report.changes
    section = Section.objects.get()
    assert footnotes(stored(section)["body_html"]) == ["1", "2"]
    assert_all_current()
    assert "<script" not in Card.objects.get().front_html


@pytest.mark.django_db
def test_an_edited_card_is_rendered_again_on_load(tmp_path):
    root = write(tmp_path / "tiny", LESSON)
    load_content([root])
    write(root, LESSON.replace('back: "**Back**"', 'back: "*Other*"'))

    load_content([root])

    assert Card.objects.get().back_html == "<p><em>Other</em></p>\n"


# Pages read the stored HTML ---------------------------------------------------------------------


def mark(model, pk, **fields) -> None:
    """Store HTML that differs from the source's rendering: a page that shows it read the field."""
    model.objects.filter(pk=pk).update(**fields)


@pytest.mark.django_db
def test_the_lesson_page_shows_the_stored_html(client, tmp_path):
    load_content([write(tmp_path / "tiny", LESSON)])
    lesson = Lesson.objects.get()
    client.force_login(StudentFactory())
    page = client.get(lesson.get_absolute_url()).content.decode()
    body = stored(Section.objects.get())["body_html"]
    assert '<a href="#fn-2" rel="noopener noreferrer">2</a></sup> and the first' in body
    # The stored HTML, its footnotes numbered in the order the reader meets them, each with an
    # id to come back to.
    rel = 'rel="noopener noreferrer"'
    renumbered = body.replace(
        f'<sup class="footnote-ref"><a href="#fn-2" {rel}>2</a></sup> and',
        f'<sup class="footnote-ref" id="fnref-1"><a href="#fn-1" {rel}>1</a></sup> and',
    ).replace(
        f'<sup class="footnote-ref"><a href="#fn-1" {rel}>1</a></sup>.',
        f'<sup class="footnote-ref" id="fnref-2"><a href="#fn-2" {rel}>2</a></sup>.',
    )
    assert renumbered != body and renumbered in page
    assert '<li id="fn-1">' in page

    mark(Lesson, lesson.pk, summary_html="<p>summary-marker</p>")
    mark(Section, Section.objects.get().pk, body_html="<p>section-marker</p>")
    mark(KeyTerm, KeyTerm.objects.get().pk, definition_html="<p>term-marker</p>")
    page = client.get(lesson.get_absolute_url()).content.decode()

    for marker in ("summary-marker", "section-marker", "term-marker"):
        assert f"<p>{marker}</p>" in page  # unescaped: the stored HTML is trusted


@pytest.mark.django_db
def test_quiz_pages_show_the_stored_prompt_and_explanation(client, mini):
    student = StudentFactory()
    client.force_login(student)
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
    version = QuestionVersion.objects.get(pk=attempt.versions[0])
    assert version.prompt_html == render_markdown(version.prompt)
    mark(
        QuestionVersion,
        version.pk,
        prompt_html="<p>prompt-marker</p>",
        explanation_html="<p>explanation-marker</p>",
    )

    page = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert "<p>prompt-marker</p>" in page
    assert answer(client, attempt, right(attempt)).status_code == 302
    feedback = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert "<p>explanation-marker</p>" in feedback

    attempt_finish(attempt=attempt, now=timezone.now())
    review = client.get(f"/attempts/{attempt.pk}/review/").content.decode()
    assert "<p>prompt-marker</p>" in review
    assert "<p>explanation-marker</p>" in review


@pytest.mark.django_db
def test_a_cloze_without_a_prompt_is_named_by_its_first_text_in_the_review_only(client):
    body, answer_key = stored_form("cloze", {"text": "The *treaty* was signed in [[1977]]."})
    texts = body["texts"]
    question = QuestionFactory(type="cloze", with_version=False)
    question.current_version = QuestionVersionFactory(
        question=question, type="cloze", prompt="", body=body, answer_key=answer_key
    )
    question.save()
    version = question.current_version
    assert stored(version)["prompt_html"] == render_markdown(texts[0])
    student = StudentFactory()
    client.force_login(student)
    quiz = QuizFactory(lessons=[question.lesson])
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())

    page = client.get(f"/attempts/{attempt.pk}/").content.decode()
    assert '<div class="prompt"></div>' in page

    attempt_finish(attempt=attempt, now=timezone.now())
    review = client.get(f"/attempts/{attempt.pk}/review/").content.decode()
    assert f'<div class="prompt">{render_markdown(texts[0])}</div>' in review


def test_an_escaped_footnote_reference_or_one_in_code_is_text():
    """The parser finds `[^ref]`: an escaped one, or one in a code span, is shown as written
    and is not a reference the loader checks."""
    text = r"Cited[^a], escaped \[^b], in code `[^c]`."
    html = render_markdown(text, footnotes={"a": 1})
    assert '<sup class="footnote-ref"><a href="#fn-1"' in html
    assert "escaped [^b]" in html and "<code>[^c]</code>" in html
    assert footnote_refs(text) == ["a"]
    assert footnote_refs("| x[^a] |\n|---|\n| y[^b] |") == ["a", "b"]  # in a table too
