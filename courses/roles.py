"""The three roles, as Django groups created by a data migration (courses/migrations/0002)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STUDENT = "Student", _("Student")
    TEACHER = "Teacher", _("Teacher")
    AUTHOR = "Author", _("Author")


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The user's roles, read once per request and cached on the user object."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(Role.values)
        user._roles = cached
    return cached
