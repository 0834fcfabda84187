"""The web import, /author/import/: an author uploads a course zip or a lesson file, sees what it
would change, then imports it or cancels; every upload stays in the history with its file.

Who may see these pages: exactly those who may see /author/ (authors); anyone else gets the 404
the author pages give. The work is content.imports' (the same service as `manage.py
load_content`); applying runs as a task, and the import's page polls until it is done.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db.models import BooleanField, ExpressionWrapper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh

from content.imports import (
    IMPORT_STALLED_AFTER,
    READERS,
    Preview,
    Upload,
    import_record_cancel,
    import_record_create,
    import_record_queue,
    import_records_stalled,
    limit,
)
from content.models import ImportRecord, ImportStatus, Lesson
from courses.author import _require
from courses.roles import Role
from quizzes.views import wants_partial

HISTORY_LENGTH = 50
# Seconds between two looks at an import that is running (htmx, or the page's own refresh).
POLL_SECONDS = 2


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


class UploadLimit(FileUploadHandler):
    """Stops reading an uploaded file once it passes the upload limit, so that an oversize
    upload is neither kept in memory nor written to a temporary file; the form then says so."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.limit = limit("IMPORT_MAX_UPLOAD_BYTES")

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The whole request may already say it is too large.
        if content_length > self.limit + 64 * 1024:
            self.request.import_too_large = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if getattr(self.request, "import_too_large", False) or start + len(raw_data) > self.limit:
            self.request.import_too_large = True
            # The rest of the body is read and dropped; the page answers with the form's error.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File to import"))
    lesson = forms.ChoiceField(
        label=_("Lesson"),
        required=False,
        help_text=_(
            "For a GIFT, Moodle XML or Anki file: the lesson its questions or flashcards go "
            "into. Leave it for a file whose category names the lesson (as this site's exports "
            "do), and for course and lesson files."
        ),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large
        self.fields["lesson"].choices = [
            ("", _("From the file")),
            *Lesson.objects.active().order_by("title", "key").values_list("key", "title"),
        ]
        most = _megabytes(limit("IMPORT_MAX_UPLOAD_BYTES"))
        known = ", ".join(sorted(READERS))
        self.fields["file"].help_text = _(
            "A course folder as a .zip, one lesson file, or questions and flashcards from "
            "Moodle (GIFT, Moodle XML) or Anki (.apkg) (%(known)s); at most %(most)s."
        ) % {"known": known, "most": most}

    def clean(self) -> dict:
        cleaned = super().clean()
        most = limit("IMPORT_MAX_UPLOAD_BYTES")
        uploaded = cleaned.get("file")
        if self.too_large or (uploaded is not None and uploaded.size > most):
            self.errors.pop("file", None)
            self.add_error(
                "file",
                _("The file is larger than %(most)s, the most an upload may have.")
                % {"most": _megabytes(most)},
            )
        return cleaned


def _records():
    """Imports with who uploaded them and whether each has stalled; their files are not read."""
    return (
        ImportRecord.objects.select_related("uploaded_by")
        .defer("file")
        .annotate(stalled=ExpressionWrapper(import_records_stalled(), BooleanField()))
    )


def _history() -> list[ImportRecord]:
    """The latest imports (one query)."""
    return list(_records()[:HISTORY_LENGTH])


@csrf_exempt  # checked by _author_import, once the upload limit is in place
@require_http_methods(["GET", "POST"])
@login_required
def author_import(request: HttpRequest) -> HttpResponse:
    """Authors: upload a file to preview its import; the history of imports below the form."""
    _require(request, Role.AUTHOR)
    # Before anything reads the body (the CSRF check reads the posted token).
    request.upload_handlers.insert(0, UploadLimit(request))
    return _author_import(request)


@csrf_protect
def _author_import(request: HttpRequest) -> HttpResponse:
    # Bound on every POST: an oversize file was dropped unread, leaving the POST empty.
    bound = request.method == "POST"
    form = ImportForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        too_large=getattr(request, "import_too_large", False),
    )
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        record = import_record_create(
            user=request.user,
            upload=Upload(uploaded.name, uploaded.read(), form.cleaned_data["lesson"]),
        )
        return redirect(record)
    status = 422 if form.errors else 200
    return render(
        request,
        "courses/author_import.html",
        {"form": form, "records": _history(), "history_length": HISTORY_LENGTH},
        status=status,
    )


def _record(request: HttpRequest, import_id: int, *, own: bool = False) -> ImportRecord:
    _require(request, Role.AUTHOR)
    records = _records()
    if own:
        # Only the author who uploaded a file imports or cancels it.
        records = records.filter(uploaded_by=request.user)
    return get_object_or_404(records, pk=import_id)


@require_GET
@vary_on_headers("HX-Request")
@login_required
def author_import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """Authors: an import's preview (what it adds, changes with a diff, retires, or its errors)
    with Import and Cancel; while it runs, its progress, looked at again until it is done."""
    record = _record(request, import_id)
    stalled = record.stalled
    running = record.status == ImportStatus.QUEUED and not stalled
    preview = Preview.from_summary(record.summary)
    context = {
        "record": record,
        "preview": preview,
        "applied": Preview.from_summary(record.summary["applied"])
        if "applied" in record.summary
        else None,
        "running": running,
        "stalled": stalled,
        "stalled_minutes": int(IMPORT_STALLED_AFTER.total_seconds() // 60),
        "poll_seconds": POLL_SECONDS,
        "can_decide": (record.status == ImportStatus.PREVIEWED or stalled)
        and record.uploaded_by_id == request.user.pk,
    }
    template_name = "courses/author_import_detail.html"
    if wants_partial(request):
        if stalled:
            # The poll found it stalled: the whole page, with its buttons, replaces the polling.
            return HttpResponseClientRefresh()
        template_name += "#import-status"
    return render(request, template_name, context)


@require_POST
@login_required
def author_import_apply(request: HttpRequest, import_id: int) -> HttpResponse:
    """The uploader: apply the previewed import, or queue a stalled one again (once, however
    often it is posted; an import that is not waiting for it, one with errors among them, is
    left as it is)."""
    record = _record(request, import_id, own=True)
    import_record_queue(record=record)
    return redirect(record)


@require_POST
@login_required
def author_import_cancel(request: HttpRequest, import_id: int) -> HttpResponse:
    """The uploader: drop the previewed (or stalled) import; no content is written. One that
    could not be cancelled (imported meanwhile, or started) goes to its page, which says so."""
    record = _record(request, import_id, own=True)
    if import_record_cancel(record=record):
        return redirect("author_import")
    return redirect(record)


@require_GET
@login_required
def author_import_file(request: HttpRequest, import_id: int) -> HttpResponse:
    """Authors: the uploaded file, as it was uploaded; always a download, never a page."""
    _require(request, Role.AUTHOR)
    record = get_object_or_404(ImportRecord, pk=import_id)
    response = HttpResponse(bytes(record.file), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, record.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
