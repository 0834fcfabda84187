from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Max


def close_extra_open_attempts(apps, schema_editor):
    """Concurrent starts could leave a student two unfinished attempts at one quiz. Keep the
    latest open; submit the others as attempt_finish would (unanswered questions score 0)."""
    Attempt = apps.get_model("quizzes", "Attempt")
    doubled = (
        Attempt.objects.filter(finished_at__isnull=True)
        .values("quiz_id", "student_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for pair in doubled:
        extra = Attempt.objects.filter(
            quiz_id=pair["quiz_id"], student_id=pair["student_id"], finished_at__isnull=True
        ).order_by("-number")[1:]
        for attempt in extra:
            scores = list(attempt.answers.values_list("score", flat=True))
            last = attempt.answers.aggregate(at=Max("answered_at"))["at"]
            attempt.score = sum(scores) / len(attempt.versions) if attempt.versions else 0.0
            attempt.finished_at = last or attempt.started_at
            attempt.position = len(attempt.versions)
            attempt.seq += 1
            attempt.save(update_fields=["score", "finished_at", "position", "seq"])


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0003_memorystate_last_review_days"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(close_extra_open_attempts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                condition=models.Q(("finished_at__isnull", True)),
                fields=("quiz", "student"),
                name="attempt_one_open",
            ),
        ),
    ]
