"""The student's single-column indexes on memory states and the review log go (the tables'
composite indexes lead with the student, and every index is written on every review); the log
gets (student, reviewed_at) for "since the day began" counts.

The indexes are dropped by name rather than by AlterField: on SQLite, AlterField remakes the
table, which would drop the recall rollup's triggers on quizzes_memorystate (0007)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "quizzes_memorystate": "quizzes_memorystate_student_id_2a077049",
    "quizzes_reviewlog": "quizzes_reviewlog_student_id_edf6ca3d",
}


def _drop(table: str, name: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"DROP INDEX IF EXISTS {name}", f"CREATE INDEX {name} ON {table} (student_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0007_recallrollup"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop(table, name) for table, name in INDEXES.items()],
            state_operations=[
                migrations.AlterField(
                    model_name="memorystate",
                    name="student",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memory_states",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="reviewlog",
                    name="student",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="review_logs",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="reviewlog",
            index=models.Index(fields=["student", "reviewed_at"], name="review_log_student_time"),
        ),
    ]
