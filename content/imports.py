"""The one import service: an upload (a file's name and bytes) becomes a preview, then, if the
author confirms it, exactly that change. `manage.py load_content` and /author/import/ both use it.

    preview = import_preview(Upload("my-course.zip", data))   # writes nothing
    preview.errors          # every problem, as `file:line: message`, files named as in the upload
    import_apply(upload, fingerprint=preview.fingerprint)      # raises PreviewStale if it differs

An upload is unpacked into a temporary folder (removed afterwards) by the reader registered for
its extension (`READERS`), then loaded by content.loader: validated, written in one transaction,
and for a preview rolled back. The limits on what an upload may hold (its size, a zip's entries
and their total size, paths that stay inside the upload, known extensions) are checked before
anything is unpacked, and bytes are counted again while they are unpacked.

Formats that hold questions rather than lesson files (GIFT, Moodle XML, Anki's .apkg) plug in as
readers too: a reader that turns the upload into the lesson file(s) to load in the temporary
folder (for a target lesson, its questions and flashcards as the loader's dicts, written as
YAML). Until theirs are registered, those extensions are refused with a clear message.

The history of imports (`ImportRecord`) is kept by the `import_record_*` services below.
"""

import hashlib
import io
import json
import logging
import lzma
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from content import formats, usercache
from content.loader import COURSE_FILE, ContentError, LoadReport, VersionChange, load_content
from content.models import ImportRecord, ImportStatus
from content.reading import MAX_FILE_BYTES, MAX_LOAD_BYTES
from quizzes.grading import answer_text

logger = logging.getLogger(__name__)

# The limits' defaults; a deployment may set each in its settings (docs/authoring.md,
# "Importing in the browser").
LIMITS = {
    "IMPORT_MAX_UPLOAD_BYTES": 5 * 1024 * 1024,
    "IMPORT_MAX_ZIP_ENTRIES": 500,
    "IMPORT_MAX_UNPACKED_BYTES": MAX_LOAD_BYTES,
}
# What a course folder holds: course.yaml and lesson files, and its sources' texts.
ZIP_MEMBER_EXTENSIONS = frozenset({".yaml", ".yml", ".txt", ".md"})
# What archivers add on their own, skipped without a word.
_ARCHIVER_LITTER = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$)")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK_BYTES = 64 * 1024
MAX_NAME_CHARS = 255


def limit(name: str) -> int:
    """The limit `name` (one of LIMITS), read from the settings at each use."""
    return int(getattr(settings, name, LIMITS[name]))


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


@dataclass(frozen=True)
class Upload:
    """A file as the author sent it: its name (as on their machine; only the last part is used)
    and its bytes; for a file of questions or flashcards (GIFT, Moodle XML, .apkg), the key of
    the lesson to import them into, if the author chose one (content.formats)."""

    name: str
    data: bytes
    lesson: str = ""

    @property
    def filename(self) -> str:
        return PurePosixPath(self.name.replace("\\", "/")).name

    @property
    def extension(self) -> str:
        return PurePosixPath(self.filename.lower()).suffix


class UploadRefused(Exception):
    """The upload cannot be read as it is: every reason, each a sentence naming the file."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# Readers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """How one format is unpacked: `unpack(upload, root, notices)` writes the files to load under
    `root` (an empty folder) and returns the paths to give the loader, adding to `notices` what
    it left out that is not an error; it raises UploadRefused."""

    format: str  # as the history shows it
    unpack: Callable[[Upload, Path, list[str]], list[Path]]


READERS: dict[str, Reader] = {}


def reader_register(extension: str, reader: Reader) -> None:
    """Register (or replace) the reader of files whose name ends with `extension` (".gift")."""
    READERS[extension.lower()] = reader


def reader_for(upload: Upload) -> Reader:
    reader = READERS.get(upload.extension)
    if reader is None:
        known = ", ".join(sorted(READERS))
        raise UploadRefused(
            [
                f"{upload.filename}: files of this type ({upload.extension or 'no extension'}) "
                f"cannot be imported; upload one of: {known}"
            ]
        )
    return reader


def _safe_name(name: str) -> str:
    """The file's name as the author gave it, made one plain path part on any system."""
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "-", name).lstrip(".").strip() or "upload"
    while len(cleaned.encode()) > MAX_NAME_CHARS:
        cleaned = cleaned[1:]
    return cleaned


def unpack_lesson_file(upload: Upload, root: Path, notices: list[str]) -> list[Path]:
    """A single lesson file. It loads into the course it belongs to already (content.loader
    finds it from the database); its citations may name any source stored."""
    if len(upload.data) > MAX_FILE_BYTES:
        raise UploadRefused(
            [
                f"{upload.filename}: the file has {len(upload.data):,} bytes; a lesson file may "
                f"have at most {_megabytes(MAX_FILE_BYTES)}"
            ]
        )
    if PurePosixPath(upload.filename).stem == PurePosixPath(COURSE_FILE).stem:
        raise UploadRefused(
            [
                f"{upload.filename}: a course file loads with its lessons and sources: upload "
                "the course folder as a .zip"
            ]
        )
    path = root / _safe_name(upload.filename)
    path.write_bytes(upload.data)
    return [path]


def _entry_problem(name: str) -> str | None:
    """Why a zip entry's name is refused: it must be a relative path inside the upload."""
    if "\x00" in name:
        return "its name holds a NUL character"
    posix = name.replace("\\", "/")
    if posix.startswith("/"):
        return "its path is absolute"
    if _DRIVE.match(posix):
        return "its path starts with a drive letter"
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if ".." in parts:
        return "its path climbs out of the upload (..)"
    if not parts:
        return "it has no name"
    if any(len(part) > MAX_NAME_CHARS for part in parts) or len(posix) > 400:
        return "its path is too long"
    return None


def _is_symlink(entry: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(entry.external_attr >> 16)


def _zip_entries(upload: Upload, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The entries to unpack, once every name, type and declared size has been checked."""
    name = upload.filename
    entries = [e for e in archive.infolist() if not _ARCHIVER_LITTER.search(e.filename)]
    most = limit("IMPORT_MAX_ZIP_ENTRIES")
    if len(entries) > most:
        raise UploadRefused(
            [f"{name}: the zip holds {len(entries):,} entries; the limit is {most:,}"]
        )
    errors = []
    seen: set[str] = set()
    for entry in entries:
        where = f"{name}: {entry.filename!r}"
        if problem := _entry_problem(entry.filename):
            errors.append(f"{where}: {problem}")
        elif _is_symlink(entry):
            errors.append(f"{where}: symbolic links are not allowed")
        elif entry.flag_bits & 0x1:
            errors.append(f"{where}: encrypted files cannot be read")
        elif not entry.is_dir():
            path = _entry_path(entry)
            if PurePosixPath(path.lower()).suffix not in ZIP_MEMBER_EXTENSIONS:
                allowed = ", ".join(sorted(ZIP_MEMBER_EXTENSIONS))
                errors.append(f"{where}: only {allowed} files may be in the zip")
            elif path.lower() in seen:
                errors.append(f"{where}: the zip holds this file twice")
            elif entry.file_size > MAX_FILE_BYTES:
                errors.append(
                    f"{where}: {entry.file_size:,} bytes; a file may have at most "
                    f"{_megabytes(MAX_FILE_BYTES)}"
                )
            seen.add(path.lower())
    if errors:
        raise UploadRefused(errors)
    files = [e for e in entries if not e.is_dir()]
    declared = sum(e.file_size for e in files)
    most = limit("IMPORT_MAX_UNPACKED_BYTES")
    if declared > most:
        raise UploadRefused(
            [f"{name}: its files unpack to {declared:,} bytes; the limit is {_megabytes(most)}"]
        )
    return files


def _entry_path(entry: zipfile.ZipInfo) -> str:
    return "/".join(p for p in entry.filename.replace("\\", "/").split("/") if p not in ("", "."))


def _unpack_entry(
    upload: Upload, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, budget: int
) -> int:
    """Copy one entry, counting its bytes: an entry that holds more than it declares (a zip
    bomb lies in its header) is refused as soon as it does. Returns the bytes written."""
    written = 0
    with archive.open(entry) as source, target.open("xb") as out:
        while chunk := source.read(_CHUNK_BYTES):
            written += len(chunk)
            if written > entry.file_size or written > budget:
                raise UploadRefused(
                    [
                        f"{upload.filename}: {entry.filename!r} holds more than its declared "
                        f"{entry.file_size:,} bytes; the zip is refused"
                    ]
                )
            out.write(chunk)
    return written


def unpack_zip(upload: Upload, root: Path, notices: list[str]) -> list[Path]:
    """A zip of one or more course folders (each with its course.yaml; the folder may be the
    zip's top level). Returns the course folders."""
    name = upload.filename
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise UploadRefused([f"{name}: not a zip file, or a damaged one"]) from None
    with archive:
        files = _zip_entries(upload, archive)
        budget = limit("IMPORT_MAX_UNPACKED_BYTES")
        for entry in files:
            target = root.joinpath(*_entry_path(entry).split("/"))
            # The names were checked; this checks what the checks are for.
            if not target.resolve().is_relative_to(root.resolve()):
                raise UploadRefused([f"{name}: {entry.filename!r}: its path leaves the upload"])
            shared = UploadRefused(
                [f"{name}: {entry.filename!r}: a file and a folder of the zip share a name"]
            )
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                raise shared from None
            try:
                budget -= _unpack_entry(upload, archive, entry, target, budget)
            except (FileExistsError, IsADirectoryError, NotADirectoryError):
                raise shared from None
            except zipfile.BadZipFile as exc:
                # zipfile reads no more than an entry declares, then checks its CRC: an entry
                # that holds more than it says (a zip bomb's lie) fails here.
                raise UploadRefused(
                    [
                        f"{name}: {entry.filename!r} does not hold what the zip declares ({exc}): "
                        "a damaged zip, or a zip bomb; the zip is refused"
                    ]
                ) from None
            except (
                zlib.error,
                lzma.LZMAError,
                OSError,  # bz2's "Invalid data stream"
                EOFError,
                NotImplementedError,
                RuntimeError,
                ValueError,
            ) as exc:
                # A compression method zipfile lacks, a truncated or damaged stream.
                raise UploadRefused(
                    [f"{name}: {entry.filename!r} cannot be unpacked ({exc})"]
                ) from None
    return _course_folders(upload, root)


def _course_folders(upload: Upload, root: Path) -> list[Path]:
    folders = sorted(p.parent for p in root.rglob(COURSE_FILE))
    if not folders:
        raise UploadRefused(
            [
                f"{upload.filename}: no {COURSE_FILE} in the zip: zip a course folder (its "
                f"{COURSE_FILE}, lessons/ and sources/)"
            ]
        )
    errors = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".yaml", ".yml") or path.name == COURSE_FILE:
            continue
        if not any(path.parent == folder / "lessons" for folder in folders):
            shown = path.relative_to(root).as_posix()
            errors.append(
                f"{shown}:1: this file would not be loaded: lesson files go in the lessons/ "
                f"folder beside a {COURSE_FILE}"
            )
    if errors:
        raise UploadRefused(errors)
    return folders


for _extension in (".yaml", ".yml"):
    reader_register(_extension, Reader("lesson YAML", unpack_lesson_file))
reader_register(".zip", Reader("course zip", unpack_zip))
# Being written: until their readers are registered, uploads of these are refused clearly.


def unpack_questions(upload: Upload, root: Path, notices: list[str]) -> list[Path]:
    """A GIFT, Moodle XML or Anki file: its questions or flashcards merged into the lesson they
    go into (content.formats), written as that lesson's file."""
    if len(upload.data) > MAX_FILE_BYTES and upload.extension != ".apkg":
        raise UploadRefused(
            [
                f"{upload.filename}: the file has {len(upload.data):,} bytes; a file of questions "
                f"may have at most {MAX_FILE_BYTES:,}"
            ]
        )
    try:
        imported = formats.read(upload.extension, upload.data, upload.filename)
    except Exception:
        # The readers answer every problem of a file with a message; one they did not foresee
        # is logged for us and refused for the author, never a server error.
        logger.exception("import: %s could not be read", upload.filename)
        raise UploadRefused([f"{upload.filename}: the file cannot be read"]) from None
    if imported.errors:
        raise UploadRefused(imported.errors)
    if not imported.questions and not imported.flashcards:
        raise UploadRefused([f"{upload.filename}: the file holds no questions or flashcards"])
    lesson, why = formats.lesson_named(imported, upload.lesson, upload.filename)
    if lesson is None:
        raise UploadRefused([why])
    if taken := formats.keys_taken(lesson, imported, upload.filename):
        raise UploadRefused(taken)
    notices.extend(imported.notices)
    return [formats.write_lesson_file(lesson, imported, root)]


for _extension, _format in formats.FORMATS.items():
    reader_register(_extension, Reader(_format, unpack_questions))


@contextmanager
def unpacked(upload: Upload) -> Iterator[tuple[Path, list[Path], list[str]]]:
    """The upload unpacked into a temporary folder: (its root, the paths to load, notices about
    what the reader left out of the files: what a format holds that a lesson has no place for).
    The folder is removed afterwards, whatever happens."""
    reader = reader_for(upload)
    most = limit("IMPORT_MAX_UPLOAD_BYTES")
    if len(upload.data) > most:
        raise UploadRefused(
            [
                f"{upload.filename}: the file has {len(upload.data):,} bytes; an upload may "
                f"have at most {_megabytes(most)}"
            ]
        )
    with tempfile.TemporaryDirectory(prefix="learnhall-import-") as folder:
        root = Path(folder) / "upload"
        root.mkdir()
        notices: list[str] = []
        yield root, reader.unpack(upload, root, notices), notices


# Previews --------------------------------------------------------------------------------------


@dataclass
class FieldDiff:
    """One part of a question that changed, as lines of text before and after."""

    name: str
    old: list[str]
    new: list[str]


def _options_lines(body: dict[str, Any]) -> list[str]:
    lines = []
    for name, value in body.items():
        if isinstance(value, list):
            lines.extend(f"{name}: {item}" for item in value)
        else:
            lines.append(f"{name}: {value}")
    return lines


def _key_lines(version: dict[str, Any]) -> list[str]:
    try:
        lines = [answer_text(version["type"], version["body"], version["answer_key"])]
    except (KeyError, IndexError, TypeError, ValueError):
        lines = []
    for name, value in version["answer_key"].items():
        if isinstance(value, list):
            lines.append(f"{name}: " + ", ".join(json.dumps(v, ensure_ascii=False) for v in value))
        else:
            lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    return lines


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """What changed between two versions of a question, readably: its type, prompt, options
    (the body: choices, items, pairs, texts) and key. Only the parts that differ."""
    parts = [
        FieldDiff("type", [old["type"]], [new["type"]]),
        FieldDiff("prompt", old["prompt"].split("\n"), new["prompt"].split("\n")),
        FieldDiff("options", _options_lines(old["body"]), _options_lines(new["body"])),
        FieldDiff("key", _key_lines(old), _key_lines(new)),
    ]
    return [part for part in parts if part.old != part.new]


_ADDED = ("created ",)
_RETIRED = ("retired ", "removed ")


@dataclass
class Preview:
    """What an import would change (or changed), or why it cannot."""

    format: str
    changes: list[str] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)  # VersionChange, as dicts
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)  # left out, not errors (content.formats)

    @classmethod
    def of(cls, format: str, report: LoadReport, notices: list[str] = ()) -> "Preview":
        return cls(
            format=format,
            notices=list(notices),
            changes=list(report.changes),
            versions=[asdict(v) for v in report.versions],
            counts={
                "lessons": report.lessons,
                "questions": report.questions,
                "flashcards": report.flashcards,
            },
        )

    @property
    def fingerprint(self) -> str:
        """A digest of the change: two previews with the same one would write the same."""
        text = json.dumps(
            {"changes": self.changes, "versions": self.versions}, sort_keys=True, default=str
        )
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def added(self) -> list[str]:
        return [c for c in self.changes if c.startswith(_ADDED)]

    @property
    def retired(self) -> list[str]:
        return [c for c in self.changes if c.startswith(_RETIRED)]

    @property
    def updated(self) -> list[str]:
        return [c for c in self.changes if not c.startswith((*_ADDED, *_RETIRED))]

    @property
    def new_versions(self) -> list[tuple[VersionChange, list[FieldDiff]]]:
        changes = [VersionChange(**v) for v in self.versions]
        return [(c, version_diff(c.old, c.new)) for c in changes]

    def as_summary(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> "Preview":
        names = {"format", "changes", "versions", "errors", "counts", "notices"}
        return cls(**{k: v for k, v in summary.items() if k in names})


class PreviewStale(Exception):
    """The import would not write what its preview showed: the database changed since."""

    def __init__(self, preview: Preview):
        super().__init__("the import differs from its preview")
        self.preview = preview


def _format_of(upload: Upload) -> str:
    reader = READERS.get(upload.extension)
    return reader.format if reader else (upload.extension.lstrip(".") or "unknown")


def import_preview(upload: Upload) -> Preview:
    """What importing the upload would change, computed by the loader in a transaction that is
    rolled back; or every error. Writes nothing; never raises for what the upload holds."""
    preview = Preview(format=_format_of(upload))
    try:
        with unpacked(upload) as (root, paths, notices):
            report = load_content(paths, dry_run=True, root=root)
    except (UploadRefused, ContentError) as exc:
        preview.errors = list(exc.errors)
        return preview
    return Preview.of(preview.format, report, notices)


def import_load(upload: Upload, *, dry_run: bool = False) -> Preview:
    """Import the upload without a preview to match (`manage.py load_content my-course.zip`).
    Raises UploadRefused or ContentError, having written nothing."""
    with unpacked(upload) as (root, paths, notices):
        report = load_content(paths, dry_run=dry_run, root=root)
        return Preview.of(_format_of(upload), report, notices)


def import_apply(upload: Upload, *, fingerprint: str) -> Preview:
    """Import the upload if it writes exactly the change whose preview had `fingerprint`.

    The change is computed and written in one transaction: if it differs from the preview (the
    database changed since), it is rolled back and PreviewStale raised. Raises UploadRefused or
    ContentError if the upload cannot be imported now; then nothing is written either.
    """
    format = _format_of(upload)
    with unpacked(upload) as (root, paths, notices), transaction.atomic():
        result = Preview.of(format, load_content(paths, root=root), notices)
        if result.fingerprint != fingerprint:
            raise PreviewStale(result)  # leaving the block rolls the writes back
        # The loader forgets cached study contexts inside its transaction; forget them again
        # once the writes are visible, so that no request caches what it read just before.
        transaction.on_commit(usercache.forget_all)
    return result


# The history ----------------------------------------------------------------------------------


def import_record_create(*, user: Any, upload: Upload) -> ImportRecord:
    """Preview the upload and keep it, with its preview, in the history: `previewed` if it can be
    imported, `failed` with its errors if not. Writes no content."""
    preview = import_preview(upload)
    return ImportRecord.objects.create(
        uploaded_by=user,
        filename=upload.filename[:255],
        format=preview.format,
        lesson=upload.lesson,
        size=len(upload.data),
        file=upload.data,
        status=ImportStatus.FAILED if preview.errors else ImportStatus.PREVIEWED,
        summary=preview.as_summary(),
        fingerprint=preview.fingerprint,
        finished_at=timezone.now() if preview.errors else None,
    )


# An import is a few seconds' work: one still waiting for its task this long after Import was
# pressed has most likely lost it (a worker stopped, a queue emptied), and its uploader may queue
# it again. One that a task started is stalled only once no task may still be running it (RQ
# stops a task after an hour: config/settings).
IMPORT_STALLED_AFTER = timedelta(minutes=15)
IMPORT_RUNNING_LIMIT = timedelta(hours=1)


def import_records_stalled() -> Q:
    """Imports queued more than IMPORT_STALLED_AFTER ago and never started, or started more
    than IMPORT_RUNNING_LIMIT ago and not finished: the one test of it, for the page (as an
    annotation) and for Import again and Cancel alike."""
    now = timezone.now()
    waiting = Q(started_at__isnull=True) & (
        Q(queued_at__isnull=True) | Q(queued_at__lt=now - IMPORT_STALLED_AFTER)
    )
    return Q(status=ImportStatus.QUEUED) & (waiting | Q(started_at__lt=now - IMPORT_RUNNING_LIMIT))


def import_record_queue(*, record: ImportRecord) -> bool:
    """Queue the previewed import to be applied by a task, or queue again a stalled one (its
    task may be lost; if it is not, whichever task comes second finds the import done and
    leaves it). Only once: of two requests at the same moment (a double click, two tabs), one
    queues it; returns whether this one did. An import a task has started is not stalled (for
    an hour), so this leaves it to its task."""
    with transaction.atomic():
        queued = (
            ImportRecord.objects.filter(pk=record.pk)
            .filter(Q(status=ImportStatus.PREVIEWED) | import_records_stalled())
            .update(status=ImportStatus.QUEUED, queued_at=timezone.now(), started_at=None)
        )
        if queued:
            transaction.on_commit(partial(_enqueue, record.pk))
    return bool(queued)


def _enqueue(record_id: int) -> None:
    """Hand the import to a task worker; if the queue cannot take it, the import waits for
    Import to be pressed again, rather than waiting for ever."""
    from content.tasks import content_import

    try:
        content_import.enqueue(record_id=record_id)
    except Exception:
        logger.exception("import %s could not be queued", record_id)
        ImportRecord.objects.filter(pk=record_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.PREVIEWED
        )


def import_record_cancel(*, record: ImportRecord) -> bool:
    """Cancel a previewed or stalled import (writes no content; a stalled import's task, if it
    ever runs, finds it cancelled); returns whether it was cancelled."""
    return bool(
        ImportRecord.objects.filter(pk=record.pk)
        .filter(Q(status=ImportStatus.PREVIEWED) | import_records_stalled())
        .update(status=ImportStatus.CANCELLED, finished_at=timezone.now())
    )


# Any constant shared by every process: the key of PostgreSQL's advisory lock on imports.
_IMPORT_LOCK = 0x1EA4_1A11


def _one_import_at_a_time() -> None:
    """Wait for any other import to commit. An import compares its change with its preview:
    two at once would each compare against the database before the other's writes, and the
    later one could write over the earlier. SQLite runs one writing transaction at a time
    already (config/settings: IMMEDIATE); PostgreSQL takes a lock held until commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])


def import_record_apply(*, record_id: int) -> ImportRecord:
    """Apply a queued import, exactly as previewed (the task's work). The record's row is locked
    for the whole import, so that it is applied once; it ends `applied`, `refused` (the change
    differs from the preview, or the files no longer load: nothing written) or `failed`.
    That a task started it is committed first, so that its page does not call it stalled."""
    ImportRecord.objects.filter(pk=record_id, status=ImportStatus.QUEUED).update(
        started_at=timezone.now()
    )
    with transaction.atomic():
        _one_import_at_a_time()
        record = ImportRecord.objects.select_for_update().get(pk=record_id)
        if record.status != ImportStatus.QUEUED:
            return record
        upload = Upload(record.filename, bytes(record.file), record.lesson)
        try:
            result = import_apply(upload, fingerprint=record.fingerprint)
        except PreviewStale as exc:
            record.status = ImportStatus.REFUSED
            record.message = (
                "The content changed since this preview: nothing was written. Upload the file "
                "again to see a new preview."
            )
            record.summary = {**record.summary, "refused_with": exc.preview.as_summary()}
        except (UploadRefused, ContentError) as exc:
            record.status = ImportStatus.REFUSED
            record.message = (
                "The files no longer load as they did at the preview: nothing was written. "
                "Upload the file again to see a new preview.\n" + "\n".join(exc.errors)
            )
        except Exception:  # the history must say it broke; the worker's log says why
            logger.exception("import %s failed", record_id)
            record.status = ImportStatus.FAILED
            record.message = "The import broke off: nothing was written."
        else:
            record.status = ImportStatus.APPLIED
            record.summary = {**record.summary, "applied": result.as_summary()}
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "message", "summary", "finished_at"])
    return record
