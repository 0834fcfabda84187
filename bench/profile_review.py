"""Where the review loop's time goes: iterations of "show the back, then rate" as htmx sends
them, through Django's test client in this process, under pyinstrument.

    python -m bench.profile_review --iterations 100

Run it after `make bench` (or bench.run) on the database that run left, with the same
settings: DJANGO_SETTINGS_MODULE=config.settings.bench and DATABASE_URL; the data file holds the
secret key the sessions were signed with and the run's cache. It first submits the attempts the
run's quiz starts left open (they would hold cards back, which the review loop's rounds did
not meet). Prints pyinstrument's tree, then per loop iteration the time spent in each library
(each sample's innermost frame) and under each of the study view's steps. Wall-clock time:
waiting for PostgreSQL counts, and so does waiting for a core.
"""

import argparse
import json
import os
import random
import time
from pathlib import Path

from bench.load import FIELD, RATINGS, SHOW

# Where each sample's own time (the innermost frame) is spent, by the frame's file; first match.
LIBRARIES = [
    ("SQL round trips (psycopg)", ("/psycopg/",)),
    ("ORM: building querysets, compiling SQL, making rows", ("/django/db/", "/copy.py")),
    ("templates (django.template)", ("/django/template/", "/django/templatetags/")),
    ("Markdown (markdown-it, nh3)", ("/markdown_it/", "/nh3/", "content/markdown.py")),
    ("FSRS (py-fsrs)", ("/fsrs/",)),
    ("the rest of Django (handler, middleware, forms, urls)", ("/django/",)),
]
# The study view's steps, inclusive (a step's SQL counts under it), where a function of that
# name is found: today's names, and those of the baseline (638eefb) for a run against it.
STUDENTS = 50  # taking turns, as in the load run (a card each, whose state is in no cache)
STEPS = (
    "study_queue",
    "study_context",
    "card_for_rating",
    "interval_previews",
    "review_record",
    "render",
    "get_user",
    # at the baseline
    "assigned_lesson_ids",
    "study_day_for",
    "render_markdown",
    "cards_held_back",
)


def _own_time(frame, into: dict[str, float], files: dict[str, float]) -> None:
    if frame.is_synthetic:
        return
    path = frame.file_path or ""
    name = next((n for n, parts in LIBRARIES if any(p in path for p in parts)), "other")
    into[name] = into.get(name, 0.0) + frame.total_self_time
    short = frame.file_path_short or path
    files[short] = files.get(short, 0.0) + frame.total_self_time
    for child in frame.children:
        _own_time(child, into, files)


def _inclusive(frame, function: str) -> float:
    """The time under the outermost frames of `function`."""
    if frame.is_synthetic:
        return 0.0
    if frame.function == function:
        return frame.time
    return sum(_inclusive(child, function) for child in frame.children)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("bench/out/data.json"))
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    args = parser.parse_args(argv)
    data = json.loads(args.data.read_text())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    if data.get("secret_key"):
        os.environ["DJANGO_SECRET_KEY"] = data["secret_key"]
    os.environ.update(data.get("environment", {}))  # the run's cache, not the repository's
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone
    from pyinstrument import Profiler

    from quizzes.models import Attempt
    from quizzes.services import attempt_finish

    # The run's quiz starts left every student an open attempt, which holds cards back from
    # review and adds queries the load's review loop did not make: submit them first.
    for attempt in Attempt.objects.filter(quiz_id=data["start_quiz_id"], finished_at__isnull=True):
        attempt_finish(attempt=attempt, now=timezone.now())
    htmx = {"HX-Request": "true"}
    show = {**htmx, "HX-Target": "card-answer"}  # as htmx sends "Show answer"
    rng = random.Random(14)
    clients, cards = [], []
    for student in data["students"][:STUDENTS]:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[data["cookie_names"]["session"]] = student["session"]
        found = SHOW.search(client.get("/study/").content.decode())
        if found:
            clients.append(client)
            cards.append(found.group(1))
    if not clients:
        raise SystemExit("no benchmark student has a card to review")

    profiler = Profiler(interval=0.001)
    done = 0
    started = time.perf_counter()
    profiler.start()
    while done < args.iterations and clients:
        i = done % len(clients)
        client = clients[i]
        shown = client.get(f"/study/?show={cards[i]}", headers=show).content.decode()
        fields = dict(FIELD.findall(shown))
        rated = client.post(
            "/study/",
            {
                "card": fields["card"],
                "rating": str(rng.choices(list(RATINGS), weights=list(RATINGS.values()))[0]),
                "reps": fields["reps"],
                "duration_ms": "4000",
            },
            headers=htmx,
        ).content.decode()
        found = SHOW.search(rated)
        if found:
            cards[i] = found.group(1)
        else:
            del clients[i], cards[i]
        done += 1
    profiler.stop()
    elapsed = time.perf_counter() - started

    print(profiler.output_text(unicode=True, color=False))
    if args.html:
        args.html.write_text(profiler.output_html())
    root = profiler.last_session.root_frame()
    total = root.time if root else 0.0
    each_ms = elapsed / done * 1000
    print(f"{done} iterations (2 requests each) in {elapsed:.2f} s: {each_ms:.1f} ms each")
    if root is None:
        return
    print("Own time, by library:")
    spent: dict[str, float] = {}
    files: dict[str, float] = {}
    _own_time(root, spent, files)
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {name}: {seconds / done * 1000:.1f} ms per iteration, {seconds / total:.0%}")
    print("Own time, the ten files with the most:")
    for name, seconds in sorted(files.items(), key=lambda item: -item[1])[:10]:
        print(f"  {name}: {seconds / done * 1000:.1f} ms per iteration, {seconds / total:.0%}")
    print("The study view's steps, inclusive:")
    for function in STEPS:
        seconds = _inclusive(root, function)
        if seconds:
            print(
                f"  {function}: {seconds / done * 1000:.1f} ms per iteration, {seconds / total:.0%}"
            )


if __name__ == "__main__":
    main()
