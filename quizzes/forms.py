"""Forms: one answer form per question type, and the flashcard rating form.

An answer form never holds the answer key: it is built from a version's `body` (what may be
shown) and the attempt's option order.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from content.markdown import render_plain
from quizzes.models import QuestionType, QuestionVersion, Rating


class AnswerForm(forms.Form):
    seq = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    position = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    duration_ms = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, version: QuestionVersion, order: list[int], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.version = version
        body = version.body
        match version.type:
            case QuestionType.SINGLE_CHOICE:
                self.fields["choice"] = forms.TypedChoiceField(
                    label=_("Your answer"),
                    choices=[(i, render_plain(body["choices"][i])) for i in order],
                    coerce=int,
                    widget=forms.RadioSelect,
                )
            case QuestionType.MULTIPLE_RESPONSE:
                self.fields["choices"] = forms.TypedMultipleChoiceField(
                    label=_("Choose every answer that applies"),
                    choices=[(i, render_plain(body["choices"][i])) for i in order],
                    coerce=int,
                    widget=forms.CheckboxSelectMultiple,
                )
            case QuestionType.TRUE_FALSE:
                self.fields["value"] = forms.TypedChoiceField(
                    label=_("True or false?"),
                    choices=[("true", _("True")), ("false", _("False"))],
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
                rights = [("", _("Choose…"))] + [
                    (i, render_plain(body["rights"][i])) for i in order
                ]
                for i, left in enumerate(body["lefts"]):
                    self.fields[f"match_{i}"] = forms.TypedChoiceField(
                        label=render_plain(left), choices=rights, coerce=int
                    )
            case QuestionType.ORDERING:
                positions = [("", _("Choose…"))] + [
                    (n, str(n)) for n in range(1, len(body["items"]) + 1)
                ]
                for i in order:
                    self.fields[f"item_{i}"] = forms.TypedChoiceField(
                        label=render_plain(body["items"][i]), choices=positions, coerce=int
                    )
            case QuestionType.CLOZE:
                for i in range(len(body["texts"]) - 1):
                    self.fields[f"blank_{i}"] = forms.CharField(
                        label=_("Blank %(number)s") % {"number": i + 1},
                        max_length=200,
                        required=False,
                    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.version.type == QuestionType.ORDERING and not self.errors:
            places = [data[f"item_{i}"] for i in range(len(self.version.body["items"]))]
            if sorted(places) != list(range(1, len(places) + 1)):
                raise forms.ValidationError(_("Give each item a different place."))
        if self.version.type == QuestionType.CLOZE and not self.errors:
            blanks = [
                data.get(f"blank_{i}", "") for i in range(len(self.version.body["texts"]) - 1)
            ]
            if not any(b.strip() for b in blanks):
                raise forms.ValidationError(_("Fill in at least one blank."))
        return data

    def response(self) -> dict[str, Any]:
        """The cleaned data as the grader's response (see quizzes.grading)."""
        data, body = self.cleaned_data, self.version.body
        match self.version.type:
            case QuestionType.SINGLE_CHOICE:
                return {"choice": data["choice"]}
            case QuestionType.MULTIPLE_RESPONSE:
                return {"choices": sorted(data["choices"])}
            case QuestionType.TRUE_FALSE:
                return {"value": data["value"]}
            case QuestionType.SHORT_ANSWER | QuestionType.NUMERIC:
                return {"text": data["text"]}
            case QuestionType.MATCHING:
                return {"matches": [data[f"match_{i}"] for i in range(len(body["lefts"]))]}
            case QuestionType.ORDERING:
                places = {i: data[f"item_{i}"] for i in range(len(body["items"]))}
                return {"order": sorted(places, key=places.__getitem__)}
            case QuestionType.CLOZE:
                return {"blanks": [data[f"blank_{i}"] for i in range(len(body["texts"]) - 1)]}
        raise ValueError(self.version.type)


class RatingForm(forms.Form):
    card = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # The number of reviews the card had when the form was drawn: a resent rating is ignored.
    reps = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    rating = forms.TypedChoiceField(choices=Rating.choices, coerce=int)
    duration_ms = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
