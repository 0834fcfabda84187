import csv
import functools
from collections import Counter

from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.routers import reading_from_replica
from content.ids import parse_id
from content.models import Lesson
from courses import joincodes, qr, results, selectors, services, signin
from courses.forms import (
    AssignmentForm,
    ClassroomForm,
    JoinForm,
    ProfileForm,
    RosterForm,
    SignInCodeForm,
    UsernameForm,
)
from courses.models import AssignmentKind, Classroom, InvitationStatus, Profile
from courses.roles import Role, roles_of
from courses.timezones import remember_time_zone
from quizzes import regrade
from quizzes.forms import AcceptForm
from quizzes.models import QuestionVersion
from quizzes.views import accept_posted


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Any signed-in user: one panel per role the user holds (a teacher may also be an author)."""
    now = timezone.now()
    cached = selectors.study_context(user=request.user, now=now, full=True)
    roles = cached.roles
    context: dict = {"roles": roles, "now": now}
    if Role.STUDENT in roles:
        overview = selectors.student_overview(student=request.user, now=now, context=cached)
        context["overview"] = overview
        context["invitations"] = cached.invitations
        # The repeated parts are built in Python (a template node per value costs more than
        # the value): one URL reverse per pattern, one translation per word, one format per date.
        links = _lesson_links(overview)
        context["assignment_articles"] = _assignment_articles(overview, links)
        context["retention_rows"] = _retention_rows(overview, links)
        context["forecast_bars"], context["forecast_rows"] = _forecast_parts(overview.forecast)
    if Role.TEACHER in roles:
        context["classes"] = selectors.classes_for_teacher(teacher=request.user)
    if Role.AUTHOR in roles:
        context["authored_lessons"] = Lesson.objects.active().order_by("title")
    return render(request, "courses/dashboard.html", context)


def _lesson_links(overview: selectors.StudentOverview) -> dict[int, str]:
    """`<a href>`s to the dashboard's lessons by id, titles escaped. A lesson's key is a slug,
    which its URL holds as it is: one `reverse()` for them all."""
    lesson_url = _url_for_each("content:lesson")
    lessons = {lesson.pk: lesson for lesson, _summary in overview.lessons}
    for item in overview.assignments:
        lessons.update((lesson.pk, lesson) for lesson in item.lessons)
    return {
        pk: f'<a href="{lesson_url(lesson.key)}">{escape(lesson.title)}</a>'
        for pk, lesson in lessons.items()
    }


def _local_date(value, format_string: str) -> str:
    """`value|date:format_string` as a template renders it (in the current time zone and
    language, escaped), formatted once per process for each value, zone and language: a date's
    text does not change, and formatting one costs tens of microseconds."""
    return _date_text(
        value, format_string, timezone.get_current_timezone_name(), translation.get_language()
    )


@functools.lru_cache(maxsize=4096)
def _date_text(value, format_string: str, zone: str, language: str | None) -> str:
    # `zone` and `language` are the active ones, which the filter uses: part of the key only.
    return escape(date_filter(template_localtime(value), format_string))


def _assignment_articles(overview: selectors.StudentOverview, links: dict[int, str]) -> SafeString:
    """The student's assignments, one `<article>` each: title, class, kind or study goal,
    overdue, due date, cards studied, lessons and the quiz's link."""
    quiz_url = _url_for_each("quizzes:quiz")
    quiz_kind = f"{escape(_('Quiz'))} · "
    overdue = f"<strong>{escape(_('Overdue'))}</strong> · "
    due_word = escape(_("Due"))
    take_quiz = escape(_("Take the quiz"))
    goal_text = _("Study goal: every card studied, recall at least %(target)s")
    label_text = _("Cards studied in %(title)s")
    studied_text = _("%(studied)s of %(cards)s cards studied")
    goals: dict[float, str] = {}
    built = []
    for item in overview.assignments:
        assignment = item.assignment
        title = escape(assignment.title)
        if assignment.kind == AssignmentKind.QUIZ:
            kind = quiz_kind
        else:
            target = assignment.target_recall
            if target not in goals:
                goals[target] = f"{goal_text % {'target': floatformat(target, 2)}} · "
            kind = goals[target]
        due_at = assignment.due_at
        percent = item.percent
        lessons = "".join(f"<li>{links[lesson.pk]}</li>" for lesson in item.lessons)
        quiz = (
            f'<p><a class="button" href="{quiz_url(assignment.quiz_id)}">{take_quiz}</a></p>'
            if assignment.quiz_id
            else ""
        )
        built.append(
            f'<article class="assignment{" overdue" if item.overdue else ""}">\n'
            f"<h3>{title}</h3>\n"
            f'<p class="meta">\n{escape(assignment.classroom.name)} ·\n{kind}\n'
            f"{overdue if item.overdue else ''}\n"
            f'{due_word} <time datetime="{_local_date(due_at, "c")}">'
            f"{_local_date(due_at, 'j M Y')}</time>\n</p>\n"
            f'<p class="bar-line"><progress max="100" value="{percent}" aria-label="'
            f'{label_text % {"title": title}}">{percent}%</progress>\n'
            f"<span>{studied_text % {'studied': item.studied, 'cards': item.cards}}</span></p>\n"
            f'<ol class="lessons">\n{lessons}\n</ol>\n{quiz}\n</article>\n'
        )
    return mark_safe("".join(built))


def _recall_percent(value: float | None) -> str:
    """`{% widthratio value 1 100 %}%` (which rounds `value / 1.0 * 100`: the same float), or a
    dash for a lesson not studied yet."""
    return "—" if value is None else f"{round(float(value) * 100)}%"


def _retention_rows(overview: selectors.StudentOverview, links: dict[int, str]) -> SafeString:
    """The recall table's body, one `<tr>` per lesson: studied of cards, recall now and in a
    week."""
    return mark_safe(
        "".join(
            f'<tr>\n<th scope="row">{links[lesson.pk]}</th>\n'
            f"<td>{summary.studied} / {summary.cards}</td>\n"
            f"<td>{_recall_percent(summary.recall_now)}</td>\n"
            f"<td>{_recall_percent(summary.recall_week)}</td>\n</tr>\n"
            for lesson, summary in overview.lessons
        )
    )


def _forecast_parts(bars: list[selectors.ForecastBar]) -> tuple[SafeString, SafeString]:
    """The forecast's SVG bars (a bar, its count if any, the day of the month) and the same
    figures as table rows (the day, the count)."""
    svg, rows = [], []
    for bar in bars:
        y = f"{bar.y:.1f}"
        middle = int(bar.x) + 12
        svg.append(
            f'<rect x="{bar.x:.1f}" y="{y}" width="24" height="{bar.height:.1f}"'
            ' class="bar"></rect>\n'
        )
        if bar.count:
            svg.append(
                f'<text x="{middle}" y="{y}" dy="-3" text-anchor="middle" class="count">'
                f"{bar.count}</text>\n"
            )
        svg.append(
            f'<text x="{middle}" y="136" text-anchor="middle" class="day">{bar.day.day}</text>\n'
        )
        day = _local_date(bar.day, "D j M")
        rows.append(f'<tr><th scope="row">{day}</th><td>{bar.count}</td></tr>')
    return mark_safe("".join(svg)), mark_safe("".join(rows))


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Any signed-in user, their own settings only: when their study day turns over."""
    instance = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        remember_time_zone(request, form.instance.time_zone)
        messages.success(request, _("Your settings are saved."))
        return redirect("profile")
    return render(
        request, "courses/profile.html", {"form": form}, status=422 if form.errors else 200
    )


# Teachers ---------------------------------------------------------------------------------------
# Every view below is for teachers of the class only: anyone else, students included, gets 404.


def _teacher_class(request: HttpRequest, class_id: int, *, archived: bool = True) -> Classroom:
    if Role.TEACHER not in roles_of(request.user):
        raise Http404
    classes = Classroom.objects.filter(pk=class_id, teachers=request.user)
    if not archived:
        classes = classes.filter(archived_at__isnull=True)
    classroom = classes.first()
    if classroom is None:
        raise Http404
    return classroom


def _student_of(classroom: Classroom, student_id: int):
    """A student who is, or was, in the class (a removed student's record stays readable)."""
    student = (
        get_user_model().objects.filter(pk=student_id, enrollments__classroom=classroom).first()
    )
    if student is None:
        raise Http404
    return student


@require_http_methods(["GET", "POST"])
@login_required
def class_new(request: HttpRequest) -> HttpResponse:
    """Teachers: create a class they teach."""
    if Role.TEACHER not in roles_of(request.user):
        raise Http404
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = services.classroom_create(name=form.cleaned_data["name"], teacher=request.user)
        messages.success(
            request, _("Class created. Students can join with the code %s.") % classroom.join_code
        )
        return redirect("class_detail", class_id=classroom.pk)
    return render(
        request, "courses/class_new.html", {"form": form}, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@login_required
def class_detail(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: overview, students by who needs attention, and class management.

    POST `action`: add-student, add-teacher. (Removing a student and archiving the class have
    pages of their own, which ask first.)
    """
    classroom = _teacher_class(request, class_id)
    if request.method == "POST":
        _class_action(request, classroom)
        return redirect("class_detail", class_id=classroom.pk)
    now = timezone.now()
    with reading_from_replica():
        book = results.gradebook(classroom=classroom, now=now)
    retention = book.retention
    join_url = request.build_absolute_uri(reverse("join_code", args=[classroom.join_code]))
    return render(
        request,
        "courses/class.html",
        {
            "classroom": classroom,
            "book": book,
            "attention": _attention_rows(request, classroom, results.needing_attention(book)),
            "retention": retention,
            "chart": _retention_chart(retention),
            "chart_height": len(retention) * 34 + 4,
            "teachers": classroom.teachers.order_by("username"),
            "invited": classroom.invitations.filter(status=InvitationStatus.PENDING)
            .select_related("student")
            .order_by("created_at"),
            "username_form": UsernameForm(),
            "roster_form": RosterForm(),
            "removed_recently": selectors.enrollments_removed_since(
                classroom=classroom, since=now - services.REMOVAL_UNDO_WINDOW
            ),
            "undo_minutes": _undo_minutes(),
            "join_url": join_url,
            "join_qr": qr.svg_data_uri(join_url),
        },
    )


def _undo_minutes() -> int:
    return int(services.REMOVAL_UNDO_WINDOW.total_seconds() // 60)


def _class_action(request: HttpRequest, classroom: Classroom) -> None:
    """One of the class page's forms, its outcome said in a message."""
    action = request.POST.get("action")
    form = UsernameForm(request.POST)
    if action not in {"add-student", "add-teacher"} or not form.is_valid():
        messages.error(request, _("Enter a username."))
        return
    username = form.cleaned_data["username"]
    try:
        if action == "add-student":
            asked_at = timezone.now()
            invitation = services.invitation_create(
                classroom=classroom, username=username, invited_by=request.user
            )
            name = invitation.student.get_username()
            if invitation.created_at < asked_at:
                messages.info(
                    request,
                    _("%s was invited already; they join when they accept the invitation.") % name,
                )
            else:
                messages.success(
                    request,
                    _(
                        "%s is invited. They join the class when they accept the "
                        "invitation on their dashboard."
                    )
                    % name,
                )
        else:
            teacher = services.coteacher_add(classroom=classroom, username=username)
            messages.success(request, _("%s now teaches this class too.") % teacher.get_username())
    except services.AlreadyDone as exc:
        messages.info(request, str(exc))
    except services.ClassError as exc:
        messages.error(request, str(exc))


@require_http_methods(["GET", "POST"])
@login_required
def class_archive(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: GET asks to confirm, POST archives the class (it can be restored
    from the archived classes)."""
    classroom = _teacher_class(request, class_id)
    if request.method == "POST":
        if services.classroom_archive(classroom=classroom):
            messages.success(
                request,
                _("%s is archived. It is listed here, where you can restore it.") % classroom.name,
            )
        else:
            messages.info(request, _("%s was archived already.") % classroom.name)
        return redirect("classes_archived")
    if classroom.archived_at is not None:
        messages.info(request, _("%s is archived already.") % classroom.name)
        return redirect("class_detail", class_id=classroom.pk)
    return render(
        request,
        "courses/class_archive.html",
        {
            "classroom": classroom,
            "students": classroom.enrollments.filter(removed_at__isnull=True).count(),
            "assignments": classroom.assignments.count(),
        },
    )


@require_POST
@login_required
def class_restore(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers, by POST only: bring an archived class back as it was."""
    classroom = _teacher_class(request, class_id)
    if services.classroom_restore(classroom=classroom):
        messages.success(
            request,
            _("%s is restored: its students, assignments and join code are back.") % classroom.name,
        )
    else:
        messages.info(request, _("%s is not archived.") % classroom.name)
    return redirect("class_detail", class_id=classroom.pk)


@require_GET
@login_required
def classes_archived(request: HttpRequest) -> HttpResponse:
    """Teachers: the archived classes they teach, each with "Restore"."""
    if Role.TEACHER not in roles_of(request.user):
        raise Http404
    return render(
        request,
        "courses/classes_archived.html",
        {"classes": selectors.classes_archived_for_teacher(teacher=request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def student_remove(request: HttpRequest, class_id: int, student_id: int) -> HttpResponse:
    """The class's teachers, for a student who is or was in the class: GET asks to confirm,
    POST ends the student's membership (the class page then offers an undo for a while)."""
    classroom = _teacher_class(request, class_id)
    student = _student_of(classroom, student_id)
    name = student.get_username()
    if request.method == "POST":
        if services.enrollment_remove(classroom=classroom, student_id=student.pk):
            messages.success(
                request,
                _(
                    "%(name)s was removed; their history stays. You can undo this below "
                    "for %(minutes)d minutes."
                )
                % {"name": name, "minutes": _undo_minutes()},
            )
        else:
            messages.info(request, _("%s is not in this class.") % name)
        return redirect("class_detail", class_id=classroom.pk)
    enrolled = classroom.enrollments.filter(student=student, removed_at__isnull=True).exists()
    if not enrolled:
        messages.info(request, _("%s is not in this class.") % name)
        return redirect("class_detail", class_id=classroom.pk)
    return render(
        request,
        "courses/student_remove.html",
        {
            "classroom": classroom,
            "student": student,
            "open_attempts": services.open_class_attempts(
                classroom=classroom, student_id=student.pk
            ).count(),
            "undo_minutes": _undo_minutes(),
        },
    )


@require_POST
@login_required
def student_remove_undo(request: HttpRequest, class_id: int, student_id: int) -> HttpResponse:
    """The class's teachers, by POST only, for a student who is or was in the class: undo the
    student's removal if it was made within the last few minutes
    (services.REMOVAL_UNDO_WINDOW)."""
    classroom = _teacher_class(request, class_id)
    student = _student_of(classroom, student_id)
    name = student.get_username()
    if services.enrollment_restore(classroom=classroom, student_id=student.pk, now=timezone.now()):
        messages.success(request, _("%s is back in the class.") % name)
    elif classroom.enrollments.filter(student=student, removed_at__isnull=True).exists():
        messages.info(request, _("%s is in the class.") % name)
    else:
        messages.error(
            request,
            _(
                "%(name)s was removed more than %(minutes)d minutes ago, too long to undo. "
                "Invite them again: they join when they accept."
            )
            % {"name": name, "minutes": _undo_minutes()},
        )
    return redirect("class_detail", class_id=classroom.pk)


@require_GET
@login_required
def class_join_link(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: the join link, its QR code and the join code, large, to project
    in class."""
    classroom = _teacher_class(request, class_id)
    join_url = request.build_absolute_uri(reverse("join_code", args=[classroom.join_code]))
    return render(
        request,
        "courses/class_join_link.html",
        {"classroom": classroom, "join_url": join_url, "join_qr": qr.svg_data_uri(join_url)},
    )


# The class page and the gradebook have a row per student (and the gradebook a cell per student
# and assignment): 300 students × 5 assignments made the template engine the largest cost of
# either page (docs/scale.md). Their rows are built here, with every word translated and every
# URL reversed once per page; only names are escaped per row, numbers need no escaping.


def _url_for_each(name: str, *args: int):
    """A function giving `name`'s URL for one more, last, id: one `reverse()` per page, not per
    row (a reverse costs more than the rest of a row)."""
    marker = str(10**17 + 1)  # a valid id no table will reach
    head, tail = reverse(name, args=[*args, marker]).split(marker)
    return lambda last: f"{head}{last}{tail}"


def _student_heading(student_url, student) -> str:
    name = escape(student.get_full_name() or student.get_username())
    return f'<th scope="row"><a href="{student_url(student.pk)}">{name}</a>'


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _attention_rows(request: HttpRequest, classroom: Classroom, rows: list) -> list[SafeString]:
    """The class page's students, one `<tr>` each: name, overdue, mean score, recall, remove."""
    student_url = _url_for_each("class_student", classroom.pk)
    remove_url = _url_for_each("student_remove", classroom.pk)  # a page that asks first
    remove_word = escape(_("Remove"))
    remove_label = _("Remove %(name)s from the class")
    built = []
    for row in rows:
        username = row.student.get_username()
        overdue = f'<strong class="warn">{row.overdue}</strong>' if row.overdue else "0"
        built.append(
            mark_safe(
                f"<tr>{_student_heading(student_url, row.student)}"
                f' <span class="meta">{escape(username)}</span></th>'
                f"<td>{overdue}</td><td>{_percent(row.mean_percent)}</td>"
                f"<td>{_percent(row.recall_percent)}</td>"
                f'<td><a href="{remove_url(row.student.pk)}" aria-label="'
                f'{escape(remove_label % {"name": username})}">{remove_word}</a></td></tr>'
            )
        )
    return built


def _gradebook_rows(classroom: Classroom, book: results.Gradebook) -> list[SafeString]:
    """The gradebook's body, one `<tr>` per student: a heading cell, then a cell per assignment
    with the score (and a study goal's cards and recall), a tick when complete, and 'overdue'."""
    student_url = _url_for_each("class_student", classroom.pk)
    not_assigned = f'<td><span class="meta">{escape(_("not assigned"))}</span></td>'
    cards_word, recall_word = escape(_("cards")), escape(_("recall"))
    complete_word = escape(_("complete"))
    complete = f' <span class="ok">✓<span class="visually-hidden">{complete_word}</span></span>'
    overdue = f' <strong class="warn">{escape(_("overdue"))}</strong>'
    built = []
    for row in book.rows:
        parts = [_student_heading(student_url, row.student), "</th>"]
        for cell in row.cells:
            if not cell.assigned:
                parts.append(not_assigned)
                continue
            text = _percent(cell.percent)
            if cell.percent is not None and cell.cards:
                recall = cell.recall_percent
                recall = "" if recall is None else f", {recall}% {recall_word}"
                counts = f"{cell.introduced}/{cell.cards} {cards_word}{recall}"
                text += f' <span class="meta">({counts})</span>'
            css = f' class="{cell.css}"' if cell.css else ""
            parts.append(
                f"<td{css}>{text}{complete if cell.complete else ''}"
                f"{overdue if cell.overdue else ''}</td>"
            )
        built.append(mark_safe(f"<tr>{''.join(parts)}</tr>"))
    return built


def _retention_chart(rows: list) -> list[dict]:
    """Bar geometry for the server-drawn retention chart (two bars per lesson)."""
    bars = []
    for i, row in enumerate(rows):
        y = i * 34
        bars.append(
            {
                "title": row.title,
                "y": y,
                "now_width": round((row.now or 0) * 300, 1),
                "week_width": round((row.week or 0) * 300, 1),
                "now": row.now,
                "week": row.week,
            }
        )
    return bars


@require_http_methods(["POST"])
@login_required
def class_roster(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: import a CSV roster; the new accounts' passwords are shown once."""
    classroom = _teacher_class(request, class_id, archived=False)
    form = RosterForm(request.POST, request.FILES)
    errors: list[str] = []
    imported = []
    if form.is_valid():
        try:
            imported = services.roster_import(
                classroom=classroom, text=form.cleaned_data["roster"], invited_by=request.user
            )
        except services.RosterError as exc:
            errors = exc.errors
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    response = render(
        request,
        "courses/roster_result.html",
        {
            "classroom": classroom,
            "imported": imported,
            "errors": errors,
            "counts": Counter(row.outcome for row in imported),
            "codes_valid_until": signin.valid_until(),
        },
        status=422 if errors else 200,
    )
    response["Cache-Control"] = "no-store"  # the one-time sign-in codes are on this page
    return response


@require_http_methods(["GET", "POST"])
@login_required
def assignment_new(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: assign a lesson set or lessons, as a study goal or a quiz."""
    classroom = _teacher_class(request, class_id, archived=False)
    form = AssignmentForm(request.POST or None, classroom=classroom, now=timezone.now())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assignment_create(
                classroom=classroom,
                teacher=request.user,
                title=data["title"],
                lesson_set=data["lesson_set"],
                lessons=list(data["lessons"]),
                students=list(data["students"]),
                kind=data["kind"],
                opens_at=data["opens_at"],
                due_at=data["due_at"],
                target_recall=data["target_recall"] / 100,
                quiz_settings=services.QuizSettings(
                    question_count=data["question_count"],
                    shuffle_questions=data["shuffle"],
                    shuffle_options=data["shuffle"],
                    attempts_allowed=data["attempts_allowed"],
                    time_limit_minutes=data["time_limit_minutes"],
                    feedback=data["feedback"],
                ),
            )
        except services.ClassError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Assigned."))
            return redirect("class_detail", class_id=classroom.pk)
    return render(
        request,
        "courses/assignment_new.html",
        {"classroom": classroom, "form": form},
        status=422 if form.errors else 200,
    )


@require_GET
@login_required
def gradebook(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: students × assignments."""
    classroom = _teacher_class(request, class_id)
    with reading_from_replica():
        book = results.gradebook(classroom=classroom, now=timezone.now(), retention=False)
    return render(
        request,
        "courses/gradebook.html",
        {"classroom": classroom, "book": book, "rows": _gradebook_rows(classroom, book)},
    )


@require_GET
@login_required
def gradebook_csv(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: the gradebook as CSV, with formula-like cells escaped."""
    classroom = _teacher_class(request, class_id)
    with reading_from_replica():
        book = results.gradebook(classroom=classroom, now=timezone.now(), retention=False)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = slugify(classroom.name) or "class"
    response["Content-Disposition"] = f'attachment; filename="{filename}-gradebook.csv"'
    csv.writer(response, quoting=csv.QUOTE_ALL).writerows(results.gradebook_csv_rows(book))
    return response


@require_GET
@login_required
def item_analysis(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: question statistics for one of the class's quiz assignments."""
    classroom = _teacher_class(request, class_id)
    quizzes = list(classroom.assignments.filter(kind=AssignmentKind.QUIZ).order_by("due_at", "pk"))
    chosen = next((a for a in quizzes if str(a.pk) == request.GET.get("assignment")), None)
    chosen = chosen or (quizzes[0] if quizzes else None)
    with reading_from_replica():
        analysis = results.item_analysis(assignment=chosen) if chosen else None
    return render(
        request,
        "courses/item_analysis.html",
        {"classroom": classroom, "quizzes": quizzes, "chosen": chosen, "analysis": analysis},
    )


@require_POST
@login_required
def item_analysis_accept(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: accept a response given in the class's own attempts, for the class
    only, and regrade those attempts (quizzes.regrade)."""
    classroom = _teacher_class(request, class_id, archived=False)
    form = AcceptForm(request.POST)
    version = None
    if form.is_valid():
        version = (
            QuestionVersion.objects.filter(pk=form.cleaned_data["version"])
            .select_related("question")
            .first()
        )
    if version is None or not regrade.class_gave(classroom, version):
        raise Http404
    accept_posted(request, form, version, classroom)
    url = reverse("item_analysis", args=[classroom.pk])
    assignment = parse_id(request.POST.get("assignment"))
    return redirect(f"{url}?assignment={assignment}" if assignment > 0 else url)


@require_GET
@login_required
def class_student(request: HttpRequest, class_id: int, student_id: int) -> HttpResponse:
    """The class's teachers: one student's attempts, time on task, recall and weakest cards."""
    classroom = _teacher_class(request, class_id)
    student = _student_of(classroom, student_id)
    with reading_from_replica():
        record = results.student_record(classroom=classroom, student=student, now=timezone.now())
    return render(
        request,
        "courses/student.html",
        {"classroom": classroom, "student": student, "record": record},
    )


@require_http_methods(["GET", "POST"])
def sign_in_with_code(request: HttpRequest) -> HttpResponse:
    """Anyone: sign in once with the code a teacher handed out, then choose a password.

    It goes through `authenticate`, so wrong codes are throttled like wrong passwords.
    """
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        User = get_user_model()
        username = form.cleaned_data["username"].strip()
        # Failures are counted against the account, however the name's case was typed.
        account = User.objects.filter(username__iexact=username).values_list("username").first()
        user = authenticate(
            request,
            username=account[0] if account else username,
            sign_in_code=form.cleaned_data["code"],
        )
        # Spend the code before signing in: of two requests with one code at the same instant,
        # only one moves the last login on from the value the code was made with.
        if user is not None and User.objects.filter(pk=user.pk, last_login=user.last_login).update(
            last_login=timezone.now()
        ):
            login(request, user)
            return redirect("password_change")
        form.add_error(
            None,
            _(
                "That username and code do not match, or the code was used or is too old. "
                "Ask your teacher for a new one."
            ),
        )
    response = render(
        request, "courses/sign_in_code.html", {"form": form}, status=422 if form.errors else 200
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["POST"])
@login_required
def invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """The invited student only (404 for anyone else): accept or decline (`action`)."""
    action = request.POST.get("action")
    if action not in {"accept", "decline"}:
        messages.error(request, _("Choose whether to accept or decline the invitation."))
        return redirect("dashboard")
    answered = services.invitation_respond(
        invitation_id=invitation_id,
        student=request.user,
        accept=action == "accept",
        now=timezone.now(),
    )
    if answered is None:
        raise Http404
    if action == "accept":
        messages.success(request, _("You joined %s.") % answered.classroom.name)
    else:
        messages.info(request, _("You declined the invitation to %s.") % answered.classroom.name)
    return redirect("dashboard")


def _join_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, "courses/join.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(joincodes.FAILURE_WINDOW_S)
    return response


def _too_many_guesses(request: HttpRequest, code: str) -> HttpResponse:
    error = _(
        "Too many wrong join codes. Wait a quarter of an hour and try again, or ask your "
        "teacher for the class's join link."
    )
    return _join_page(request, {"code": code, "errors": [error]}, status=429)


@require_http_methods(["GET", "POST"])
@login_required
def join(request: HttpRequest) -> HttpResponse:
    """Any signed-in user: join a class with its code (they become its student). GET shows the
    form; a wrong code is shown on it again with the error (and counts towards the user's
    limit of wrong codes, courses.joincodes)."""
    if request.method == "GET":
        return _join_page(request, {"code": ""})
    form = JoinForm(request.POST)
    if not form.is_valid():
        return _join_page(
            request,
            {"code": "", "errors": [_("Enter the join code your teacher gave you.")]},
            status=422,
        )
    code = form.cleaned_data["code"]
    try:
        classroom = services.classroom_join(code=code, student=request.user)
    except joincodes.TooManyGuesses:
        return _too_many_guesses(request, code)
    except services.AlreadyDone as exc:
        messages.info(request, str(exc))
    except services.ClassError as exc:
        return _join_page(request, {"code": code, "errors": [str(exc)]}, status=422)
    else:
        messages.success(request, _("You joined %s.") % classroom.name)
    return redirect("dashboard")


@require_GET
@login_required
def join_code(request: HttpRequest, code: str) -> HttpResponse:
    """Any signed-in user: where a class's join link leads. It names the class and asks to
    confirm (the form posts to `join`); a code of no open class is a 404 that counts towards
    the user's limit of wrong codes (courses.joincodes)."""
    code = code[:20]
    try:
        classroom = joincodes.open_class_for(code=code, user_id=request.user.pk)
    except joincodes.TooManyGuesses:
        return _too_many_guesses(request, code)
    if classroom is None:
        error = _("No open class has that join code. Check it with your teacher.")
        return _join_page(request, {"code": code, "errors": [error]}, status=404)
    teachers = classroom.teachers.order_by("username")
    return _join_page(
        request,
        {
            "code": classroom.join_code,
            "classroom": classroom,
            "teacher_names": [t.get_full_name() or t.get_username() for t in teachers],
            "teaches": any(t.pk == request.user.pk for t in teachers),
            "enrolled": classroom.enrollments.filter(
                student=request.user, removed_at__isnull=True
            ).exists(),
        },
    )
