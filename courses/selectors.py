"""Reads for the dashboards."""

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from content import usercache
from content.models import Lesson
from courses.models import (
    Assignment,
    AssignmentKind,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    Invitation,
    InvitationStatus,
    LessonSetItem,
    ParameterFit,
    Profile,
)
from courses.results import study_goal
from courses.roles import Role
from quizzes import scheduling
from quizzes import selectors as quiz_selectors
from quizzes.models import Attempt, CardSuspension
from quizzes.selectors import StudyDay
from quizzes.studyday import day_bounds, study_date


def assignments_for_student(
    *, student: AbstractBaseUser, now: datetime | None = None
) -> QuerySet[Assignment]:
    """Open assignments (at `now`) of the active classes the student is in, given to the whole
    class or to them by name, soonest due first, with their active lessons in order."""
    now = now or timezone.now()
    given = Assignment.students.through.objects.filter(assignment_id=OuterRef("pk"))
    return (
        Assignment.objects.filter(
            classroom__enrollments__student=student,
            classroom__enrollments__removed_at__isnull=True,
            classroom__archived_at__isnull=True,
        )
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(~Exists(given) | Exists(given.filter(user_id=student.pk)))
        .select_related("classroom", "quiz")
        .prefetch_related(
            Prefetch(
                "assignment_lessons",
                queryset=AssignmentLesson.objects.filter(lesson__retired_at__isnull=True)
                .select_related("lesson")
                .order_by("position"),
            )
        )
        .order_by("due_at", "pk")
    )


def invitations_for_student(*, student: AbstractBaseUser):
    """The student's invitations still waiting for an answer, to classes still open."""
    return (
        Invitation.objects.filter(
            student=student,
            status=InvitationStatus.PENDING,
            classroom__archived_at__isnull=True,
        )
        .select_related("classroom", "invited_by")
        .order_by("created_at")
    )


def classes_for_teacher(*, teacher: AbstractBaseUser) -> QuerySet[Classroom]:
    """The classes this user teaches (alone or as a co-teacher), with their sizes."""
    return (
        Classroom.objects.filter(teachers=teacher, archived_at__isnull=True)
        .annotate(
            student_count=Count(
                "enrollments",
                filter=Q(enrollments__removed_at__isnull=True),
                distinct=True,
            ),
            assignment_count=Count("assignments", distinct=True),
        )
        .order_by("name")
    )


@dataclass(frozen=True)
class LessonRef:
    """A lesson as the dashboard links to it."""

    pk: int
    key: str
    title: str

    def get_absolute_url(self) -> str:
        return reverse("content:lesson", kwargs={"key": self.key})


@dataclass(frozen=True)
class ClassRef:
    pk: int
    name: str


@dataclass(frozen=True)
class AssignmentRef:
    """An open assignment as the dashboard shows it, with its active lessons in order. Plain
    values, not model instances: they are unpickled from the cache on every dashboard view, and
    a model instance costs about ten times as much to unpickle."""

    pk: int
    title: str
    kind: str
    target_recall: float
    due_at: datetime
    quiz_id: int | None
    classroom: ClassRef
    lessons: tuple[LessonRef, ...]
    attempts_allowed: int | None = None  # the quiz's; None for unlimited (or no quiz)

    @classmethod
    def of(cls, assignment: Assignment) -> "AssignmentRef":
        return cls(
            pk=assignment.pk,
            title=assignment.title,
            kind=assignment.kind,
            target_recall=assignment.target_recall,
            due_at=assignment.due_at,
            quiz_id=assignment.quiz_id,
            classroom=ClassRef(assignment.classroom_id, assignment.classroom.name),
            lessons=tuple(
                LessonRef(item.lesson_id, item.lesson.key, item.lesson.title)
                for item in assignment.assignment_lessons.all()
            ),
            attempts_allowed=assignment.quiz.attempts_allowed if assignment.quiz_id else None,
        )


@dataclass(frozen=True)
class QuizResult:
    """The student's attempts at one quiz: the best score of the finished ones (0 to 1, None
    before the first is finished), as the gradebook takes it (courses.results.gradebook), and
    how many were started (the limit counts them all, as quizzes.services.attempts_left does)."""

    best: float | None = None
    finished: int = 0
    started: int = 0

    @property
    def open(self) -> bool:
        return self.started > self.finished


def quiz_results(*, student: AbstractBaseUser, quiz_ids) -> dict[int, QuizResult]:
    """The student's `QuizResult` per quiz of `quiz_ids` they have started (one query)."""
    if not quiz_ids:
        return {}
    finished = Q(finished_at__isnull=False)
    rows = (
        Attempt.objects.filter(student=student, quiz_id__in=list(quiz_ids))
        .values("quiz_id")
        .annotate(
            best=Max("score", filter=finished),
            finished=Count("id", filter=finished),
            started=Count("id"),
        )
        .order_by("quiz_id")
        .values_list("quiz_id", "best", "finished", "started")
    )
    return {quiz_id: QuizResult(best, done, started) for quiz_id, best, done, started in rows}


@dataclass(frozen=True)
class StudyContext:
    """What a student's study pages need on every request, derived from rows that rarely change
    and kept in the shared cache (content.usercache) until one of them does."""

    lesson_ids: tuple[int, ...]  # the active lessons of their open assignments, in order
    time_zone: str
    day_starts_at: int
    new_per_day: int
    reviews_per_day: int
    desired_retention: float
    # The questions that the student's unfinished attempts ask: their cards wait (study_queue).
    held_questions: frozenset[int]
    # The cards the student suspended (or that became leeches): left out of their reviews.
    suspended: frozenset[int] = frozenset()
    # The lessons of `lesson_ids`: (id, key, title), to say which lesson a card comes from.
    lessons: tuple[tuple[int, str, str], ...] = ()
    learn_ahead_minutes: int = 20
    # FSRS's parameters in force for the student (`parameters_in_force`; empty: the defaults).
    parameters: tuple[float, ...] = ()
    # Lessons of other courses than the first's: (lesson id, its course's desired retention and
    # parameters in force), for StudyDay.schedule_for.
    lesson_schedules: tuple[tuple[int, float, tuple[float, ...]], ...] = ()
    own_new_per_day: int | None = None  # the student's own limit, if lower than the course's
    # "Study more": extra new cards on one study date (its ISO date; "" for none).
    extra_new_cards: int = 0
    extra_new_cards_on: str = ""
    # "Review ahead" on one study date (its ISO date; "" for none).
    review_ahead_on: str = ""
    # For the dashboard only (`study_context(full=True)`; empty otherwise, as the study pages
    # need none of it): the user's roles, open assignments (with their lessons) as
    # assignments_for_student gives them, and pending invitations.
    roles: frozenset[str] = frozenset()
    assignments: tuple[AssignmentRef, ...] = ()
    invitations: tuple[Invitation, ...] = ()
    # The student's attempts at the quizzes of their assignments, by quiz id. Finishing or
    # starting an attempt forgets the context (quizzes.signals), and so does a regrade
    # (quizzes.regrade, whose bulk updates send no signal).
    quiz_results: dict[int, QuizResult] = field(default_factory=dict)

    def day(self, now: datetime) -> StudyDay:
        start, end = day_bounds(now, time_zone=self.time_zone, day_starts_at=self.day_starts_at)
        new_per_day = self.new_per_day
        if self.own_new_per_day is not None:
            new_per_day = min(new_per_day, self.own_new_per_day)
        today = study_date(now, time_zone=self.time_zone, day_starts_at=self.day_starts_at)
        if self.extra_new_cards and self.extra_new_cards_on == today.isoformat():
            new_per_day += self.extra_new_cards
        day = StudyDay(
            now=now,
            start=start,
            end=end,
            time_zone=self.time_zone,
            day_starts_at=self.day_starts_at,
            new_per_day=new_per_day,
            learn_ahead=timedelta(minutes=self.learn_ahead_minutes),
            reviews_per_day=self.reviews_per_day,
            desired_retention=self.desired_retention,
            parameters=self.parameters,
            lesson_schedules={
                lesson_id: (retention, parameters)
                for lesson_id, retention, parameters in self.lesson_schedules
            },
        )
        return day.reviewing_ahead() if self.review_ahead_on == today.isoformat() else day


def _course_of(lesson_ids) -> Course:
    """The course holding the first of `lesson_ids` (a default course if there is none)."""
    course = courses_of(lesson_ids[:1]).get(lesson_ids[0]) if lesson_ids else None
    return course or Course()


def parameters_by_course(
    *, course_ids: Iterable[int | None], student_id: int | None
) -> dict[int, tuple[float, ...]]:
    """FSRS's parameters in force for the student in each course: those of the student's own
    fit in force, else the course's, else () for FSRS's defaults (courses.ParameterFit); only
    parameters py-fsrs accepts. One query (none without a course)."""
    ids = {pk for pk in course_ids if pk is not None}
    if not ids:
        return {}
    fits = ParameterFit.objects.filter(course_id__in=ids, in_force=True).filter(
        Q(student__isnull=True) | Q(student_id=student_id)
    )
    found = {(course, student): w for course, student, w in fits.values_list(
        "course_id", "student_id", "parameters")}  # fmt: skip
    chosen = {}
    for course_id in ids:
        chosen[course_id] = ()
        for fit in (found.get((course_id, student_id)), found.get((course_id, None))):
            parameters = scheduling.usable_parameters(fit)
            if parameters:
                chosen[course_id] = parameters
                break
    return chosen


def parameters_in_force(*, course_id: int | None, student_id: int | None) -> tuple[float, ...]:
    """`parameters_by_course` for one course."""
    return parameters_by_course(course_ids=[course_id], student_id=student_id).get(course_id, ())


def courses_of(lesson_ids) -> dict[int, Course]:
    """The course holding each of `lesson_ids`: the first (by pk) whose lesson sets hold it,
    else the course whose folder it was loaded from (`Lesson.course_key`), as for the review
    log a course's parameters are fitted to (content.export.course_reviews); a teacher may
    assign a lesson that is in no set. One query, two more for lessons in no set; none without
    lessons."""
    lesson_ids = list(lesson_ids)
    if not lesson_ids:
        return {}
    rows = (
        Course.objects.filter(lesson_sets__lessons__in=lesson_ids)
        .annotate(lesson_id=F("lesson_sets__lessons"))
        .order_by("pk")
    )
    found: dict[int, Course] = {}
    for course in rows:
        found.setdefault(course.lesson_id, course)
    missing = [pk for pk in lesson_ids if pk not in found]
    if missing:
        folders = dict(
            Lesson.objects.filter(pk__in=missing)
            .exclude(course_key="")
            .values_list("pk", "course_key")
        )
        if folders:
            by_key = {c.key: c for c in Course.objects.filter(key__in=set(folders.values()))}
            for lesson_id, key in folders.items():
                if key in by_key:
                    found[lesson_id] = by_key[key]
    return found


def classroom_courses(classroom: Classroom) -> list[Course]:
    """The courses the class studies (those of its assigned lessons), by title."""
    lesson_ids = (
        AssignmentLesson.objects.filter(assignment__classroom=classroom)
        .values_list("lesson_id", flat=True)
        .distinct()
    )
    courses = {course.pk: course for course in courses_of(list(lesson_ids)).values()}
    return sorted(courses.values(), key=lambda course: (course.title, course.pk))


def classroom_fits_in_force(classroom: Classroom, courses: Iterable[Course]) -> Counter:
    """Per course id, how many of the class's current students have a fit of their own in
    force for it (one query)."""
    return Counter(
        ParameterFit.objects.filter(
            course__in=courses,
            in_force=True,
            student__enrollments__classroom=classroom,
            student__enrollments__removed_at__isnull=True,
        ).values_list("course_id", flat=True)
    )


def schedule_for_card(*, student_id: int, card) -> tuple[float, tuple[float, ...]]:
    """The desired retention of the course of the card's lesson, and the parameters in force
    for the student in it."""
    course = _course_of([card.lesson_id])
    return course.desired_retention, parameters_in_force(course_id=course.pk, student_id=student_id)


def _study_context_build(*, user: AbstractBaseUser, now: datetime, full: bool):
    assignments = tuple(assignments_for_student(student=user, now=now))
    lesson_ids = tuple(
        dict.fromkeys(
            item.lesson_id
            for assignment in assignments
            for item in assignment.assignment_lessons.all()
        )
    )
    profile = Profile.objects.filter(user=user).first() or Profile(user=user)
    courses = courses_of(lesson_ids)
    course = (courses.get(lesson_ids[0]) if lesson_ids else None) or Course()
    parameters = parameters_by_course(
        course_ids={c.pk for c in courses.values()}, student_id=user.pk
    )
    attempts = quiz_selectors.attempts_unfinished(student=user)
    held = (
        frozenset(quiz_selectors.questions_in(attempts).values_list("question_id", flat=True))
        if attempts
        else frozenset()
    )
    # An assignment that opens later changes the lessons then.
    opens = (
        Assignment.objects.filter(
            classroom__enrollments__student=user,
            classroom__enrollments__removed_at__isnull=True,
            opens_at__gt=now,
        )
        .order_by("opens_at")
        .values_list("opens_at", flat=True)
        .first()
    )
    lessons = {
        item.lesson_id: (item.lesson_id, item.lesson.key, item.lesson.title)
        for assignment in assignments
        for item in assignment.assignment_lessons.all()
    }
    context = StudyContext(
        lesson_ids=lesson_ids,
        time_zone=profile.time_zone,
        day_starts_at=profile.day_starts_at,
        new_per_day=course.new_cards_per_day,
        reviews_per_day=course.reviews_per_day,
        desired_retention=course.desired_retention,
        held_questions=held,
        own_new_per_day=profile.new_cards_per_day,
        suspended=frozenset(
            CardSuspension.objects.filter(student=user).values_list("card_id", flat=True)
        ),
        lessons=tuple(lessons[pk] for pk in lesson_ids),
        learn_ahead_minutes=course.learn_ahead_minutes,
        parameters=parameters.get(course.pk, ()),
        lesson_schedules=tuple(
            (lesson_id, other.desired_retention, parameters.get(other.pk, ()))
            for lesson_id, other in courses.items()
            if other.pk != course.pk
        ),
        extra_new_cards=profile.extra_new_cards,
        extra_new_cards_on=(
            profile.extra_new_cards_on.isoformat() if profile.extra_new_cards_on else ""
        ),
        review_ahead_on=profile.review_ahead_on.isoformat() if profile.review_ahead_on else "",
    )
    if full:
        context = replace(
            context,
            roles=frozenset(user.groups.values_list("name", flat=True)) & set(Role.values),
            assignments=tuple(AssignmentRef.of(assignment) for assignment in assignments),
            invitations=tuple(invitations_for_student(student=user)),
            quiz_results=quiz_results(
                student=user, quiz_ids={a.quiz_id for a in assignments if a.quiz_id}
            ),
        )
    return context, opens.timestamp() if opens else None


def study_context(*, user: AbstractBaseUser, now: datetime, full: bool = False) -> StudyContext:
    """The user's study context: from the shared cache, or read (up to ten queries) and cached.
    `full` adds what only the dashboard shows (roles, assignments, invitations), kept in an
    entry of its own.

    Every write to the rows it is made of forgets it (courses.signals, quizzes.signals).
    """
    return usercache.get_or_build(
        user.pk,
        lambda: _study_context_build(user=user, now=now, full=full),
        now=now.timestamp(),
        name="full" if full else "study",
        # The study entry is immutable (tuples and frozensets) and read on every study request;
        # the dashboard's holds lists and dicts.
        share=not full,
    )


def study_day_for(*, user: AbstractBaseUser, now: datetime, lesson_ids: list[int]) -> StudyDay:
    """The user's current study day, with the limits of the course of the first of
    `lesson_ids` (for a lesson studied on its own, or a quiz answer feeding the schedule)."""
    context = study_context(user=user, now=now)
    if tuple(lesson_ids[:1]) == context.lesson_ids[:1]:
        return context.day(now)
    course = _course_of(lesson_ids)
    return replace(
        context,
        new_per_day=course.new_cards_per_day,
        reviews_per_day=course.reviews_per_day,
        desired_retention=course.desired_retention,
        learn_ahead_minutes=course.learn_ahead_minutes,
        parameters=parameters_in_force(course_id=course.pk, student_id=user.pk),
    ).day(now)


@dataclass
class AssignmentProgress:
    """One assignment as its student stands on it, by the gradebook's rules
    (courses.results.gradebook): a quiz is done once an attempt is finished, and its score is
    the best finished attempt's; a study goal is done when every card is studied and the mean
    predicted recall of the studied cards reaches the target. Overdue: past due and not done."""

    assignment: AssignmentRef
    lessons: list
    cards: int
    studied: int
    overdue: bool
    recall: float | None = None  # mean predicted recall now of the studied cards
    quiz: QuizResult | None = None  # a quiz's attempts
    done: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.studied / self.cards) if self.cards else 0

    @property
    def recall_percent(self) -> int | None:
        # Rounded down, as the gradebook shows it: a recall shown at the target meets it.
        return None if self.recall is None else math.floor(self.recall * 100 + 1e-9)

    @property
    def score_percent(self) -> int | None:
        best = self.quiz.best if self.quiz else None
        return None if best is None else round(best * 100)

    @property
    def attempts_left(self) -> int | None:
        allowed = self.assignment.attempts_allowed
        if allowed is None:
            return None
        return max(0, allowed - (self.quiz.started if self.quiz else 0))


@dataclass
class ForecastBar:
    day: date
    count: int
    x: float
    y: float
    height: float


@dataclass
class StudentOverview:
    assignments: list[AssignmentProgress]
    lessons: list  # (lesson, quizzes.selectors.LessonSummary), in course order
    due_count: int
    new_count: int
    forecast: list[ForecastBar]
    forecast_max: int
    streak: int


FORECAST_HEIGHT = 120
FORECAST_BAR = 24


def student_overview(
    *, student: AbstractBaseUser, now: datetime, context: StudyContext | None = None
) -> StudentOverview:
    """Everything the student's dashboard shows: the assignments from the cached study
    context (`context` if the caller has read it already: each read is a cache round trip and
    an unpickling), then one query for their cards (quizzes.selectors.summary); the streak up
    to yesterday is read once a day (`streak_before_today`)."""
    if context is None:
        context = study_context(user=student, now=now, full=True)
    lessons = {}
    for assignment in context.assignments:
        for lesson in assignment.lessons:
            lessons.setdefault(lesson.pk, lesson)
    lesson_ids = list(lessons)
    day = context.day(now)
    found = quiz_selectors.summary(
        student=student,
        lesson_ids=lesson_ids,
        day=day,
        held_questions=context.held_questions,
        suspended=context.suspended,
    )
    summaries = found.lessons
    progress = []
    for assignment in context.assignments:
        ids = [lesson.pk for lesson in assignment.lessons]
        # The gradebook's own reckoning (courses.results.study_goal), so that the two agree.
        goal = study_goal(
            target=assignment.target_recall,
            lessons=[(s.cards, s.studied, s.recall_now) for s in (summaries[i] for i in ids)],
        )
        cards, studied, recall = goal.total, goal.studied, goal.recall
        if assignment.kind == AssignmentKind.QUIZ:
            quiz = context.quiz_results.get(assignment.quiz_id) or QuizResult()
            done = quiz.finished > 0
        else:
            quiz = None
            done = goal.met
        progress.append(
            AssignmentProgress(
                assignment=assignment,
                lessons=[lessons[i] for i in ids],
                cards=cards,
                studied=studied,
                overdue=not done and assignment.due_at < now,
                recall=recall,
                quiz=quiz,
                done=done,
            )
        )
    top = max([count for _, count in found.forecast] + [1])
    bars = [
        ForecastBar(
            day=d,
            count=count,
            x=i * (FORECAST_BAR + 4),
            y=FORECAST_HEIGHT - FORECAST_HEIGHT * count / top,
            height=FORECAST_HEIGHT * count / top,
        )
        for i, (d, count) in enumerate(found.forecast)
    ]
    due = sum(s.due for s in summaries.values())
    new = sum(s.new for s in summaries.values())
    return StudentOverview(
        assignments=progress,
        lessons=[(lessons[i], summaries[i]) for i in lesson_ids],
        due_count=min(due, max(0, day.reviews_per_day - found.reviews_today)),
        new_count=min(new, max(0, day.new_per_day - found.new_today)),
        forecast=bars,
        forecast_max=top,
        streak=streak_before_today(student=student, day=day) + (1 if found.any_today else 0),
    )


def streak_before_today(*, student: AbstractBaseUser, day: StudyDay) -> int:
    """Consecutive study days with a review or quiz answer, ending yesterday (0 if yesterday
    had none): the past does not change, so it is read once per study day and cached."""
    today = quiz_selectors.study_date(
        day.now, time_zone=day.time_zone, day_starts_at=day.day_starts_at
    )
    key = f"streak:v1:{student.pk}:{day.time_zone}:{day.day_starts_at}:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        days = quiz_selectors.study_days(student=student, day=day, until=day.start)
        found = quiz_selectors.streak_ending(days, today - timedelta(days=1))
        cache.set(key, found, timeout=2 * 24 * 60 * 60)
    return found


def quiz_is_open_to(*, user: AbstractBaseUser, quiz_id: int, quiz_key: str | None) -> bool:
    """Content quizzes (a lesson's or a lesson set's) are open to everyone signed in; a quiz a
    teacher set is open to the students it was given to and to the class's teachers."""
    if quiz_key:
        return True
    given = assignments_for_student(student=user).filter(quiz_id=quiz_id).exists()
    return given or Assignment.objects.filter(quiz_id=quiz_id, classroom__teachers=user).exists()


# The student's own pages: their classes, one class, the course's lessons ------------------------


def classes_for_student(*, student: AbstractBaseUser) -> QuerySet[Classroom]:
    """The open classes the user is a student in now, by name, with their teachers."""
    return (
        Classroom.objects.filter(
            enrollments__student=student,
            enrollments__removed_at__isnull=True,
            archived_at__isnull=True,
        )
        .prefetch_related(
            Prefetch("teachers", queryset=get_user_model().objects.order_by("username"))
        )
        .order_by("name", "pk")
    )


def class_for_student(*, student: AbstractBaseUser, class_id: int) -> Classroom | None:
    """The open class `class_id` if the user is a student in it now, with its teachers; None
    otherwise (a removed student, a teacher of the class, anyone else)."""
    return classes_for_student(student=student).filter(pk=class_id).first()


def attempts_in_class(*, student: AbstractBaseUser, classroom: Classroom) -> QuerySet:
    """The student's own finished attempts at the quizzes their class set, newest first."""
    return (
        Attempt.objects.filter(
            student=student,
            finished_at__isnull=False,
            quiz__in=classroom.assignments.filter(kind=AssignmentKind.QUIZ).values("quiz_id"),
        )
        .select_related("quiz")
        .only("pk", "number", "score", "finished_at", "quiz__title")
        .order_by("-finished_at", "-pk")
    )


@dataclass(frozen=True)
class LessonSetListing:
    title: str
    lessons: tuple[LessonRef, ...]


@dataclass(frozen=True)
class CourseListing:
    title: str
    lesson_sets: tuple[LessonSetListing, ...]


def courses_with_lessons() -> list[CourseListing]:
    """Every course with its lesson sets and their active lessons, in order (course text is
    readable by everyone signed in, content.views.lesson); sets with no active lesson and
    courses with no set left out. Two queries."""
    items = (
        LessonSetItem.objects.filter(lesson__retired_at__isnull=True)
        .select_related("lesson_set__course")
        .only(
            "position",
            "lesson__key",
            "lesson__title",
            "lesson_set__title",
            "lesson_set__position",
            "lesson_set__course__title",
        )
        .select_related("lesson")
        .order_by(
            "lesson_set__course__title",
            "lesson_set__course_id",
            "lesson_set__position",
            "lesson_set_id",
            "position",
        )
    )
    courses: dict[int, tuple[str, dict[int, tuple[str, list[LessonRef]]]]] = {}
    for item in items:
        lesson_set = item.lesson_set
        sets = courses.setdefault(lesson_set.course_id, (lesson_set.course.title, {}))[1]
        lessons = sets.setdefault(lesson_set.pk, (lesson_set.title, []))[1]
        lessons.append(LessonRef(item.lesson_id, item.lesson.key, item.lesson.title))
    return [
        CourseListing(
            title=title,
            lesson_sets=tuple(
                LessonSetListing(title=set_title, lessons=tuple(lessons))
                for set_title, lessons in sets.values()
            ),
        )
        for title, sets in courses.values()
    ]


def classes_archived_for_teacher(*, teacher: AbstractBaseUser) -> QuerySet[Classroom]:
    """The archived classes this user teaches, the latest archived first."""
    return Classroom.objects.filter(teachers=teacher, archived_at__isnull=False).order_by(
        "-archived_at", "pk"
    )


def enrollments_removed_since(*, classroom: Classroom, since: datetime) -> list[Enrollment]:
    """The class's memberships ended at or after `since` (and not restored), the latest first,
    with their students: those whose removal can still be undone."""
    return list(
        classroom.enrollments.filter(removed_at__gte=since)
        .select_related("student")
        .order_by("-removed_at", "pk")
    )
