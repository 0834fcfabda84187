"""The benchmark's data: a course, a class of N students with a teacher, their memory states
with review history, finished quiz attempts, and a signed-in session per user.

    python -m bench.generate --students 300 --out bench/out/data.json

Run it on an empty, migrated database (`make bench` makes a fresh one). Rows go in with
bulk inserts, so 300 students × 149 cards take seconds. The sessions are made directly in the
session store, so the load client never goes through the sign-in page and its throttle; the
data file it writes holds their keys and is a credential for that database only.
"""

import argparse
import json
import math
import os
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

# A student's rating history and memory, drawn to look like FSRS's without running it.
STATE_WEIGHTS = {2: 0.85, 3: 0.10, 1: 0.05}  # review, relearning, learning
RATING_WEIGHTS = {1: 0.10, 2: 0.15, 3: 0.60, 4: 0.15}
QUESTIONS_PER_QUIZ = 10
BATCH = 2000


@dataclass(frozen=True)
class Options:
    students: int = 300
    attempts: int = 2  # finished quiz attempts per student
    reviews: int = 3  # mean number of logged reviews per card
    due_share: float = 0.3  # share of each student's cards due now
    seed: int = 14
    course_paths: tuple[str, ...] = ()  # empty: the bundled course (settings.CONTENT_BUNDLE_DIRS)


def generate(options: Options) -> dict[str, Any]:
    """Fill the current database; returns what the load client needs (see `write`)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    started = time.perf_counter()
    call_command("load_content", *options.course_paths, verbosity=0)
    rng = random.Random(options.seed)
    with transaction.atomic():
        data = _fill(options, rng)
    # Statistics, as a database in service has them (autovacuum analyzes a table after enough
    # changes, not at once): without them PostgreSQL plans the class page's aggregate over
    # 44,700 states as 44,700 index probes and a sort on disk (246 ms), with them 60 ms.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    data["cookie_names"] = {
        "session": settings.SESSION_COOKIE_NAME,
        "csrf": settings.CSRF_COOKIE_NAME,
    }
    data["seconds"] = round(time.perf_counter() - started, 1)
    return data


def _fill(options: Options, rng: random.Random) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from courses import services
    from courses.models import AssignmentKind, Course, Enrollment, Profile
    from courses.roles import Role, roles_grant

    now = timezone.now()
    roles_grant()
    course = Course.objects.filter(lesson_sets__isnull=False).order_by("pk").first()
    if course is None:
        raise SystemExit("no course with lesson sets was loaded")
    lesson_sets = list(course.lesson_sets.order_by("position"))

    User = get_user_model()
    unusable = make_password(None)  # signed in through sessions only, never by password
    teacher = User.objects.create(username="bench-teacher", first_name="Bench", password=unusable)
    services.user_add_role(user=teacher, role=Role.TEACHER)
    classroom = services.classroom_create(name="Bench class", teacher=teacher)

    names = [f"bench-s{i:05d}" for i in range(options.students)]
    User.objects.bulk_create(
        [
            User(username=name, first_name=f"Student {name[-5:]}", password=unusable)
            for name in names
        ],
        batch_size=BATCH,
    )
    students = list(User.objects.filter(username__in=names).order_by("username"))
    Profile.objects.bulk_create([Profile(user=s) for s in students], batch_size=BATCH)
    student_group = Group.objects.get(name=Role.STUDENT)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=s.pk, group_id=student_group.pk) for s in students],
        batch_size=BATCH,
    )
    Enrollment.objects.bulk_create(
        [Enrollment(classroom=classroom, student=s) for s in students], batch_size=BATCH
    )

    quiz_settings = services.QuizSettings(question_count=QUESTIONS_PER_QUIZ)
    quiz_assignments = []
    for i, lesson_set in enumerate(lesson_sets):
        services.assignment_create(
            classroom=classroom,
            teacher=teacher,
            lesson_set=lesson_set,
            due_at=now + timedelta(days=14),
        )
        quiz_assignments.append(
            services.assignment_create(
                classroom=classroom,
                teacher=teacher,
                lesson_set=lesson_set,
                kind=AssignmentKind.QUIZ,
                due_at=now - timedelta(days=7 - i),
                quiz_settings=quiz_settings,
            )
        )
    # Nobody has started this one: the synchronized starts of the load run go to it.
    start_assignment = services.assignment_create(
        classroom=classroom,
        teacher=teacher,
        lesson_set=lesson_sets[0],
        kind=AssignmentKind.QUIZ,
        due_at=now + timedelta(days=21),
        quiz_settings=quiz_settings,
    )

    counts = _memory(students, lesson_sets, options, rng, now)
    counts.update(_attempts(students, [a.quiz for a in quiz_assignments], options, rng, now))
    return {
        "students": [_signed_in(s) for s in students],
        "teacher": _signed_in(teacher),
        "class_id": classroom.pk,
        "item_analysis_assignment_id": quiz_assignments[0].pk,
        "start_quiz_id": start_assignment.quiz_id,
        "counts": counts,
    }


def _pick(rng: random.Random, weights: dict[int, float]) -> int:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _memory(students, lesson_sets, options: Options, rng: random.Random, now: datetime) -> dict:
    """Every card of the course for every student, with a logged history ending at least two
    days ago (so nothing counts as reviewed today), and `due_share` of the cards due now."""
    from quizzes.models import Card, CardState, MemoryState, ReviewLog, ReviewSource
    from quizzes.scheduling import epoch_days

    lessons = {item.lesson_id for ls in lesson_sets for item in ls.items.all()}
    card_ids = list(
        Card.objects.active().filter(lesson_id__in=lessons).values_list("pk", flat=True)
    )
    state_fields = ["student", "card", "state", "step", "stability", "difficulty", "due_at"]
    state_fields += ["last_review_at", "last_review_days", "reps", "lapses"]
    log_fields = ["student", "card", "rating", "reviewed_at", "elapsed_days", "duration_ms"]
    log_fields += ["state_before", "state_after", "due_after", "source"]
    states, logs = [], []
    due = 0
    for student in students:
        for card_id in card_ids:
            state = _pick(rng, STATE_WEIGHTS)
            reps = max(1, min(2 * options.reviews - 1, round(rng.gauss(options.reviews, 1))))
            last_review_at = now - timedelta(days=rng.uniform(2, 40))
            if rng.random() < options.due_share:
                due += 1
                due_at = now - timedelta(minutes=rng.uniform(1, 60 * 24 * 10))
            else:
                due_at = now + timedelta(days=rng.uniform(1, 60))
            states.append(
                (
                    student.pk,
                    card_id,
                    state,
                    None if state == CardState.REVIEW else 0,
                    math.exp(rng.uniform(0, math.log(90))),  # stability, days
                    rng.uniform(2, 9),  # difficulty
                    due_at,
                    last_review_at,
                    epoch_days(last_review_at),
                    reps,
                    rng.randint(0, reps // 3),  # lapses
                )
            )
            moments = [last_review_at]
            for _ in range(reps - 1):
                moments.append(moments[-1] - timedelta(days=rng.uniform(0.5, 10)))
            moments.reverse()
            for k, reviewed_at in enumerate(moments):
                last = k == len(moments) - 1
                logs.append(
                    (
                        student.pk,
                        card_id,
                        _pick(rng, RATING_WEIGHTS),
                        reviewed_at,
                        (reviewed_at - moments[k - 1]).total_seconds() / 86400 if k else None,
                        rng.randint(2000, 15000),
                        None if k == 0 else int(CardState.REVIEW),
                        state if last else int(CardState.REVIEW),
                        due_at if last else moments[k + 1],
                        ReviewSource.FLASHCARD.value,
                    )
                )
    _insert(MemoryState, state_fields, states)
    _insert(ReviewLog, log_fields, logs)
    return {
        "cards": len(card_ids),
        "memory_states": len(states),
        "due_now": due,
        "review_logs": len(logs),
    }


def _insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Insert plain rows: COPY on PostgreSQL, one executemany elsewhere. Model instances and
    bulk_create cost about 150 µs a row in Python, minutes for the review log of 300 students."""
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    table = f"{quote(meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        rows = [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows]
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} VALUES ({placeholders})", rows)


def _attempts(students, quizzes, options: Options, rng: random.Random, now: datetime) -> dict:
    """`options.attempts` finished attempts per student, over the class's quizzes in turn, each
    answered by a student of their own ability, graded by the real graders."""
    from django.db.models import F

    from quizzes.grading import grade, key_response
    from quizzes.models import Answer, Attempt, QuestionVersion

    versions_of = {
        quiz.pk: list(
            QuestionVersion.objects.filter(
                question__lesson__in=quiz.lessons.all(),
                question__retired_at__isnull=True,
                question__current_version_id=F("pk"),
            ).values_list("pk", "type", "body", "answer_key", named=True)
        )
        for quiz in quizzes
    }
    attempts, planned = [], []
    for student in students:
        ability = rng.uniform(0.3, 0.95)
        for k in range(options.attempts):
            quiz = quizzes[k % len(quizzes)]
            drawn = rng.sample(
                versions_of[quiz.pk], min(QUESTIONS_PER_QUIZ, len(versions_of[quiz.pk]))
            )
            started_at = now - timedelta(days=rng.uniform(1, 30))
            graded = []
            for version in drawn:
                right = rng.random() < ability
                response = (
                    key_response(version.type, version.answer_key)
                    if right
                    else _wrong(version.type, version.body, version.answer_key)
                )
                graded.append(
                    (version.pk, response, grade(version.type, version.answer_key, response))
                )
            attempts.append(
                Attempt(
                    quiz=quiz,
                    student_id=student.pk,
                    number=k // len(quizzes) + 1,
                    versions=[v.pk for v in drawn],
                    settings_snapshot={
                        "feedback": quiz.feedback,
                        "time_limit_minutes": None,
                        "orders": {},
                    },
                    position=len(drawn),
                    seq=2 * len(drawn) + 1,
                    started_at=started_at,
                    finished_at=started_at + timedelta(minutes=rng.uniform(3, 20)),
                    score=sum(g.score for _, _, g in graded) / len(graded) if graded else 0.0,
                )
            )
            planned.append(graded)
    Attempt.objects.bulk_create(attempts, batch_size=BATCH)
    if attempts and attempts[0].pk is None:  # a database that returns no ids from bulk inserts
        raise SystemExit("the database returned no ids from a bulk insert")
    answers = [
        Answer(
            attempt_id=attempt.pk,
            version_id=version_id,
            position=position,
            response=response,
            score=result.score,
            correct=result.correct,
            answered_at=attempt.started_at + timedelta(seconds=30 * (position + 1)),
            duration_ms=rng.randint(5000, 60000),
        )
        for attempt, graded in zip(attempts, planned, strict=True)
        for position, (version_id, response, result) in enumerate(graded)
    ]
    Answer.objects.bulk_create(answers, batch_size=BATCH)
    return {"attempts": len(attempts), "answers": len(answers)}


def _wrong(qtype: str, body: dict, key: dict) -> dict:
    """A plausible wrong response of the right shape (the grader decides how wrong it is)."""
    from quizzes.models import QuestionType

    match qtype:
        case QuestionType.SINGLE_CHOICE:
            return {"choice": (key["choice"] + 1) % len(body["choices"])}
        case QuestionType.MULTIPLE_RESPONSE:
            others = [i for i in range(len(body["choices"])) if i not in key["choices"]]
            return {"choices": others[:1] or list(key["choices"])[:1]}
        case QuestionType.TRUE_FALSE:
            return {"value": not key["value"]}
        case QuestionType.NUMERIC:
            return {"text": str(key["value"] + 1000)}
        case QuestionType.MATCHING:
            matches = list(key["matches"])
            return {"matches": matches[1:] + matches[:1]}
        case QuestionType.ORDERING:
            return {"order": list(reversed(key["order"]))}
        case QuestionType.CLOZE:
            return {"blanks": ["?"] * len(key["blanks"])}
    return {"text": "I do not know"}


def _signed_in(user) -> dict[str, Any]:
    """A signed-in session for the user, made in the session store as `login()` would leave it,
    and a CSRF cookie value (a browser gets one from its first page with a form)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import get_random_string

    from courses.timezones import SESSION_KEY as TIME_ZONE_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[TIME_ZONE_KEY] = "UTC"
    session.create()
    signed_in = {
        "id": user.pk,
        "username": user.get_username(),
        "session": session.session_key,
        "csrf": get_random_string(32),
    }
    return signed_in


def write(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    path.chmod(0o600)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=Options.students)
    parser.add_argument("--attempts", type=int, default=Options.attempts)
    parser.add_argument("--reviews", type=int, default=Options.reviews)
    parser.add_argument("--due-share", type=float, default=Options.due_share)
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument("--out", type=Path, default=Path("bench/out/data.json"))
    parser.add_argument("paths", nargs="*", help="course folders (default: the bundled course)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    data = generate(
        Options(
            students=args.students,
            attempts=args.attempts,
            reviews=args.reviews,
            due_share=args.due_share,
            seed=args.seed,
            course_paths=tuple(args.paths),
        )
    )
    write(data, args.out)
    print(f"generated in {data['seconds']} s: {data['counts']} -> {args.out}")


if __name__ == "__main__":
    main()
