"""Background work on content, run by a task worker (`manage.py db_worker`, docs/deploy.md)."""

from pathlib import Path

from django.tasks import task

from content.imports import import_record_apply
from content.loader import load_content


@task()
def content_load(*, paths: list[str]) -> dict:
    """Load courses and lessons from folders or files that the worker's machine can read.

    The same service as `manage.py load_content`: everything is checked first and nothing is
    written if anything is invalid; then the task fails with the loader's `ContentError`, whose
    message lists every error. Returns what changed, as `load_content` reports it.
    """
    report = load_content([Path(path) for path in paths])
    return {
        "changes": report.changes,
        "lessons": report.lessons,
        "questions": report.questions,
        "flashcards": report.flashcards,
    }


@task()
def content_import(*, record_id: int) -> str:
    """Apply an import previewed at /author/import/ (content.imports.import_record_apply):
    exactly its preview, or nothing. Returns the record's status at the end."""
    return import_record_apply(record_id=record_id).status
