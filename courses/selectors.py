"""Reads for the dashboards."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from courses.models import Assignment, Classroom, LessonSetItem


def assignments_for_student(*, student: AbstractBaseUser) -> QuerySet[Assignment]:
    """Open assignments of the active classes the student is enrolled in, soonest due first."""
    now = timezone.now()
    return (
        Assignment.objects.filter(
            classroom__enrollments__student=student,
            classroom__enrollments__removed_at__isnull=True,
            classroom__archived_at__isnull=True,
        )
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .select_related("lesson_set", "lesson_set__course", "classroom")
        .prefetch_related(
            Prefetch(
                "lesson_set__items",
                queryset=LessonSetItem.objects.filter(lesson__retired_at__isnull=True)
                .select_related("lesson")
                .order_by("position"),
            )
        )
        .order_by("due_at", "pk")
    )


def classes_for_teacher(*, teacher: AbstractBaseUser) -> QuerySet[Classroom]:
    """The classes this user teaches (alone or as a co-teacher), with their sizes."""
    return (
        Classroom.objects.filter(teachers=teacher, archived_at__isnull=True)
        .annotate(
            student_count=Count(
                "enrollments",
                filter=Q(enrollments__removed_at__isnull=True),
                distinct=True,
            ),
            assignment_count=Count("assignments", distinct=True),
        )
        .order_by("name")
    )
