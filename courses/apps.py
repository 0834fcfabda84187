from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from courses import passwords, signals, timezones  # noqa: F401 - connect the signals
        from courses.selectors import schedule_for_card
        from quizzes import scheduling

        # A regrade's replay (quizzes) finds the course's retention and parameters through this.
        scheduling.schedule_lookup = schedule_for_card

        # After `migrate` and after `flush` (which empties the groups the data migration made):
        # the roles exist whenever the tables do. Sent for this app after content and quizzes,
        # whose permissions the roles name, have had theirs created.
        post_migrate.connect(_roles_after_migrate, sender=self)


def _roles_after_migrate(*, using: str, apps=global_apps, **kwargs) -> None:
    """As Django's own permissions do: with the models of the migrated state, and not at all
    while auth's tables are not made (a `migrate` of another app alone)."""
    from courses.roles import roles_grant

    try:
        group, permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    except LookupError:
        return
    roles_grant(group, permission, using=using, if_ready=True)
