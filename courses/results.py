"""What teachers read: class overview, gradebook, one student's record, item analysis and
retention. Every count, sum, mean and rank is computed by the database; Python only arranges
the aggregated rows into tables. Each function runs a fixed number of queries, whatever the
number of students, answers or reviews."""

import enum
import html
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, Ntile
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy

from courses.models import Assignment, AssignmentKind, AssignmentLesson, Classroom, Enrollment
from quizzes import rollups
from quizzes.grading import answer_text, response_text
from quizzes.models import (
    AcceptedResponse,
    Answer,
    Attempt,
    Card,
    MemoryState,
    QuestionType,
    QuestionVersion,
    Regrade,
    ReviewLog,
)
from quizzes.scheduling import recall_expression
from quizzes.selectors import (
    WrongResponse,
    card_counts,
    effective_key,
    recall_by_lesson,
    wrong_responses,
)

User = get_user_model()


def class_students(classroom: Classroom):
    """The class's current students, by name."""
    return User.objects.filter(
        enrollments__classroom=classroom, enrollments__removed_at__isnull=True
    ).order_by("last_name", "first_name", "username")


def _given_to(assignments: list[Assignment]) -> dict[int, set[int]]:
    """For assignments given to some students only: those students' ids."""
    rows = Assignment.students.through.objects.filter(
        assignment_id__in=[a.pk for a in assignments]
    ).values_list("assignment_id", "user_id")
    given: dict[int, set[int]] = defaultdict(set)
    for assignment_id, user_id in rows:
        given[assignment_id].add(user_id)
    return given


def _floor_percent(value: float) -> int:
    # A hair above the float's error, so that 0.29 (28.999999999999996 %) shows as 29 %.
    return math.floor(value * 100 + 1e-9)


@dataclass(frozen=True)
class StudyGoal:
    """A study goal's standing, as its two parts: the cards studied of the assignment's active
    cards, and the mean predicted recall of the studied cards against the target. The goal is
    met only when both are: every card studied, and recall at or above the target.

    Pages show the parts, never a blend of them. Recall is shown rounded down
    (`recall_percent`), so a recall shown at the target meets it; the target as it was entered
    (`target_percent`, a whole percent)."""

    studied: int
    total: int
    recall: float | None  # None until a card is studied
    target: float

    @property
    def cards_met(self) -> bool:
        return self.total > 0 and self.studied >= self.total

    @property
    def recall_met(self) -> bool:
        return self.recall is not None and self.recall >= self.target

    @property
    def met(self) -> bool:
        return self.cards_met and self.recall_met

    @property
    def started(self) -> bool:
        return self.studied > 0

    @property
    def recall_percent(self) -> int | None:
        return None if self.recall is None else _floor_percent(self.recall)

    @property
    def target_percent(self) -> int:
        return round(self.target * 100)


def study_goal(*, target: float, lessons: Iterable[tuple[int, int, float | None]]) -> StudyGoal:
    """A study goal's standing over its lessons, each given as (active cards, cards studied,
    mean predicted recall of the studied cards, or None if none is): the recall is the mean
    over every studied card, so each lesson weighs as many cards as were studied in it.

    The student's dashboard and the teacher's pages both call this, so they agree."""
    total = studied = 0
    recall_sum = 0.0
    for cards, done, recall in lessons:
        total += cards
        studied += done
        if done and recall is not None:
            recall_sum += recall * done
    return StudyGoal(
        studied=studied,
        total=total,
        recall=recall_sum / studied if studied else None,
        target=target,
    )


@dataclass
class Cell:
    """One student's standing on one assignment: a quiz's best finished score and attempts,
    or a study goal's two parts (`goal`)."""

    assigned: bool
    complete: bool = False
    score: float | None = None  # a quiz's best finished score (0 to 1); None for a study goal
    attempts: int = 0  # finished attempts at a quiz
    in_progress: bool = False  # an unfinished attempt at a quiz
    goal: StudyGoal | None = None
    overdue: bool = False

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)

    @property
    def started(self) -> bool:
        """Anything done towards it: a quiz attempted (finished or not), a card studied."""
        if self.goal is not None:
            return self.goal.started
        return self.attempts > 0 or self.in_progress

    @property
    def css(self) -> str:
        return "overdue" if self.overdue else "complete" if self.complete else ""


@dataclass
class Row:
    student: AbstractBaseUser
    cells: list[Cell]
    overdue: int = 0
    mean_score: float | None = None  # mean of the best scores of the quizzes attempted
    recall: float | None = None  # mean of the study goals' recalls, where any card is studied
    studied: int = 0  # cards studied, over the study goals assigned to the student
    cards: int = 0  # the study goals' active cards

    @property
    def mean_percent(self) -> int | None:
        return None if self.mean_score is None else round(self.mean_score * 100)

    @property
    def recall_percent(self) -> int | None:
        return None if self.recall is None else round(self.recall * 100)

    @property
    def studied_share(self) -> float | None:
        return self.studied / self.cards if self.cards else None


@dataclass
class AssignmentSummary:
    """One assignment across the students it is given to."""

    assignment: Assignment
    assigned: int
    complete: int  # a quiz finished, or a study goal met
    overdue: int
    started: int = 0  # a quiz attempted (finished or not), or a card of a study goal studied
    mean_score: float | None = None  # a quiz's mean best score, over the students who finished
    # A study goal: its active cards, the mean cards studied per student it is given to, and
    # the mean recall of the students who studied any.
    cards: int = 0
    mean_studied: float | None = None
    mean_recall: float | None = None

    @property
    def mean_percent(self) -> int | None:
        return None if self.mean_score is None else round(self.mean_score * 100)

    @property
    def mean_recall_percent(self) -> int | None:
        # Rounded down, as a goal's own recall (StudyGoal.recall_percent), beside the target.
        return None if self.mean_recall is None else _floor_percent(self.mean_recall)

    @property
    def target_percent(self) -> int:
        return round(self.assignment.target_recall * 100)


@dataclass
class LessonRecall:
    lesson_id: int
    title: str
    now: float | None
    week: float | None
    studied: int


@dataclass
class Gradebook:
    assignments: list[Assignment]
    rows: list[Row]
    summaries: list[AssignmentSummary] = field(default_factory=list)
    # The class's retention per assigned lesson, as `class_retention` gives it, from the same
    # per-student sums: a page that shows both reads the memory states once.
    retention: list["LessonRecall"] = field(default_factory=list)


def gradebook(
    *,
    classroom: Classroom,
    now: datetime,
    retention: bool = True,
    assignment: Assignment | None = None,
) -> Gradebook:
    """Students × assignments: best quiz scores and attempts, study goals' cards studied and
    recall (`StudyGoal`), and who is overdue; and, unless `retention` is false, the class's mean
    predicted recall per assigned lesson, now and in 7 days (a page that does not show it saves
    a recall term per memory state). With `assignment`, that one column only (the assignment's
    own page), without the retention, and one query fewer.

    Queries: assignments; their lessons; who each is given to; students; quiz attempts (best
    finished score, finished and unfinished counts); cards per lesson; memory-state counts and
    recall sums per student and lesson. Python adds up those per-student rows (a few per
    student), never the states. The class's students are a subquery in the last two, not a list
    of ids: the database reads the enrolment itself.
    """
    lesson_rows = AssignmentLesson.objects.filter(assignment__classroom=classroom)
    if assignment is not None:
        assignments = [assignment]
        lesson_rows = lesson_rows.filter(assignment=assignment)
        retention = False
    else:
        assignments = list(classroom.assignments.order_by("due_at", "pk"))
    lessons_of: dict[int, list[int]] = defaultdict(list)
    titles: dict[int, str] = {}
    for assignment_id, lesson_id, title in lesson_rows.order_by(
        "assignment__due_at", "position"
    ).values_list("assignment_id", "lesson_id", "lesson__title"):
        lessons_of[assignment_id].append(lesson_id)
        titles.setdefault(lesson_id, title)
    given = _given_to(assignments)
    students = list(class_students(classroom))
    enrolled = Enrollment.objects.filter(classroom=classroom, removed_at__isnull=True).values(
        "student_id"
    )
    lesson_ids = {lesson for ids in lessons_of.values() for lesson in ids}

    finished = Q(finished_at__isnull=False)
    tried = {
        (quiz_id, student_id): (best, done, open_)
        for quiz_id, student_id, best, done, open_ in Attempt.objects.filter(
            quiz_id__in=[a.quiz_id for a in assignments if a.quiz_id],
            student_id__in=enrolled,
        )
        .values("quiz_id", "student_id")
        .annotate(
            best=Max("score", filter=finished),
            done=Count("id", filter=finished),
            open=Count("id", filter=~finished),
        )
        .values_list("quiz_id", "student_id", "best", "done", "open")
    }
    cards_per_lesson = Counter(card_counts(lesson_ids))
    sums = {"n": Count("*"), "recall": Sum(recall_expression(now))}
    if retention:
        sums["week"] = Sum(recall_expression(now + timedelta(days=7)))
    studied: dict[tuple[int, int], tuple[int, float]] = {}
    # Per lesson over the whole class: states, and the sums of recall now and in 7 days.
    lesson_sums: dict[int, list] = defaultdict(lambda: [0, 0.0, 0.0])
    for student_id, lesson_id, n, recall, *week in (
        MemoryState.objects.filter(
            student_id__in=enrolled,
            card__lesson_id__in=lesson_ids,
            card__retired_at__isnull=True,
            stability__isnull=False,
        )
        .values("student_id", "card__lesson_id")
        .annotate(**sums)
        .values_list("student_id", "card__lesson_id", *sums)
    ):
        studied[(student_id, lesson_id)] = (n, recall or 0.0)
        totals = lesson_sums[lesson_id]
        totals[0] += n
        totals[1] += recall or 0.0
        totals[2] += (week[0] or 0.0) if week else 0.0

    # What a cell needs of its assignment, worked out once per column, not once per cell.
    columns = [
        (
            column,
            given.get(column.pk),
            column.kind == AssignmentKind.QUIZ,
            [(i, cards_per_lesson[i]) for i in lessons_of[column.pk]],
            column.due_at < now,
        )
        for column in assignments
    ]
    rows = []
    for student in students:
        student_id = student.pk
        cells = []
        for column, targets, is_quiz, lessons, past_due in columns:
            cell = Cell(assigned=not targets or student_id in targets)
            if cell.assigned:
                if is_quiz:
                    best, done, open_ = tried.get((column.quiz_id, student_id), (None, 0, 0))
                    cell.score, cell.attempts, cell.in_progress = best, done, open_ > 0
                    cell.complete = done > 0
                else:
                    parts = []
                    for lesson_id, cards in lessons:
                        n, recall_sum = studied.get((student_id, lesson_id), (0, 0.0))
                        parts.append((cards, n, recall_sum / n if n else None))
                    cell.goal = study_goal(target=column.target_recall, lessons=parts)
                    cell.complete = cell.goal.met
                cell.overdue = not cell.complete and past_due
            cells.append(cell)
        scores = [c.score for c in cells if c.score is not None]
        goals = [c.goal for c in cells if c.goal is not None]
        recalls = [g.recall for g in goals if g.recall is not None]
        rows.append(
            Row(
                student=student,
                cells=cells,
                overdue=sum(1 for c in cells if c.overdue),
                mean_score=sum(scores) / len(scores) if scores else None,
                recall=sum(recalls) / len(recalls) if recalls else None,
                studied=sum(g.studied for g in goals),
                cards=sum(g.total for g in goals),
            )
        )
    summaries = []
    for i, (column, _targets, _is_quiz, lessons, _past_due) in enumerate(columns):
        cells = [row.cells[i] for row in rows if row.cells[i].assigned]
        scores = [c.score for c in cells if c.score is not None]
        goals = [c.goal for c in cells if c.goal is not None]
        recalls = [g.recall for g in goals if g.recall is not None]
        summaries.append(
            AssignmentSummary(
                assignment=column,
                assigned=len(cells),
                complete=sum(1 for c in cells if c.complete),
                overdue=sum(1 for c in cells if c.overdue),
                started=sum(1 for c in cells if c.started),
                mean_score=sum(scores) / len(scores) if scores else None,
                cards=sum(cards for _lesson, cards in lessons),
                mean_studied=sum(g.studied for g in goals) / len(goals) if goals else None,
                mean_recall=sum(recalls) / len(recalls) if recalls else None,
            )
        )
    lessons = []
    for lesson_id, title in titles.items() if retention else ():
        n, recall_sum, week_sum = lesson_sums.get(lesson_id, (0, 0.0, 0.0))
        lessons.append(
            LessonRecall(
                lesson_id=lesson_id,
                title=title,
                now=recall_sum / n if n else None,
                week=week_sum / n if n else None,
                studied=n,
            )
        )
    return Gradebook(assignments=assignments, rows=rows, summaries=summaries, retention=lessons)


def needing_attention(book: Gradebook) -> list[Row]:
    """Students who most need attention first: most overdue, then the smallest share of their
    study goals' cards studied, then the lowest mean quiz score, then the lowest recall."""
    return sorted(
        book.rows,
        key=lambda row: (
            -row.overdue,
            row.studied_share if row.studied_share is not None else 2,
            row.mean_score if row.mean_score is not None else 2,
            row.recall if row.recall is not None else -1,
        ),
    )


class Standing(enum.IntEnum):
    """Where a student is with one assignment, most urgent first (the order of
    `assignment_rows`)."""

    OVERDUE = 0
    NOT_STARTED = 1
    IN_PROGRESS = 2  # a quiz begun but not finished, a study goal begun but not met
    DONE = 3  # a quiz finished, a study goal met

    def label(self, kind: str) -> str:
        """The standing in words, for an assignment of `kind` (a quiz is finished, a study
        goal met)."""
        if self is Standing.DONE and kind == AssignmentKind.STUDY:
            return str(gettext_lazy("goal met"))
        return str(_STANDING_LABELS[self])

    @property
    def css(self) -> str:
        return self.name.lower().replace("_", "-")


_STANDING_LABELS = {
    Standing.OVERDUE: gettext_lazy("overdue"),
    Standing.NOT_STARTED: gettext_lazy("not started"),
    Standing.IN_PROGRESS: gettext_lazy("in progress"),
    Standing.DONE: gettext_lazy("finished"),
}


@dataclass
class AssignmentRow:
    student: AbstractBaseUser
    cell: Cell
    standing: Standing
    label: str  # the standing in words


def assignment_rows(book: Gradebook) -> list[AssignmentRow]:
    """The students given a one-assignment gradebook's assignment (`gradebook(assignment=...)`),
    overdue first, then not started, in progress and done; by name within each."""
    found = []
    for row in book.rows:
        cell = row.cells[0]
        if not cell.assigned:
            continue
        if cell.overdue:
            standing = Standing.OVERDUE
        elif cell.complete:
            standing = Standing.DONE
        elif cell.started:
            standing = Standing.IN_PROGRESS
        else:
            standing = Standing.NOT_STARTED
        label = standing.label(book.assignments[0].kind)
        found.append(AssignmentRow(row.student, cell, standing, label))
    return sorted(found, key=lambda r: r.standing)  # stable: names stay in order


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Where a spreadsheet may start a new cell: a reader in a locale whose list separator is ";" or
# "\t" splits "a;=cmd" into two cells, the second a formula.
_CELL_BREAK = re.compile(r"(^|[;,\t\r\n])([\s\"']*)(?=[=+\-@])")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (OWASP CSV injection):
    a quote is put before a formula character that starts the cell, or that follows anything a
    spreadsheet might split the cell at."""
    text = "" if value is None else str(value)
    if text.startswith(("\t", "\r", "\n")):
        text = "'" + text
    return _CELL_BREAK.sub(r"\1\2'", text)


def _csv_headings(assignments: list[Assignment]) -> list[str]:
    """A distinct heading per assignment: its title and due date (in the current time zone),
    numbered where two are still alike."""
    used: set[str] = set()
    headings = []
    for assignment in assignments:
        due = timezone.localtime(assignment.due_at).date().isoformat()
        heading = base = f"{assignment.title} (due {due})"
        number = 1
        while heading in used:
            number += 1
            heading = f"{base} #{number}"
        used.add(heading)
        headings.append(heading)
    return headings


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def gradebook_csv_rows(book: Gradebook) -> list[list[str]]:
    """The gradebook as spreadsheet rows: a student a row, and per assignment separate columns
    for whether it is assigned, attempted and overdue, then its numbers (a quiz's best score and
    finished attempts; a study goal's cards studied, recall and whether the goal is met). Scores
    and recall are whole percents; a column a student has nothing for is empty, never a word.
    Every cell goes through `csv_safe`."""
    header = ["username", "name"]
    for assignment, heading in zip(book.assignments, _csv_headings(book.assignments), strict=True):
        header += [f"{heading}: assigned", f"{heading}: attempted", f"{heading}: overdue"]
        if assignment.kind == AssignmentKind.QUIZ:
            header += [f"{heading}: best score (%)", f"{heading}: finished attempts"]
        else:
            summary = next(s for s in book.summaries if s.assignment == assignment)
            target = round(assignment.target_recall * 100)
            header += [
                f"{heading}: cards studied (of {summary.cards})",
                f"{heading}: recall (%, target {target}%)",
                f"{heading}: goal met",
            ]
    rows = [[csv_safe(h) for h in header]]
    for row in book.rows:
        cells = [csv_safe(row.student.get_username()), csv_safe(row.student.get_full_name())]
        for assignment, cell in zip(book.assignments, row.cells, strict=True):
            is_quiz = assignment.kind == AssignmentKind.QUIZ
            if not cell.assigned:
                cells += ["no", "", ""] + [""] * (2 if is_quiz else 3)
                continue
            cells += [_yes(True), _yes(cell.started), _yes(cell.overdue)]
            if is_quiz:
                percent = "" if cell.percent is None else str(cell.percent)
                cells += [percent, str(cell.attempts)]
            else:
                goal = cell.goal
                recall = "" if goal.recall_percent is None else str(goal.recall_percent)
                cells += [str(goal.studied), recall, _yes(goal.met)]
        rows.append(cells)
    return rows


# Retention --------------------------------------------------------------------------------------


# Classes of more students than this read their retention from the recall rollups
# (quizzes.rollups: one row per student and lesson, interpolated between day points) instead of
# every memory state; smaller ones read the states, exactly.
RECALL_ROLLUP_MIN_STUDENTS = 1000


def _reads_rollups(classroom: Classroom) -> bool:
    threshold = getattr(settings, "RECALL_ROLLUP_MIN_STUDENTS", RECALL_ROLLUP_MIN_STUDENTS)
    students = Enrollment.objects.filter(classroom=classroom, removed_at__isnull=True)
    return students[threshold : threshold + 1].exists()


def class_retention(*, classroom: Classroom, now: datetime) -> list[LessonRecall]:
    """Mean predicted recall per assigned lesson across the class's students, now and in 7 days.

    A class of more than RECALL_ROLLUP_MIN_STUDENTS students (a school) reads the recall
    rollups: exact at 00:00 UTC, within the lesson's fall in mean recall over the day between
    (quizzes.rollups)."""
    lessons = list(
        AssignmentLesson.objects.filter(assignment__classroom=classroom)
        .values_list("lesson_id", "lesson__title")
        .order_by("assignment__due_at", "position")
    )
    order = dict.fromkeys(lessons)
    lesson_ids = [lesson_id for lesson_id, _ in order]
    students = class_students(classroom)
    if _reads_rollups(classroom):
        stats = rollups.recall_by_lesson(students=students, lesson_ids=lesson_ids, at=now)
    else:
        stats = recall_by_lesson(
            MemoryState.objects.filter(student__in=students, card__lesson_id__in=lesson_ids),
            at=now,
        )
    return [
        LessonRecall(
            lesson_id=lesson_id,
            title=title,
            now=stats.get(lesson_id, {}).get("now"),
            week=stats.get(lesson_id, {}).get("week"),
            studied=stats.get(lesson_id, {}).get("studied", 0),
        )
        for lesson_id, title in order
    ]


# One student ------------------------------------------------------------------------------------


def plain_prompt(version: QuestionVersion, limit: int = 140) -> str:
    """A question's prompt as plain text on one line (its rendered HTML without tags, or for a
    cloze without a prompt its first text), cut at a word before `limit` characters."""
    text = " ".join(html.unescape(strip_tags(version.prompt_html)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.—-") + "…"


def right_answer(version: QuestionVersion) -> str:
    """The key's answer as a short text ("" if the key cannot be read)."""
    try:
        return answer_text(version.type, version.body, version.answer_key)
    except (KeyError, IndexError, TypeError, ValueError):
        return ""


# Below this many answers, an item's statistics say too little to flag it.
MIN_ANSWERS_TO_FLAG = 5
# A weakest card: one the student has forgotten at least once, or whose predicted recall is
# below this (where a card scheduled for 90% retention is well overdue).
WEAK_RECALL = 0.7


@dataclass
class StudentRecord:
    attempts: list[Attempt]
    time_on_task_ms: int
    lessons: list[dict]
    weakest: list[MemoryState]
    left_at: datetime | None  # when the student left the class; nothing after it is shown

    @property
    def time_on_task_minutes(self) -> int:
        return round(self.time_on_task_ms / 60000)


def student_record(
    *, classroom: Classroom, student: AbstractBaseUser, now: datetime
) -> StudentRecord:
    """What the student did for this class, and nothing else: their attempts at the quizzes
    assigned in the class with every answer, their time on those quizzes and on reviewing the
    class's lessons while in the class, and, while they are in it, per lesson their predicted
    recall now and in 7 days with their weakest cards. Self-study, other classes' quizzes and
    anything after the student left are not shown."""
    enrollment = Enrollment.objects.get(classroom=classroom, student=student)
    left_at = enrollment.removed_at
    lesson_rows = list(
        AssignmentLesson.objects.filter(assignment__classroom=classroom)
        .values_list("lesson_id", "lesson__title")
        .order_by("assignment__due_at", "position")
    )
    lessons = dict(lesson_rows)
    lesson_ids = list(lessons)
    attempts = Attempt.objects.filter(
        student=student,
        quiz__in=classroom.assignments.filter(kind=AssignmentKind.QUIZ).values("quiz_id"),
    )
    reviews = ReviewLog.objects.filter(
        student=student,
        card__lesson_id__in=lesson_ids,
        source="flashcard",
        reviewed_at__gte=enrollment.joined_at,
    )
    answers = Answer.objects.select_related("version__question").prefetch_related(
        Prefetch("regrades", Regrade.objects.select_related("accepted", "regraded_by"))
    )
    if left_at is not None:
        attempts = attempts.filter(started_at__lte=left_at)
        answers = answers.filter(answered_at__lte=left_at)
        reviews = reviews.filter(reviewed_at__lte=left_at)
    assignment_of_quiz = classroom.assignments.filter(quiz=OuterRef("quiz")).order_by("pk")
    attempts = list(
        attempts.select_related("quiz")
        .annotate(assignment_id=Subquery(assignment_of_quiz.values("pk")[:1]))
        .prefetch_related(Prefetch("answers", queryset=answers))
        .order_by("-started_at")
    )
    for attempt in attempts:
        for answer in attempt.answers.all():
            version = answer.version
            answer.text = response_text(version.type, version.body, answer.response)
            answer.prompt = plain_prompt(version)
            answer.right = right_answer(version)
            answer.percent = round(answer.score * 100)
    quiz_ms = answers.filter(attempt__in=attempts).aggregate(ms=Coalesce(Sum("duration_ms"), 0))[
        "ms"
    ]
    review_ms = reviews.aggregate(ms=Coalesce(Sum("duration_ms"), 0))["ms"]
    cards = card_counts(lesson_ids)
    per_lesson: dict = {}
    weakest: list[MemoryState] = []
    if left_at is None:  # memory as it is now: only while the student is in the class
        states = MemoryState.objects.filter(
            student=student,
            card__lesson_id__in=lesson_ids,
            card__retired_at__isnull=True,
            stability__isnull=False,
        )
        per_lesson = recall_by_lesson(states, at=now)
        weakest = list(
            states.annotate(recall=recall_expression(now))
            .filter(Q(lapses__gt=0) | Q(recall__lt=WEAK_RECALL))
            .select_related("card", "card__lesson")
            .order_by("-lapses", "recall", "pk")[:10]
        )
    return StudentRecord(
        attempts=attempts,
        time_on_task_ms=quiz_ms + review_ms,
        lessons=[
            {
                "title": lessons[lesson_id],
                "cards": cards.get(lesson_id, 0),
                "studied": per_lesson.get(lesson_id, {}).get("studied", 0),
                "now": per_lesson.get(lesson_id, {}).get("now"),
                "week": per_lesson.get(lesson_id, {}).get("week"),
            }
            for lesson_id in dict.fromkeys(lesson_ids)
        ],
        weakest=weakest,
        left_at=left_at,
    )


# Item analysis ----------------------------------------------------------------------------------


@dataclass
class ItemStats:
    version: QuestionVersion
    answered: int
    facility: float | None  # mean score of the answers (partial credit counts as its share)
    discrimination: float | None  # mean score in the top third minus in the bottom third
    common_wrong: str | None
    common_wrong_count: int = 0
    # Short-answer, numeric and cloze questions: every distinct wrong response, or wrong blank
    # of a cloze (the same text whatever its case and spacing), with how many gave it, most
    # given first. Teachers and authors read these to find right answers the key does not
    # accept yet, and may accept them (quizzes.regrade).
    wrong_responses: list[WrongResponse] = field(default_factory=list)
    # Choice and true/false questions: every option with how many answers chose it.
    options: list["OptionCount"] = field(default_factory=list)

    # Cached: the page reads each several times, and each strips the tags of the prompt's HTML.
    @cached_property
    def prompt(self) -> str:
        return plain_prompt(self.version, limit=200)

    @cached_property
    def prompt_is_shortened(self) -> bool:
        return self.prompt.endswith("…") and self.prompt != plain_prompt(self.version, 10**6)

    @cached_property
    def right_answer(self) -> str:
        return right_answer(self.version)

    @property
    def too_few(self) -> bool:
        """Too few answers to flag the question: a single unlucky answer is not a bad key."""
        return self.answered < MIN_ANSWERS_TO_FLAG

    @cached_property
    def flags(self) -> list[str]:
        from django.utils.translation import gettext as _

        found = []
        if self.too_few:
            return found
        if self.facility is not None and self.facility <= 0.1:
            found.append(_("almost nobody gets it right: check the answer key"))
        if self.discrimination is not None and self.discrimination < 0:
            found.append(_("weaker students do better than stronger ones"))
        return found


@dataclass(frozen=True)
class OptionCount:
    text: str
    count: int  # answers that chose it (a multiple-response answer may choose several)
    right: bool  # the key chooses it
    share: float  # of all the answers to the question


def option_counts(version: QuestionVersion, responses: list[tuple[object, int]]) -> list:
    """For a single-choice, multiple-response or true/false question, each option in the order
    shown, with how many of `responses` ((response, count) pairs) chose it; [] for other types.
    A response naming no valid option counts for none."""
    key, body = version.answer_key or {}, version.body or {}
    if version.type == QuestionType.TRUE_FALSE:
        texts, right, field_name = [_TRUE, _FALSE], {0 if key.get("value") else 1}, "value"
    elif version.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_RESPONSE):
        texts = list(body.get("choices", []))
        many = version.type == QuestionType.MULTIPLE_RESPONSE
        right = set(key.get("choices", [])) if many else {key.get("choice")}
        field_name = "choices" if many else "choice"
    else:
        return []
    chosen = [0] * len(texts)
    total = 0
    for response, n in responses:
        total += n
        value = response.get(field_name) if isinstance(response, dict) else None
        if field_name == "value":
            picks = [0 if value else 1] if isinstance(value, bool) else []
        elif isinstance(value, list):
            picks = {v for v in value if isinstance(v, int)}
        else:
            picks = [value]
        for pick in picks:
            if isinstance(pick, int) and not isinstance(pick, bool) and 0 <= pick < len(texts):
                chosen[pick] += n
    return [
        OptionCount(
            text=str(text), count=count, right=i in right, share=count / total if total else 0
        )
        for i, (text, count) in enumerate(zip(texts, chosen, strict=True))
    ]


_TRUE, _FALSE = gettext_lazy("True"), gettext_lazy("False")


@dataclass
class ItemAnalysis:
    attempts: int
    items: list[ItemStats]


def item_analysis(*, assignment: Assignment) -> ItemAnalysis:
    """Moodle-style statistics for a quiz assignment, over each student's first finished attempt.

    Students are ranked by that attempt's score and split into thirds (SQL NTILE(3)). An item's
    facility is its mean score (an answer worth 2/3 counts 2/3, as Moodle's facility index does)
    and its discrimination the mean score in the top third minus that in the bottom third.
    An item with fewer than MIN_ANSWERS_TO_FLAG answers is not flagged.
    Queries: the ranked attempts; per-version counts; the responses grouped; the versions; the
    responses the class accepted.
    """
    students = class_students(assignment.classroom)
    earlier = Attempt.objects.filter(
        quiz_id=assignment.quiz_id,
        student=OuterRef("student"),
        finished_at__isnull=False,
        number__lt=OuterRef("number"),
    )
    ranked = list(
        Attempt.objects.filter(
            quiz_id=assignment.quiz_id, student__in=students, finished_at__isnull=False
        )
        .filter(~Exists(earlier))
        .annotate(third=Window(Ntile(3), order_by=[F("score").desc(), F("pk").asc()]))
        .values_list("pk", "third")
    )
    attempt_ids = [pk for pk, _ in ranked]
    top = [pk for pk, third in ranked if third == 1]
    bottom = [pk for pk, third in ranked if third == 3]
    counts = (
        Answer.objects.filter(attempt_id__in=attempt_ids)
        .values("version_id")
        .annotate(
            answered=Count("id"),
            mean=Avg("score"),
            top_mean=Avg("score", filter=Q(attempt_id__in=top)),
            bottom_mean=Avg("score", filter=Q(attempt_id__in=bottom)),
        )
        .order_by("version_id")
    )
    counts = {row["version_id"]: row for row in counts}
    given: dict[int, list[tuple[object, int]]] = {}
    wrong: dict[int, list[tuple[object, int]]] = {}
    for row in (
        Answer.objects.filter(attempt_id__in=attempt_ids)
        .values("version_id", "response", "correct")
        .annotate(n=Count("id"))
        .order_by("version_id", "-n")
    ):
        pair = (row["response"], row["n"])
        given.setdefault(row["version_id"], []).append(pair)
        if not row["correct"]:
            wrong.setdefault(row["version_id"], []).append(pair)
    versions = QuestionVersion.objects.filter(pk__in=counts).select_related("question")
    accepted: dict[int, list[tuple[int, str]]] = {}
    for question_id, blank, text in (
        AcceptedResponse.objects.filter(
            classroom=assignment.classroom, question__versions__in=list(counts)
        )
        .order_by("accepted_at", "pk")
        .values_list("question_id", "blank", "text")
        .distinct()
    ):
        accepted.setdefault(question_id, []).append((blank, text))
    items = []
    for version in sorted(versions, key=lambda v: (v.question.lesson_id, v.question.position)):
        row = counts[version.pk]
        top_share, bottom_share = row["top_mean"], row["bottom_mean"]
        responses = wrong.get(version.pk, [])
        response, n = responses[0] if responses else (None, 0)
        items.append(
            ItemStats(
                version=version,
                answered=row["answered"],
                facility=row["mean"],
                discrimination=(
                    top_share - bottom_share
                    if top_share is not None and bottom_share is not None
                    else None
                ),
                common_wrong=response_text(version.type, version.body, response)
                if response is not None
                else None,
                common_wrong_count=n,
                wrong_responses=wrong_responses(
                    version,
                    effective_key(version, accepted.get(version.question_id, [])),
                    responses,
                ),
                options=option_counts(version, given.get(version.pk, [])),
            )
        )
    return ItemAnalysis(attempts=len(attempt_ids), items=items)


# Leeches -----------------------------------------------------------------------------------------

# Anki's leech threshold: a card one student has forgotten this many times is a leech for them.
LEECH_LAPSES = 8
# A card the class keeps forgetting: forgotten at least once by this many students, and by at
# least this share of the students who have studied it.
LAPSING_STUDENTS_MIN = 2
LAPSING_SHARE_MIN = 0.2


@dataclass(frozen=True)
class LapsingCard:
    card_id: int
    front: str
    lesson: str
    studied: int  # students who have studied it
    lapsed: int  # of them, students who forgot it at least once
    lapses: int  # forgettings, all students together
    leeches: int  # students for whom it is a leech (LEECH_LAPSES or more)

    @property
    def lapsed_share(self) -> float:
        return self.lapsed / self.studied if self.studied else 0.0


def class_leeches(*, classroom: Classroom, limit: int = 10) -> list[LapsingCard]:
    """The cards of the class's assigned lessons that its current students keep forgetting:
    those that at least LAPSING_STUDENTS_MIN students, and at least LAPSING_SHARE_MIN of the
    students who studied them, forgot at least once (a lapse: a review rated Again after the
    card was learnt); most students forgetting first, then most lapses, at most `limit`.

    Two queries: the class's memory states grouped by card id alone (grouping by the card's
    text too made PostgreSQL sort every state by it: 85 ms against 49 ms for a class of 300),
    then the texts of the few cards kept."""
    enrolled = Enrollment.objects.filter(classroom=classroom, removed_at__isnull=True).values(
        "student_id"
    )
    lessons = AssignmentLesson.objects.filter(assignment__classroom=classroom).values("lesson_id")
    rows = list(
        MemoryState.objects.filter(
            student_id__in=enrolled,
            card__lesson_id__in=lessons,
            card__retired_at__isnull=True,
            stability__isnull=False,
        )
        .values("card_id")
        .annotate(
            studied=Count("id"),
            lapsed=Count("id", filter=Q(lapses__gt=0)),
            lapses_sum=Sum("lapses"),
            leeches=Count("id", filter=Q(lapses__gte=LEECH_LAPSES)),
        )
        .filter(lapsed__gte=LAPSING_STUDENTS_MIN)
        .alias(lapsed_scaled=F("lapsed") * round(1 / LAPSING_SHARE_MIN))
        .filter(lapsed_scaled__gte=F("studied"))
        .order_by("-lapsed", "-lapses_sum", "card_id")[:limit]
    )
    if not rows:
        return []
    texts = {
        pk: (front, title)
        for pk, front, title in Card.objects.filter(
            pk__in=[row["card_id"] for row in rows]
        ).values_list("pk", "front", "lesson__title")
    }
    return [
        LapsingCard(
            card_id=row["card_id"],
            front=texts[row["card_id"]][0],
            lesson=texts[row["card_id"]][1],
            studied=row["studied"],
            lapsed=row["lapsed"],
            lapses=row["lapses_sum"] or 0,
            leeches=row["leeches"],
        )
        for row in rows
    ]
