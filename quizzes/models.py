"""Questions and their versions, flashcards (cards), quizzes, attempts and answers, and each
student's memory state per card with its append-only review log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from content.models import RenderedMarkdown, SanitisedHTMLField


class QuestionType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("Multiple choice (one answer)")
    MULTIPLE_RESPONSE = "multiple_response", _("Multiple response")
    TRUE_FALSE = "true_false", _("True or false")
    SHORT_ANSWER = "short_answer", _("Short answer")
    NUMERIC = "numeric", _("Numeric")
    MATCHING = "matching", _("Matching")
    ORDERING = "ordering", _("Ordering")
    CLOZE = "cloze", _("Cloze")


class Level(models.TextChoices):
    RECALL = "recall", _("Recall")
    UNDERSTANDING = "understanding", _("Understanding")
    APPLICATION = "application", _("Application")
    EVALUATION = "evaluation", _("Evaluation")


class QuestionQuerySet(models.QuerySet):
    def active(self) -> "QuestionQuerySet":
        return self.filter(retired_at__isnull=True)

    def get_by_natural_key(self, key: str) -> "Question":
        return self.get(key=key)


class Question(models.Model):
    """The stable identity of a question, chosen by its author as `key`.

    What a student sees and is graded against lives in `QuestionVersion`; a change of meaning
    adds a version, so past answers keep the version they answered.
    """

    key = models.SlugField(_("key"), max_length=100, unique=True)
    lesson = models.ForeignKey("content.Lesson", on_delete=models.PROTECT, related_name="questions")
    position = models.PositiveIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, blank=True)
    current_version = models.ForeignKey(
        "QuestionVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    citations = models.ManyToManyField("content.Citation", blank=True, related_name="questions")
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "position"]
        indexes = [models.Index(fields=["lesson", "position"])]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.key

    def natural_key(self) -> tuple[str]:
        return (self.key,)


class QuestionVersionManager(models.Manager):
    def get_by_natural_key(self, question_key: str, number: int) -> "QuestionVersion":
        return self.get(question__key=question_key, number=number)


class QuestionVersion(RenderedMarkdown):
    """One immutable meaning of a question: its prompt, what the student is shown, and its key.

    `body` holds what may be shown before answering (options, items, the cloze text with its
    blanks removed); `answer_key` (with any weights) and `feedback` hold what must not reach the
    browser before an answer.
    `prompt_html` is the prompt as HTML, or for a question written without a prompt (a cloze)
    its first text, which names it in lists such as an attempt's review.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    prompt = models.TextField(_("prompt"), blank=True)
    body = models.JSONField(_("body"), default=dict, blank=True)
    answer_key = models.JSONField(_("answer key"), default=dict)
    explanation = models.TextField(_("explanation"), blank=True)
    # What its author wrote for some options, shown after answering to a student who chose one
    # (`quizzes.grading.stored_feedback` gives its shape). Like the explanation, not part of the
    # meaning: a new text changes it in place. Never in a page before the student answered.
    feedback = models.JSONField(_("feedback per option"), default=dict, blank=True)
    prompt_html = SanitisedHTMLField(_("prompt (HTML)"))
    explanation_html = SanitisedHTMLField(_("explanation (HTML)"))
    meaning_hash = models.CharField(_("meaning hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = QuestionVersionManager()

    markdown_html = {"prompt_html": "prompt", "explanation_html": "explanation"}

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="version_unique_number"),
        ]
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")

    def __str__(self) -> str:
        return f"{self.question.key} v{self.number}"

    def natural_key(self) -> tuple:
        return (*self.question.natural_key(), self.number)

    natural_key.dependencies = ["quizzes.question"]

    @classmethod
    def markdown_source_fields(cls) -> set[str]:
        return {*super().markdown_source_fields(), "body"}

    def markdown_text(self, html_field: str) -> str:
        if html_field == "prompt_html" and not self.prompt:
            return (self.body or {}).get("texts", [""])[0]
        return super().markdown_text(html_field)


class CardQuerySet(models.QuerySet):
    def active(self) -> "CardQuerySet":
        return self.filter(retired_at__isnull=True)

    def get_by_natural_key(self, key: str) -> "Card":
        return self.get(key=key)


class Card(RenderedMarkdown):
    """Anything a student can review on a schedule: an authored flashcard, or a question that its
    author marked to be studied as a flashcard too (then `question` is set and quiz answers on it
    feed the same schedule)."""

    key = models.SlugField(_("key"), max_length=100, unique=True)
    lesson = models.ForeignKey("content.Lesson", on_delete=models.PROTECT, related_name="cards")
    position = models.PositiveIntegerField(_("position"), default=0)
    question = models.OneToOneField(
        Question, on_delete=models.PROTECT, null=True, blank=True, related_name="card"
    )
    front = models.TextField(_("front"))
    back = models.TextField(_("back"))
    hint = models.TextField(_("hint"), blank=True)
    front_html = SanitisedHTMLField(_("front (HTML)"))
    back_html = SanitisedHTMLField(_("back (HTML)"))
    hint_html = SanitisedHTMLField(_("hint (HTML)"))
    citations = models.ManyToManyField("content.Citation", blank=True, related_name="cards")
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CardQuerySet.as_manager()

    markdown_html = {"front_html": "front", "back_html": "back", "hint_html": "hint"}

    class Meta:
        ordering = ["lesson", "position"]
        indexes = [models.Index(fields=["lesson", "position"])]
        verbose_name = _("card")
        verbose_name_plural = _("cards")

    def __str__(self) -> str:
        return self.key

    def natural_key(self) -> tuple[str]:
        return (self.key,)


class FeedbackMode(models.TextChoices):
    IMMEDIATE = "immediate", _("After each question")
    END = "end", _("At the end")


class NavigationMode(models.TextChoices):
    """Moodle's navigation method. Sequential: one question after another, no going back.
    Free: any question in any order, from the navigator; with feedback at the end, an answer
    may be changed until the attempt is submitted."""

    SEQUENTIAL = "sequential", _("In order")
    FREE = "free", _("Any order")


class Quiz(models.Model):
    """A quiz drawn from the questions of some lessons, with the settings of its author."""

    # Set for the quizzes that content files define (a lesson's or a lesson set's quiz).
    key = models.SlugField(_("key"), max_length=100, unique=True, null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    lessons = models.ManyToManyField("content.Lesson", related_name="quizzes")
    question_count = models.PositiveSmallIntegerField(
        _("number of questions"), null=True, blank=True, help_text=_("Empty for all of them.")
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), null=True, blank=True, help_text=_("Empty for unlimited.")
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), null=True, blank=True
    )
    feedback = models.CharField(
        _("feedback"), max_length=10, choices=FeedbackMode.choices, default=FeedbackMode.IMMEDIATE
    )
    navigation = models.CharField(
        _("navigation"),
        max_length=10,
        choices=NavigationMode.choices,
        default=NavigationMode.SEQUENTIAL,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title


class Attempt(models.Model):
    """One student's attempt at a quiz. The questions drawn and the quiz settings are snapshotted
    at the start so that an edit to the quiz cannot change an attempt under way."""

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    versions = models.JSONField(_("question versions, in order"), default=list)
    settings_snapshot = models.JSONField(_("settings"), default=dict)
    position = models.PositiveSmallIntegerField(_("current question"), default=0)
    # Moves on with every recorded step; a form carries the value it was drawn with, so a stale
    # form (an older tab, a resent POST) is recognised and refused (Moodle's sequence check).
    seq = models.PositiveIntegerField(_("sequence"), default=0)
    # Positions the student flagged for later (Moodle's "Flag question"), sorted. Changed only
    # under the attempt's row lock (quizzes.services.attempt_flag), so flags from two tabs at
    # once are both kept; a flag never moves `seq`, so it cannot make an answer form stale.
    flagged = models.JSONField(_("flagged questions"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["student", "quiz", "finished_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "student", "number"], name="attempt_unique_number"
            ),
            # A student resumes their unfinished attempt rather than starting a second one.
            models.UniqueConstraint(
                fields=["quiz", "student"],
                condition=models.Q(finished_at__isnull=True),
                name="attempt_one_open",
            ),
        ]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"{self.quiz} #{self.number} ({self.student})"

    @property
    def free_navigation(self) -> bool:
        """Whether the student may go to any question (snapshotted: attempts started before the
        setting existed are sequential)."""
        return self.settings_snapshot.get("navigation") == NavigationMode.FREE

    @property
    def answers_changeable(self) -> bool:
        """Whether a saved answer may be changed until the attempt is submitted: with free
        navigation and feedback at the end. Such answers feed the flashcard schedule once, at
        submission (quizzes.services.attempt_finish), not when each is saved."""
        return self.free_navigation and self.settings_snapshot.get("feedback") == FeedbackMode.END


class Answer(models.Model):
    """A graded response to one question version within an attempt."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveSmallIntegerField(_("position in the attempt"))
    response = models.JSONField(_("response"))
    score = models.FloatField(_("score"))
    correct = models.BooleanField(_("correct"))
    answered_at = models.DateTimeField(_("answered at"))
    duration_ms = models.PositiveIntegerField(_("time taken (ms)"), null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="answer_once_per_slot"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=1), name="answer_score_range"
            ),
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.attempt} · {self.position}"


class CardState(models.IntegerChoices):
    # The values are py-fsrs's State; quizzes.scheduling converts between the two.
    LEARNING = 1, _("Learning")
    REVIEW = 2, _("Review")
    RELEARNING = 3, _("Relearning")


class Rating(models.IntegerChoices):
    # The values are py-fsrs's Rating.
    AGAIN = 1, _("Again")
    HARD = 2, _("Hard")
    GOOD = 3, _("Good")
    EASY = 4, _("Easy")


class ReviewSource(models.TextChoices):
    FLASHCARD = "flashcard", _("Flashcard review")
    QUIZ = "quiz", _("Quiz answer")


# What one review changes in a memory state: written back together (quizzes.services) and read
# together with a card (quizzes.selectors).
SCHEDULE_FIELDS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due_at",
    "last_review_at",
    "last_review_days",
    "reps",
    "lapses",
    "decay",
    "factor",
)

# FSRS's default forgetting curve, as quizzes.scheduling.DEFAULT_DECAY and DEFAULT_FACTOR (a test
# compares them): that of every state computed with the default parameters.
DEFAULT_DECAY = -0.1542
DEFAULT_FACTOR = 0.9803464944134797


class MemoryState(models.Model):
    """A student's current FSRS memory state for one card, updated in place on every review.

    It can always be rebuilt by replaying that student's `ReviewLog` rows for the card.
    """

    # No index of its own: the two below lead with the student (each index is written on
    # every review, which moves `due_at`).
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memory_states",
        db_index=False,
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="memory_states")
    state = models.PositiveSmallIntegerField(_("state"), choices=CardState.choices)
    step = models.PositiveSmallIntegerField(_("learning step"), null=True, blank=True)
    stability = models.FloatField(_("stability"), null=True, blank=True)
    difficulty = models.FloatField(_("difficulty"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    last_review_at = models.DateTimeField(_("last review at"), null=True, blank=True)
    # `last_review_at` as days since 1970-01-01 UTC, so that predicted recall can be computed
    # and averaged in SQL on every database (see quizzes.scheduling.recall_expression).
    last_review_days = models.FloatField(_("last review (days since 1970)"), null=True, blank=True)
    reps = models.PositiveIntegerField(_("reviews"), default=0)
    lapses = models.PositiveIntegerField(_("lapses"), default=0)
    # The forgetting curve R(t) = (1 + factor * t / stability) ** decay of the parameters that
    # computed `stability` (the defaults, or a fit's: courses.ParameterFit), so that recall is
    # computed in SQL with each state's own curve (quizzes.scheduling.recall_expression).
    decay = models.FloatField(
        _("forgetting curve's decay"), default=DEFAULT_DECAY, db_default=DEFAULT_DECAY
    )
    factor = models.FloatField(
        _("forgetting curve's factor"), default=DEFAULT_FACTOR, db_default=DEFAULT_FACTOR
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "card"], name="memory_state_unique"),
        ]
        # Serves the review queue: this student's cards due before now, most overdue first.
        indexes = [models.Index(fields=["student", "due_at"], name="memory_state_queue")]
        verbose_name = _("memory state")
        verbose_name_plural = _("memory states")

    def __str__(self) -> str:
        return f"{self.student} · {self.card}"


# As Anki: a card forgotten this many times (lapses) is a leech, suspended and tagged; again
# every half as many lapses after that, if the student puts it back.
LEECH_LAPSES = 8


def is_leech_lapse(lapses: int) -> bool:
    """Whether reaching `lapses` makes a card a leech (8, 12, 16, ...)."""
    return lapses >= LEECH_LAPSES and (lapses - LEECH_LAPSES) % (LEECH_LAPSES // 2) == 0


class SuspensionReason(models.TextChoices):
    STUDENT = "student", _("Suspended by the student")
    LEECH = "leech", _("Leech: forgotten too often")


class CardSuspension(models.Model):
    """A card the student's reviews leave out until they put it back: one they suspended, or a
    leech. Their memory state and review history are kept as they were."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="card_suspensions",
        db_index=False,  # the constraint below leads with it
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="suspensions")
    reason = models.CharField(_("reason"), max_length=10, choices=SuspensionReason.choices)
    lapses = models.PositiveIntegerField(_("lapses when suspended"), default=0)
    created_at = models.DateTimeField(_("suspended at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "card"], name="card_suspension_unique"),
        ]
        verbose_name = _("suspended card")
        verbose_name_plural = _("suspended cards")

    def __str__(self) -> str:
        return f"{self.student} · {self.card} · {self.get_reason_display()}"


class CardFlag(models.Model):
    """A student's report that a card is wrong or unclear, for the course's authors. One open
    report per student and card; an author resolves it."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="flags")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_flags"
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["card", "student"],
                condition=models.Q(resolved_at__isnull=True),
                name="card_flag_open_unique",
            ),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("card flag")
        verbose_name_plural = _("card flags")

    def __str__(self) -> str:
        return f"{self.card} · {self.student}"


class ReviewLog(models.Model):
    """One rating of one card by one student. Append-only: rows are never updated or deleted
    (except with the student's account, and by Undo of the student's own latest rating)."""

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_logs",
        db_index=False,  # the indexes below lead with it
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="review_logs")
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)
    reviewed_at = models.DateTimeField(_("reviewed at"))
    elapsed_days = models.FloatField(_("days since the previous review"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("time taken (ms)"), null=True, blank=True)
    state_before = models.PositiveSmallIntegerField(
        _("state before"), choices=CardState.choices, null=True, blank=True
    )
    state_after = models.PositiveSmallIntegerField(_("state after"), choices=CardState.choices)
    due_after = models.DateTimeField(_("due after"))
    source = models.CharField(
        _("source"), max_length=10, choices=ReviewSource.choices, default=ReviewSource.FLASHCARD
    )
    answer = models.OneToOneField(
        Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_log"
    )

    class Meta:
        ordering = ["reviewed_at", "id"]
        indexes = [
            models.Index(fields=["student", "card", "reviewed_at"]),
            # A student's reviews since a moment (today's counts, in every review queue): the
            # rows of today, not every review the student ever made.
            models.Index(fields=["student", "reviewed_at"], name="review_log_student_time"),
        ]
        verbose_name = _("review log entry")
        verbose_name_plural = _("review log")

    def __str__(self) -> str:
        return f"{self.student} · {self.card} · {self.get_rating_display()}"


class RecallRollup(models.Model):
    """One student's memory of one lesson, summed at fixed moments: how many of their states
    count (an active card, a stability and a last review) and the sum of those states'
    predicted recall at 00:00 UTC of day `base_day + k`, k = 0 … 15 (`r0` … `r15`).

    Kept exact by database triggers on `quizzes_memorystate` and `quizzes_card` (migration
    0007; each state's recall at a fixed moment is a constant, so a change adds new minus old)
    and re-based nightly by `manage.py recall_rollup`. School-wide reports read it instead of
    the states (quizzes.rollups); never written by Python code except that rebuild.
    """

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    lesson = models.ForeignKey("content.Lesson", on_delete=models.CASCADE, related_name="+")
    base_day = models.IntegerField(_("day point 0 (days since 1970, UTC)"))
    n = models.IntegerField(_("states counted"), default=0)
    r0 = models.FloatField(default=0)
    r1 = models.FloatField(default=0)
    r2 = models.FloatField(default=0)
    r3 = models.FloatField(default=0)
    r4 = models.FloatField(default=0)
    r5 = models.FloatField(default=0)
    r6 = models.FloatField(default=0)
    r7 = models.FloatField(default=0)
    r8 = models.FloatField(default=0)
    r9 = models.FloatField(default=0)
    r10 = models.FloatField(default=0)
    r11 = models.FloatField(default=0)
    r12 = models.FloatField(default=0)
    r13 = models.FloatField(default=0)
    r14 = models.FloatField(default=0)
    r15 = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "lesson"], name="recall_rollup_unique"),
        ]
        verbose_name = _("recall rollup")
        verbose_name_plural = _("recall rollups")

    def __str__(self) -> str:
        return f"{self.student} · {self.lesson} · day {self.base_day}"


class AcceptedResponse(models.Model):
    """A typed response accepted after the fact as right (Moodle's regrade): by an author for
    everyone, or by a teacher for the students of one class (`classroom`).

    An author's acceptance is merged into the answer key of the version it was accepted on and
    of the question's current version, and the loader merges it into every later version (it
    never removes one; `manage.py accepted_responses --write` writes them into the course's
    files). A class's acceptance is not in any key: grading reads it for that class's
    students. `blank` is the cloze blank it is for (from 0), -1 for the whole answer.
    """

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="accepted_responses"
    )
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    blank = models.SmallIntegerField(_("blank"), default=-1)
    text = models.CharField(_("response"), max_length=500)
    # `text` as the grader compares it, so that one form is accepted once per scope.
    form = models.CharField(_("compared as"), max_length=500)
    classroom = models.ForeignKey(
        "courses.Classroom",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="accepted_responses",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        ordering = ["accepted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "blank", "form"],
                condition=models.Q(classroom__isnull=True),
                name="accepted_response_once",
            ),
            models.UniqueConstraint(
                fields=["question", "blank", "form", "classroom"],
                condition=models.Q(classroom__isnull=False),
                name="accepted_response_once_per_class",
            ),
        ]
        verbose_name = _("accepted response")
        verbose_name_plural = _("accepted responses")

    def __str__(self) -> str:
        return f"{self.question} · {self.text}"


class Regrade(models.Model):
    """What one accepted response changed in one answer: the audit trail that the attempt's
    review shows ("regraded on …"). Written only by quizzes.regrade."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="regrades")
    accepted = models.ForeignKey(
        AcceptedResponse, on_delete=models.CASCADE, related_name="regrades"
    )
    regraded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    regraded_at = models.DateTimeField(_("regraded at"))
    old_score = models.FloatField(_("old score"))
    new_score = models.FloatField(_("new score"))
    # The attempt's score before and after (None while the attempt is unfinished).
    old_attempt_score = models.FloatField(_("old attempt score"), null=True, blank=True)
    new_attempt_score = models.FloatField(_("new attempt score"), null=True, blank=True)
    # The rating the answer gave its flashcard, if it fed one, before and after.
    old_rating = models.PositiveSmallIntegerField(
        _("old rating"), choices=Rating.choices, null=True, blank=True
    )
    new_rating = models.PositiveSmallIntegerField(
        _("new rating"), choices=Rating.choices, null=True, blank=True
    )

    class Meta:
        ordering = ["regraded_at", "pk"]
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")

    def __str__(self) -> str:
        return f"{self.answer} · {self.old_score:g} → {self.new_score:g}"
