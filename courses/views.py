from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from content.models import Lesson
from courses import selectors
from courses.forms import ProfileForm
from courses.models import Profile
from courses.roles import Role, roles_of


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Any signed-in user: one panel per role the user holds (a teacher may also be an author)."""
    roles = roles_of(request.user)
    context: dict = {"roles": roles, "now": timezone.now()}
    if Role.STUDENT in roles:
        context["overview"] = selectors.student_overview(student=request.user, now=context["now"])
    if Role.TEACHER in roles:
        context["classes"] = selectors.classes_for_teacher(teacher=request.user)
    if Role.AUTHOR in roles:
        context["authored_lessons"] = Lesson.objects.active().order_by("title")
    return render(request, "courses/dashboard.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Any signed-in user, their own settings only: when their study day turns over."""
    instance = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("profile")
    return render(
        request, "courses/profile.html", {"form": form}, status=422 if form.errors else 200
    )
