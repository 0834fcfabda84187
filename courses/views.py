from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from content.models import Lesson
from courses import selectors
from courses.roles import Role, roles_of


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Any signed-in user: one panel per role the user holds (a teacher may also be an author)."""
    roles = roles_of(request.user)
    context: dict = {"roles": roles, "now": timezone.now()}
    if Role.STUDENT in roles:
        context["assignments"] = selectors.assignments_for_student(student=request.user)
    if Role.TEACHER in roles:
        context["classes"] = selectors.classes_for_teacher(teacher=request.user)
    if Role.AUTHOR in roles:
        context["authored_lessons"] = Lesson.objects.active().order_by("title")
    return render(request, "courses/dashboard.html", context)
