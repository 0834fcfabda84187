from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from content import ids
from content.markdown import render_plain
from quizzes.grading import true_false_labels
from quizzes.models import (
    AcceptedResponse,
    Answer,
    Attempt,
    Card,
    MemoryState,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    Regrade,
    ReviewLog,
)

# Said on every page that shows a question version: nothing there edits one.
VERSIONS_NOTE = gettext_lazy(
    "A question version is one meaning of a question and never changes here, for any user: "
    "past answers were graded against it. To change what a question asks or accepts, edit the "
    "course files and load them again (or import them): a change of meaning makes a new "
    "version, and the question moves on to it."
)


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _list(items) -> SafeString:
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))


def _options(choices: list[str], right: set[int]) -> SafeString:
    if not right <= set(range(len(choices))):
        raise IndexError("a right answer that is not among the options")
    marked = _("right answer")
    rows = (
        (render_plain(choice), format_html(" <strong>✓ {}</strong>", marked) if i in right else "")
        for i, choice in enumerate(choices)
    )
    return format_html("<ol>{}</ol>", format_html_join("", "<li>{}{}</li>", rows))


def _text_rules(key: dict) -> str:
    rules = [_("typos forgiven") if key.get("typos") else _("no typos forgiven")]
    if key.get("case_sensitive"):
        rules.append(_("case matters"))
    if key.get("accent_sensitive"):
        rules.append(_("accents matter"))
    return ", ".join(rules)


def version_readable(qtype: str, body: dict, key: dict) -> SafeString:
    """A question version's `body` and `answer_key` as an author reads them: the options with
    the right ones marked, the accepted answers, the number and its tolerance, the cloze text
    with its blanks, the pairs or the order. For the admin's pages only (it shows the key)."""
    try:
        return _readable(qtype, body, key)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        # A key written by hand or by an older loader: show it as it is rather than fail.
        return format_html("<p>{}</p><pre>{}</pre>", _("Not in a known shape:"), [body, key])


def _readable(qtype: str, body: dict, key: dict) -> SafeString:
    meaning = _meaning(qtype, body, key)
    credit = _partial_credit(key)
    return format_html("{}{}", meaning, credit) if credit else meaning


def _partial_credit(key: dict) -> SafeString | str:
    """Weights (issue 12's partial credit), where the key has any, in percent, by position."""
    parts = []
    if isinstance(key.get("weights"), list):
        parts.append(
            format_html(
                "<p>{}</p>{}",
                _("Credit per option or answer, in order:"),
                _list(f"{round(100 * w, 2):g}%" for w in key["weights"]),
            )
        )
    if isinstance(key.get("alternatives"), list):
        parts.append(
            format_html(
                "<p>{}</p>{}",
                _("Also worth part of the credit:"),
                _list(
                    f"{_number(a['value'])} ± {_number(a.get('tolerance') or 0)}: "
                    f"{round(100 * a['weight'], 2):g}%"
                    for a in key["alternatives"]
                ),
            )
        )
    return format_html_join("", "{}", ((part,) for part in parts)) if parts else ""


def _meaning(qtype: str, body: dict, key: dict) -> SafeString:
    match qtype:
        case QuestionType.SINGLE_CHOICE:
            return _options(body["choices"], {key["choice"]})
        case QuestionType.MULTIPLE_RESPONSE:
            return _options(body["choices"], set(key["choices"]))
        case QuestionType.TRUE_FALSE:
            yes, no = true_false_labels(body)
            return format_html(
                "<p>{} <strong>{}</strong> ({})</p>",
                _("Right answer:"),
                yes if key["value"] else no,
                _("the options read “%(yes)s” and “%(no)s”") % {"yes": yes, "no": no},
            )
        case QuestionType.SHORT_ANSWER:
            return format_html(
                "<p>{} ({})</p>{}",
                _("Accepted answers:"),
                _text_rules(key),
                _list(key["accepted"]),
            )
        case QuestionType.NUMERIC:
            unit = f" {body['unit']}" if body.get("unit") else ""
            tolerance = key.get("tolerance") or 0
            answer = format_html(
                "<p>{} <strong>{}{}</strong> {}</p>",
                _("Right answer:"),
                _number(key["value"]),
                unit,
                _("± %(tolerance)s (any number from %(low)s to %(high)s)")
                % {
                    "tolerance": _number(tolerance),
                    "low": _number(key["value"] - tolerance),
                    "high": _number(key["value"] + tolerance),
                }
                if tolerance
                else _("exactly"),
            )
            if key.get("texts"):
                answer += format_html(
                    "<p>{}</p>{}", _("Also accepted as typed:"), _list(key["texts"])
                )
            return answer
        case QuestionType.MATCHING:
            pairs = (
                (render_plain(left), render_plain(body["rights"][m]))
                for left, m in zip(body["lefts"], key["matches"], strict=True)
            )
            return format_html(
                "<p>{}</p><ul>{}</ul>",
                _("Right pairs:"),
                format_html_join("", "<li>{} → {}</li>", pairs),
            )
        case QuestionType.ORDERING:
            items = (render_plain(body["items"][i]) for i in key["order"])
            return format_html("<p>{}</p>{}", _("Right order:"), _ordered(items))
        case QuestionType.CLOZE:
            texts, blanks = body["texts"], key["blanks"]
            parts = [format_html("{}", texts[0])]
            # strict: a cloze has one text more than blanks (else ValueError: not known)
            pairs = zip(blanks, texts[1:], strict=True)
            for number, (alternatives, after) in enumerate(pairs, start=1):
                parts.append(
                    format_html(
                        "<strong>[{} {}: {}]</strong>{}",
                        _("blank"),
                        number,
                        " | ".join(alternatives),
                        after,
                    )
                )
            return format_html(
                "<p>{}</p><p>{} ({}).</p>",
                SafeString("".join(parts)),
                _("Each blank accepts the answers between its brackets"),
                _text_rules(key),
            )
    raise ValueError(f"unknown question type {qtype!r}")


def _ordered(items) -> SafeString:
    return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))


class ReadableVersion:
    """The admin's read-only display of a version's meaning."""

    @admin.display(description=gettext_lazy("What the student sees, and the answer key"))
    def readable(self, version: QuestionVersion) -> SafeString:
        return version_readable(version.type, version.body, version.answer_key)

    @admin.display(description=gettext_lazy("Feedback shown after answering"))
    def feedback_readable(self, version: QuestionVersion) -> SafeString | str:
        """Per option or answer, as stored (quizzes.grading.stored_feedback): by part, then by
        position counted from 1."""
        rows = []
        for part, said in sorted((version.feedback or {}).items()):
            if isinstance(said, dict):
                rows.extend((f"{part} {int(i) + 1}", text) for i, text in sorted(
                    said.items(), key=lambda item: int(item[0])
                ))  # fmt: skip
            else:
                rows.append((part, said))
        if not rows:
            return "—"
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))


class QuestionVersionInline(ReadableVersion, ids.StackedInline):
    """Every version of the question, read-only (VERSIONS_NOTE)."""

    model = QuestionVersion
    extra = 0
    can_delete = False
    fields = [
        "number", "type", "prompt", "readable", "feedback_readable", "explanation", "created_at"
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ids.ModelAdmin):
    """Rows nobody edits by hand, superusers included: question versions (a change of meaning
    goes through the course files) and audit records (written only by quizzes.regrade)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ids.ModelAdmin):
    list_display = ["key", "lesson", "type", "level", "current_version", "retired_at"]
    list_filter = ["lesson", "type", "level", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "versions__prompt"]
    list_select_related = ["lesson", "current_version"]
    autocomplete_fields = ["citations"]
    inlines = [QuestionVersionInline]

    fields = ["key", "lesson", "position", "type", "level", "current_version", "citations",
              "retired_at"]  # fmt: skip

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.fields, "description": VERSIONS_NOTE})]

    def get_readonly_fields(self, request, obj=None):
        # The version the question stands at, and its type, are its meaning; its key is how
        # the course files name it. A new question gets its versions from the loader.
        if obj is None:
            return ["current_version"]
        return ["key", "type", "current_version"]


@admin.register(QuestionVersion)
class QuestionVersionAdmin(ReadableVersion, ReadOnlyAdmin):
    """Read-only for every user, superusers included: a version is an immutable meaning."""

    list_display = ["question", "number", "type", "created_at"]
    list_filter = ["question__lesson", "type"]
    search_fields = ["question__key", "prompt"]
    list_select_related = ["question"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "question",
                    "number",
                    "type",
                    "prompt",
                    "readable",
                    "feedback_readable",
                    "explanation",
                    "meaning_hash",
                    "created_at",
                ],
                "description": VERSIONS_NOTE,
            },
        )
    ]
    readonly_fields = fieldsets[0][1]["fields"]


@admin.register(Card)
class CardAdmin(ids.ModelAdmin):
    list_display = ["key", "lesson", "question", "retired_at"]
    list_filter = ["lesson", ("question", admin.EmptyFieldListFilter)]
    search_fields = ["key", "front", "back"]
    list_select_related = ["lesson", "question"]
    autocomplete_fields = ["citations"]
    raw_id_fields = ["question"]

    def get_readonly_fields(self, request, obj=None):
        # A question's card is made from the question's current version (its sides are that
        # version's prompt and answer): it changes with a new version, not here.
        if obj is not None and obj.question_id is not None:
            return ["key", "question", "front", "back", "hint"]
        return []

    def get_fieldsets(self, request, obj=None):
        fields = self.get_fields(request, obj)
        if obj is not None and obj.question_id is not None:
            return [(None, {"fields": fields, "description": VERSIONS_NOTE})]
        return [(None, {"fields": fields})]


@admin.register(Quiz)
class QuizAdmin(ids.ModelAdmin):
    list_display = ["title", "question_count", "feedback", "attempts_allowed"]
    filter_horizontal = ["lessons"]


@admin.register(Attempt)
class AttemptAdmin(ids.ModelAdmin):
    list_display = ["quiz", "student", "number", "started_at", "finished_at", "score"]
    list_filter = ["quiz"]
    list_select_related = ["quiz", "student"]
    raw_id_fields = ["student"]


@admin.register(Answer)
class AnswerAdmin(ids.ModelAdmin):
    list_display = ["attempt", "position", "version", "correct", "score", "answered_at"]
    list_filter = ["version__question__lesson", "version__type", "correct"]
    list_select_related = ["attempt", "version"]
    raw_id_fields = ["attempt", "version"]


@admin.register(MemoryState)
class MemoryStateAdmin(ids.ModelAdmin):
    list_display = ["student", "card", "state", "due_at", "stability", "difficulty"]
    list_filter = ["card__lesson", "state"]
    list_select_related = ["student", "card"]
    raw_id_fields = ["student", "card"]


@admin.register(ReviewLog)
class ReviewLogAdmin(ids.ModelAdmin):
    list_display = ["student", "card", "rating", "reviewed_at", "source"]
    list_filter = ["card__lesson", "source", "rating"]
    list_select_related = ["student", "card"]
    raw_id_fields = ["student", "card", "answer"]

    def has_change_permission(self, request, obj=None):
        return False  # append-only


@admin.register(AcceptedResponse)
class AcceptedResponseAdmin(ReadOnlyAdmin):
    list_display = ["question", "blank", "text", "classroom", "accepted_by", "accepted_at"]
    list_select_related = ["question", "classroom", "accepted_by"]
    search_fields = ["question__key", "text"]


@admin.register(Regrade)
class RegradeAdmin(ReadOnlyAdmin):
    list_display = ["answer", "old_score", "new_score", "regraded_by", "regraded_at"]
    list_select_related = ["answer__attempt__quiz", "answer__attempt__student", "regraded_by"]
