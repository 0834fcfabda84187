from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from content import ids
from courses.models import (
    Assignment,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    LessonSet,
    LessonSetItem,
)


class LessonSetItemInline(ids.TabularInline):
    model = LessonSetItem
    extra = 0
    autocomplete_fields = ["lesson"]


@admin.register(Course)
class CourseAdmin(ids.ModelAdmin):
    list_display = ["key", "title", "desired_retention", "new_cards_per_day"]
    search_fields = ["key", "title"]


@admin.register(LessonSet)
class LessonSetAdmin(ids.ModelAdmin):
    list_display = ["key", "title", "course", "position"]
    list_filter = ["course"]
    inlines = [LessonSetItemInline]


class EnrollmentInline(ids.TabularInline):
    model = Enrollment
    extra = 0
    raw_id_fields = ["student"]


@admin.register(Classroom)
class ClassroomAdmin(ids.ModelAdmin):
    list_display = ["name", "join_code", "archived_at"]
    search_fields = ["name"]
    filter_horizontal = ["teachers"]
    inlines = [EnrollmentInline]


class AssignmentLessonInline(ids.TabularInline):
    model = AssignmentLesson
    extra = 0
    autocomplete_fields = ["lesson"]


class PercentField(forms.IntegerField):
    """A fraction (0.85) entered and shown as a whole percent (85), as on the assignment form."""

    def prepare_value(self, value):
        return round(value * 100) if isinstance(value, float) else value

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else percent / 100


@admin.register(Assignment)
class AssignmentAdmin(ids.ModelAdmin):
    list_display = ["title", "classroom", "kind", "due_at", "target_percent"]
    list_filter = ["kind", "classroom"]
    list_select_related = ["classroom"]
    raw_id_fields = ["students", "quiz", "created_by"]
    inlines = [AssignmentLessonInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "target_recall":
            return PercentField(
                label=_("Target recall (%)"), min_value=50, max_value=99, initial=db_field.default
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("target recall"), ordering="target_recall")
    def target_percent(self, assignment: Assignment) -> str:
        return "" if assignment.kind == "quiz" else f"{round(assignment.target_recall * 100)}%"
