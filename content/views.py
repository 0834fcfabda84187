from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from content.markdown import render_markdown
from content.models import Lesson


@require_GET
@login_required
def lesson(request: HttpRequest, key: str) -> HttpResponse:
    """Any signed-in user may read an active lesson: course text is not private."""
    lesson = get_object_or_404(Lesson.objects.active(), key=key)
    citations = list(lesson.citations.select_related("source"))
    numbers = {c.ref: i for i, c in enumerate(citations, start=1)}
    sections = [
        {"title": s.title, "html": render_markdown(s.body, footnotes=numbers)}
        for s in lesson.sections.all()
    ]
    terms = [
        {"term": t.term, "html": render_markdown(t.definition, footnotes=numbers)}
        for t in lesson.key_terms.all()
    ]
    footnotes = [{"number": numbers[c.ref], "citation": c} for c in citations]
    return render(
        request,
        "content/lesson.html",
        {
            "lesson": lesson,
            "summary_html": render_markdown(lesson.summary),
            "sections": sections,
            "terms": terms,
            "footnotes": footnotes,
        },
    )
