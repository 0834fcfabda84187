import csv
import functools
from collections import Counter
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from config.reversing import url_for_each
from config.routers import reading_from_replica
from content.ids import parse_id
from content.models import Lesson
from courses import author_scheduling as scheduling
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
from courses.models import (
    AssignmentKind,
    AssignmentLesson,
    Classroom,
    InvitationStatus,
    Profile,
)
from courses.roles import Role, roles_of
from courses.timezones import remember_time_zone
from quizzes import regrade
from quizzes import selectors as quiz_selectors
from quizzes.forms import AcceptForm
from quizzes.models import LEECH_LAPSES, QuestionVersion
from quizzes.views import accept_posted, wants_partial


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
        context["assignment_articles"] = _assignment_articles(overview, now)
        context["retention_rows"] = _retention_rows(overview, _lesson_links(overview))
        context["forecast_bars"] = _forecast_bars(overview.forecast)
        if overview.forecast:
            context["forecast_from"] = overview.forecast[0].day
            context["forecast_to"] = overview.forecast[-1].day
    if Role.TEACHER in roles:
        context["classes"] = selectors.classes_for_teacher(teacher=request.user)
    if Role.AUTHOR in roles:
        context["authored_lessons"] = Lesson.objects.active().order_by("title")
    return render(request, "courses/dashboard.html", context)


def _lesson_links(overview: selectors.StudentOverview) -> dict[int, str]:
    """`<a href>`s to the dashboard's lessons by id, titles escaped. A lesson's key is a slug,
    which its URL holds as it is: one `reverse()` for them all."""
    lesson_url = url_for_each("content:lesson")
    lessons = {lesson.pk: lesson for lesson, _summary in overview.lessons}
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


def _due_text(due_at, now) -> str:
    """ "Fri 19 Dec, 06:59" in the current time zone; with the year when it is not this year's."""
    if template_localtime(due_at).year == template_localtime(now).year:
        return _local_date(due_at, "D j M, H:i")
    return _local_date(due_at, "D j M Y, H:i")


def _assignment_articles(overview: selectors.StudentOverview, now) -> SafeString:
    """The student's assignments, one `<article>` each: title, class, kind, due date and time,
    overdue or done; for a quiz the best score and the attempts used and left, with its link;
    for a study goal its two numbers (cards studied, recall against the target), never blended;
    the lessons it covers, by name (the recall table below links each lesson once)."""
    quiz_url = url_for_each("quizzes:quiz")
    quiz_kind = escape(_("Quiz"))
    goal_kind = escape(_("Study goal"))
    overdue = f' · <strong class="warn">{escape(_("Overdue"))}</strong>'
    done = f' · <strong class="ok">{escape(_("Done"))} ✓</strong>'
    due_word = escape(_("Due"))
    buttons = {
        "start": escape(_("Take the quiz")),
        "resume": escape(_("Continue the quiz")),
        "again": escape(_("Try again")),
    }
    no_attempts = f'<p class="meta">{escape(_("No attempts left."))}</p>'
    not_taken = escape(_("Not taken yet"))
    best_text = _("Best score %(score)s%%")
    label_text = _("Cards studied in %(title)s")
    studied_text = _("%(studied)s of %(cards)s cards studied")
    recall_text = _("Recall %(recall)s%% · target %(target)s%%")
    no_recall_text = _("Recall — (nothing studied yet) · target %(target)s%%")
    covers_word = escape(_("Lessons:"))
    built = []
    for item in overview.assignments:
        assignment = item.assignment
        title = escape(assignment.title)
        due_at = assignment.due_at
        state = overdue if item.overdue else done if item.done else ""
        if item.quiz is not None:
            kind = quiz_kind
            result = item.quiz
            score = item.score_percent
            parts = [not_taken if score is None else best_text % {"score": score}]
            left = item.attempts_left
            if left is None:
                parts.append(
                    ngettext(
                        "%(used)s attempt used, no limit",
                        "%(used)s attempts used, no limit",
                        result.started,
                    )
                    % {"used": result.started}
                )
            else:
                allowed = assignment.attempts_allowed
                parts.append(
                    ngettext(
                        "%(used)s of %(allowed)s attempt used, %(left)s left",
                        "%(used)s of %(allowed)s attempts used, %(left)s left",
                        allowed,
                    )
                    % {"used": result.started, "allowed": allowed, "left": left}
                )
            body = f'<p class="result">{" · ".join(parts)}</p>\n'
            action = "resume" if result.open else "again" if result.started else "start"
            if assignment.quiz_id and (result.open or left is None or left > 0):
                body += (
                    f'<p><a class="button" href="{quiz_url(assignment.quiz_id)}">'
                    f"{buttons[action]}</a></p>\n"
                )
            elif assignment.quiz_id:
                body += f"{no_attempts}\n"
        else:
            kind = goal_kind
            percent = item.percent
            target = round(assignment.target_recall * 100)
            recall = item.recall_percent
            body = (
                f'<p class="bar-line"><progress max="100" value="{percent}" aria-label="'
                f'{label_text % {"title": title}}">{percent}%</progress>\n'
                f"<span>{studied_text % {'studied': item.studied, 'cards': item.cards}}</span>"
                '</p>\n<p class="result">'
                + (
                    no_recall_text % {"target": target}
                    if recall is None
                    else recall_text % {"recall": recall, "target": target}
                )
                + "</p>\n"
            )
        titles = ", ".join(escape(lesson.title) for lesson in item.lessons)
        lessons = f'<p class="meta">{covers_word} {titles}</p>\n' if titles else ""
        css = " overdue" if item.overdue else " done" if item.done else ""
        built.append(
            f'<article class="assignment{css}">\n'
            f"<h3>{title}</h3>\n"
            f'<p class="meta">{escape(assignment.classroom.name)} · {kind} · '
            f'{due_word} <time datetime="{_local_date(due_at, "c")}">'
            f"{_due_text(due_at, now)}</time>{state}</p>\n"
            f"{body}{lessons}</article>\n"
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


FORECAST_STEPS = 20  # bar heights in steps of 5%: a class each (the CSP allows no style="")


def _forecast_bars(bars: list[selectors.ForecastBar]) -> SafeString:
    """The forecast as a list of days, each with its count above its bar and its weekday and
    day of the month below; the full date and count are in each item's text for screen readers
    (the short labels are hidden from them). Empty when nothing is due in the 14 days."""
    if not any(bar.count for bar in bars):
        return mark_safe("")
    top = max(bar.count for bar in bars)
    due_text = _("%(date)s: %(count)s due")
    items = []
    for bar in bars:
        step = round(FORECAST_STEPS * bar.count / top)
        if bar.count and not step:
            step = 1  # a day with reviews never looks empty
        full = due_text % {"date": _local_date(bar.day, "l j F"), "count": bar.count}
        items.append(
            f'<li><span class="visually-hidden">{full}</span>'
            f'<span class="count" aria-hidden="true">{bar.count or ""}</span>'
            f'<span class="bar h{step}" aria-hidden="true"></span>'
            f'<span class="day" aria-hidden="true">{_local_date(bar.day, "D")}'
            f"<br>{_local_date(bar.day, 'j')}</span></li>"
        )
    return mark_safe("".join(items))


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Any signed-in user, their own settings only: when their study day turns over."""
    instance = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(request.POST or None, instance=instance)
    if instance.pk is None:
        # Never set: the page preselects the browser's zone (static/js/student.js).
        form.fields["time_zone"].widget.attrs["data-browser-zone"] = ""
    if request.method == "POST" and form.is_valid():
        form.save()
        remember_time_zone(request, form.instance.time_zone)
        messages.success(request, _("Your settings are saved."))
        return redirect("profile")
    return render(
        request, "courses/profile.html", {"form": form}, status=422 if form.errors else 200
    )


@require_GET
@login_required
def classes(request: HttpRequest) -> HttpResponse:
    """Any signed-in user: the open classes they are a student in (each with its teachers) and
    the classes they teach; nobody else's."""
    return render(
        request,
        "courses/classes.html",
        {
            "enrolled": selectors.classes_for_student(student=request.user),
            "taught": selectors.classes_for_teacher(teacher=request.user)
            if Role.TEACHER in roles_of(request.user)
            else [],
        },
    )


@require_GET
@login_required
def my_class(request: HttpRequest, class_id: int) -> HttpResponse:
    """A student of the class, now (404 for anyone else, its teachers included: their page is
    `class_detail`): its teachers, the student's assignments in it with due dates and their own
    results, and their finished attempts at its quizzes. Nothing of any other student."""
    classroom = selectors.class_for_student(student=request.user, class_id=class_id)
    if classroom is None:
        raise Http404
    now = timezone.now()
    cached = selectors.study_context(user=request.user, now=now, full=True)
    overview = selectors.student_overview(student=request.user, now=now, context=cached)
    overview = replace(
        overview,
        assignments=[
            item for item in overview.assignments if item.assignment.classroom.pk == classroom.pk
        ],
    )
    return render(
        request,
        "courses/my_class.html",
        {
            "classroom": classroom,
            "teachers": list(classroom.teachers.all()),
            "has_assignments": bool(overview.assignments),
            "assignment_articles": _assignment_articles(overview, now),
            "attempts": selectors.attempts_in_class(student=request.user, classroom=classroom),
        },
    )


@require_GET
@login_required
def lessons(request: HttpRequest) -> HttpResponse:
    """Any signed-in user (course text is not private): every course's lessons by lesson set,
    those of the user's own open assignments marked."""
    cached = selectors.study_context(user=request.user, now=timezone.now())
    return render(
        request,
        "courses/lessons.html",
        {
            "courses": selectors.courses_with_lessons(),
            "assigned": set(cached.lesson_ids),
        },
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Anyone: browsers ask for /favicon.ico whatever the page links; it is a static file."""
    response = redirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


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


def _student_heading(student_url, student) -> str:
    name = escape(student.get_full_name() or student.get_username())
    return f'<th scope="row"><a href="{student_url(student.pk)}">{name}</a>'


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _attention_rows(request: HttpRequest, classroom: Classroom, rows: list) -> list[SafeString]:
    """The class page's students, one `<tr>` each: name, overdue, cards studied of their study
    goals, mean quiz score, recall, remove."""
    student_url = url_for_each("class_student", classroom.pk)
    remove_url = url_for_each("student_remove", classroom.pk)  # a page that asks first
    remove_word = escape(_("Remove"))
    remove_label = _("Remove %(name)s from the class")
    built = []
    for row in rows:
        username = row.student.get_username()
        overdue = f'<strong class="warn">{row.overdue}</strong>' if row.overdue else "0"
        studied = f"{row.studied} / {row.cards}" if row.cards else "—"
        built.append(
            mark_safe(
                f"<tr>{_student_heading(student_url, row.student)}"
                f' <span class="meta">{escape(username)}</span></th>'
                f"<td>{overdue}</td><td>{studied}</td>"
                f"<td>{_percent(row.mean_percent)}</td>"
                f"<td>{_percent(row.recall_percent)}</td>"
                f'<td><a href="{remove_url(row.student.pk)}" aria-label="'
                f'{escape(remove_label % {"name": username})}">{remove_word}</a></td></tr>'
            )
        )
    return built


class _CellText:
    """The words of a gradebook cell, translated once per page (and per number) rather than
    once per cell."""

    def __init__(self) -> None:
        self.not_assigned = f'<td><span class="meta">{escape(_("not assigned"))}</span></td>'
        self.not_attempted = f'<span class="meta">{escape(_("not attempted"))}</span>'
        self.in_progress = f' <span class="meta">{escape(_("in progress"))}</span>'
        self.overdue = f' <strong class="warn">{escape(_("overdue"))}</strong>'
        self.finished = self._tick(_("finished"))
        self.met = self._tick(_("goal met"))
        self.recall = escape(_("recall %(recall)s (target %(target)s%%)"))
        self._attempts: dict[int, str] = {}
        self._cards: dict[int, str] = {}

    @staticmethod
    def _tick(word: str) -> str:
        return f' <span class="ok">✓<span class="visually-hidden"> {escape(word)}</span></span>'

    def attempts(self, n: int) -> str:
        if n not in self._attempts:
            text = ngettext("%(n)s attempt", "%(n)s attempts", n) % {"n": n}
            self._attempts[n] = f' <span class="meta">({escape(text)})</span>'
        return self._attempts[n]

    def cards(self, studied: int, total: int) -> str:
        if total not in self._cards:
            self._cards[total] = escape(
                ngettext(
                    "%(studied)s of %(total)s card studied",
                    "%(studied)s of %(total)s cards studied",
                    total,
                )
            )
        return self._cards[total] % {"studied": studied, "total": total}

    def goal(self, goal: results.StudyGoal) -> str:
        recall = _percent(goal.recall_percent)
        recall_text = self.recall % {"recall": recall, "target": goal.target_percent}
        return (
            f'<span class="goal-part">{self.cards(goal.studied, goal.total)}</span> '
            f'<span class="goal-part">{recall_text}</span>'
        )

    def quiz(self, cell: results.Cell) -> str:
        if cell.score is None:
            return self.in_progress.lstrip() if cell.in_progress else self.not_attempted
        return f"{_percent(cell.percent)}{self.attempts(cell.attempts)}"


def _gradebook_rows(classroom: Classroom, book: results.Gradebook) -> list[SafeString]:
    """The gradebook's body, one `<tr>` per student: a heading cell, then a cell per assignment:
    a quiz's best score and attempts, or a study goal's cards studied and recall against the
    target; a tick when finished or met, and 'overdue'."""
    student_url = url_for_each("class_student", classroom.pk)
    words = _CellText()
    built = []
    for row in book.rows:
        parts = [_student_heading(student_url, row.student), "</th>"]
        for cell in row.cells:
            if not cell.assigned:
                parts.append(words.not_assigned)
                continue
            if cell.goal is not None:
                text = words.goal(cell.goal) + (words.met if cell.complete else "")
            else:
                text = words.quiz(cell) + (words.finished if cell.complete else "")
            css = f' class="{cell.css}"' if cell.css else ""
            parts.append(f"<td{css}>{text}{words.overdue if cell.overdue else ''}</td>")
        built.append(mark_safe(f"<tr>{''.join(parts)}</tr>"))
    return built


# The retention chart's geometry, in SVG units: lesson titles left of BAR_X, bars BAR_SCALE long
# at 100 %, their values after them; two bars of BAR_HEIGHT per lesson, ROW_HEIGHT apart.
CHART_WIDTH, BAR_X, BAR_SCALE, BAR_HEIGHT, ROW_HEIGHT = 600, 250, 280, 12, 34


def _retention_chart(rows: list) -> dict | None:
    """The server-drawn retention chart: two bars per lesson (recall now, and in 7 days), each
    with its value written after it, over gridlines at every quarter labelled on the axis
    below. The legend and the table of the same numbers are in the template."""
    if not rows:
        return None
    bars = []
    for i, row in enumerate(rows):
        bar = {"title": row.title, "y": i * ROW_HEIGHT, "studied": row.studied}
        for name, value, y in (("now", row.now, 2), ("week", row.week, 16)):
            width = round((value or 0) * BAR_SCALE, 1)
            bar[name + "_width"] = width
            bar[name + "_text"] = _recall_percent(value)
            bar[name + "_text_x"] = round(BAR_X + width + 4, 1)
            bar[name + "_text_y"] = y + BAR_HEIGHT - 2
        bars.append(bar)
    plot_height = len(rows) * ROW_HEIGHT
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": plot_height + 36,
        "bar_x": BAR_X,
        "plot_height": plot_height,
        "tick_y": plot_height + 12,
        "title_y": plot_height + 30,
        "title_x": BAR_X + BAR_SCALE // 2,
        "ticks": [
            {"x": BAR_X + BAR_SCALE * percent // 100, "label": f"{percent}%"}
            for percent in (0, 25, 50, 75, 100)
        ],
    }


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
                    navigation=data["navigation"],
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
def assignment_detail(request: HttpRequest, class_id: int, assignment_id: int) -> HttpResponse:
    """The class's teachers, for one of the class's assignments (404 for any other): each
    student it is given to, with whether they finished (a quiz) or met the goal (a study goal),
    are overdue, and their scores."""
    classroom = _teacher_class(request, class_id)
    assignment = classroom.assignments.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404
    with reading_from_replica():
        book = results.gradebook(classroom=classroom, now=timezone.now(), assignment=assignment)
    return render(
        request,
        "courses/assignment.html",
        {
            "classroom": classroom,
            "assignment": assignment,
            "summary": book.summaries[0],
            "rows": results.assignment_rows(book),
            "not_given": sum(1 for row in book.rows if not row.cells[0].assigned),
        },
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
    """The class's teachers: question statistics for one of the class's quiz assignments, and
    the cards the class keeps forgetting."""
    classroom = _teacher_class(request, class_id)
    quizzes = list(classroom.assignments.filter(kind=AssignmentKind.QUIZ).order_by("due_at", "pk"))
    chosen = next((a for a in quizzes if str(a.pk) == request.GET.get("assignment")), None)
    chosen = chosen or (quizzes[0] if quizzes else None)
    with reading_from_replica():
        analysis = results.item_analysis(assignment=chosen) if chosen else None
        leeches = results.class_leeches(classroom=classroom)
    return render(
        request,
        "courses/item_analysis.html",
        {
            "classroom": classroom,
            "quizzes": quizzes,
            "chosen": chosen,
            "analysis": analysis,
            "leeches": leeches,
            "min_answers": results.MIN_ANSWERS_TO_FLAG,
            "leech_lapses": results.LEECH_LAPSES,
            "lapsing_students": results.LAPSING_STUDENTS_MIN,
            "lapsing_share": round(results.LAPSING_SHARE_MIN * 100),
        },
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


# The course's latest fits a class's scheduling page lists (its authors' page lists 50).
CLASS_SCHEDULING_FITS = 10


@require_GET
@vary_on_headers("HX-Request")
@login_required
def class_scheduling(request: HttpRequest, class_id: int) -> HttpResponse:
    """The class's teachers: for each course the class studies (that of its assigned lessons),
    FSRS's parameters in force and the evidence for them (the course's fits, each evaluated
    against the defaults), how many of the class's students have a fit of their own in force,
    and the workload of each desired retention, with the cost of a typed one (`course` and
    `desired_retention` in the query; with htmx, that course's preview alone, and a 404 for a
    course the class does not study). Read only: the course's authors fit its parameters and
    set its desired retention, for every class that studies it (courses.author_scheduling)."""
    classroom = _teacher_class(request, class_id)
    courses = selectors.classroom_courses(classroom)
    asked = request.GET.get("course") if "desired_retention" in request.GET else None
    if wants_partial(request):
        course = next((c for c in courses if c.key == asked), None)
        if course is None:
            raise Http404("No preview: the class does not study that course.")
        form, preview, note = scheduling.retention_preview(course, request.GET)
        context = {"form": form, "preview": preview, "preview_note": note}
        return render(request, "courses/author/_retention_preview.html", context)
    in_force_by_course = selectors.classroom_fits_in_force(classroom, courses)
    sections = []
    for course in courses:
        # Ids by the course's pk: keys may hold hyphens, so "b" and "preview-b" would collide.
        auto_id = f"id_%s-{course.pk}"
        form = scheduling.RetentionForm(
            initial={"desired_retention": course.desired_retention}, auto_id=auto_id
        )
        preview, note = None, ""
        if course.key == asked:
            form, preview, note = scheduling.retention_preview(course, request.GET, auto_id=auto_id)
        sections.append(
            {
                **scheduling.scheduling_summary(course, fits=CLASS_SCHEDULING_FITS),
                "students_in_force": in_force_by_course[course.pk],
                "id_suffix": f"-{course.pk}",
                "preview_id": f"retention-preview-{course.pk}",
                "course_suffix": f" ({course.title})",
                "form": form,
                "preview": preview,
                "preview_note": note,
            }
        )
    return render(
        request,
        "courses/class_scheduling.html",
        {"classroom": classroom, "sections": sections},
    )


@require_GET
@login_required
def class_student(request: HttpRequest, class_id: int, student_id: int) -> HttpResponse:
    """The class's teachers, for a student who is or was in the class: their attempts at the
    class's quizzes with every answer (prompt, response, right answer, score), time on task,
    recall, weakest cards and leeches (while they are in the class, as their recall)."""
    classroom = _teacher_class(request, class_id)
    student = _student_of(classroom, student_id)
    with reading_from_replica():
        record = results.student_record(classroom=classroom, student=student, now=timezone.now())
        leeches = []
        if record.left_at is None:
            lessons = AssignmentLesson.objects.filter(assignment__classroom=classroom)
            leeches = quiz_selectors.card_leeches(
                student=student, lesson_ids=lessons.values("lesson_id")
            )
    return render(
        request,
        "courses/student.html",
        {
            "classroom": classroom,
            "student": student,
            "record": record,
            "leeches": leeches,
            "leech_lapses": LEECH_LAPSES,
            "weak_recall_percent": round(results.WEAK_RECALL * 100),
        },
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
