"""The admin's question versions: their meaning shown as readable text, and read-only for every
user, superusers included (a change of meaning goes through the course files: a new version)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from quizzes.admin import version_readable
from quizzes.models import Card, Question, QuestionVersion
from tests.factories import AuthorFactory, UserFactory

pytestmark = pytest.mark.django_db

NOTE = "a change of meaning makes a new version"


@pytest.fixture(params=["superuser", "author"])
def admin_client(request, client, mini):
    if request.param == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    else:
        user = AuthorFactory(username="aut")
    client.force_login(user)
    return client


def _text(html: str) -> str:
    """The page's text, tags dropped and whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _version_page(client, key: str) -> str:
    version = Question.objects.get(key=key).current_version
    response = client.get(reverse("admin:quizzes_questionversion_change", args=[version.pk]))
    assert response.status_code == 200
    return response.content.decode()


# What each type of the mini course reads as, and the raw JSON it must not show.
READABLE = {
    "mini-single": ["Shared borders", "Shared interests and ideology ✓ right answer",
                    "Shared languages"],
    "mini-multiple": ["Interests ✓ right answer", "Borders Ideology ✓ right answer"],
    "mini-tf": ["Right answer: False"],
    "mini-short": ["Accepted answers: (no typos forgiven) ideology shared ideology"],
    "mini-numeric": ["Right answer: 1977 exactly"],
    "mini-matching": ["Right pairs: Treaty → 1977 Troops → 40,000"],
    "mini-ordering": ["Right order: Zebra first Apple second Mango third"],
    "mini-cloze": ["The treaty was signed in [blank 1: 1977] with [blank 2: 40,000 | 40000] "
                   "troops."],
}  # fmt: skip


@pytest.mark.parametrize("key", READABLE)
def test_a_version_s_page_shows_its_meaning_as_text_and_the_note(admin_client, key):
    html = _version_page(admin_client, key)
    text = _text(html)
    for expected in READABLE[key]:
        assert expected in text
    assert NOTE in text
    assert '"choice"' not in html and "&quot;choice&quot;" not in html  # no raw JSON
    assert "answer_key" not in html and 'name="body"' not in html
    assert 'name="prompt"' not in html  # read-only: no input for any field
    assert 'name="_save"' not in html  # nothing to save


def test_numeric_tolerance_and_texts_accepted_later_read_as_a_range():
    html = version_readable("numeric", {"unit": "km"},
                            {"value": 10, "tolerance": 0.5, "texts": ["ten"]})  # fmt: skip
    text = _text(html)
    assert "Right answer: 10 km ± 0.5 (any number from 9.5 to 10.5)" in text
    assert "Also accepted as typed: ten" in text


def test_a_key_in_an_unknown_shape_is_shown_as_it_is_rather_than_failing():
    html = version_readable("single_choice", {"choices": ["A"]}, {"choice": 5})
    assert "Not in a known shape" in html
    assert "<script>" not in version_readable("cloze", {"texts": ["<script>"]}, {"blanks": []})


def test_no_one_may_change_a_version_by_post(admin_client):
    version = Question.objects.get(key="mini-single").current_version
    before = QuestionVersion.objects.values().get(pk=version.pk)
    url = reverse("admin:quizzes_questionversion_change", args=[version.pk])
    response = admin_client.post(url, {
        "prompt": "Changed?", "explanation": "Changed.", "type": "true_false",
        "body": "{}", "answer_key": '{"choice": 0}', "meaning_hash": "x",
    })  # fmt: skip
    assert response.status_code == 403
    assert QuestionVersion.objects.values().get(pk=version.pk) == before
    add = admin_client.get(reverse("admin:quizzes_questionversion_add"))
    delete = admin_client.post(
        reverse("admin:quizzes_questionversion_delete", args=[version.pk]), {"post": "yes"}
    )
    assert add.status_code == 403 and delete.status_code == 403
    assert QuestionVersion.objects.filter(pk=version.pk).exists()


def test_the_question_page_shows_its_versions_read_only_and_keeps_its_meaning(admin_client):
    question = Question.objects.get(key="mini-multiple")
    url = reverse("admin:quizzes_question_change", args=[question.pk])
    html = admin_client.get(url).content.decode()
    text = _text(html)
    assert "Interests ✓ right answer" in text and NOTE in text
    assert 'name="versions-0-prompt"' not in html and 'name="type"' not in html
    assert 'name="key"' not in html and 'name="current_version"' not in html
    other = Question.objects.get(key="mini-single")
    before = QuestionVersion.objects.values().get(pk=question.current_version_id)
    response = admin_client.post(url, {
        "key": "renamed", "lesson": question.lesson_id, "position": question.position,
        "type": "true_false", "level": "", "current_version": other.current_version_id,
        "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
        "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
        "versions-0-id": question.current_version_id, "versions-0-question": question.pk,
        "versions-0-prompt": "Changed?", "versions-0-body": "{}",
        "versions-0-answer_key": '{"choices": [0]}',
    })  # fmt: skip
    assert response.status_code == 302  # saved: what may be edited (here, nothing new)
    question.refresh_from_db()
    assert (question.key, question.type) == ("mini-multiple", "multiple_response")
    assert question.current_version_id == before["id"]
    assert QuestionVersion.objects.values().get(pk=before["id"]) == before


def test_a_question_s_card_keeps_its_sides_and_a_flashcard_is_still_editable(admin_client):
    card = Card.objects.get(key="mini-single")
    html = admin_client.get(reverse("admin:quizzes_card_change", args=[card.pk])).content.decode()
    assert 'name="front"' not in html and 'name="question"' not in html and NOTE in _text(html)
    flashcard = Card.objects.get(key="mini-f1")
    url = reverse("admin:quizzes_card_change", args=[flashcard.pk])
    assert 'name="front"' in admin_client.get(url).content.decode()


def test_weights_and_feedback_read_as_text(admin_client):
    """Issue 12's partial credit and per-option feedback, on the version's page."""
    version = Question.objects.get(key="mini-single").current_version
    QuestionVersion.objects.filter(pk=version.pk).update(
        answer_key={**version.answer_key, "weights": [0.5, 1.0, 0.0]},
        feedback={"choices": {"0": "Borders <b>matter</b> less.", "1": "Right."}},
    )
    text = _text(_version_page(admin_client, "mini-single"))
    assert "Credit per option or answer, in order: 50% 100% 0%" in text
    assert (
        "Feedback shown after answering: choices 1 Borders <b>matter</b> less. choices 2 Right."
        in text
    )
    assert version_readable(
        "numeric", {}, {"value": 1979, "tolerance": 0, "alternatives": [
            {"value": 1978, "tolerance": 1, "weight": 0.5}]}
    ).count("1978 ± 1: 50%") == 1  # fmt: skip
