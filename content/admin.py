from django.contrib import admin

from content import ids
from content.models import Citation, KeyTerm, Lesson, Section, Source


class SectionInline(ids.StackedInline):
    model = Section
    extra = 0


class KeyTermInline(ids.TabularInline):
    model = KeyTerm
    extra = 0


class CitationInline(ids.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Lesson)
class LessonAdmin(ids.ModelAdmin):
    list_display = ["key", "title", "course_key", "retired_at", "updated_at"]
    list_filter = ["course_key", ("retired_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "title", "summary"]
    readonly_fields = ["source_file", "created_at", "updated_at"]
    inlines = [SectionInline, KeyTermInline, CitationInline]


@admin.register(Source)
class SourceAdmin(ids.ModelAdmin):
    list_display = ["slug", "title", "author", "year"]
    search_fields = ["slug", "title", "author"]


@admin.register(Citation)
class CitationAdmin(ids.ModelAdmin):
    list_display = ["lesson", "ref", "source", "paragraph", "quote"]
    list_filter = ["lesson", "source"]
    search_fields = ["quote", "ref"]
    list_select_related = ["lesson", "source"]
