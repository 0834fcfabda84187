from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from content.markdown import footnotes_by_appearance
from content.models import Lesson


@require_GET
@login_required
def lesson(request: HttpRequest, key: str) -> HttpResponse:
    """Any signed-in user may read an active lesson: course text is not private.

    The HTML is the one stored when the lesson was written, with its footnotes numbered by
    the citations' places (content.models.footnote_numbers); the page numbers them again in
    the order the reader meets them, sections first, then key terms, each with links back.
    """
    lesson = get_object_or_404(Lesson.objects.active(), key=key)
    citations = list(lesson.citations.select_related("source").order_by("position", "pk"))
    sections = list(lesson.sections.all())
    terms = list(lesson.key_terms.all())
    htmls, notes = footnotes_by_appearance(
        [section.body_html for section in sections] + [term.definition_html for term in terms],
        list(range(1, len(citations) + 1)),
    )
    for row, html in zip([*sections, *terms], htmls, strict=True):
        row.page_html = html
    return render(
        request,
        "content/lesson.html",
        {
            "lesson": lesson,
            "sections": sections,
            "terms": terms,
            "footnotes": [
                {"number": new, "citation": citations[stored - 1], "links": links}
                for new, stored, links in notes
                if 1 <= stored <= len(citations)  # stale HTML may name a note now gone
            ],
        },
    )
