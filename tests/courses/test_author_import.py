"""The web import's pages (/author/import/): who may see them, the upload, preview, import,
cancel and the history, the file's download, a double submit against a live server, and an
import whose task was lost."""

from datetime import timedelta
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from content.imports import Upload, import_record_apply, import_record_create
from content.models import ImportRecord, ImportStatus
from quizzes.models import Question, QuestionVersion
from tests.content.test_imports import lesson_text, mini_zip
from tests.factories import AuthorFactory, StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    return AuthorFactory(username="aut")


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


def upload(client, name: str, data: bytes):
    return client.post(reverse("author_import"), {"file": SimpleUploadedFile(name, data)})


def queued(
    record: ImportRecord, *, minutes_ago: int, started_minutes_ago: int | None = None
) -> ImportRecord:
    """The import, as if Import had been pressed `minutes_ago` (and a task had started it
    `started_minutes_ago`, and not finished)."""
    now = timezone.now()
    ImportRecord.objects.filter(pk=record.pk).update(
        status=ImportStatus.QUEUED,
        queued_at=now - timedelta(minutes=minutes_ago),
        started_at=None
        if started_minutes_ago is None
        else now - timedelta(minutes=started_minutes_ago),
    )
    record.refresh_from_db()
    return record


# Who may see the pages ------------------------------------------------------------------------


def _urls(record: ImportRecord) -> list[tuple[str, str]]:
    return [
        ("get", reverse("author_import")),
        ("post", reverse("author_import")),
        ("get", reverse("author_import_detail", args=[record.pk])),
        ("post", reverse("author_import_apply", args=[record.pk])),
        ("post", reverse("author_import_cancel", args=[record.pk])),
        ("get", reverse("author_import_file", args=[record.pk])),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, author):
    record = import_record_create(user=author, upload=mini_zip())
    for method, url in _urls(record):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("factory", [StudentFactory, TeacherFactory])
def test_students_and_teachers_get_a_404_as_on_the_author_pages(client, author, factory):
    record = import_record_create(user=author, upload=mini_zip())
    client.force_login(factory())
    assert client.get(reverse("author_dashboard")).status_code == 404
    for method, url in _urls(record):
        assert getattr(client, method)(url).status_code == 404, url
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_another_author_sees_and_downloads_but_neither_imports_nor_cancels(client, author):
    record = import_record_create(user=author, upload=mini_zip())
    client.force_login(AuthorFactory())

    assert client.get(reverse("author_import_detail", args=[record.pk])).status_code == 200
    assert client.get(reverse("author_import_file", args=[record.pk])).status_code == 200
    assert client.post(reverse("author_import_apply", args=[record.pk])).status_code == 404
    assert client.post(reverse("author_import_cancel", args=[record.pk])).status_code == 404
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_every_post_needs_the_csrf_token(author):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    record = import_record_create(user=author, upload=mini_zip())

    assert upload(client, "mini.zip", mini_zip().data).status_code == 403
    for name in ("author_import_apply", "author_import_cancel"):
        assert client.post(reverse(name, args=[record.pk])).status_code == 403
    assert ImportRecord.objects.count() == 1
    record.refresh_from_db()
    assert record.status == ImportStatus.PREVIEWED


def test_the_dashboard_links_to_the_import(author_client):
    assert reverse("author_import") in author_client.get(reverse("author_dashboard")).text


# Upload, preview, import, cancel ----------------------------------------------------------------


def test_an_upload_shows_its_preview_and_writes_no_content(author_client):
    response = upload(author_client, "mini-course.zip", mini_zip().data)

    record = ImportRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("author_import_detail", args=[record.pk])
    html = author_client.get(response["Location"]).text
    assert "created question mini-single" in html
    assert ">Import</button>" in html
    assert Question.objects.count() == 0


def test_import_applies_and_cancel_does_not(author_client, django_capture_on_commit_callbacks):
    upload(author_client, "mini-course.zip", mini_zip().data)
    upload(author_client, "again.zip", mini_zip().data)
    applied, cancelled = ImportRecord.objects.order_by("pk")

    response = author_client.post(reverse("author_import_cancel", args=[cancelled.pk]))
    assert response.status_code == 302
    assert Question.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(reverse("author_import_apply", args=[applied.pk]))

    assert response["Location"] == reverse("author_import_detail", args=[applied.pk])
    assert [r.status for r in ImportRecord.objects.order_by("pk")] == ["applied", "cancelled"]
    assert QuestionVersion.objects.count() == 8
    html = author_client.get(response["Location"]).text
    assert "Imported:" in html
    assert ">Import</button>" not in html
    assert "hx-trigger" not in html


def test_a_new_version_shows_its_diff(author_client, mini):
    edited = lesson_text(**{"prompt: What do alliances need?": "prompt: What do alliances want?"})
    upload(author_client, "01-mini.yaml", edited.encode())

    html = author_client.get(ImportRecord.objects.get().get_absolute_url()).text

    assert 'id="diff-mini-single"' in html
    assert "<del>What do alliances need?</del>" in html
    assert "<ins>What do alliances want?</ins>" in html


def test_a_reimport_says_no_changes_and_offers_no_import(author_client, mini):
    upload(author_client, "mini-course.zip", mini_zip().data)

    html = author_client.get(ImportRecord.objects.get().get_absolute_url()).text

    assert "No changes" in html
    assert ">Import</button>" not in html


def test_an_error_file_lists_its_errors_and_cannot_be_imported(author_client):
    upload(author_client, "broken.yaml", b"lesson:\n  key: [\n")
    record = ImportRecord.objects.get()

    html = author_client.get(record.get_absolute_url()).text

    assert record.status == ImportStatus.FAILED
    assert "broken.yaml:3: invalid YAML" in html
    assert author_client.post(reverse("author_import_apply", args=[record.pk])).status_code == 302
    record.refresh_from_db()
    assert record.status == ImportStatus.FAILED


def test_an_oversize_upload_is_refused_with_a_clear_message(author_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024

    response = upload(author_client, "big.zip", b"x" * (1024 * 1024 + 1))

    assert response.status_code == 422
    assert "The file is larger than 1 MB, the most an upload may have." in response.text
    assert ImportRecord.objects.count() == 0


def test_the_running_import_polls_and_its_partial_comes_alone(author_client, author):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=0)
    url = record.get_absolute_url()

    page = author_client.get(url)
    partial_ = author_client.get(url, headers={"HX-Request": "true"})

    assert f'hx-get="{url}" hx-trigger="every 2s"' in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "HX-Request" in page["Vary"]
    assert partial_.text.lstrip().startswith('<section id="import-status"')
    assert "<html" not in partial_.text


def test_the_file_downloads_as_an_attachment_never_as_a_page(author_client, author):
    record = import_record_create(
        user=author, upload=Upload("evil.yaml", b"<script>alert(1)</script>")
    )

    response = author_client.get(reverse("author_import_file", args=[record.pk]))

    assert response.content == b"<script>alert(1)</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="evil.yaml"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/author/import/99999999999999999999/", "/author/import/x/"])
def test_malformed_ids_are_404s(author_client, path):
    assert author_client.get(path).status_code == 404


# The history ------------------------------------------------------------------------------------


@pytest.mark.parametrize("records", [1, 6])
def test_the_history_page_costs_the_same_queries_at_any_length(
    author_client, author, django_assert_num_queries, records
):
    for n in range(records):
        import_record_create(user=author, upload=Upload(f"l{n}.yaml", b"lesson: ["))
    url = reverse("author_import")
    author_client.get(url)
    # The user and their roles (the session is in the cache); the lessons to choose from; the
    # imports with who uploaded them, their files not read.
    with django_assert_num_queries(4):
        response = author_client.get(url)
    assert response.text.count("download>Download (") == records


# A double submit, against a live server ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_tabs_importing_at_once_import_once(live_server, author, caplog):
    from tests.concurrency.conftest import Browser, _race

    record = import_record_create(user=author, upload=mini_zip())
    tabs = Browser(live_server.url, author)
    path = reverse("author_import_apply", args=[record.pk])

    responses = _race(*[partial(tabs.post, path)] * 4)

    assert [r.status_code for r in responses] == [302] * 4
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED
    assert QuestionVersion.objects.count() == 8
    assert Question.objects.count() == 8
    assert [r.levelname for r in caplog.records if r.levelname == "ERROR"] == []


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_question_at_once_apply_one_and_refuse_the_other(
    live_server, author, mini
):
    from tests.concurrency.conftest import Browser, _race

    records = [
        import_record_create(
            user=author,
            upload=mini_zip(
                **{"lessons/01-mini.yaml": lesson_text(**{"Name the second requirement.": text})}
            ),
        )
        for text in ("Name the second one.", "Name the other one.")
    ]
    versions = QuestionVersion.objects.count()
    tabs = Browser(live_server.url, author)
    posts = [
        partial(tabs.post, reverse("author_import_apply", args=[record.pk])) for record in records
    ]

    responses = _race(*posts)

    assert [r.status_code for r in responses] == [302, 302]
    statuses = sorted(ImportRecord.objects.values_list("status", flat=True))
    assert statuses == [ImportStatus.APPLIED, ImportStatus.REFUSED]
    assert QuestionVersion.objects.count() == versions + 1


# An import whose task was lost ------------------------------------------------------------------


def test_an_import_queued_a_minute_ago_polls_and_cannot_be_queued_or_cancelled_again(
    author_client, author, django_capture_on_commit_callbacks
):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=1)
    url = record.get_absolute_url()

    html = author_client.get(url).text
    with django_capture_on_commit_callbacks() as callbacks:
        author_client.post(reverse("author_import_apply", args=[record.pk]))
        author_client.post(reverse("author_import_cancel", args=[record.pk]))

    assert "hx-trigger" in html
    assert "Import again" not in html and ">Cancel</button>" not in html
    assert callbacks == []
    queued_at = record.queued_at
    record.refresh_from_db()
    assert (record.status, record.queued_at) == (ImportStatus.QUEUED, queued_at)


def test_a_stalled_import_stops_polling_says_so_and_its_uploader_queues_it_again(
    author_client, author, django_capture_on_commit_callbacks
):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=16)
    url = record.get_absolute_url()

    html = author_client.get(url).text
    history = author_client.get(reverse("author_import")).text
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(reverse("author_import_apply", args=[record.pk]))

    assert "hx-trigger" not in html and 'http-equiv="refresh"' not in html
    assert "The import has waited more than 15 minutes to finish" in html
    assert ">Import again</button>" in html and ">Cancel</button>" in html
    assert "<td>stalled</td>" in history
    assert response["Location"] == url
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED
    assert QuestionVersion.objects.count() == 8
    assert "Imported:" in author_client.get(url).text


@pytest.mark.parametrize(("started", "stalled"), [(16, False), (59, False), (61, True)])
def test_an_import_a_task_started_is_stalled_only_after_an_hour(
    author_client, author, started, stalled
):
    record = queued(
        import_record_create(user=author, upload=mini_zip()),
        minutes_ago=started + 5,
        started_minutes_ago=started,
    )

    html = author_client.get(record.get_absolute_url()).text
    cancel = author_client.post(reverse("author_import_cancel", args=[record.pk]))

    assert ("Import again" in html) is stalled
    assert ("hx-trigger" in html) is not stalled
    record.refresh_from_db()
    if stalled:
        assert cancel["Location"] == reverse("author_import")
        assert record.status == ImportStatus.CANCELLED
    else:  # not cancelled: its page says what it is
        assert cancel["Location"] == record.get_absolute_url()
        assert record.status == ImportStatus.QUEUED


def test_the_poll_that_finds_an_import_stalled_reloads_the_page_for_its_buttons(
    author_client, author
):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=16)

    response = author_client.get(record.get_absolute_url(), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


def test_a_task_marks_the_import_started_before_it_applies_it(author, monkeypatch):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=30)
    seen = []

    def apply(upload, *, fingerprint):  # the real import_apply, after a look at the record
        seen.append(ImportRecord.objects.get(pk=record.pk).started_at)
        return real_apply(upload, fingerprint=fingerprint)

    from content import imports

    real_apply = imports.import_apply
    monkeypatch.setattr(imports, "import_apply", apply)
    import_record_apply(record_id=record.pk)

    assert seen[0] is not None and timezone.now() - seen[0] < timedelta(minutes=1)
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED


def test_a_stalled_import_whose_uploader_is_gone_says_to_upload_it_again(author_client, author):
    other = AuthorFactory()
    record = queued(import_record_create(user=other, upload=mini_zip()), minutes_ago=16)
    other.delete()

    html = author_client.get(record.get_absolute_url()).text

    assert "Its uploader's account is gone: upload the file again to import it." in html


def test_an_import_queued_before_queued_at_was_kept_counts_as_stalled(author_client, author):
    record = import_record_create(user=author, upload=mini_zip())
    ImportRecord.objects.filter(pk=record.pk).update(status=ImportStatus.QUEUED)

    assert ">Import again</button>" in author_client.get(record.get_absolute_url()).text


def test_another_author_sees_a_stalled_import_but_neither_queues_nor_cancels_it(client, author):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=16)
    client.force_login(AuthorFactory())

    html = client.get(record.get_absolute_url()).text
    posts = [
        client.post(reverse(name, args=[record.pk]))
        for name in ("author_import_apply", "author_import_cancel")
    ]

    assert "Its uploader can queue it again or cancel it." in html
    assert "Import again" not in html
    assert [r.status_code for r in posts] == [404, 404]
    record.refresh_from_db()
    assert record.status == ImportStatus.QUEUED


def test_a_cancelled_stalled_import_is_not_applied_when_its_lost_task_runs_after_all(
    author_client, author
):
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=16)

    author_client.post(reverse("author_import_cancel", args=[record.pk]))
    import_record_apply(record_id=record.pk)  # the task that was thought lost

    record.refresh_from_db()
    assert record.status == ImportStatus.CANCELLED
    assert Question.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_import_again_in_four_tabs_at_once_queues_one_task(live_server, author, settings, caplog):
    from django_tasks_db.models import DBTaskResult

    from tests.concurrency.conftest import Browser, _race

    # The database backend, as in production: the import waits for a worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=16)
    tabs = Browser(live_server.url, author)
    path = reverse("author_import_apply", args=[record.pk])

    responses = _race(*[partial(tabs.post, path)] * 4)

    assert [r.status_code for r in responses] == [302] * 4
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"] == {"record_id": record.pk}
    record.refresh_from_db()
    assert record.status == ImportStatus.QUEUED
    assert timezone.now() - record.queued_at < timedelta(minutes=1)
    assert [r.levelname for r in caplog.records if r.levelname == "ERROR"] == []


@pytest.mark.django_db(transaction=True)
def test_the_lost_task_running_while_its_uploader_imports_again_and_cancels_applies_once(
    live_server, author, caplog
):
    from tests.concurrency.conftest import Browser, _race

    record = queued(import_record_create(user=author, upload=mini_zip()), minutes_ago=16)
    tabs = Browser(live_server.url, author)

    def lost_task():
        try:
            return import_record_apply(record_id=record.pk)
        finally:
            connection.close()

    _race(
        lost_task,
        partial(tabs.post, reverse("author_import_apply", args=[record.pk])),
        partial(tabs.post, reverse("author_import_cancel", args=[record.pk])),
    )

    record.refresh_from_db()
    assert record.status in (ImportStatus.APPLIED, ImportStatus.CANCELLED)
    assert QuestionVersion.objects.count() == (8 if record.status == ImportStatus.APPLIED else 0)
    assert [r.levelname for r in caplog.records if r.levelname == "ERROR"] == []
