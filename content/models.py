"""What authors write: source texts, lessons with ordered sections, key terms and citations."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from content.markdown import paragraphs


class Source(models.Model):
    """A text that citations point into. A paragraph is a non-empty line, counted from 1."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    author = models.CharField(_("author"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["slug"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.title

    def paragraph(self, number: int) -> str | None:
        found = paragraphs(self.text)
        return found[number - 1] if 1 <= number <= len(found) else None


class LessonQuerySet(models.QuerySet):
    def active(self) -> "LessonQuerySet":
        return self.filter(retired_at__isnull=True)


class Lesson(models.Model):
    key = models.SlugField(_("key"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    source_file = models.CharField(_("loaded from"), max_length=500, blank=True)
    # The course whose folder the lesson was loaded from: when its file disappears from that
    # folder, loading the course again retires the lesson.
    course_key = models.SlugField(_("course folder"), max_length=100, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["key"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:lesson", kwargs={"key": self.key})


class Section(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="section_unique_position"),
        ]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title


class KeyTerm(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="key_terms")
    position = models.PositiveSmallIntegerField(_("position"))
    term = models.CharField(_("term"), max_length=200)
    definition = models.TextField(_("definition"))

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "position"], name="keyterm_unique_position"),
        ]
        verbose_name = _("key term")
        verbose_name_plural = _("key terms")

    def __str__(self) -> str:
        return self.term


class Citation(models.Model):
    """A short quotation that stands, exactly, in one paragraph of a source."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="citations")
    ref = models.SlugField(_("reference"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"))
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    paragraph = models.PositiveIntegerField(_("paragraph"))
    quote = models.TextField(_("quotation"))

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
