"""Courses and their lesson sets, classes with their students and teachers, and assignments."""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


# Dates a teacher or author may enter. Beyond them a date is a typo, and near year 9999 the
# conversion between time zones overflows what Python and the databases can represent.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200


def validate_sane_date(value) -> None:
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            _("Enter a date between the years %(first)d and %(last)d."),
            code="date_range",
            params={"first": EARLIEST_YEAR, "last": LATEST_YEAR},
        )


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class Course(models.Model):
    key = models.SlugField(_("key"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    desired_retention = models.FloatField(_("desired retention"), default=0.9)
    # What the course file states, if it states it (None: it does not): loading the file again
    # sets desired_retention back to it (content.loader).
    file_desired_retention = models.FloatField(
        _("desired retention in the course file"), null=True, blank=True
    )
    new_cards_per_day = models.PositiveSmallIntegerField(_("new cards per day"), default=20)
    reviews_per_day = models.PositiveSmallIntegerField(_("reviews per day"), default=200)
    # As Anki's learn-ahead limit: a card in (re)learning due within this many minutes is shown
    # at once when nothing else is left to study.
    learn_ahead_minutes = models.PositiveSmallIntegerField(_("learn ahead (minutes)"), default=20)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(desired_retention__gte=0.7, desired_retention__lte=0.99),
                name="course_desired_retention_range",
            ),
        ]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class LessonSet(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lesson_sets")
    key = models.SlugField(_("key"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"))
    lessons = models.ManyToManyField(
        "content.Lesson", through="LessonSetItem", related_name="lesson_sets"
    )

    class Meta:
        ordering = ["course", "position"]
        verbose_name = _("lesson set")
        verbose_name_plural = _("lesson sets")

    def __str__(self) -> str:
        return self.title


class LessonSetItem(models.Model):
    lesson_set = models.ForeignKey(LessonSet, on_delete=models.CASCADE, related_name="items")
    lesson = models.ForeignKey("content.Lesson", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["lesson_set", "position"]
        constraints = [
            models.UniqueConstraint(fields=["lesson_set", "lesson"], name="lessonsetitem_unique"),
        ]
        verbose_name = _("lesson in a set")
        verbose_name_plural = _("lessons in sets")

    def __str__(self) -> str:
        return f"{self.lesson_set} · {self.lesson}"


class Classroom(models.Model):
    """A class: students taught by one or more teachers."""

    name = models.CharField(_("name"), max_length=200)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="classes_taught", verbose_name=_("teachers")
    )
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Enrollment",
        related_name="classes_enrolled",
        verbose_name=_("students"),
    )
    join_code = models.CharField(_("join code"), max_length=12, unique=True, default=new_join_code)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")

    def __str__(self) -> str:
        return self.name


class Enrollment(models.Model):
    """A student's membership of a class. Removing a student ends it; their history stays."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classroom", "student"], name="enrollment_unique"),
        ]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Invitation(models.Model):
    """A teacher's invitation of an existing student account to a class.

    Nobody is put into a class without their consent: a teacher who adds a student by username
    invites them, and the student accepts or declines on their dashboard. (The join code, typed
    by the student, and the accounts a teacher creates from a roster need no invitation.)
    """

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="invitations")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "student"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending",
            ),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.student} to {self.classroom} ({self.status})"


class AssignmentKind(models.TextChoices):
    STUDY = "study", _("Study goal")
    QUIZ = "quiz", _("Quiz")


class Assignment(models.Model):
    """Lessons assigned to a class, or to some of its students, between two dates.

    The lessons are copied from the lesson set when the assignment is made, so that a later
    edit of the set cannot change what students were asked to do.
    """

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(_("title"), max_length=300)
    lesson_set = models.ForeignKey(
        LessonSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    lessons = models.ManyToManyField(
        "content.Lesson", through="AssignmentLesson", related_name="assignments"
    )
    # Empty: the whole class.
    students = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assignments_given"
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=AssignmentKind.choices, default=AssignmentKind.STUDY
    )
    quiz = models.ForeignKey(
        "quizzes.Quiz", on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    target_recall = models.FloatField(_("target recall"), default=0.85)
    opens_at = models.DateTimeField(
        _("opens at"), null=True, blank=True, validators=[validate_sane_date]
    )
    due_at = models.DateTimeField(_("due at"), validators=[validate_sane_date])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="study") | models.Q(quiz__isnull=False),
                name="assignment_quiz_has_quiz",
            ),
            models.CheckConstraint(
                condition=models.Q(target_recall__gte=0.5, target_recall__lte=0.99),
                name="assignment_target_recall_range",
            ),
        ]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.title} → {self.classroom}"


class AssignmentLesson(models.Model):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="assignment_lessons"
    )
    lesson = models.ForeignKey("content.Lesson", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["assignment", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "lesson"], name="assignmentlesson_unique"
            ),
        ]
        verbose_name = _("assigned lesson")
        verbose_name_plural = _("assigned lessons")

    def __str__(self) -> str:
        return f"{self.assignment} · {self.lesson}"


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class Profile(models.Model):
    """A person's own settings: when their study day turns over."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    day_starts_at = models.PositiveSmallIntegerField(
        _("new day starts at (hour)"),
        default=4,
        help_text=_("As in Anki: reviews done before this hour count for the day before."),
    )
    # The student's own limit of new cards a day: at most their course's (None: the course's).
    new_cards_per_day = models.PositiveSmallIntegerField(
        _("new cards per day"),
        null=True,
        blank=True,
        help_text=_("Fewer new cards a day than your course sets, if you want. Empty: as set."),
    )
    # "Study more" on a day whose new cards are done: this many more, on that study date.
    extra_new_cards = models.PositiveSmallIntegerField(_("extra new cards"), default=0)
    extra_new_cards_on = models.DateField(_("extra new cards on"), null=True, blank=True)
    # "Review ahead" (Anki's custom study, one day ahead): on this study date, review cards due
    # by the end of the next study day are shown now.
    review_ahead_on = models.DateField(_("review ahead on"), null=True, blank=True)
    # Set for accounts created from a roster with a one-time password.
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_starts_at__lte=23), name="profile_day_start_hour"
            ),
        ]
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)


class FitStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Fitting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ParameterFit(models.Model):
    """One fit of FSRS's parameters to a course's review log, or to one student's reviews in
    it (`student` set), with its evaluation. Every fit is kept, so that the parameters in force
    can be put back to an earlier fit's, or to FSRS's defaults (no fit in force).

    At most one fit is in force per course (`student` empty) and per student in a course; a
    student's own fit wins over the course's (docs/scheduling.md).
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="parameter_fits")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="parameter_fits",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FitStatus.choices, default=FitStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The data: every review in the log, those before `split_at` that the parameters were
    # fitted on, and the later ones they were evaluated on.
    reviews = models.PositiveIntegerField(_("reviews"), default=0)
    train_reviews = models.PositiveIntegerField(_("reviews fitted on"), default=0)
    test_reviews = models.PositiveIntegerField(_("reviews evaluated on"), default=0)
    split_at = models.DateTimeField(_("split at"), null=True, blank=True)
    parameters = models.JSONField(_("parameters"), default=list, blank=True)
    # The evaluation on the later reviews, of the fitted parameters and of the defaults.
    log_loss = models.FloatField(_("log loss"), null=True, blank=True)
    rmse_bins = models.FloatField(_("RMSE (bins)"), null=True, blank=True)
    default_log_loss = models.FloatField(_("log loss with the defaults"), null=True, blank=True)
    default_rmse_bins = models.FloatField(_("RMSE (bins) with the defaults"), null=True, blank=True)
    # Expected workload per desired retention from a simulation with these parameters, and the
    # retention suggested from it (docs/scheduling.md).
    workload = models.JSONField(_("workload by desired retention"), default=dict, blank=True)
    suggested_retention = models.FloatField(_("suggested retention"), null=True, blank=True)
    in_force = models.BooleanField(_("in force"), default=False)
    note = models.TextField(_("note"), blank=True)  # why it is not in force, or what failed

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(in_force=True, student__isnull=True),
                name="parameter_fit_one_in_force",
            ),
            models.UniqueConstraint(
                fields=["course", "student"],
                condition=models.Q(in_force=True, student__isnull=False),
                name="parameter_fit_one_in_force_per_student",
            ),
            # One fit at a time per course and per student: "Fit now" sent twice fits once.
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(status__in=["queued", "running"], student__isnull=True),
                name="parameter_fit_one_running",
            ),
            models.UniqueConstraint(
                fields=["course", "student"],
                condition=models.Q(status__in=["queued", "running"], student__isnull=False),
                name="parameter_fit_one_running_per_student",
            ),
        ]
        verbose_name = _("parameter fit")
        verbose_name_plural = _("parameter fits")

    def __str__(self) -> str:
        who = f" · {self.student}" if self.student_id else ""
        return f"{self.course}{who} · {self.created_at:%Y-%m-%d %H:%M}"

    # Whether it was in force when read from the database (courses.signals).
    in_force_when_read = False

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        fit = super().from_db(db, field_names, values, **kwargs)
        fit.in_force_when_read = fit.__dict__.get("in_force", False)
        return fit
