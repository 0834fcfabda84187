"""Authors' pages: the author dashboard (every course's lessons with what each holds, and the
students' open reports), the authoring guide, docs/authoring.md, as a page of the site, and each
course's review log as CSV.

They live in `courses` because the dashboard groups lessons by course and lesson set; they read
`content` and `quizzes` only."""

import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from content import anki, formats
from content.export import (
    csv_chunks,
    export_course_zip,
    lesson_document,
    lesson_yaml,
    review_rows,
)
from content.markdown import Heading, render_document
from content.models import Lesson
from courses.models import Course, LessonSet, LessonSetItem
from courses.roles import Role, roles_of
from quizzes.models import Card, CardFlag, Question, QuestionVersion

GUIDE_PATH = Path(settings.BASE_DIR) / "docs" / "authoring.md"
# Ids the page around the guide uses (base.html's <main>, the table of contents): a heading of
# the guide never takes one.
GUIDE_PAGE_IDS = frozenset({"main", "guide-contents"})
LATEST_FLAGS = 5


# Reads -----------------------------------------------------------------------------------------


@dataclass
class SetGroup:
    lesson_set: LessonSet | None  # None: the lessons in no lesson set
    lessons: list[Lesson] = field(default_factory=list)


@dataclass
class CourseGroup:
    course: Course | None  # None: the lessons in no lesson set
    sets: list[SetGroup] = field(default_factory=list)


def _count(queryset: QuerySet, lesson_path: str) -> Coalesce:
    """How many rows of `queryset` belong to the outer lesson, as a correlated subquery: one per
    count, so that counting questions, cards and versions does not multiply joined rows."""
    rows = (
        queryset.filter(**{lesson_path: OuterRef("pk")})
        .order_by()
        .values(lesson_path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def lessons_with_counts() -> QuerySet:
    """The active lessons, each annotated with its active questions and cards, the versions of
    its active questions, and its retired questions and cards. One query."""
    return Lesson.objects.active().annotate(
        question_count=_count(Question.objects.active(), "lesson"),
        card_count=_count(Card.objects.active(), "lesson"),
        version_count=_count(
            QuestionVersion.objects.filter(question__retired_at__isnull=True), "question__lesson"
        ),
        retired_question_count=_count(Question.objects.filter(retired_at__isnull=False), "lesson"),
        retired_card_count=_count(Card.objects.filter(retired_at__isnull=False), "lesson"),
    )


def lessons_by_course() -> list[CourseGroup]:
    """Every course with its lesson sets in order, each with its active lessons (annotated as
    `lessons_with_counts`), then the active lessons in no lesson set. A lesson in two sets is
    listed in both. Three queries, whatever the number of courses, sets and lessons."""
    lessons = {lesson.pk: lesson for lesson in lessons_with_counts().order_by("title", "pk")}
    lesson_sets = LessonSet.objects.select_related("course").order_by(
        "course__title", "course_id", "position", "pk"
    )
    in_sets: dict[int, list[int]] = {}
    for set_id, lesson_id in LessonSetItem.objects.order_by("position", "pk").values_list(
        "lesson_set_id", "lesson_id"
    ):
        in_sets.setdefault(set_id, []).append(lesson_id)
    groups: list[CourseGroup] = []
    placed: set[int] = set()
    for lesson_set in lesson_sets:
        if not groups or groups[-1].course != lesson_set.course:
            groups.append(CourseGroup(course=lesson_set.course))
        members = [lessons[pk] for pk in in_sets.get(lesson_set.pk, []) if pk in lessons]
        placed.update(lesson.pk for lesson in members)
        groups[-1].sets.append(SetGroup(lesson_set=lesson_set, lessons=members))
    loose = [lesson for pk, lesson in lessons.items() if pk not in placed]
    if loose:
        groups.append(CourseGroup(course=None, sets=[SetGroup(lesson_set=None, lessons=loose)]))
    return groups


def open_flags() -> tuple[int, list[CardFlag]]:
    """How many student reports are open, and the latest few with their cards. One query: the
    count is a window over every open report, taken before the limit."""
    latest = list(
        CardFlag.objects.filter(resolved_at__isnull=True)
        .select_related("card__lesson")
        .annotate(open_count=Window(Count("pk")))
        .order_by("-created_at", "-pk")[:LATEST_FLAGS]
    )
    return (latest[0].open_count if latest else 0), latest


@dataclass(frozen=True)
class Guide:
    title: str
    html: SafeString
    contents: list[tuple[Heading, list[Heading]]]  # each section with its subsections


def guide_render(path: Path = GUIDE_PATH) -> Guide:
    """The authoring guide at `path`, rendered. Rendered once per process for each version of
    the file (keyed by its modification time): the file changes only with a deploy."""
    try:
        modified = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise Http404 from None
    return _guide(str(path), modified)


@functools.lru_cache(maxsize=4)
def _guide(path: str, modified_ns: int) -> Guide:
    # `modified_ns` is part of the key only: a new version of the file is rendered again.
    html, headings = render_document(
        Path(path).read_text(encoding="utf-8"), reserved_ids=GUIDE_PAGE_IDS
    )
    title = ""
    if headings and headings[0].level == 1 and html.startswith("<h1"):
        # The guide's own title is the page's <h1>, above the table of contents.
        title = headings[0].text
        html = mark_safe(html.partition("</h1>")[2].lstrip())  # a whole element cut off
        headings = headings[1:]
    contents: list[tuple[Heading, list[Heading]]] = []
    for heading in headings:
        if heading.level <= 2 or not contents:
            contents.append((heading, []))
        elif heading.level == 3:
            contents[-1][1].append(heading)
    return Guide(title=title, html=html, contents=contents)


# Views -----------------------------------------------------------------------------------------


def _require(request: HttpRequest, *allowed: str) -> None:
    """As quizzes.views._author: anyone without one of the roles gets a 404."""
    if not roles_of(request.user) & set(allowed):
        raise Http404


@require_GET
@login_required
def author_dashboard(request: HttpRequest) -> HttpResponse:
    """Authors: every course's lessons by lesson set with their questions, cards, versions and
    retired ones; the students' open reports; links to the typed answers and the guide."""
    _require(request, Role.AUTHOR)
    flag_count, flags = open_flags()
    context = {"courses": lessons_by_course(), "flag_count": flag_count, "flags": flags}
    return render(request, "courses/author_dashboard.html", context)


@require_GET
@login_required
def author_guide(request: HttpRequest) -> HttpResponse:
    """Authors and teachers: the authoring guide (docs/authoring.md) with a table of contents."""
    _require(request, Role.AUTHOR, Role.TEACHER)
    return render(request, "courses/author_guide.html", {"guide": guide_render()})


@require_GET
@login_required
def author_reviews_csv(request: HttpRequest, course_key: str) -> StreamingHttpResponse:
    """Authors (and superusers): the course's review log as CSV for FSRS optimizers, students
    pseudonymised (content.export.review_rows). Streamed from one query read in chunks, so a
    log of any size is never held in memory."""
    if not request.user.is_superuser:
        _require(request, Role.AUTHOR)
    course = get_object_or_404(Course, key=course_key)
    response = StreamingHttpResponse(
        csv_chunks(review_rows(course)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{course.key}-reviews.csv"'
    # Pseudonymised, but about people: kept by no shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


# Exports: a lesson in another format, a course as files -----------------------------------------

LESSON_EXPORTS = {
    # format: (file extension, content type)
    "gift": ("gift", "text/plain; charset=utf-8"),
    "moodle-xml": ("xml", "application/xml"),
    "anki": ("apkg", "application/octet-stream"),
    "yaml": ("yaml", "text/plain; charset=utf-8"),
}


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def author_lesson_export(request: HttpRequest, lesson_key: str, format: str) -> HttpResponse:
    """Authors: one lesson's questions as GIFT or Moodle XML, its cards as an Anki package, or
    its lesson file. What the format cannot hold is left out (docs/authoring.md, "Other
    formats"); `manage.py export_questions` and `export_anki` say what, by key."""
    _require(request, Role.AUTHOR)
    if format not in LESSON_EXPORTS:
        raise Http404
    lesson = get_object_or_404(Lesson.objects.active(), key=lesson_key)
    extension, content_type = LESSON_EXPORTS[format]
    if format == "gift":
        text, _messages = formats.lesson_gift(lesson)
        data = text.encode("utf-8")
    elif format == "moodle-xml":
        data, _messages = formats.lesson_xml(lesson)
    elif format == "anki":
        data = anki.export_lesson(lesson).data
    else:
        data = lesson_yaml(lesson_document(lesson)).encode("utf-8")
    return _download(data, f"{lesson.key}.{extension}", content_type)


@require_GET
@login_required
def author_course_export(request: HttpRequest, course_key: str) -> HttpResponse:
    """Authors: the course's folder as a .zip, which `load_content` and the import page read
    back with no change."""
    _require(request, Role.AUTHOR)
    course = get_object_or_404(Course, key=course_key)
    out = io.BytesIO()
    export_course_zip(course, out)
    return _download(out.getvalue(), f"{course.key}.zip", "application/zip")
