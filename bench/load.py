"""The load client: C virtual users, each sending its next request when the last one answered,
in interleaved rounds of scenarios, so that every ratio compares figures taken in one run on
one machine in the same state.

    python -m bench.load --base-url http://127.0.0.1:8000 --data bench/out/data.json

Scenarios, each in a time window of its own per round (bare, review, dashboard, teacher, then
the next round):
- bare: GET the benchmark's bare logged-in view (bench.urls), the floor under every page;
- review: the review loop as htmx sends it: GET /study/?show=<card> to turn the card over
  (with HX-Target: card-answer, the back's place),
  then POST the rating; one loop iteration is these two requests;
- dashboard: GET / as a student;
- teacher: the class overview, the gradebook and the item analysis, in turn, as the class's
  one teacher (`teacher_users`, 1 by default);
then, after the rounds, `quiz_starts` POSTs to one quiz's start URL, released together.

A response counts as an error if the connection failed, it took longer than the timeout, its
status was not the expected one (a redirect to sign in is an error), or the page refused the
rating. Ratings the server silently did not record are counted by `bench.run` from the database.
"""

import argparse
import asyncio
import json
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

SCENARIOS = ("bare", "review", "dashboard", "teacher")
TEACHER_PAGES = ("overview", "gradebook", "item_analysis")
BARE_PATH = "/bench/bare/"  # bench.urls
RATINGS = {1: 0.10, 2: 0.15, 3: 0.60, 4: 0.15}  # Again, Hard, Good, Easy

SHOW = re.compile(r"\?show=(\d+)")
# The page's masked CSRF token, which htmx sends with each of its requests (X-CSRFToken).
PAGE_TOKEN = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')
FIELD = re.compile(r'<input type="hidden" name="(card|reps|csrfmiddlewaretoken)" value="([^"]*)"')
ATTEMPT = re.compile(r"/attempts/(\d+)/")


@dataclass
class Stats:
    requests: int = 0
    seconds: float = 0.0  # the length of this scenario's windows, added up
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float | None:
        if not self.latencies_s:
            return None
        if len(self.latencies_s) == 1:
            return self.latencies_s[0] * 1000
        cuts = statistics.quantiles(self.latencies_s, n=100, method="inclusive")
        return cuts[round(p) - 1] * 1000

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.per_second, 2),
            "p50_ms": _round(self.percentile_ms(50)),
            "p95_ms": _round(self.percentile_ms(95)),
            "p99_ms": _round(self.percentile_ms(99)),
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass
class Options:
    users: int = 8  # concurrent virtual users
    # A class has one teacher, who opens one page after another: the teacher pages' p50 is each
    # page's own time, not its wait behind seven others.
    teacher_users: int = 1
    rounds: int = 3
    seconds: float = 8.0  # per scenario per round
    warmup_seconds: float = 2.0  # one uncounted round first, to warm the workers up
    steps: int | None = None  # at most this many steps per scenario per round (smoke tests)
    scenarios: tuple[str, ...] = SCENARIOS
    quiz_starts: int = 1000
    timeout_s: float = 120.0
    seed: int = 14


@dataclass
class Results:
    stats: dict[str, Stats] = field(default_factory=dict)  # scenario, or "teacher:<page>"
    reviews_posted: int = 0  # ratings the server answered with the next card
    review_misses: int = 0  # the card on the page was not the one expected: no rating sent
    exhausted: int = 0  # students with nothing left to review
    started_attempts: dict[int, set[int]] = field(default_factory=dict)  # student: attempt ids
    started_at: float = 0.0  # time.time() when the counted rounds began

    def as_dict(self) -> dict[str, Any]:
        return {
            "stats": {name: s.as_dict() for name, s in self.stats.items()},
            "reviews_posted": self.reviews_posted,
            "review_misses": self.review_misses,
            "exhausted": self.exhausted,
            "students_started": len(self.started_attempts),
            "students_with_several_attempts": sum(
                1 for ids in self.started_attempts.values() if len(ids) != 1
            ),
        }


class HttpError(Exception):
    """A response that could not be read."""


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: dict[str, str]  # names in lower case
    text: str


class Client:
    """HTTP/1.1 on asyncio streams, one connection per request (as gunicorn's sync workers
    answer: they close the connection after each response). A few lines instead of httpx: on
    this 2-core machine httpx spent about 4.6 ms of CPU per request (150 bare requests/s took
    two thirds of a core from the server), this client about 0.9 ms."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout_s = timeout_s

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], data: dict | None = None
    ) -> Response:
        body = urlencode(data).encode() if data is not None else b""
        lines = [f"{method} {url} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += ["Connection: close", *(f"{name}: {value}" for name, value in headers.items())]
        if method != "GET":
            lines += ["Content-Type: application/x-www-form-urlencoded"]
            lines += [f"Content-Length: {len(body)}"]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        async with asyncio.timeout(self.timeout_s):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(raw)
                await writer.drain()
                answer = await reader.read()  # to the end: the server closes the connection
            finally:
                writer.close()
        return _parse(answer)


def _parse(answer: bytes) -> Response:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        raise HttpError("the connection closed before the headers ended")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    elif len(body) < int(headers.get("content-length", len(body))):
        raise HttpError("the connection closed before the body ended")
    return Response(int(status.split(" ", 2)[1]), headers, body.decode("utf-8", "replace"))


def _dechunk(body: bytes) -> bytes:
    out = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        if len(body) < size + 2:
            raise HttpError("the connection closed inside a chunk")
        out.append(body[:size])
        body = body[size + 2 :]


class Session:
    """The virtual users' shared HTTP client, and who is next for each kind of step."""

    def __init__(self, base_url: str, data: dict, options: Options) -> None:
        self.data = data
        self.options = options
        self.rng = random.Random(options.seed)
        self.client = Client(base_url, options.timeout_s)
        self.students = list(data["students"])
        self.turn: Counter = Counter()
        self.card: dict[int, int] = {}  # student id: the card their study page shows now
        self.page_token: dict[int, str] = {}  # student id: their study page's CSRF token
        self.reviewing: list[dict] = []  # students with a card to review, in turn
        self.results = Results()

    def next_student(self, kind: str, pool: list[dict] | None = None) -> dict:
        pool = self.students if pool is None else pool
        student = pool[self.turn[kind] % len(pool)]
        self.turn[kind] += 1
        return student

    def headers(
        self, user: dict, *, htmx: bool = False, target: str = "", post: bool = False
    ) -> dict[str, str]:
        names = self.data["cookie_names"]
        headers = {
            "Cookie": f"{names['session']}={user['session']}; {names['csrf']}={user['csrf']}"
        }
        if htmx:
            headers["HX-Request"] = "true"
        if target:
            headers["HX-Target"] = target  # the id of the element htmx swaps
        token = self.page_token.get(user["id"]) if htmx else None
        if token:
            headers["X-CSRFToken"] = token  # as htmx sends the page's <body hx-headers>
        elif post:
            headers["X-CSRFToken"] = user["csrf"]  # the cookie's secret is a valid token too
        return headers

    async def send(
        self,
        stats: list[Stats],
        method: str,
        url: str,
        user: dict,
        *,
        htmx: bool = False,
        target: str = "",
        data: dict | None = None,
        expect: int = 200,
    ) -> Response | None:
        """One request, timed into each of `stats`; None if it failed (counted as an error)."""
        headers = self.headers(user, htmx=htmx, target=target, post=method == "POST")
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, headers=headers, data=data)
        except (OSError, TimeoutError, HttpError, ValueError) as exc:
            for s in stats:
                s.requests += 1
                s.errors[type(exc).__name__] += 1
            return None
        elapsed = time.perf_counter() - started
        for s in stats:
            s.requests += 1
            s.latencies_s.append(elapsed)
            if response.status_code != expect:
                s.errors[f"HTTP {response.status_code}"] += 1
        return response if response.status_code == expect else None

    def stats(self, name: str) -> Stats:
        return self.results.stats.setdefault(name, Stats())

    # Steps: what one virtual user does each time it is its turn -------------------------------

    async def bare(self, stats: dict[str, Stats]) -> None:
        await self.send([stats["bare"]], "GET", BARE_PATH, self.next_student("bare"))

    async def dashboard(self, stats: dict[str, Stats]) -> None:
        await self.send([stats["dashboard"]], "GET", "/", self.next_student("dashboard"))

    async def teacher(self, stats: dict[str, Stats]) -> None:
        page = TEACHER_PAGES[self.turn["teacher"] % len(TEACHER_PAGES)]
        self.turn["teacher"] += 1
        class_id = self.data["class_id"]
        url = {
            "overview": f"/classes/{class_id}/",
            "gradebook": f"/classes/{class_id}/gradebook/",
            "item_analysis": f"/classes/{class_id}/item-analysis/"
            f"?assignment={self.data['item_analysis_assignment_id']}",
        }[page]
        await self.send(
            [stats["teacher"], stats[f"teacher:{page}"]], "GET", url, self.data["teacher"]
        )

    async def review(self, stats: dict[str, Stats]) -> None:
        """Turn the student's card over, then rate it as htmx posts the form."""
        if not self.reviewing:
            stats["review"].errors["no student has a card left to review"] += 1
            await asyncio.sleep(0.05)
            return
        student = self.reviewing.pop(0)
        card = self.card[student["id"]]
        # "Show answer" swaps the back into #card-answer; the rating swaps #review-card.
        shown = await self.send(
            [stats["review"]],
            "GET",
            f"/study/?show={card}",
            student,
            htmx=True,
            target="card-answer",
        )
        if shown is None:
            self.reviewing.append(student)
            return
        fields = dict(FIELD.findall(shown.text))
        if fields.get("card") != str(card):
            # The queue moved on since the last page (a card fell due, or the day turned).
            self.results.review_misses += 1
            self._next_card(student, shown.text)
            return
        rated = await self.send(
            [stats["review"]],
            "POST",
            "/study/",
            student,
            htmx=True,
            data={
                "card": fields["card"],
                "rating": str(self.rng.choices(list(RATINGS), weights=list(RATINGS.values()))[0]),
                "reps": fields["reps"],
                "duration_ms": str(self.rng.randint(2000, 12000)),
                "csrfmiddlewaretoken": fields["csrfmiddlewaretoken"],
            },
        )
        if rated is None:
            self.reviewing.append(student)
            return
        if 'class="messages"' in rated.text:  # "That card is not in your reviews." and the like
            stats["review"].errors["rating refused"] += 1
        else:
            self.results.reviews_posted += 1
        self._next_card(student, rated.text)

    def _next_card(self, student: dict, page: str) -> None:
        found = SHOW.search(page)
        if found:
            self.card[student["id"]] = int(found.group(1))
            self.reviewing.append(student)
        else:
            self.results.exhausted += 1

    async def start_sessions(self) -> None:
        """Before the clock starts, each student opens the pages a study session starts with:
        the dashboard, and the study page, which shows the card to review first.

        A student's first page of the day reads and caches what they study
        (courses.selectors.study_context: 10 queries for the study page, 14 for the dashboard;
        then 2 each). A student reviews tens of cards a day, so the counted rounds measure a
        session under way, as each student's requests after the first are; the first pages are
        a row of the report of their own ("first pages of the day"). Without this, each of the
        300 students' first visits would fall inside the rounds, which visit each student only
        a few times.
        """
        review = "review" in self.options.scenarios
        dashboard = "dashboard" in self.options.scenarios
        if not (review or dashboard):
            return
        queue = list(self.students)
        setup = self.results.stats.setdefault("first_pages", Stats())

        async def worker() -> None:
            while queue:
                student = queue.pop()
                if dashboard:
                    await self.send([setup], "GET", "/", student)
                if review:
                    page = await self.send([setup], "GET", "/study/", student)
                    if page is not None:
                        found = PAGE_TOKEN.search(page.text)
                        if found:
                            self.page_token[student["id"]] = found.group(1)
                        self._next_card(student, page.text)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(max(self.options.users, 1))))
        setup.seconds += time.perf_counter() - started
        if setup.error_count:
            raise RuntimeError(f"study pages failed before the run: {dict(setup.errors)}")

    # Windows and rounds ------------------------------------------------------------------------

    async def window(self, scenario: str, stats: dict[str, Stats], seconds: float) -> None:
        """Every virtual user runs `scenario` until the window closes (or the step budget is
        spent); the window's length is added to the scenario's time."""
        step = getattr(self, scenario)
        budget = [self.options.steps]
        deadline = time.perf_counter() + seconds

        def go_on() -> bool:
            if budget[0] is not None:
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
            return time.perf_counter() < deadline

        async def user() -> None:
            while go_on():
                await step(stats)

        users = self.options.teacher_users if scenario == "teacher" else self.options.users
        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(users)))
        elapsed = time.perf_counter() - started
        for name, s in stats.items():
            if name == scenario or name.startswith(f"{scenario}:"):
                s.seconds += elapsed

    def _scenario_stats(self, into: dict[str, Stats] | None = None) -> dict[str, Stats]:
        stats = into if into is not None else {}
        for name in self.options.scenarios:
            stats.setdefault(name, Stats())
            if name == "teacher":
                for page in TEACHER_PAGES:
                    stats.setdefault(f"teacher:{page}", Stats())
        return stats

    async def rounds(self, clock_started: Callable[[], None] | None = None) -> None:
        await self.start_sessions()
        if self.options.warmup_seconds > 0:
            warm = self._scenario_stats()
            for scenario in self.options.scenarios:
                await self.window(scenario, warm, self.options.warmup_seconds)
        if clock_started:
            clock_started()
        self.results.started_at = time.time()
        self.results.reviews_posted = self.results.review_misses = 0  # the warm-up's
        counted = self._scenario_stats(self.results.stats)
        for _ in range(self.options.rounds):
            for scenario in self.options.scenarios:
                await self.window(scenario, counted, self.options.seconds)

    async def quiz_starts(self) -> None:
        """`quiz_starts` POSTs to the start URL of one quiz, by the students in turn, all
        released at one moment; each should be sent to the student's one open attempt."""
        n = self.options.quiz_starts
        stats = self.stats("quiz_starts")
        barrier = asyncio.Barrier(n)
        url = f"/quizzes/{self.data['start_quiz_id']}/"

        async def start(student: dict) -> None:
            await barrier.wait()
            response = await self.send([stats], "POST", url, student, expect=302)
            if response is None:
                return
            found = ATTEMPT.search(response.headers.get("location", ""))
            if found is None:
                stats.errors["not sent to an attempt"] += 1
                return
            self.results.started_attempts.setdefault(student["id"], set()).add(int(found.group(1)))

        students = [self.students[i % len(self.students)] for i in range(n)]
        started = time.perf_counter()
        await asyncio.gather(*(start(s) for s in students))
        stats.seconds += time.perf_counter() - started
        several = [s for s, ids in self.results.started_attempts.items() if len(ids) != 1]
        if several:
            stats.errors["a student sent to several attempts"] += len(several)


async def _run(
    base_url: str,
    data: dict,
    options: Options,
    *,
    rounds: bool,
    starts: bool,
    clock_started: Callable[[], None] | None = None,
) -> Results:
    session = Session(base_url, data, options)
    if rounds:
        await session.rounds(clock_started)
    if starts and options.quiz_starts:
        await session.quiz_starts()
    return session.results


def run(
    base_url: str,
    data: dict,
    options: Options,
    *,
    starts: bool = True,
    clock_started: Callable[[], None] | None = None,
) -> Results:
    """The rounds against a server at `base_url`, then (with `starts`) the quiz starts.
    `clock_started` is called when the counted rounds begin, after the sessions' first pages
    and the warm-up."""
    return asyncio.run(
        _run(base_url, data, options, rounds=True, starts=starts, clock_started=clock_started)
    )


def run_quiz_starts(base_url: str, data: dict, options: Options) -> Results:
    """The synchronized quiz starts alone. They leave each student an open attempt, which
    holds some of their cards back from review, so they come after everything else."""
    return asyncio.run(_run(base_url, data, options, rounds=False, starts=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--data", type=Path, default=Path("bench/out/data.json"))
    parser.add_argument("--users", type=int, default=Options.users)
    parser.add_argument("--teacher-users", type=int, default=Options.teacher_users)
    parser.add_argument("--rounds", type=int, default=Options.rounds)
    parser.add_argument("--seconds", type=float, default=Options.seconds)
    parser.add_argument("--warmup-seconds", type=float, default=Options.warmup_seconds)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--quiz-starts", type=int, default=Options.quiz_starts)
    args = parser.parse_args(argv)
    options = Options(
        users=args.users,
        teacher_users=args.teacher_users,
        rounds=args.rounds,
        seconds=args.seconds,
        warmup_seconds=args.warmup_seconds,
        scenarios=tuple(s for s in args.scenarios.split(",") if s),
        quiz_starts=args.quiz_starts,
    )
    results = run(args.base_url, json.loads(args.data.read_text()), options)
    print(json.dumps(results.as_dict(), indent=1))


if __name__ == "__main__":
    main()
