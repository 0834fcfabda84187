"""The roles exist whenever the tables do: after `migrate`, and after a `flush` (a transactional
test's teardown, a reset), which empties the groups the data migration made."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from courses.roles import ROLE_PERMISSIONS


def _granted() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        for group in Group.objects.prefetch_related("permissions")
    }


def _wanted() -> dict[str, set[str]]:
    return {
        role: {
            f"{app}.{action}_{model}"
            for app, models in by_app.items()
            for model, actions in models.items()
            for action in actions
        }
        for role, by_app in ROLE_PERMISSIONS.items()
    }


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_roles_with_exactly_their_permissions():
    Group.objects.all().delete()
    call_command("flush", interactive=False, verbosity=0)
    assert _granted() == _wanted()


@pytest.mark.django_db
def test_granting_again_puts_back_exactly_the_roles_permissions():
    student = Group.objects.get(name="Student")
    student.permissions.clear()
    teacher = Group.objects.get(name="Teacher")
    teacher.permissions.add(*Group.objects.get(name="Author").permissions.all())
    from courses.roles import roles_grant

    roles_grant()
    assert _granted() == _wanted()
