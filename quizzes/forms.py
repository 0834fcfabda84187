"""Forms: one answer form per question type, and the flashcard rating form.

An answer form never holds the answer key: it is built from a version's `body` (what may be
shown) and the attempt's option order.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from content.ids import is_id, parse_id
from content.markdown import render_plain
from quizzes.grading import true_false_labels
from quizzes.models import QuestionType, QuestionVersion, Rating


class AnswerForm(forms.Form):
    """The answer to one question, as the student sees it.

    Options are sent in the attempt's stored order, and every value and field name the browser
    gets is a displayed position (0 for the option shown first), never an authored index, so
    nothing in the page tells which option the file lists first. `response()` maps positions back
    to authored indexes, which is what graders, stored answers and reviews use.
    """

    seq = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    position = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    duration_ms = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, version: QuestionVersion, order: list[int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.version = version
        body = version.body
        match version.type:
            case QuestionType.SINGLE_CHOICE:
                self.order = _permutation(order, len(body["choices"]))
                self.fields["choice"] = forms.TypedChoiceField(
                    label=_("Your answer"),
                    choices=self._shown(body["choices"]),
                    coerce=int,
                    widget=forms.RadioSelect,
                )
            case QuestionType.MULTIPLE_RESPONSE:
                self.order = _permutation(order, len(body["choices"]))
                self.fields["choices"] = forms.TypedMultipleChoiceField(
                    label=_("Choose every answer that applies"),
                    choices=self._shown(body["choices"]),
                    coerce=int,
                    widget=forms.CheckboxSelectMultiple,
                )
            case QuestionType.TRUE_FALSE:
                yes, no = true_false_labels(body)
                self.fields["value"] = forms.TypedChoiceField(
                    label=_("Yes or no?")
                    if body.get("labels") == "yes_no"
                    else _("True or false?"),
                    choices=[("true", yes), ("false", no)],
                    coerce=lambda v: v == "true",
                    widget=forms.RadioSelect,
                )
            case QuestionType.SHORT_ANSWER:
                self.fields["text"] = forms.CharField(label=_("Your answer"), max_length=300)
            case QuestionType.NUMERIC:
                self.fields["text"] = forms.CharField(
                    label=_("Your answer") + (f" ({body['unit']})" if body.get("unit") else ""),
                    max_length=50,
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )
            case QuestionType.MATCHING:
                self.order = _permutation(order, len(body["rights"]))
                rights = [("", _("Choose…")), *self._shown(body["rights"])]
                for i, left in enumerate(body["lefts"]):
                    self.fields[f"match_{i}"] = forms.TypedChoiceField(
                        label=render_plain(left), choices=rights, coerce=int
                    )
            case QuestionType.ORDERING:
                self.order = _permutation(order, len(body["items"]))
                places = [("", _("Choose…"))] + [(n, str(n)) for n in range(1, len(self.order) + 1)]
                for shown, i in enumerate(self.order):
                    self.fields[f"item_{shown}"] = forms.TypedChoiceField(
                        label=render_plain(body["items"][i]), choices=places, coerce=int
                    )
            case QuestionType.CLOZE:
                for i in range(len(body["texts"]) - 1):
                    self.fields[f"blank_{i}"] = forms.CharField(
                        label=_("Blank %(number)s") % {"number": i + 1},
                        max_length=200,
                        required=False,
                    )

        # The page puts focus on the question's first input (the first of a group of radio
        # buttons or check boxes, which all carry the mark).
        first = next((f for f in self.fields.values() if not f.widget.is_hidden), None)
        if first is not None:
            first.widget.attrs["data-focus"] = ""

    def _shown(self, options: list[str]) -> list[tuple[int, str]]:
        return [(shown, render_plain(options[i])) for shown, i in enumerate(self.order)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.version.type == QuestionType.ORDERING and not self.errors:
            places = [data[f"item_{shown}"] for shown in range(len(self.order))]
            if sorted(places) != list(range(1, len(places) + 1)):
                raise forms.ValidationError(_("Give each item a different place."))
        if self.version.type == QuestionType.CLOZE and not self.errors:
            blanks = [
                data.get(f"blank_{i}", "") for i in range(len(self.version.body["texts"]) - 1)
            ]
            if not any(b.strip() for b in blanks):
                raise forms.ValidationError(_("Fill in at least one blank."))
        return data

    def initial_from(self, response: dict[str, Any]) -> dict[str, Any]:
        """The form's initial data that shows a saved `response` (the inverse of `response()`),
        for an answer that may still be changed; {} if the response does not fit the form."""
        order = getattr(self, "order", [])
        try:
            match self.version.type:
                case QuestionType.SINGLE_CHOICE:
                    return {"choice": order.index(response["choice"])}
                case QuestionType.MULTIPLE_RESPONSE:
                    return {"choices": [order.index(i) for i in response["choices"]]}
                case QuestionType.TRUE_FALSE:
                    return {"value": "true" if response["value"] else "false"}
                case QuestionType.SHORT_ANSWER | QuestionType.NUMERIC:
                    return {"text": response["text"]}
                case QuestionType.MATCHING:
                    return {
                        f"match_{i}": order.index(right)
                        for i, right in enumerate(response["matches"])
                    }
                case QuestionType.ORDERING:
                    return {
                        f"item_{shown}": response["order"].index(i) + 1
                        for shown, i in enumerate(order)
                    }
                case QuestionType.CLOZE:
                    return {f"blank_{i}": text for i, text in enumerate(response["blanks"])}
        except (KeyError, IndexError, TypeError, ValueError):
            pass
        return {}

    def response(self) -> dict[str, Any]:
        """The cleaned data as the grader's response (see quizzes.grading), in authored indexes."""
        data, body = self.cleaned_data, self.version.body
        match self.version.type:
            case QuestionType.SINGLE_CHOICE:
                return {"choice": self.order[data["choice"]]}
            case QuestionType.MULTIPLE_RESPONSE:
                return {"choices": sorted(self.order[shown] for shown in data["choices"])}
            case QuestionType.TRUE_FALSE:
                return {"value": data["value"]}
            case QuestionType.SHORT_ANSWER | QuestionType.NUMERIC:
                return {"text": data["text"]}
            case QuestionType.MATCHING:
                return {
                    "matches": [self.order[data[f"match_{i}"]] for i in range(len(body["lefts"]))]
                }
            case QuestionType.ORDERING:
                place = {i: data[f"item_{shown}"] for shown, i in enumerate(self.order)}
                return {"order": sorted(place, key=place.__getitem__)}
            case QuestionType.CLOZE:
                return {"blanks": [data[f"blank_{i}"] for i in range(len(body["texts"]) - 1)]}
        raise ValueError(self.version.type)


def _permutation(order: list[int], count: int) -> list[int]:
    """The attempt's stored option order, or the authored order if it is not a permutation.

    `attempt_start` stores a permutation of range(count) for every question; the fallback keeps
    a damaged snapshot answerable instead of failing with an IndexError.
    """
    if isinstance(order, list) and sorted(order) == list(range(count)):
        return list(order)
    return list(range(count))


@dataclass(frozen=True)
class RatingInput:
    card: int
    reps: int  # the card's review count when the form was drawn: a resent rating is ignored
    rating: int
    duration_ms: int | None


_MAX_INT = 2**31 - 1


def read_rating(data: Mapping[str, Any]) -> RatingInput | None:
    """The rating form's fields (`card`, `reps`, `rating`, optional `duration_ms`), or None if
    one is missing or is not what the form sends. Read by hand, not by a Django form: it is
    posted with every review, and a form's fields cost 0.1 ms to build and clean each time.
    Numbers are bounded as ids are (content.ids): the review loop's SQL would pass a number too
    large for the database's integers straight to it."""
    card, reps = parse_id(data.get("card")), parse_id(data.get("reps"))
    rating = data.get("rating")
    duration = data.get("duration_ms") or ""
    if card < 1 or not 0 <= reps <= _MAX_INT or rating not in _RATINGS:
        return None
    if duration and not is_id(duration):
        return None
    return RatingInput(
        card=card,
        reps=reps,
        rating=int(rating),
        duration_ms=int(duration) if duration else None,
    )


_RATINGS = frozenset(str(value) for value in Rating.values)


class AcceptForm(forms.Form):
    """ "Accept this response": which version, which blank (-1 for the whole answer), what text.
    Whoever posts it is checked by the view; what may be accepted, by quizzes.regrade."""

    version = forms.CharField(max_length=18)
    blank = forms.IntegerField(min_value=-1, max_value=999)
    text = forms.CharField(max_length=500)

    def clean_version(self) -> int:
        value = self.cleaned_data["version"]
        if not is_id(value):
            raise forms.ValidationError(_("Unknown question."))
        return parse_id(value)


class CardReportForm(forms.Form):
    """A student's report on a card: what is wrong or unclear."""

    note = forms.CharField(
        label=_("What is wrong or unclear?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The course’s authors read this. At most 1,000 characters."),
    )
