"""Joining a class and importing a roster at the same moment: each account and each enrolment
is made once, and every request gets an answer."""

from functools import partial

from django.contrib.auth import get_user_model

from courses.models import Enrollment
from tests.factories import ClassroomFactory, StudentFactory, TeacherFactory

ROUNDS = 3


def test_joining_with_a_code_many_times_at_once_enrols_once(tabs_for, race, server_errors):
    classroom = ClassroomFactory()
    for _ in range(ROUNDS):
        student = StudentFactory()
        tabs = tabs_for(student)

        responses = race(*[partial(tabs.post, "/join/", {"code": classroom.join_code})] * 6)

        assert Enrollment.objects.filter(classroom=classroom, student=student).count() == 1
        assert [r.status_code for r in responses] == [302] * 6
    assert server_errors() == []


def test_one_roster_posted_twice_at_once_makes_each_account_and_enrolment_once(
    tabs_for, race, server_errors
):
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teachers=[teacher])
    tabs = tabs_for(teacher)
    for round_number in range(ROUNDS):
        usernames = [f"r{round_number}-pupil{i}" for i in range(3)]
        roster = "".join(f"{name},Pupil {name},\n" for name in usernames).encode()
        post = partial(
            tabs.post,
            f"/classes/{classroom.pk}/roster/",
            files={"roster": ("roster.csv", roster, "text/csv")},
        )

        responses = race(post, post)

        assert [r.status_code for r in responses] == [200, 200]  # the second one finds them
        for username in usernames:
            accounts = get_user_model().objects.filter(username__iexact=username)
            assert accounts.count() == 1, username
            enrolments = Enrollment.objects.filter(classroom=classroom, student=accounts.get())
            assert enrolments.count() == 1, username
    assert server_errors() == []
