from django.contrib import admin

from content import ids
from quizzes.models import (
    AcceptedResponse,
    Answer,
    Attempt,
    Card,
    MemoryState,
    Question,
    QuestionVersion,
    Quiz,
    Regrade,
    ReviewLog,
)


class QuestionVersionInline(ids.StackedInline):
    model = QuestionVersion
    extra = 0
    can_delete = False
    readonly_fields = ["number", "type", "meaning_hash", "created_at"]


@admin.register(Question)
class QuestionAdmin(ids.ModelAdmin):
    list_display = ["key", "lesson", "type", "level", "current_version", "retired_at"]
    list_filter = ["lesson", "type", "level", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "versions__prompt"]
    list_select_related = ["lesson", "current_version"]
    autocomplete_fields = ["citations"]
    raw_id_fields = ["current_version"]
    inlines = [QuestionVersionInline]


@admin.register(QuestionVersion)
class QuestionVersionAdmin(ids.ModelAdmin):
    list_display = ["question", "number", "type", "created_at"]
    list_filter = ["question__lesson", "type"]
    search_fields = ["question__key", "prompt"]
    list_select_related = ["question"]
    readonly_fields = ["question", "number", "type", "meaning_hash", "created_at"]


@admin.register(Card)
class CardAdmin(ids.ModelAdmin):
    list_display = ["key", "lesson", "question", "retired_at"]
    list_filter = ["lesson", ("question", admin.EmptyFieldListFilter)]
    search_fields = ["key", "front", "back"]
    list_select_related = ["lesson", "question"]
    autocomplete_fields = ["citations"]
    raw_id_fields = ["question"]


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


class ReadOnlyAdmin(ids.ModelAdmin):
    """An audit record: written only by quizzes.regrade, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AcceptedResponse)
class AcceptedResponseAdmin(ReadOnlyAdmin):
    list_display = ["question", "blank", "text", "classroom", "accepted_by", "accepted_at"]
    list_select_related = ["question", "classroom", "accepted_by"]
    search_fields = ["question__key", "text"]


@admin.register(Regrade)
class RegradeAdmin(ReadOnlyAdmin):
    list_display = ["answer", "old_score", "new_score", "regraded_by", "regraded_at"]
    list_select_related = ["answer__attempt__quiz", "answer__attempt__student", "regraded_by"]
