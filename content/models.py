"""What authors write: source texts, lessons with ordered sections, key terms and citations.

Authored Markdown is rendered once, when it is written, and its sanitised HTML is stored beside
it (`RenderedMarkdown`), so that no page renders Markdown per request.
"""

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DatabaseError, models, transaction
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from content.markdown import RENDERER_VERSION, paragraphs, render_markdown


class SanitisedHTMLField(models.TextField):
    """HTML made by `render_markdown` from a field beside it; read back marked safe for templates.

    Never edited by hand (not editable, so no form or admin page offers it): only
    `RenderedMarkdown.render_html` writes it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> SafeString:
        return value if value is None else mark_safe(value)


class RenderedMarkdown(models.Model):
    """A model that keeps the sanitised HTML of each of its Markdown fields.

    `markdown_html` maps each stored HTML field to the field holding its Markdown. `save()` renders
    when a source differs from what the HTML was made from, or when the HTML was made by another
    `RENDERER_VERSION`. Writes that skip `save()` (bulk_create, bulk_update, QuerySet.update) must
    call `render_html()` themselves; `manage.py render_markdown` re-renders stale rows.
    """

    markdown_html: ClassVar[dict[str, str]] = {}

    html_version = models.CharField(
        _("renderer version of the stored HTML"), max_length=100, blank=True, editable=False
    )

    class Meta:
        abstract = True

    def save(self, **kwargs: Any) -> None:
        """Render the stored HTML first if it is stale. With `update_fields`, only when a source
        is among them; the sources, the HTML and its version are then written together."""
        update_fields = kwargs.get("update_fields")
        sources = self.markdown_source_fields()
        if update_fields is None:
            if self.html_version != RENDERER_VERSION or self._html_outdated():
                self.render_html()
        elif sources & set(update_fields):
            self.render_html()
            kwargs["update_fields"] = {*update_fields, *sources, *self.markdown_html}
            kwargs["update_fields"].add("html_version")
        super().save(**kwargs)

    @classmethod
    def from_db(cls, db: str, field_names: Any, values: Any, **kwargs: Any) -> Any:
        instance = super().from_db(db, field_names, values, **kwargs)
        # What the stored HTML was made from; unknown if a source was deferred.
        loaded = set(field_names) >= cls.markdown_source_fields()
        instance._rendered_from = instance._markdown_texts() if loaded else None
        return instance

    @classmethod
    def markdown_source_fields(cls) -> set[str]:
        """Every field the stored HTML is made from."""
        return set(cls.markdown_html.values())

    def markdown_text(self, html_field: str) -> str:
        """The Markdown that `html_field` holds the HTML of."""
        return getattr(self, self.markdown_html[html_field])

    def markdown_footnotes(self) -> Mapping[str, int] | None:
        """The footnote number of each citation the text may refer to, if it may."""
        return None

    def render_html(self, *, footnotes: Mapping[str, int] | None = None) -> None:
        """Set every stored HTML field from its Markdown (not saved). `footnotes` saves a query
        for a text that numbers its citations."""
        if footnotes is None:
            footnotes = self.markdown_footnotes()
        for html_field in self.markdown_html:
            text = self.markdown_text(html_field)
            setattr(self, html_field, render_markdown(text, footnotes=footnotes))
        self.html_version = RENDERER_VERSION
        self._rendered_from = self._markdown_texts()

    @classmethod
    def render_rows(cls, rows: list[Any]) -> None:
        """Render and store the HTML of `rows` (of this model) with one bulk update."""
        for row in rows:
            row.render_html()
        cls._default_manager.bulk_update(rows, [*cls.markdown_html, "html_version"])

    @classmethod
    def render_stale(cls, *, batch_size: int = 500, everything: bool = False) -> int:
        """Re-render the rows whose HTML another renderer version made (or, with `everything`,
        every row), `batch_size` rows per transaction. Returns how many were rendered.

        Each batch is locked while it is rendered, so an edit saved meanwhile is not overwritten
        with HTML of the text it replaced.
        """
        rows = cls._default_manager.order_by("pk")
        if not everything:
            rows = rows.exclude(html_version=RENDERER_VERSION)
        count = 0
        last = None
        while True:
            with transaction.atomic():
                todo = rows if last is None else rows.filter(pk__gt=last)
                batch = list(todo.select_for_update()[:batch_size])
                if not batch:
                    return count
                cls.render_rows(batch)
            count += len(batch)
            last = batch[-1].pk

    def _markdown_texts(self) -> tuple[str, ...]:
        return tuple(self.markdown_text(html_field) for html_field in self.markdown_html)

    def _html_outdated(self) -> bool:
        return getattr(self, "_rendered_from", None) != self._markdown_texts()


def rendered_markdown_models(app_configs: Iterable[Any] | None = None) -> list[type]:
    """Every installed model that stores rendered Markdown, lower apps first."""
    configs = app_configs if app_configs is not None else apps.get_app_configs()
    return [
        model
        for config in configs
        for model in config.get_models()
        if issubclass(model, RenderedMarkdown)
    ]


def render_stale_markdown(*, batch_size: int = 500, everything: bool = False) -> dict[type, int]:
    """Re-render stale stored HTML in every model that keeps it; how many rows, by model."""
    return {
        model: model.render_stale(batch_size=batch_size, everything=everything)
        for model in rendered_markdown_models()
    }


@checks.register(checks.Tags.database)
def check_rendered_markdown(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """Warn of HTML made by another renderer version (a sanitiser upgrade, or a bulk insert
    that did not render). A database check: it runs with `migrate` and `check --database`."""
    warnings = []
    for alias in databases or []:
        for model in rendered_markdown_models(app_configs):
            try:
                stale = (
                    model._default_manager.using(alias)
                    .exclude(html_version=RENDERER_VERSION)
                    .count()
                )
            except DatabaseError:
                return []  # not migrated yet
            if stale:
                warnings.append(
                    checks.Warning(
                        f"{stale} {model._meta.verbose_name_plural} keep HTML made by another "
                        f"Markdown renderer than {RENDERER_VERSION}.",
                        hint="Run manage.py render_markdown.",
                        obj=model,
                        id="content.W001",
                    )
                )
    return warnings


def footnote_numbers(lesson_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Each lesson's footnote number for each of its citation refs: 1, 2, … by position."""
    numbers: dict[int, dict[str, int]] = {pk: {} for pk in lesson_ids}
    refs = (
        Citation.objects.filter(lesson_id__in=list(numbers))
        .order_by("lesson_id", "position", "pk")
        .values_list("lesson_id", "ref")
    )
    for lesson_id, ref in refs:
        numbers[lesson_id][ref] = len(numbers[lesson_id]) + 1
    return numbers


# Natural keys (`dumpdata --natural-foreign --natural-primary content quizzes`, then `loaddata`):
# a source by its slug, a lesson by its key, a section, key term or citation by its lesson's key
# and its position or reference. Fixtures then name rows by what the course files name them by,
# not by database ids, and load into another database as the same course.


class SourceManager(models.Manager):
    def get_by_natural_key(self, slug: str) -> "Source":
        return self.get(slug=slug)


class InLessonManager(models.Manager):
    """Rows identified by their lesson's key and one field of theirs (`natural_field`)."""

    def get_by_natural_key(self, lesson_key: str, value) -> models.Model:
        return self.get(lesson__key=lesson_key, **{self.model.natural_field: value})


class Source(models.Model):
    """A text that citations point into. A paragraph is a non-empty line, counted from 1."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    author = models.CharField(_("author"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    text = models.TextField(_("text"))

    objects = SourceManager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def paragraph(self, number: int) -> str | None:
        found = paragraphs(self.text)
        return found[number - 1] if 1 <= number <= len(found) else None


class LessonQuerySet(models.QuerySet):
    def active(self) -> "LessonQuerySet":
        return self.filter(retired_at__isnull=True)

    def get_by_natural_key(self, key: str) -> "Lesson":
        return self.get(key=key)


class Lesson(RenderedMarkdown):
    key = models.SlugField(_("key"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    summary_html = SanitisedHTMLField(_("summary (HTML)"))
    source_file = models.CharField(_("loaded from"), max_length=500, blank=True)
    # The course whose folder the lesson was loaded from: when its file disappears from that
    # folder, loading the course again retires the lesson.
    course_key = models.SlugField(_("course folder"), max_length=100, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LessonQuerySet.as_manager()

    markdown_html = {"summary_html": "summary"}

    class Meta:
        ordering = ["key"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:lesson", kwargs={"key": self.key})

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    def render_cited_html(self) -> None:
        """Render the HTML of the lesson's sections and key terms again with its current footnote
        numbers. `Citation.save()` and `delete()` call it; call it after adding, removing or
        reordering citations without them (bulk_create, QuerySet.update or delete)."""
        numbers = footnote_numbers([self.pk])[self.pk]
        for model in (Section, KeyTerm):
            rows = list(model.objects.filter(lesson=self))
            for row in rows:
                row.render_html(footnotes=numbers)
            model.objects.bulk_update(rows, [*model.markdown_html, "html_version"])


class CitedMarkdown(RenderedMarkdown):
    """Markdown of a lesson that may cite its sources: `[^ref]` becomes the footnote number."""

    lesson: Any

    class Meta:
        abstract = True

    def markdown_footnotes(self) -> Mapping[str, int] | None:
        return footnote_numbers([self.lesson_id])[self.lesson_id]

    @classmethod
    def render_rows(cls, rows: list[Any]) -> None:
        numbers = footnote_numbers({row.lesson_id for row in rows})
        for row in rows:
            row.render_html(footnotes=numbers[row.lesson_id])
        cls._default_manager.bulk_update(rows, [*cls.markdown_html, "html_version"])


class InLesson:
    """A row named by its lesson's key and its `natural_field`."""

    natural_field = "position"

    def natural_key(self) -> tuple:
        return (*self.lesson.natural_key(), getattr(self, self.natural_field))

    natural_key.dependencies = ["content.lesson"]


class Section(InLesson, CitedMarkdown):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"))
    body_html = SanitisedHTMLField(_("body (HTML)"))

    objects = InLessonManager()

    markdown_html = {"body_html": "body"}

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="section_unique_position"),
        ]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title


class KeyTerm(InLesson, CitedMarkdown):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="key_terms")
    position = models.PositiveSmallIntegerField(_("position"))
    term = models.CharField(_("term"), max_length=200)
    definition = models.TextField(_("definition"))
    definition_html = SanitisedHTMLField(_("definition (HTML)"))

    objects = InLessonManager()

    markdown_html = {"definition_html": "definition"}

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="keyterm_unique_position"),
        ]
        verbose_name = _("key term")
        verbose_name_plural = _("key terms")

    def __str__(self) -> str:
        return self.term


class Citation(InLesson, models.Model):
    """A short quotation that stands, exactly, in one paragraph of a source."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="citations")
    ref = models.SlugField(_("reference"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    paragraph = models.PositiveIntegerField(_("paragraph"))
    quote = models.TextField(_("quotation"))

    objects = InLessonManager()
    natural_field = "ref"

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "ref"], name="citation_unique_ref"),
            models.CheckConstraint(condition=models.Q(paragraph__gte=1), name="citation_paragraph"),
        ]
        verbose_name = _("citation")
        verbose_name_plural = _("citations")

    def __str__(self) -> str:
        return f"{self.source.slug} ¶{self.paragraph}"

    def save(self, **kwargs: Any) -> None:
        """Also renumbers the footnotes in the lesson's stored HTML."""
        super().save(**kwargs)
        self.lesson.render_cited_html()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Also renumbers the footnotes in the lesson's stored HTML."""
        deleted = super().delete(*args, **kwargs)
        self.lesson.render_cited_html()
        return deleted


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    QUEUED = "queued", _("importing")
    APPLIED = "applied", _("applied")
    CANCELLED = "cancelled", _("cancelled")
    REFUSED = "refused", _("refused")
    FAILED = "failed", _("failed")


class ImportRecord(models.Model):
    """One upload to /author/import/ and what became of it: its preview, then applied,
    cancelled, refused (the database changed since the preview) or failed (the files have
    errors, or the import broke).

    The uploaded file is kept in the database, not on a disk, so that every app server and task
    worker reads the same bytes; the upload limit (`IMPORT_MAX_UPLOAD_BYTES`) bounds its size.
    `summary` holds the preview as content.imports writes it (changes, versions, errors);
    `fingerprint` is the preview's digest, which the import must reproduce to write anything.
    """

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=20)
    # For a file of questions or flashcards (GIFT, Moodle XML, .apkg): the lesson the author
    # chose to import them into; empty if the file's category names it (content.formats).
    lesson = models.SlugField(_("lesson"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"))
    file = models.BinaryField(_("file"))
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus, default=ImportStatus.PREVIEWED
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    fingerprint = models.CharField(_("preview digest"), max_length=64, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # When Import was last pressed, and when a task started the import: an import whose task
    # was lost may be queued again (content.imports.import_records_stalled).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("author_import_detail", kwargs={"import_id": self.pk})
