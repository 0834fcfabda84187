"""Fill a PostgreSQL database with generated classes and memory states, and time the queries and
pages that grow with them. Measurement only: it never runs on SQLite, and never on a database
that holds anything but its own `scale-` accounts unless given --force.

    manage.py scale pages  [--students 300] [--repeat 15] [--profile]
    manage.py scale states [--sizes 10000,100000,1000000,10000000] [--students 10000]
                           [--recall-only]
    manage.py scale rating [--calls 500]

`pages` builds one class of N students who have studied every card of the bundled course (memory
states, review logs, a finished quiz attempt each) and times the teacher pages in-process with
Django's test client. `states` grows `quizzes_memorystate` size by size with INSERT … SELECT
(indexes dropped during each load and rebuilt after, as a restore would), and at each size
times one student's due queue (quizzes.selectors.study_queue), the class recall aggregate
(courses.results.class_retention) over a class of 300 and over a class of every student, and
the teacher pages; it prints a table and the EXPLAIN (ANALYZE, BUFFERS) plans. The school's
recall is timed twice, from the recall rollups (quizzes.rollups, built after each load by the
nightly rebuild, which is timed too) and from the states, and the two are compared: the
rollup's interpolation error at this instant against its bound. `--recall-only` times only that.
`rating` times `review_record` (the rating's write) with the rollup trigger on and off, in turn,
on the measured student's cards of a database `states` filled.
"""

import random
import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from config.db import prepared_cursor
from content.models import Lesson
from courses import results, services
from courses.models import (
    AssignmentKind,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    LessonSet,
    LessonSetItem,
)
from courses.roles import Role
from courses.selectors import study_day_for
from quizzes import rollups
from quizzes.grading import key_response
from quizzes.models import Answer, Attempt, Card, MemoryState, QuestionVersion, ReviewLog
from quizzes.selectors import study_queue
from quizzes.services import review_record

PREFIX = "scale-"
BUNDLE = Path(settings.BASE_DIR) / "content" / "bundle" / "alliance-politics"
SYNTHETIC_LESSONS = 10
SYNTHETIC_CARDS_PER_LESSON = 86  # with the bundle's 149 cards: 1,009, enough for 1,000 a student
CLASS_SIZE = 300


class Command(BaseCommand):
    help = "Generate scale data in PostgreSQL and time the queue, the recall aggregate and pages."

    def add_arguments(self, parser):
        parser.add_argument("mode", choices=["pages", "states", "rating"])
        parser.add_argument("--students", type=int, help="pages: 300; states: 10,000")
        parser.add_argument("--repeat", type=int, default=15, help="timed runs per figure")
        parser.add_argument(
            "--sizes",
            default="10000,100000,1000000,10000000",
            help="states: memory-state counts to grow to, in order",
        )
        parser.add_argument("--no-explain", action="store_true", help="states: skip the plans")
        parser.add_argument(
            "--recall-only", action="store_true", help="states: time the school's recall only"
        )
        parser.add_argument("--calls", type=int, default=500, help="rating: reviews per setting")
        parser.add_argument("--profile", action="store_true", help="pages: pyinstrument each page")
        parser.add_argument("--seed", type=int, default=14)
        parser.add_argument(
            "--force", action="store_true", help="run on a database that holds other data"
        )

    def handle(self, *args, mode: str, force: bool, seed: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "scale runs on PostgreSQL only: set DATABASE_URL=postgres://…/scale_something"
            )
        call_command("migrate", verbosity=0)
        others = get_user_model().objects.exclude(username__startswith=PREFIX)
        if others.exists() and not force:
            raise CommandError(
                f"{connection.settings_dict['NAME']} holds accounts that scale did not make; "
                "use an empty database of your own, or --force."
            )
        random.seed(seed)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [(seed % 100) / 100])
        bundle_course()
        if mode == "pages":
            self.pages(
                students=options["students"] or CLASS_SIZE,
                repeat=options["repeat"],
                profile=options["profile"],
            )
        elif mode == "rating":
            self.rating(calls=options["calls"])
        else:
            sizes = [int(float(s)) for s in options["sizes"].split(",")]
            self.states(
                students=options["students"] or 10_000,
                sizes=sizes,
                repeat=options["repeat"],
                explain=not options["no_explain"],
                recall_only=options["recall_only"],
            )

    # pages --------------------------------------------------------------------------------------

    def pages(self, *, students: int, repeat: int, profile: bool) -> None:
        started = time.perf_counter()
        teacher = teacher_account()
        classroom = Classroom.objects.filter(name=f"Scale class {students}").first()
        if classroom is None:
            people = accounts_create(students, start=0)
            classroom = class_create(f"Scale class {students}", teacher, people, bundled_sets())
            cards = list(bundled_cards())
            states_create(people, cards)
            reviews_create(people, cards)
            attempts_create(classroom)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            f"class of {classroom.enrollments.count()} students ready in "
            f"{time.perf_counter() - started:.1f} s; "
            f"{MemoryState.objects.filter(student__enrollments__classroom=classroom).count()} "
            f"memory states, {ReviewLog.objects.count()} review logs, "
            f"{Attempt.objects.count()} attempts"
        )
        self.table(time_pages(classroom, teacher, repeat=repeat))
        if profile:
            profile_pages(classroom, teacher, self.stdout)

    # states -------------------------------------------------------------------------------------

    def states(
        self, *, students: int, sizes: list[int], repeat: int, explain: bool, recall_only: bool
    ) -> None:
        started = time.perf_counter()
        teacher = teacher_account()
        synthetic = synthetic_course()
        people = list(
            get_user_model()
            .objects.filter(username__startswith=f"{PREFIX}s")
            .exclude(username=f"{PREFIX}measured")
            .order_by("pk")[:students]
        )
        if len(people) < students:
            people += accounts_create(students - len(people), start=len(people))
        measured = get_user_model().objects.filter(username=f"{PREFIX}measured").first()
        if measured is None:
            (measured,) = accounts_create(1, start=0, name="measured")
        sets = bundled_sets()
        school_sets = sets + list(LessonSet.objects.filter(course=synthetic))
        classroom = Classroom.objects.filter(name="Scale states class").first()
        if classroom is None:
            classroom = class_create(
                "Scale states class", teacher, [measured, *people[: CLASS_SIZE - 1]], sets
            )
            attempts_create(classroom)
        school = Classroom.objects.filter(name="Scale school").first()
        if school is None:
            school = class_create("Scale school", teacher, [measured, *people], school_sets)
        # Generated in bulk without the rollup's trigger (one trigger call per row), and the
        # rollup rebuilt after each load, as `manage.py recall_rollup` does nightly.
        rollup_trigger(enabled=False)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM quizzes_memorystate m USING auth_user u "
                "WHERE m.student_id = u.id AND u.username LIKE %s",
                [PREFIX + "%"],
            )
        # The measured student has studied every bundled card, whatever the table's size.
        states_create([measured], list(bundled_cards()))
        # Every other student studies the same k cards, drawn at random from every lesson.
        card_ids = list(Card.objects.active().order_by("pk").values_list("pk", flat=True))
        random.shuffle(card_ids)
        self.stdout.write(
            f"{len(people)} students, {len(card_ids)} cards, classes of "
            f"{classroom.enrollments.count()} and {school.enrollments.count()}; "
            f"ready in {time.perf_counter() - started:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        rows = []
        per_student = 0
        for size in sizes:
            target = max(1, size // len(people))
            if target > len(card_ids):
                raise CommandError(
                    f"{size} states need {target} cards a student; there are {len(card_ids)}"
                )
            load_started = time.perf_counter()
            states_fill(people, card_ids[per_student:target])
            per_student = target
            loaded = time.perf_counter() - load_started
            total = MemoryState.objects.count()
            self.stdout.write(
                f"\n== {total:,} memory states ({per_student} a student; "
                f"loaded and indexed in {loaded:.0f} s) =="
            )
            figures = {"states": total}
            rebuild_started = time.perf_counter()
            rows_built = rollups.rollup_rebuild()
            figures["rollup build s"] = time.perf_counter() - rebuild_started
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE quizzes_recallrollup")
            self.stdout.write(
                f"  rollup rebuilt: {rows_built:,} rows in {figures['rollup build s']:.1f} s"
            )
            figures.update(
                time_school_recall(
                    school, repeat=max(1, repeat // 5), explain=explain, out=self.stdout
                )
            )
            if recall_only:
                rows.append(figures)
                continue
            figures.update(
                time_queue(
                    measured,
                    repeat=repeat,
                    explain=explain,
                    out=self.stdout,
                    label="queue (measured student, 149 states)",
                )
            )
            figures.update(
                time_queue(
                    people[0],
                    repeat=repeat,
                    explain=False,
                    out=self.stdout,
                    label="queue (typical student, N/10^4 states)",
                )
            )
            figures.update(
                time_retention(classroom, "class", repeat=repeat, explain=explain, out=self.stdout)
            )
            pages = time_pages(classroom, teacher, repeat=max(3, repeat // 3))
            figures.update({f"{name} p50": p50 for name, (p50, *_) in pages.items()})
            rows.append(figures)
            self.stdout.write("  " + ", ".join(f"{k} {fmt(v)}" for k, v in figures.items()))
        rollup_trigger(enabled=True)
        self.stdout.write("\nsummary (ms, p50)")
        keys = list(rows[0])
        self.stdout.write(" | ".join(keys))
        for figures in rows:
            self.stdout.write(" | ".join(fmt(figures.get(k)) for k in keys))

    # rating -------------------------------------------------------------------------------------

    def rating(self, *, calls: int) -> None:
        """`review_record` on the measured student's cards, in blocks of 50 calls with the
        rollup's trigger on and off in turn; CPU time of this process and wall time per call."""
        measured = get_user_model().objects.filter(username=f"{PREFIX}measured").first()
        if measured is None or not MemoryState.objects.filter(student=measured).exists():
            raise CommandError("run `scale states` on this database first")
        cards = list(Card.objects.filter(memory_states__student=measured).order_by("pk"))
        per = {True: ([], []), False: ([], [])}
        block = 50
        moment = timezone.now()
        for i in range(2 * -(-calls // block)):
            enabled = i % 2 == 0
            rollup_trigger(enabled=enabled)
            for j in range(block):
                card = cards[(i * block + j) % len(cards)]
                moment += timedelta(seconds=1)
                started, started_cpu = time.perf_counter(), time.process_time()
                review_record(student=measured, card=card, rating=3, reviewed_at=moment)
                per[enabled][0].append((time.perf_counter() - started) * 1000)
                per[enabled][1].append((time.process_time() - started_cpu) * 1000)
        rollup_trigger(enabled=True)
        rollups.rollup_rebuild(student_ids=[measured.pk])  # the calls without the trigger
        self.stdout.write(f"review_record, {len(per[True][0])} calls each, ms per call:")
        for enabled, (wall, cpu) in per.items():
            self.stdout.write(
                f"  trigger {'on ' if enabled else 'off'}: wall p50 {statistics.median(wall):.2f}"
                f" mean {statistics.fmean(wall):.2f}; CPU (process_time) mean"
                f" {statistics.fmean(cpu):.3f}, total {sum(cpu):.0f}"
            )

    def table(self, pages: dict) -> None:
        self.stdout.write(f"{'page':<16}{'p50 ms':>9}{'p95 ms':>9}{'CPU p50 ms':>12}{'queries':>9}")
        for name, (p50, p95, cpu, queries) in pages.items():
            self.stdout.write(f"{name:<16}{p50:>9.1f}{p95:>9.1f}{cpu:>12.1f}{queries:>9}")


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 0.1 or value == 0 else f"{value:.1e}"
    return f"{value:,}" if isinstance(value, int) else str(value)


# Data -------------------------------------------------------------------------------------------


def bundle_course() -> Course:
    course = Course.objects.filter(key="alliance-politics").first()
    if course is None:
        from content.loader import load_content

        load_content([BUNDLE])
        course = Course.objects.get(key="alliance-politics")
    return course


def bundled_sets() -> list[LessonSet]:
    return list(LessonSet.objects.filter(course__key="alliance-politics").order_by("position"))


def bundled_cards():
    lessons = LessonSetItem.objects.filter(lesson_set__course__key="alliance-politics")
    return Card.objects.active().filter(lesson__in=lessons.values("lesson")).order_by("pk")


def synthetic_course() -> Course:
    """A second course of generated lessons and cards, so a student can hold 1,000 states."""
    course, created = Course.objects.get_or_create(
        key=f"{PREFIX}course", defaults={"title": "Scale course"}
    )
    if not created:
        return course
    lesson_set = LessonSet.objects.create(
        course=course, key=f"{PREFIX}set", title="Scale lessons", position=0
    )
    for i in range(SYNTHETIC_LESSONS):
        lesson = Lesson.objects.create(key=f"{PREFIX}lesson-{i}", title=f"Scale lesson {i}")
        LessonSetItem.objects.create(lesson_set=lesson_set, lesson=lesson, position=i)
        cards = [
            Card(
                key=f"{PREFIX}card-{i}-{j}",
                lesson=lesson,
                position=j,
                front=f"Front {i}.{j}",
                back=f"Back {i}.{j}",
            )
            for j in range(SYNTHETIC_CARDS_PER_LESSON)
        ]
        for card in cards:
            card.render_html(footnotes={})  # bulk_create does not save() them
        Card.objects.bulk_create(cards)
    return course


def teacher_account():
    User = get_user_model()
    teacher, created = User.objects.get_or_create(username=f"{PREFIX}teacher")
    if created:
        teacher.set_unusable_password()
        teacher.save()
        teacher.groups.add(Group.objects.get(name=Role.TEACHER))
    return teacher


def accounts_create(n: int, *, start: int, name: str = "s") -> list:
    User = get_user_model()
    people = User.objects.bulk_create(
        User(
            username=f"{PREFIX}{name}" if name != "s" else f"{PREFIX}s{start + i:06d}",
            first_name=f"First{start + i}",
            last_name=f"Last{(start + i) * 7919 % 10007:05d}",
            password="!",
        )
        for i in range(n)
    )
    student_group = Group.objects.get(name=Role.STUDENT)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=person.pk, group_id=student_group.pk) for person in people
    )
    return people


def class_create(name: str, teacher, people: list, lesson_sets: list[LessonSet]) -> Classroom:
    classroom = services.classroom_create(name=name, teacher=teacher)
    Enrollment.objects.bulk_create(
        Enrollment(classroom=classroom, student=person) for person in people
    )
    now = timezone.now()
    for i, lesson_set in enumerate(lesson_sets):
        services.assignment_create(
            classroom=classroom,
            teacher=teacher,
            lesson_set=lesson_set,
            due_at=now + timedelta(days=7 * i - 3),  # the first one is overdue
        )
    services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=lesson_sets[0],
        kind=AssignmentKind.QUIZ,
        due_at=now + timedelta(days=5),
        quiz_settings=services.QuizSettings(
            question_count=10, shuffle_questions=False, shuffle_options=False
        ),
    )
    return classroom


def state_for(student_id: int, card_id: int, now) -> MemoryState:
    stability = random.uniform(0.5, 60.0)
    last = now - timedelta(days=random.uniform(0, 30))
    return MemoryState(
        student_id=student_id,
        card_id=card_id,
        state=2,
        stability=stability,
        difficulty=random.uniform(1, 10),
        due_at=last + timedelta(days=stability * random.uniform(0.5, 1.5)),
        last_review_at=last,
        last_review_days=last.timestamp() / 86400,
        reps=random.randint(1, 6),
        lapses=random.choice([0, 0, 0, 1, 2]),
    )


def states_create(people: list, cards: list) -> None:
    now = timezone.now()
    MemoryState.objects.bulk_create(
        (state_for(person.pk, card.pk, now) for person in people for card in cards),
        batch_size=5000,
    )


def reviews_create(people: list, cards: list) -> None:
    """About three review-log rows per memory state, the latest matching the state."""
    rows = []
    for state in MemoryState.objects.filter(student__in=people, card__in=cards).iterator():
        when = state.last_review_at
        for back in range(min(state.reps, 3)):
            rows.append(
                ReviewLog(
                    student_id=state.student_id,
                    card_id=state.card_id,
                    rating=random.choice([1, 3, 3, 3, 4]),
                    reviewed_at=when - timedelta(days=3 * back),
                    duration_ms=random.randint(2000, 15000),
                    state_before=2 if back < state.reps - 1 else None,
                    state_after=2,
                    due_after=state.due_at,
                )
            )
        if len(rows) >= 20_000:
            ReviewLog.objects.bulk_create(rows)
            rows = []
    ReviewLog.objects.bulk_create(rows)


def attempts_create(classroom: Classroom) -> None:
    """One finished attempt per student at the class's quiz, each answer right with p = 0.7."""
    assignment = classroom.assignments.get(kind=AssignmentKind.QUIZ)
    quiz = assignment.quiz
    versions = list(
        QuestionVersion.objects.filter(
            question__lesson__in=quiz.lessons.all(), question__retired_at__isnull=True
        )
        .filter(question__current_version_id=F("pk"))
        .order_by("question__lesson_id", "question__position")[:10]
    )
    now = timezone.now()
    people = list(classroom.students.all())
    attempts = Attempt.objects.bulk_create(
        Attempt(
            quiz=quiz,
            student=person,
            number=1,
            versions=[v.pk for v in versions],
            position=len(versions),
            started_at=now - timedelta(hours=2),
            finished_at=now - timedelta(hours=1),
        )
        for person in people
    )
    answers = []
    for attempt in attempts:
        right = 0
        for position, version in enumerate(versions):
            correct = random.random() < 0.7
            right += correct
            answers.append(
                Answer(
                    attempt=attempt,
                    version=version,
                    position=position,
                    response=key_response(version.type, version.answer_key)
                    if correct
                    else {"wrong": random.randint(0, 3)},
                    score=1.0 if correct else 0.0,
                    correct=correct,
                    answered_at=now - timedelta(hours=1, minutes=50 - position),
                    duration_ms=random.randint(5000, 40000),
                )
            )
        attempt.score = right / len(versions)
    Answer.objects.bulk_create(answers, batch_size=5000)
    Attempt.objects.bulk_update(attempts, ["score"], batch_size=5000)


def states_fill(people: list, card_ids: list[int]) -> None:
    """Give every one of `people` a memory state on each of `card_ids`, in SQL.

    The table's secondary indexes and constraints are dropped during the load and rebuilt after
    it, then the table is analysed, as after a restore."""
    if not card_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'quizzes_memorystate'::regclass AND contype IN ('u', 'f')"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = "
            "'quizzes_memorystate' AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'quizzes_memorystate'::regclass)"
        )
        indexes = cursor.fetchall()
        with transaction.atomic():
            for name, _ in constraints:
                cursor.execute(f'ALTER TABLE quizzes_memorystate DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        # Stability 0.5–60 days, last review 0–30 days ago, due 0.5–1.5 stabilities after it.
        cursor.execute(
            """
            INSERT INTO quizzes_memorystate (student_id, card_id, state, step, stability,
                difficulty, due_at, last_review_at, last_review_days, reps, lapses)
            SELECT student_id, card_id, 2, NULL, stability, 1 + 9 * random(),
                last_at + make_interval(secs => stability * (0.5 + random()) * 86400),
                last_at, extract(epoch FROM last_at) / 86400,
                1 + (random() * 5)::int, (random() * 2)::int
            FROM (
                SELECT s.id AS student_id, c.id AS card_id, 0.5 + 59.5 * random() AS stability,
                    now() - make_interval(secs => 30 * 86400 * random()) AS last_at
                FROM unnest(%s::bigint[]) AS s(id) CROSS JOIN unnest(%s::bigint[]) AS c(id)
            ) generated
            """,
            [[p.pk for p in people], card_ids],
        )
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE quizzes_memorystate ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("ANALYZE")  # every table, as autovacuum would have by the time of a report


# Timing -----------------------------------------------------------------------------------------


def timed(fn, repeat: int) -> tuple[float, float]:
    """p50 and p95 in ms over `repeat` runs, after one warm-up run."""
    p50, p95, _ = timed_with_cpu(fn, repeat)
    return p50, p95


def timed_with_cpu(fn, repeat: int) -> tuple[float, float, float]:
    """p50 and p95 wall time and p50 CPU time of this process, in ms over `repeat` runs,
    after one warm-up run. On a shared machine the CPU time moves far less than the wall time:
    it leaves out the database's work and the time spent waiting for a core."""
    fn()
    runs, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return statistics.median(runs), p95, statistics.median(cpu)


def page_urls(classroom: Classroom) -> dict[str, str]:
    base = f"/classes/{classroom.pk}"
    return {
        "class_detail": f"{base}/",
        "gradebook": f"{base}/gradebook/",
        "gradebook_csv": f"{base}/gradebook.csv",
        "item_analysis": f"{base}/item-analysis/",
        "class_student": f"{base}/students/{results.class_students(classroom).first().pk}/",
    }


def time_pages(classroom: Classroom, teacher, *, repeat: int) -> dict[str, tuple]:
    client = Client()
    client.force_login(teacher)
    found = {}
    for name, url in page_urls(classroom).items():
        reset_queries()  # a request resets the log, which would confuse the capture
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        count = len(queries)  # read now: the next request empties the log
        p50, p95, cpu = timed_with_cpu(lambda url=url: client.get(url), repeat)
        found[name] = (p50, p95, cpu, count)
    return found


def profile_pages(classroom: Classroom, teacher, out) -> None:
    from pyinstrument import Profiler

    client = Client()
    client.force_login(teacher)
    for name, url in page_urls(classroom).items():
        client.get(url)
        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(3):
                client.get(url)
        out.write(f"\n---- {name} (3 requests) ----")
        out.write(profiler.output_text(unicode=False, color=False, show_all=False))


def plan_print(sql: str, out, label: str, params: list | None = None) -> None:
    """The plan of `sql`; with `params`, sent as the app sends it (config.db.prepared_cursor)."""
    with prepared_cursor() if params is not None else connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    out.write(f"  -- plan: {label}\n{plan}\n")


class StatementsCaptured:
    """The statements run inside the block, with their parameters, as the app passed them to
    the cursor: the query log has the review loop's prepared statements as `$n` placeholders
    without their values, which cannot be run again."""

    def __init__(self):
        self.statements: list[tuple[str, list]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)


def time_queue(student, *, repeat: int, explain: bool, out, label: str) -> dict:
    lesson_ids = list(
        Lesson.objects.filter(assignments__classroom__enrollments__student=student)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    day = study_day_for(user=student, now=timezone.now(), lesson_ids=lesson_ids)

    def run():
        return study_queue(student=student, lesson_ids=lesson_ids, day=day)

    with StatementsCaptured() as captured:
        queue = run()
    p50, _ = timed(run, repeat)
    states_sql = [(sql, p) for sql, p in captured.statements if "quizzes_memorystate" in sql]
    sql_ms = sql_p50(states_sql, repeat)
    out.write(
        f"  {label}: {p50:.1f} ms p50 (its memory-state SQL {sql_ms:.1f} ms), "
        f"{len(captured.statements)} queries, due {queue.due_count}"
    )
    if explain:
        for sql, params in states_sql:
            plan_print(sql, out, label, params)
    return {label: p50, f"{label} SQL": sql_ms}


def time_retention(classroom: Classroom, label: str, *, repeat: int, explain: bool, out) -> dict:
    def run():
        return results.class_retention(classroom=classroom, now=timezone.now())

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        rows = run()
    captured = [q["sql"] for q in queries.captured_queries]
    p50, _ = timed(run, repeat)
    studied = sum(row.studied for row in rows)
    out.write(f"  recall {label}: {p50:.1f} ms p50 over {studied:,} states, {len(rows)} lessons")
    if explain:
        for sql in captured:
            if "quizzes_memorystate" in sql or "quizzes_recallrollup" in sql:
                plan_print(sql, out, f"recall {label}")
    return {f"recall {label}": p50}


def rollup_trigger(*, enabled: bool) -> None:
    """Switch the recall rollup's trigger on quizzes_memorystate (migration quizzes 0007)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE quizzes_memorystate {'ENABLE' if enabled else 'DISABLE'} "
            "TRIGGER quizzes_recall_rollup_state"
        )


def time_school_recall(school: Classroom, *, repeat: int, explain: bool, out) -> dict:
    """The school's recall from the rollups (as class_retention reads it for a large class)
    and from the states, at this instant; the largest difference between them, and its bound."""
    figures = time_retention(school, "school (rollup)", repeat=repeat, explain=explain, out=out)
    with override_settings(RECALL_ROLLUP_MIN_STUDENTS=10**9):
        figures.update(time_retention(school, "school (states)", repeat=1, explain=False, out=out))
    now = timezone.now()
    students = results.class_students(school)
    lesson_ids = list(
        AssignmentLesson.objects.filter(assignment__classroom=school).values_list(
            "lesson_id", flat=True
        )
    )
    rolled = results.class_retention(classroom=school, now=now)
    with override_settings(RECALL_ROLLUP_MIN_STUDENTS=10**9):
        exact = results.class_retention(classroom=school, now=now)
    bounds = rollups.error_bound(students=students, lesson_ids=lesson_ids, at=now)
    errors = [
        (abs(r.now - e.now), abs(r.week - e.week), *bounds[r.lesson_id])
        for r, e in zip(rolled, exact, strict=True)
        if e.studied
    ]
    worst = {
        "error now": max(e[0] for e in errors),
        "error week": max(e[1] for e in errors),
        "bound now": max(e[2] for e in errors),
        "bound week": max(e[3] for e in errors),
    }
    out.write(
        f"  school recall at {now:%H:%M} UTC, rollup vs states over {len(errors)} lessons: "
        f"largest |error| now {worst['error now']:.2e} (bound {worst['bound now']:.2e}), "
        f"in 7 days {worst['error week']:.2e} (bound {worst['bound week']:.2e})"
    )
    figures.update(worst)
    return figures


def sql_p50(statements: list[tuple[str, list]], repeat: int) -> float:
    """p50 in ms of running these statements (with their parameters) one after another, sent
    as the app sends them (config.db.prepared_cursor)."""

    def run():
        with prepared_cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()

    return timed(run, repeat)[0]
