"""A course's scheduling page for authors, /author/courses/<key>/scheduling/ (issue 13): the FSRS
parameters in force, every fit of them with its evaluation, "Fit now", putting a fit in force or
going back to the defaults, and the expected workload of each desired retention, with a form
that shows the cost of a typed retention before saving it.

Who may see these pages: authors, as /author/ (anyone else gets the 404 the author pages give);
an unknown course, or a fit of another course, is a 404. An author is not the students' teacher:
a student's own fit names them by the pseudonym of the course's review-log CSV
(content.export.pseudonym), never by account, and is reverted by the fit's id, not theirs.
Fitting runs as a task (courses.tasks.parameters_fit); the page looks again every few seconds
while one runs.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from content.export import course_reviews, pseudonym
from content.ids import parse_id
from courses.author import _require
from courses.fitting import (
    DEFAULT_PARAMETERS,
    RETENTIONS,
    SIMULATED_DAYS,
    SIMULATED_DECK_LIMIT,
    FitError,
    FitRefused,
    course_deck_size,
    course_retention_set,
    fit_in_force,
    fit_put_in_force,
    fit_request,
    fit_threshold,
    fit_usable,
    fits_students_to_defaults,
    fits_to_defaults,
    memorized_per_minute,
    retention_best_value,
    retention_key,
    retention_round,
    retention_workload,
)
from courses.models import Course, FitStatus, ParameterFit
from courses.roles import Role
from quizzes.scheduling import usable_parameters
from quizzes.views import wants_partial

# Seconds between two looks at a fit that is running (htmx, or the page's own refresh).
POLL_SECONDS = 2
HISTORY_LENGTH = 50


class RetentionForm(forms.Form):
    desired_retention = forms.FloatField(
        label=gettext_lazy("Desired retention"),
        min_value=0.70,
        max_value=0.99,
        help_text=gettext_lazy(
            "The recall each card is scheduled for, from 0.70 to 0.99. Higher keeps more "
            "cards memorized and costs more reviews."
        ),
    )


@dataclass(frozen=True)
class RetentionRow:
    retention: float
    minutes_per_day: float
    reviews_per_day: float
    memorized: float
    per_hour: float
    current: bool = False
    suggested: bool = False


def _rows(workload: dict, *, current: float, suggested: float | None) -> list[RetentionRow]:
    return [
        RetentionRow(
            retention=float(key),
            minutes_per_day=row["minutes_per_day"],
            reviews_per_day=row["reviews_per_day"],
            memorized=row["memorized"],
            per_hour=memorized_per_minute(row) * 60,
            current=key == retention_key(current),
            suggested=suggested is not None and key == retention_key(suggested),
        )
        for key, row in sorted(workload.items())
    ]


def _course(request: HttpRequest, course_key: str) -> Course:
    _require(request, Role.AUTHOR)
    return get_object_or_404(Course, key=course_key)


def _running(course: Course) -> ParameterFit | None:
    return ParameterFit.objects.filter(
        course=course, student__isnull=True, status__in=[FitStatus.QUEUED, FitStatus.RUNNING]
    ).first()


def _parameters(in_force: ParameterFit | None) -> tuple[list[float], bool]:
    """The parameters the scheduler really uses for the course (courses.selectors
    .parameters_in_force): the fit's in force if py-fsrs takes them, else the defaults; and
    whether the fit in force, if any, is used."""
    usable = usable_parameters(in_force.parameters) if in_force else ()
    return list(usable) or list(DEFAULT_PARAMETERS), in_force is None or bool(usable)


def _no_simulation(deck_size: int, error: FitError | None) -> str:
    """Why there is no workload to show (empty when there is one)."""
    if deck_size <= 0:
        return _(
            "Nothing to simulate: the course has no card in use (no flashcard or flashcard "
            "question in its lessons, or every one retired)."
        )
    if error is not None:
        return _("FSRS's simulator could not run: %(error)s") % {"error": error}
    return ""


def _preview(
    course: Course, value: float, in_force: ParameterFit | None
) -> tuple[RetentionRow | None, str]:
    """The table's row for a typed retention (rounded to 0.01), or why there is none."""
    deck_size = course_deck_size(course)
    try:
        parameters, _usable = _parameters(in_force)
        workload = retention_workload(course, parameters, [value], deck_size=deck_size)
    except FitError as error:
        return None, _no_simulation(deck_size, error)
    if not workload:
        return None, _no_simulation(deck_size, None)
    rows = _rows(workload, current=course.desired_retention, suggested=None)
    return rows[0], ""


def scheduling_summary(course: Course, *, fits: int = HISTORY_LENGTH) -> dict:
    """What the course's scheduling pages show its authors and its classes' teachers alike: the
    parameters in force (and whether the fit in force is usable), the latest `fits` fits of the
    course, and the workload of each desired retention with the suggestion."""
    in_force = fit_in_force(course)
    course_fits = list(
        ParameterFit.objects.filter(course=course, student__isnull=True).select_related(
            "requested_by"
        )[:fits]
    )
    for fit in course_fits:
        fit.usable = fit_usable(fit)
    deck_size = course_deck_size(course)
    parameters, in_force_usable = _parameters(in_force)
    retentions = [*RETENTIONS, course.desired_retention]
    try:
        workload = retention_workload(course, parameters, retentions, deck_size=deck_size)
        error = None
    except FitError as exc:
        workload, error = {}, exc
    if in_force and in_force_usable and in_force.suggested_retention is not None:
        suggested, suggested_by = in_force.suggested_retention, "simulation"
    else:
        suggested, suggested_by = retention_best_value(workload), "table"
    return {
        "course": course,
        "in_force": in_force,
        "in_force_usable": in_force_usable,
        "parameters": parameters,
        "fits": course_fits,
        "deck_size": deck_size,
        "deck_limit": SIMULATED_DECK_LIMIT,
        "simulated_days": SIMULATED_DAYS,
        "rows": _rows(workload, current=course.desired_retention, suggested=suggested),
        "no_simulation": _no_simulation(deck_size, error),
        "suggested": suggested,
        "suggested_by": suggested_by,
        "file_retention": course.file_desired_retention,
    }


def retention_preview(
    course: Course, data, *, auto_id: str = "id_%s"
) -> tuple[RetentionForm, RetentionRow | None, str]:
    """The form for a typed retention, bound to `data`, and its row of the table (rounded to
    the form's step, 0.01) or why there is none."""
    form = RetentionForm(data, auto_id=auto_id)
    if not form.is_valid():
        return form, None, ""
    value = retention_round(form.cleaned_data["desired_retention"])
    preview, note = _preview(course, value, fit_in_force(course))
    return form, preview, note


def _page(
    request: HttpRequest,
    course: Course,
    *,
    form: RetentionForm | None = None,
    preview: RetentionRow | None = None,
    preview_note: str = "",
    status: int = 200,
) -> HttpResponse:
    # Every student fit in force (each can be reverted here), then the latest others.
    student_query = ParameterFit.objects.filter(course=course, student__isnull=False)
    latest = student_query.values("pk")[:HISTORY_LENGTH]
    student_fits = list(
        student_query.filter(Q(in_force=True) | Q(pk__in=latest))
        .select_related("requested_by")
        .order_by("-in_force", "-created_at", "-pk")
    )
    for fit in student_fits:
        fit.usable = fit_usable(fit)
        fit.pseudonym = pseudonym(course, fit.student_id)
    summary = scheduling_summary(course)
    context = {
        **summary,
        "summary": summary,
        "reviews": course_reviews(course).count(),
        "threshold": fit_threshold(),
        "running": _running(course),
        "poll_seconds": POLL_SECONDS,
        "student_fits": student_fits,
        "students_in_force": sum(fit.in_force for fit in student_fits),
        "form": form or RetentionForm(initial={"desired_retention": course.desired_retention}),
        "preview": preview,
        "preview_note": preview_note,
    }
    return render(request, "courses/author/scheduling.html", context, status=status)


@require_GET
@vary_on_headers("HX-Request")
@login_required
def author_scheduling(request: HttpRequest, course_key: str) -> HttpResponse:
    """Authors: the course's parameters in force, its fits, "Fit now" and the retention table.
    While a fit runs, htmx asks for the status partial every few seconds; once the fit is done
    the answer tells htmx to load the whole page again (its tables change)."""
    course = _course(request, course_key)
    if wants_partial(request):
        running = _running(course)
        response = render(
            request,
            "courses/author/scheduling.html#fit-status",
            {"course": course, "running": running, "poll_seconds": POLL_SECONDS},
        )
        if running is None:
            response["HX-Refresh"] = "true"
        return response
    return _page(request, course)


@require_POST
@login_required
def author_scheduling_fit(request: HttpRequest, course_key: str) -> HttpResponse:
    """Authors: queue a fit of the course's parameters; one at a time per course."""
    course = _course(request, course_key)
    _fit, created = fit_request(course=course, requested_by=request.user)
    if created:
        messages.success(request, _("Fit queued: this page shows its result when it is done."))
    else:
        messages.info(request, _("A fit is already queued or running: no other was queued."))
    return redirect("author_scheduling", course_key=course.key)


@require_POST
@login_required
def author_scheduling_use(request: HttpRequest, course_key: str, fit_id: int) -> HttpResponse:
    """Authors: put one of the course's fits in force (the course's, or a student's)."""
    course = _course(request, course_key)
    fit = get_object_or_404(ParameterFit, pk=fit_id, course=course)
    try:
        fit_put_in_force(fit=fit)
    except FitRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("These parameters are now in force."))
    return redirect("author_scheduling", course_key=course.key)


@require_POST
@login_required
def author_scheduling_defaults(request: HttpRequest, course_key: str) -> HttpResponse:
    """Authors: back to FSRS's default parameters, for the course or (`fit` posted: the id of a
    student's own fit in the course) for that student, who goes back on the course's
    parameters. Every fit stays stored."""
    course = _course(request, course_key)
    if "fit" not in request.POST:
        fits_to_defaults(course=course)
        messages.success(request, _("Back to FSRS's default parameters."))
        return redirect("author_scheduling", course_key=course.key)
    fit = get_object_or_404(
        ParameterFit, pk=parse_id(request.POST["fit"]), course=course, student__isnull=False
    )
    fits_to_defaults(course=course, student=fit.student_id)
    messages.success(
        request,
        _("Student %(pseudonym)s is back on the course's parameters.")
        % {"pseudonym": pseudonym(course, fit.student_id)},
    )
    return redirect("author_scheduling", course_key=course.key)


@require_POST
@login_required
def author_scheduling_students_defaults(request: HttpRequest, course_key: str) -> HttpResponse:
    """Authors: every student of the course back on the course's parameters (no student's own
    fit in force). The course's own fit in force, if any, stays."""
    course = _course(request, course_key)
    changed = fits_students_to_defaults(course=course)
    messages.success(
        request,
        _("Every student is back on the course's parameters (%(n)s had a fit of their own).")
        % {"n": changed},
    )
    return redirect("author_scheduling", course_key=course.key)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_required
def author_scheduling_retention(request: HttpRequest, course_key: str) -> HttpResponse:
    """Authors: the cost of a typed desired retention (GET, or POST with "Preview": its row
    of the table), or save it (POST) as the course's desired retention."""
    course = _course(request, course_key)
    if request.method == "GET" and "desired_retention" not in request.GET:
        return _page(request, course)
    data = request.POST if request.method == "POST" else request.GET
    preview, preview_note = None, ""
    if request.method == "POST" and "preview" not in request.POST:
        form = RetentionForm(data)
        if form.is_valid():
            # The form's step: the value simulated, shown and stored.
            value = retention_round(form.cleaned_data["desired_retention"])
            course_retention_set(course=course, desired_retention=value)
            messages.success(
                request, _("Desired retention saved: %(value)s.") % {"value": retention_key(value)}
            )
            return redirect("author_scheduling", course_key=course.key)
    else:
        form, preview, preview_note = retention_preview(course, data)
    if wants_partial(request):
        return render(
            request,
            "courses/author/scheduling.html#retention-preview",
            {"form": form, "preview": preview, "preview_note": preview_note},
        )
    status = 200 if form.is_valid() else 422
    return _page(
        request, course, form=form, preview=preview, preview_note=preview_note, status=status
    )
