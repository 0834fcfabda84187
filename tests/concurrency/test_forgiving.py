"""Two tabs archiving, restoring, removing or undoing a removal at the same moment: every
request gets an answer (no 500), and the rows change once (issue 11)."""

from functools import partial

from courses import services
from courses.models import Classroom, Enrollment
from tests.factories import ClassroomFactory, StudentFactory, TeacherFactory

ROUNDS = 3


def test_two_tabs_archiving_then_restoring_a_class_change_it_once(tabs_for, race, server_errors):
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher])
    tabs = tabs_for(teacher)
    for _ in range(ROUNDS):
        archive = partial(tabs.post, f"/classes/{classroom.pk}/archive/")
        assert [r.status_code for r in race(archive, archive)] == [302, 302]
        assert Classroom.objects.get(pk=classroom.pk).archived_at is not None

        restore = partial(tabs.post, f"/classes/{classroom.pk}/restore/")
        assert [r.status_code for r in race(restore, restore)] == [302, 302]
        assert Classroom.objects.get(pk=classroom.pk).archived_at is None
    assert Classroom.objects.count() == 1
    assert server_errors() == []


def test_two_tabs_removing_then_undoing_keep_one_membership(tabs_for, race, server_errors):
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher])
    student = StudentFactory()
    services.enrollment_add(classroom=classroom, student=student)
    first = Enrollment.objects.get(classroom=classroom, student=student)
    tabs = tabs_for(teacher)
    base = f"/classes/{classroom.pk}/students/{student.pk}"
    for _ in range(ROUNDS):
        remove = partial(tabs.post, f"{base}/remove/")
        assert [r.status_code for r in race(remove, remove)] == [302, 302]
        assert Enrollment.objects.get(pk=first.pk).removed_at is not None

        undo = partial(tabs.post, f"{base}/undo-remove/")
        assert [r.status_code for r in race(undo, undo)] == [302, 302]
        enrolments = Enrollment.objects.filter(classroom=classroom, student=student)
        assert [(e.pk, e.removed_at, e.joined_at) for e in enrolments] == [
            (first.pk, None, first.joined_at)
        ]
    assert server_errors() == []


def test_an_undo_and_the_students_own_rejoining_at_once_keep_one_membership(
    tabs_for, race, server_errors
):
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher])
    teacher_tabs = tabs_for(teacher)
    for _ in range(ROUNDS):
        student = StudentFactory()
        services.enrollment_add(classroom=classroom, student=student)
        services.enrollment_remove(classroom=classroom, student_id=student.pk)
        student_tabs = tabs_for(student)

        responses = race(
            partial(
                teacher_tabs.post, f"/classes/{classroom.pk}/students/{student.pk}/undo-remove/"
            ),
            partial(student_tabs.post, "/join/", {"code": classroom.join_code}),
        )

        assert [r.status_code for r in responses] == [302, 302]
        enrolments = Enrollment.objects.filter(classroom=classroom, student=student)
        assert enrolments.count() == 1 and enrolments.get().removed_at is None
    assert server_errors() == []
