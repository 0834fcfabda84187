from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from content.models import Lesson


@require_GET
@login_required
def lesson(request: HttpRequest, key: str) -> HttpResponse:
    """Any signed-in user may read an active lesson: course text is not private.

    The HTML is the one stored when the lesson was written; its footnote numbers are the
    citations' places in this same order (see content.models.footnote_numbers).
    """
    lesson = get_object_or_404(Lesson.objects.active(), key=key)
    citations = lesson.citations.select_related("source").order_by("position", "pk")
    return render(
        request,
        "content/lesson.html",
        {
            "lesson": lesson,
            "sections": lesson.sections.all(),
            "terms": lesson.key_terms.all(),
            "footnotes": [
                {"number": number, "citation": citation}
                for number, citation in enumerate(citations, start=1)
            ],
        },
    )
