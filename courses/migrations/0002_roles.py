"""Create the three roles as groups, each with the model permissions it needs and no more.

Students and teachers work through the site's own views, which check roles and ownership;
their model permissions only describe what they may read or manage. Authors also use the admin
(as staff) to browse and edit content, and may retire but not delete questions or cards.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Student": {
        "content": {"lesson": ["view"], "section": ["view"], "keyterm": ["view"],
                    "citation": ["view"], "source": ["view"]},
        "quizzes": {"card": ["view"], "quiz": ["view"], "attempt": ["add", "view"],
                    "answer": ["add", "view"], "memorystate": ["view"], "reviewlog": ["add", "view"]},
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
                    "assignment": ["add", "change", "delete", "view"]},
    },
    "Author": {
        "content": {"lesson": ["add", "change", "view"], "section": ["add", "change", "delete", "view"],
                    "keyterm": ["add", "change", "delete", "view"],
                    "citation": ["add", "change", "delete", "view"],
                    "source": ["add", "change", "view"]},
        "quizzes": {"question": ["add", "change", "view"], "questionversion": ["view"],
                    "card": ["add", "change", "view"], "quiz": ["add", "change", "view"]},
        "courses": {"course": ["add", "change", "view"], "lessonset": ["add", "change", "view"],
                    "lessonsetitem": ["add", "change", "delete", "view"]},
    },
}  # fmt: skip


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now for these apps.
    for app_label in ("content", "quizzes", "courses"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, by_model in by_app.items():
            for model, actions in by_model.items():
                for action in actions:
                    wanted.append(
                        Permission.objects.get(
                            content_type__app_label=app_label, codename=f"{action}_{model}"
                        )
                    )
        group.permissions.set(wanted)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("content", "0001_initial"),
        ("quizzes", "0001_initial"),
        ("courses", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
