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
    """Render the HTML of every card and question version that is already stored. A version
    without a prompt (a cloze) gets its first text as the prompt's HTML, as the review shows it."""
    Card = apps.get_model("quizzes", "Card")
    for batch in batches(Card):
        for card in batch:
            card.front_html = render_markdown(card.front)
            card.back_html = render_markdown(card.back)
            card.hint_html = render_markdown(card.hint)
            card.html_version = RENDERER_VERSION
        Card.objects.bulk_update(batch, ["front_html", "back_html", "hint_html", "html_version"])

    QuestionVersion = apps.get_model("quizzes", "QuestionVersion")
    for batch in batches(QuestionVersion):
        for version in batch:
            prompt = version.prompt or (version.body or {}).get("texts", [""])[0]
            version.prompt_html = render_markdown(prompt)
            version.explanation_html = render_markdown(version.explanation)
            version.html_version = RENDERER_VERSION
        QuestionVersion.objects.bulk_update(
            batch, ["prompt_html", "explanation_html", "html_version"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("quizzes", "0005_stored_html"),
    ]

    operations = [
        migrations.RunPython(render_stored_html, migrations.RunPython.noop),
    ]
