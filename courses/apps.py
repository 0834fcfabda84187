from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from courses import passwords, signals, timezones  # noqa: F401 - connect the signals

        # After `migrate` and after `flush` (which empties the groups the data migration made):
        # the roles exist whenever the tables do. Sent for this app after content and quizzes,
        # whose permissions the roles name, have had theirs created.
        post_migrate.connect(_roles_after_migrate, sender=self)


def _roles_after_migrate(*, using: str, **kwargs) -> None:
    from courses.roles import roles_grant

    roles_grant(using=using)
