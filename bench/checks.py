"""What the benchmark reads from the database after a run (Django must be set up, with the
server's database): whether every rating was recorded, whether each student who started the
quiz has exactly one open attempt, and how many queries three pages take."""

import re
from datetime import UTC, datetime

from bench.load import FIELD, SHOW, Results


def ratings_recorded(data: dict, results: Results) -> int:
    """Flashcard ratings of the benchmark's students made since the counted rounds began."""
    from quizzes.models import ReviewLog, ReviewSource

    return ReviewLog.objects.filter(
        student_id__in=[s["id"] for s in data["students"]],
        source=ReviewSource.FLASHCARD,
        reviewed_at__gte=datetime.fromtimestamp(results.started_at, UTC),
    ).count()


def record_missing_ratings(data: dict, results: Results) -> int:
    """Counts ratings the server answered but did not record as review-loop errors."""
    recorded = ratings_recorded(data, results)
    missing = results.reviews_posted - recorded
    if missing > 0 and "review" in results.stats:
        results.stats["review"].errors["rating answered but not recorded"] += missing
    return recorded


def open_attempts_ok(data: dict, results: Results) -> bool:
    """Every student who was sent to an attempt has exactly one open attempt at the quiz, and
    it is the one they were sent to."""
    from quizzes.models import Attempt

    open_ids: dict[int, set[int]] = {}
    for student_id, attempt_id in Attempt.objects.filter(
        quiz_id=data["start_quiz_id"], finished_at__isnull=True
    ).values_list("student_id", "pk"):
        open_ids.setdefault(student_id, set()).add(attempt_id)
    return bool(results.started_attempts) and all(
        open_ids.get(student) == ids and len(ids) == 1
        for student, ids in results.started_attempts.items()
    )


# Statements that only open and close transactions and savepoints (PostgreSQL's BEGIN and
# COMMIT are logged as queries): not counted, as in the tests' budgets (tests/conftest.py).
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def _queries(captured) -> int:
    return sum(
        1
        for query in captured.captured_queries
        if not query["sql"].lstrip().upper().startswith(_TRANSACTION_CONTROL)
    )


def count_queries(data: dict) -> dict[str, int]:
    """Queries of one request each, in this process through Django's test client, as a
    benchmark student: the rating POST with the next card (htmx), the study page, the
    dashboard. Sessions and users are loaded as in the server; statements that only open and
    close transactions are not counted."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    htmx = {"HX-Request": "true"}
    show = {**htmx, "HX-Target": "card-answer"}  # as htmx sends "Show answer"
    for student in data["students"]:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[data["cookie_names"]["session"]] = student["session"]
        with CaptureQueriesContext(connection) as study:
            page = client.get("/study/")
        found = SHOW.search(page.content.decode())
        if page.status_code != 200 or found is None:
            continue
        shown = client.get(f"/study/?show={found.group(1)}", headers=show)
        fields = dict(FIELD.findall(shown.content.decode()))
        if "reps" not in fields:
            continue
        form = {
            "card": fields["card"],
            "rating": "3",
            "reps": fields["reps"],
            "duration_ms": "4000",
        }
        with CaptureQueriesContext(connection) as rating:
            rated = client.post("/study/", form, headers=htmx)
        if rated.status_code != 200 or re.search(r'class="messages"', rated.content.decode()):
            raise RuntimeError("the query count's rating was refused")
        with CaptureQueriesContext(connection) as dashboard:
            client.get("/")
        return {
            "rating_post": _queries(rating),
            "study_page": _queries(study),
            "dashboard": _queries(dashboard),
        }
    raise RuntimeError("no benchmark student has a card to review")
