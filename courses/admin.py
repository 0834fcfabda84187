from django.contrib import admin

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


@admin.register(Assignment)
class AssignmentAdmin(ids.ModelAdmin):
    list_display = ["title", "classroom", "kind", "due_at"]
    list_filter = ["kind", "classroom"]
    list_select_related = ["classroom"]
    raw_id_fields = ["students", "quiz", "created_by"]
    inlines = [AssignmentLessonInline]
