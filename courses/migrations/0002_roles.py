"""Create the three roles as groups, each with the model permissions it needs and no more.

Students and teachers work through the site's own views, which check roles and ownership;
their model permissions only describe what they may read or manage. Authors also use the admin
(as staff) to browse and edit content, and may retire but not delete questions or cards.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from courses.roles import ROLE_PERMISSIONS, roles_grant




def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now for these apps.
    for app_label in ("content", "quizzes", "courses"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_grant(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


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
