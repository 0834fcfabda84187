from django.db import migrations

from content.markdown import RENDERER_VERSION, render_markdown

BATCH = 500


def batches(model):
    """The model's rows, BATCH at a time, read by primary key (safe to update as they go)."""
    last = 0
    while batch := list(model.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        yield batch
        last = batch[-1].pk


def render_stored_html(apps, schema_editor):
    """Render the HTML of every lesson summary, section and key term that is already stored, with
    the footnote numbers the lesson page gives its citations (1, 2, … by position)."""
    Citation = apps.get_model("content", "Citation")
    numbers: dict[int, dict[str, int]] = {}
    for lesson_id, ref in Citation.objects.order_by("lesson_id", "position", "pk").values_list(
        "lesson_id", "ref"
    ):
        refs = numbers.setdefault(lesson_id, {})
        refs[ref] = len(refs) + 1

    for model_name, source, html, cited in [
        ("Lesson", "summary", "summary_html", False),
        ("Section", "body", "body_html", True),
        ("KeyTerm", "definition", "definition_html", True),
    ]:
        model = apps.get_model("content", model_name)
        for batch in batches(model):
            for row in batch:
                footnotes = numbers.get(row.lesson_id, {}) if cited else None
                setattr(row, html, render_markdown(getattr(row, source), footnotes=footnotes))
                row.html_version = RENDERER_VERSION
            model.objects.bulk_update(batch, [html, "html_version"])


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_stored_html"),
    ]

    operations = [
        migrations.RunPython(render_stored_html, migrations.RunPython.noop),
    ]
