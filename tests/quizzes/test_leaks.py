"""What reaches the browser before an answer: never the answer, nor a value that predicts it.

The leak scan (issue 8, defect 2) reads every bundled question's page and htmx partial as the
student gets them before answering. Option values and field names must be the displayed
positions, so that with options shuffled per attempt they carry no information; no attribute,
hidden field or script may carry an accepted answer. For each question it then fills in the
answer form with the values whose labels are right and grades it: positions map back to the
authored options. A smaller test does the same through the view on a shuffled quiz.

Defect 11: option text is escaped exactly once, and authored markup stays text.
"""

import math
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from content.loader import load_content
from content.markdown import render_plain
from quizzes.forms import AnswerForm
from quizzes.grading import grade, normalise
from quizzes.models import Answer, Attempt, Question, QuestionType, QuestionVersion, Quiz
from quizzes.services import answer_record, attempt_advance, attempt_start
from tests.conftest import MINI_COURSE
from tests.factories import StudentFactory

# A uniform shuffle fails the spread test with at most this probability (over all its checks).
FALSE_ALARM = 1e-6
HIDDEN_NAMES = {"csrfmiddlewaretoken", "action", "seq", "position", "duration_ms", "flagged"}


class Page(HTMLParser):
    """The controls, labels, attributes and inline scripts of a page, entities decoded once."""

    def __init__(self, html: str):
        super().__init__()
        self.html = html
        self.inputs: list[dict[str, str]] = []
        self.selects: dict[str, list[tuple[str, str, bool]]] = {}  # name: (value, text, selected)
        self.select_names: list[str] = []
        self.labels: dict[str, str] = {}  # the `for` of a label: its text
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.form_text = ""  # the text inside the answer form
        self.scripts: list[str] = []  # inline script text
        self._select = ""
        self._option: list | None = None
        self._label: list[str] | None = None
        self._in_form = self._in_script = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.elements.append((tag, found))
        match tag:
            case "form" if "answer-form" in found.get("class", "").split():
                self._in_form = True
            case "input":
                self.inputs.append(found)
            case "select":
                self._select = found["name"]
                self.select_names.append(self._select)
                self.selects[self._select] = []
            case "option":
                self._option = [found.get("value", ""), "", "selected" in found]
            case "label":
                self._label = [found.get("for", ""), ""]
            case "script":
                self._in_script = True
                self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        match tag:
            case "form":
                self._in_form = False
            case "option" if self._option is not None:
                value, text, selected = self._option
                self.selects[self._select].append((value, " ".join(text.split()), selected))
                self._option = None
            case "label" if self._label is not None:
                self.labels[self._label[0]] = " ".join(self._label[1].split())
                self._label = None
            case "script":
                self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data
        if self._label is not None:
            self._label[1] += data
        if self._in_form:
            self.form_text += data
        if self._in_script:
            self.scripts[-1] += data

    def boxes(self, name: str) -> list[tuple[str, str]]:
        """(value, label) of each radio button or checkbox called `name`, in page order."""
        return [(i["value"], self.labels[i["id"]]) for i in self.inputs if i.get("name") == name]

    def controls(self) -> list:
        return [self.boxes(n) for n in ("choice", "choices")] + [
            (n, self.labels[f"id_{n}"], self.selects[n]) for n in self.select_names
        ]


@dataclass(frozen=True)
class Trial:
    """One question's chance at a statistic: did it happen, and how likely by chance."""

    check: tuple
    chance: float
    happened: bool


def upper_limit(chances: list[float], alpha: float) -> int:
    """The least t with P(X >= t) < alpha, X the number of independent trials that succeed."""
    dist = [1.0]
    for p in chances:
        dist = [
            (dist[k] if k < len(dist) else 0.0) * (1 - p) + (dist[k - 1] * p if k else 0.0)
            for k in range(len(dist) + 1)
        ]
    tail = 0.0
    for t in range(len(dist) - 1, -1, -1):
        tail += dist[t]
        if tail >= alpha:
            return t + 1
    return 0


def test_upper_limit_matches_the_binomial_tail():
    # From sum(comb(n, k) p^k (1-p)^(n-k)): 44 fair coins, P(X >= 38) = 4.7e-7 and
    # P(X >= 37) = 2.6e-6; 44 trials at 1/4, P(X >= 27) = 3.6e-7 and P(X >= 26) = 1.6e-6.
    assert upper_limit([0.5] * 44, 1e-6) == 38
    assert upper_limit([0.25] * 44, 1e-6) == 27
    assert upper_limit([1.0] * 3, 1e-6) == 4  # certain events never alarm


def secrets(version: QuestionVersion) -> list[str]:
    """The typed answers a leak would give away, normalised as the grader compares them."""
    key = version.answer_key
    match version.type:
        case QuestionType.SHORT_ANSWER:
            texts = key["accepted"]
        case QuestionType.NUMERIC:
            value = key["value"]
            texts = [str(int(value)) if float(value).is_integer() else str(value)]
        case QuestionType.CLOZE:
            texts = [alt for alts in key["blanks"] for alt in alts]
        case _:
            return []
    return sorted({normalise(str(t)) for t in texts} - {""})


def has_word(text: str, secret: str) -> bool:
    return f" {secret} " in f" {normalise(text)} "


def assert_nothing_leaks(page: Page, version: QuestionVersion, attempt: Attempt) -> None:
    where = (version.question.key, version.type)
    for marker in ("answer_key", "data-correct", "Right answer", 'class="feedback'):
        assert marker not in page.html, (where, marker)
    assert not any(script.strip() for script in page.scripts), where
    for control in page.inputs:
        assert "checked" not in control, (where, control)
        if control.get("type") == "hidden":
            assert control["name"] in HIDDEN_NAMES, (where, control)
        elif control.get("type") not in {"radio", "checkbox"}:
            assert not control.get("value"), (where, control)
    fields = {i["name"]: i.get("value") for i in page.inputs if i.get("type") == "hidden"}
    assert (fields["seq"], fields["position"]) == (str(attempt.seq), str(attempt.position))
    for options in page.selects.values():
        assert not any(selected and value for value, _, selected in options), where

    # Attributes that could carry an answer; hidden fields' values were checked above.
    shown = [
        value
        for tag, attrs in page.elements
        for name, value in attrs.items()
        if name in {"placeholder", "title", "alt", "name", "id", "for", "hx-vals"}
        or name.startswith(("data-", "aria-"))
        or (name == "value" and tag in {"input", "option"} and attrs.get("type") != "hidden")
    ]
    form_text = page.form_text
    if version.type == QuestionType.CLOZE:
        for text in filter(None, version.body["texts"]):  # the sentence around the blanks
            form_text = form_text.replace(text, " ")
    words = secrets(version)
    for secret in words:
        assert not any(has_word(value, secret) for value in shown), (where, secret)
        assert not has_word(form_text, secret), (where, secret)


def read_off(page: Page, version: QuestionVersion) -> tuple[list[Trial], dict, bool]:
    """What the values sent tell about the answer: this question's trials for the spread test,
    the right answer as form data (found from the labels alone, as a student would have to),
    and whether every value and name is its displayed position, 0 to n - 1 in page order.
    """
    body, key, qtype = version.body, version.answer_key, version.type
    plain = render_plain
    trials: list[Trial] = []
    data: dict = {}
    positional = True
    match qtype:
        case QuestionType.SINGLE_CHOICE | QuestionType.MULTIPLE_RESPONSE:
            name = "choice" if qtype == QuestionType.SINGLE_CHOICE else "choices"
            boxes = page.boxes(name)
            count = len(body["choices"])
            positional = [value for value, _ in boxes] == [str(n) for n in range(count)]
            rights = [key["choice"]] if name == "choice" else key["choices"]
            right_labels = {plain(body["choices"][i]) for i in rights}
            right_values = [value for value, label in boxes if label in right_labels]
            assert len(right_values) == len(rights)
            for value in range(count):
                happened = str(value) in right_values
                trials.append(Trial((qtype, value), len(rights) / count, happened))
            if name == "choices":  # are the right ones the first values, as authors write them?
                first = {str(n) for n in range(len(rights))}
                chance = 1 / math.comb(count, len(rights))
                trials.append(Trial((qtype, "first"), chance, set(right_values) == first))
            data[name] = right_values[0] if name == "choice" else right_values
        case QuestionType.MATCHING:
            count = len(body["rights"])
            for left, match in enumerate(key["matches"]):
                options = page.selects[f"match_{left}"]
                positional &= [v for v, _, _ in options] == ["", *(str(n) for n in range(count))]
                (value,) = [v for v, text, _ in options if text == plain(body["rights"][match])]
                for shown in range(count):
                    trials.append(Trial((qtype, left, shown), 1 / count, value == str(shown)))
                data[f"match_{left}"] = value
        case QuestionType.ORDERING:
            count = len(body["items"])
            positional = page.select_names == [f"item_{n}" for n in range(count)]
            place = {plain(body["items"][i]): rank for rank, i in enumerate(key["order"])}
            # Shuffled uniformly: the item of each rank is shown at each place by chance.
            for name in page.select_names:
                rank = place[page.labels[f"id_{name}"].removesuffix(":")]
                sent = int(name.removeprefix("item_"))
                for r in range(count):
                    chance = 1 / count
                    trials.append(Trial((qtype, r, sent), chance, rank == r))
                data[name] = rank + 1
        case QuestionType.TRUE_FALSE:
            data["value"] = "true" if key["value"] else "false"
        case QuestionType.SHORT_ANSWER:
            data["text"] = key["accepted"][0]
        case QuestionType.NUMERIC:
            data["text"] = str(key["value"])
        case QuestionType.CLOZE:
            data.update({f"blank_{i}": alts[0] for i, alts in enumerate(key["blanks"])})
    return trials, data, positional


@pytest.mark.django_db
def test_no_bundled_question_page_gives_its_answer_away(client, bundle):
    load_content([bundle])
    student = StudentFactory()
    client.force_login(student)
    trials: list[Trial] = []
    seen: set[int] = set()
    not_positional: list[str] = []
    # The lesson quizzes hold every question once; the lesson-set quizzes draw from them.
    for quiz in Quiz.objects.filter(question_count__isnull=True).order_by("key"):
        attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
        versions = QuestionVersion.objects.select_related("question").in_bulk(attempt.versions)
        url = f"/attempts/{attempt.pk}/"
        for position, version_id in enumerate(attempt.versions):
            version = versions[version_id]
            # Straight to each question, unanswered (answering is tested further down).
            Attempt.objects.filter(pk=attempt.pk).update(position=position)
            attempt.position = position
            page = Page(client.get(url).content.decode())
            partial = Page(client.get(url, headers={"HX-Request": "true"}).content.decode())
            assert "<html" not in partial.html and 'id="question-panel"' in partial.html
            for shown in (page, partial):
                assert_nothing_leaks(shown, version, attempt)
            assert page.controls() == partial.controls()

            found, data, positional = read_off(partial, version)
            trials += found
            if not positional:
                not_positional.append(version.question.key)
            order = attempt.settings_snapshot["orders"][str(version_id)]
            form = AnswerForm(
                {"seq": attempt.seq, "position": position, **data}, version=version, order=order
            )
            assert form.is_valid(), (version.question.key, form.errors)
            result = grade(version.type, version.answer_key, form.response())
            assert result.correct, (version.question.key, data, form.response())
            seen.add(version.question_id)
    questions = Question.objects.filter(retired_at__isnull=True)
    assert seen == set(questions.values_list("pk", flat=True))
    assert not Answer.objects.exists()

    checks: dict[tuple, list[Trial]] = {}
    for trial in trials:
        checks.setdefault(trial.check, []).append(trial)
    alpha = FALSE_ALARM / len(checks)  # union bound over every check
    # The sample is big enough to see the old leak: the right option always sent first.
    for check in [(QuestionType.SINGLE_CHOICE, 0), (QuestionType.MULTIPLE_RESPONSE, "first")]:
        group = checks[check]
        assert upper_limit([t.chance for t in group], alpha) <= len(group), check
    too_often = {
        check: (happened, limit)
        for check, group in checks.items()
        if (happened := sum(t.happened for t in group))
        >= (limit := upper_limit([t.chance for t in group], alpha))
    }
    assert not too_often, f"values that predict the answer: {too_often}"
    assert not_positional == []


@pytest.mark.django_db
def test_a_shuffled_quiz_answered_from_its_labels_scores_full_marks(client, mini):
    """The posted positions reach the grader as the authored options, through the view."""
    quiz = Quiz.objects.get(key="lesson-mini-lesson")
    quiz.shuffle_options = True
    quiz.save()
    student = StudentFactory()
    client.force_login(student)
    reordered: set[str] = set()  # choice types seen in an order other than the authored one
    for _ in range(40):  # until each was shuffled once; 40 identity draws has chance < 1e-12
        attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
        url = f"/attempts/{attempt.pk}/"
        for version_id in attempt.versions:
            version = QuestionVersion.objects.get(pk=version_id)
            order = attempt.settings_snapshot["orders"][str(version_id)]
            if order != sorted(order):
                reordered.add(version.type)
            attempt.refresh_from_db()
            _, data, positional = read_off(Page(client.get(url).content.decode()), version)
            assert positional
            form = {"action": "answer", "seq": attempt.seq, "position": attempt.position, **data}
            assert client.post(url, form).status_code == 302
            attempt.refresh_from_db()
            client.post(url, {"action": "next", "seq": attempt.seq})
        assert client.post(url, {"action": "finish"}).status_code == 302
        attempt.refresh_from_db()
        assert attempt.score == 1.0
        assert all(answer.correct for answer in attempt.answers.all())
        if reordered >= {"single_choice", "multiple_response", "matching", "ordering"}:
            break
    assert reordered == {"single_choice", "multiple_response", "matching", "ordering"}


# Defect 11: escaped once ------------------------------------------------------------------------

AMPERSAND = "R2 & co"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def awkward(tmp_path: Path, db) -> Quiz:
    """The mini course with an ampersand and a script tag in options, matching and ordering."""
    course = tmp_path / "mini-course"
    for path in MINI_COURSE.rglob("*"):
        if path.is_file():
            target = course / path.relative_to(MINI_COURSE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    lesson_file = course / "lessons" / "01-mini.yaml"
    lesson = yaml.safe_load(lesson_file.read_text())
    questions = {q["key"]: q for q in lesson["questions"]}
    questions["mini-single"]["choices"] = [AMPERSAND, "Shared interests and ideology", SCRIPT]
    questions["mini-matching"]["pairs"] = [
        {"left": "Treaty & pact", "right": AMPERSAND},
        {"left": "Troops", "right": SCRIPT},
    ]
    questions["mini-ordering"]["items"] = [AMPERSAND, SCRIPT, "Mango third"]
    lesson_file.write_text(yaml.safe_dump(lesson, allow_unicode=True))
    load_content([course])
    return Quiz.objects.get(key="lesson-mini-lesson")


def question_pages(client, quiz: Quiz, keys: set[str]) -> dict[str, str]:
    """The page of each question named in `keys`, before it is answered."""
    student = StudentFactory()
    client.force_login(student)
    attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
    versions = QuestionVersion.objects.select_related("question").in_bulk(attempt.versions)
    pages = {}
    for position, version_id in enumerate(attempt.versions):
        version = versions[version_id]
        if version.question.key in keys:
            pages[version.question.key] = client.get(f"/attempts/{attempt.pk}/").content.decode()
        now = timezone.now()
        answer_record(
            attempt=attempt, seq=position * 2, position=position,
            response={"text": "x"}, now=now, day_start=now,
        )  # fmt: skip
        attempt_advance(attempt=attempt, seq=position * 2 + 1)
    return pages


@pytest.mark.django_db
def test_options_matching_and_ordering_are_escaped_once(client, awkward):
    pages = question_pages(client, awkward, {"mini-single", "mini-matching", "mini-ordering"})
    assert set(pages) == {"mini-single", "mini-matching", "mini-ordering"}
    single, matching, ordering = (
        Page(pages[f"mini-{k}"]) for k in ("single", "matching", "ordering")
    )

    for html in pages.values():
        assert "R2 &amp; co" in html
        assert "&amp;amp;" not in html and "&amp;lt;" not in html
    assert AMPERSAND in [label for _, label in single.boxes("choice")]
    assert matching.labels["id_match_0"] == "Treaty & pact:"
    assert AMPERSAND in [text for _, text, _ in matching.selects["match_0"]]
    assert f"{AMPERSAND}:" in ordering.labels.values()


@pytest.mark.django_db
def test_a_script_in_an_option_is_shown_as_text(client, awkward):
    pages = question_pages(client, awkward, {"mini-single", "mini-matching", "mini-ordering"})

    for key, html in pages.items():
        assert "<script>alert" not in html, key
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, key
        assert SCRIPT in Page(html).form_text, key
        assert not any("alert" in script for script in Page(html).scripts), key


def test_render_plain_returns_text_for_the_template_to_escape():
    assert render_plain("R2 & co") == "R2 & co"
    assert render_plain("**R2** &amp; *co*") == "R2 & co"
    assert render_plain(SCRIPT) == SCRIPT
    assert render_plain("a  [link](https://example.org)\n`x < y`") == "a link x < y"


@pytest.mark.django_db
def test_options_a_teacher_does_not_shuffle_are_not_in_the_authored_order(bundle):
    """With shuffling off, everyone sees one fixed order per question; it must not be the
    authored one, where this course puts the right answer first (44 of 44 single choice)."""
    load_content([bundle])
    Quiz.objects.update(shuffle_options=False, shuffle_questions=False)
    student = StudentFactory()
    first_right: list[bool] = []
    chances: list[float] = []
    for quiz in Quiz.objects.filter(question_count__isnull=True):
        attempt = attempt_start(quiz=quiz, student=student, now=timezone.now())
        again = attempt_start(quiz=quiz, student=StudentFactory(), now=timezone.now())
        versions = QuestionVersion.objects.in_bulk(attempt.versions)
        for version_id, order in attempt.settings_snapshot["orders"].items():
            version = versions[int(version_id)]
            if version.type in {QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_RESPONSE}:
                assert again.settings_snapshot["orders"][version_id] == order  # one fixed order
            if version.type == QuestionType.SINGLE_CHOICE:
                first_right.append(order[0] == version.answer_key["choice"])
                chances.append(1 / len(order))
            elif version.type == QuestionType.MULTIPLE_RESPONSE:
                rights = version.answer_key["choices"]
                first_right.append(set(order[: len(rights)]) == set(rights))
                chances.append(1 / math.comb(len(order), len(rights)))
    assert len(first_right) == 72
    assert sum(first_right) < upper_limit(chances, FALSE_ALARM)


def test_ordering_items_are_shuffled_uniformly_so_the_order_shown_says_nothing():
    """Never showing the answer's own order would give a two-item question away: the order shown
    would always be the wrong one. Every order must come up, the answer's as often as any."""
    import random

    from quizzes.services import _option_order

    version = QuestionVersion(
        type=QuestionType.ORDERING, body={"items": ["A", "B"]}, answer_key={"order": [1, 0]}
    )
    rng = random.Random(8)
    shown = [tuple(_option_order(version, rng, False, seed=1)) for _ in range(400)]
    answer_order = shown.count((1, 0))
    # 400 fair coin flips: below 140 or above 260 has a chance under 1e-9.
    assert 140 <= answer_order <= 260
