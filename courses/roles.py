"""The three roles, as Django groups created by a data migration (courses/migrations/0002)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STUDENT = "Student", _("Student")
    TEACHER = "Teacher", _("Teacher")
    AUTHOR = "Author", _("Author")


# What each role may do to each model, by app. The site's own views check roles and ownership;
# these model permissions are what the admin enforces. Authors retire rather than delete.
ROLE_PERMISSIONS = {
    "Student": {
        "content": {"lesson": ["view"], "section": ["view"], "keyterm": ["view"],
                    "citation": ["view"], "source": ["view"]},
        "quizzes": {"card": ["view"], "quiz": ["view"], "attempt": ["add", "view"],
                    "answer": ["add", "view"], "memorystate": ["view"],
                    "reviewlog": ["add", "view"]},
        "courses": {"course": ["view"], "lessonset": ["view"]},
    },
    "Teacher": {
        "content": {"lesson": ["view"], "section": ["view"], "keyterm": ["view"],
                    "citation": ["view"], "source": ["view"]},
        "quizzes": {"question": ["view"], "questionversion": ["view"], "card": ["view"],
                    "quiz": ["add", "change", "view"], "attempt": ["view"], "answer": ["view"],
                    "memorystate": ["view"], "reviewlog": ["view"]},
        "courses": {"course": ["view"], "lessonset": ["view"], "lessonsetitem": ["view"],
                    "classroom": ["add", "change", "view"],
                    "enrollment": ["add", "change", "view"],
                    "assignment": ["add", "change", "delete", "view"],
                    "assignmentlesson": ["add", "change", "delete", "view"]},
    },
    "Author": {
        "content": {"lesson": ["add", "change", "view"],
                    "section": ["add", "change", "delete", "view"],
                    "keyterm": ["add", "change", "delete", "view"],
                    "citation": ["add", "change", "delete", "view"],
                    "source": ["add", "change", "view"]},
        "quizzes": {"question": ["add", "change", "view"], "questionversion": ["view"],
                    "card": ["add", "change", "view"], "quiz": ["add", "change", "view"]},
        "courses": {"course": ["add", "change", "view"], "lessonset": ["add", "change", "view"],
                    "lessonsetitem": ["add", "change", "delete", "view"]},
    },
}  # fmt: skip


def roles_grant(
    group_model=Group, permission_model=Permission, using: str = "default", *, if_ready=False
) -> None:
    """Create the role groups with exactly their permissions. Idempotent.

    Takes the models so that the data migration can pass its historical ones. Runs after every
    `migrate` and every `flush` too (courses.apps), so that a flushed database (a test's
    teardown, a reset) never loses the roles; the permissions are read in one query.
    """
    by_key = {
        (app_label, codename): permission
        for permission, app_label, codename in (
            (p, p.content_type.app_label, p.codename)
            for p in permission_model.objects.using(using)
            .filter(content_type__app_label__in={a for r in ROLE_PERMISSIONS.values() for a in r})
            .select_related("content_type")
        )
    }
    wanted = {
        role: [
            (app_label, f"{action}_{model}")
            for app_label, by_model in by_app.items()
            for model, actions in by_model.items()
            for action in actions
        ]
        for role, by_app in ROLE_PERMISSIONS.items()
    }
    if if_ready and any(key not in by_key for keys in wanted.values() for key in keys):
        return
    for role, keys in wanted.items():
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        group.permissions.set([by_key[key] for key in keys])


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The user's roles, read once per request and cached on the user object."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(Role.values)
        user._roles = cached
    return cached
