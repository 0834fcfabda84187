"""Writes for courses: classes, enrollments, assignments, and the demo data."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils import timezone

from courses.models import Assignment, AssignmentKind, Classroom, Course, Enrollment, LessonSet
from courses.roles import Role, roles_grant

DEMO_PASSWORD = "learn-2026"
DEMO_USERS = [
    # username, first name, roles, staff (the admin is for authors)
    ("student", "Sam", [Role.STUDENT], False),
    ("student2", "Kim", [Role.STUDENT], False),
    ("teacher", "Tran", [Role.TEACHER], False),
    ("author", "Alex", [Role.AUTHOR], True),
]
DEMO_CLASS = "Demo class"


def user_add_role(*, user: AbstractBaseUser, role: str) -> None:
    user.groups.add(Group.objects.get(name=role))


@transaction.atomic
def classroom_create(*, name: str, teacher: AbstractBaseUser) -> Classroom:
    classroom = Classroom.objects.create(name=name)
    classroom.teachers.add(teacher)
    return classroom


def enrollment_add(*, classroom: Classroom, student: AbstractBaseUser) -> Enrollment:
    enrollment, created = Enrollment.objects.get_or_create(classroom=classroom, student=student)
    if not created and enrollment.removed_at is not None:
        enrollment.removed_at = None
        enrollment.save(update_fields=["removed_at"])
    return enrollment


@transaction.atomic
def demo_seed(*, due_in: timedelta) -> list[str]:
    """Create or refresh the demo accounts, class and assignments. Safe to run again."""
    done: list[str] = []
    roles_grant()
    User = get_user_model()
    users = {}
    for username, first_name, roles, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "is_staff": staff}
        )
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.is_staff = staff
        user.save()
        for role in roles:
            user_add_role(user=user, role=role)
        users[username] = user
        done.append(f"{'created' if created else 'kept'} account {username} ({', '.join(roles)})")

    classroom = Classroom.objects.filter(name=DEMO_CLASS, teachers=users["teacher"]).first()
    if classroom is None:
        classroom = classroom_create(name=DEMO_CLASS, teacher=users["teacher"])
        done.append(f"created class {DEMO_CLASS!r}, join code {classroom.join_code}")
    for username in ("student", "student2"):
        enrollment_add(classroom=classroom, student=users[username])

    course = Course.objects.order_by("pk").first()
    if course is None:
        done.append("no course is loaded: run load_content first to get an assignment")
        return done
    for lesson_set in LessonSet.objects.filter(course=course).order_by("position"):
        _, created = Assignment.objects.get_or_create(
            classroom=classroom,
            lesson_set=lesson_set,
            kind=AssignmentKind.STUDY,
            defaults={"due_at": timezone.now() + due_in},
        )
        if created:
            done.append(f"assigned {lesson_set.title!r} to {DEMO_CLASS!r}")
    return done
