"""`make bench`: a fresh PostgreSQL database, the data, gunicorn, the load, the report.

    python -m bench.run [--students 300] [--users 8] [--rounds 3] [--seconds 8]

1. Drops and creates the database of BENCH_DATABASE_URL (only one whose name contains
   "bench"), migrates it, collects static files and generates the data (bench.generate).
   The servers and this process share a cache of this run's own: files in bench/out/cache,
   or Redis with --redis-url (BENCH_REDIS_URL), under a key prefix of this run's.
2. Starts gunicorn (config/gunicorn.conf.py) with config.settings.bench and
   DJANGO_CONN_MAX_AGE=0, and runs rounds of the bare view only: a database connection per
   request.
3. Starts it again with persistent connections (production's default if that keeps them,
   else DJANGO_CONN_MAX_AGE=600) and runs the interleaved rounds of every scenario; checks
   that every rating was recorded and counts three pages' queries; then runs the synchronized
   quiz starts (last: the open attempts they leave hold cards back from review) and checks
   that each student has one open attempt.
4. Prints the tables and writes them, with the raw figures, to bench/out/. The database is
   left as it is, for bench.profile_review or a look.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from bench import report
from bench.load import Options as LoadOptions
from bench.load import Results, run, run_quiz_starts

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/learnhall_bench"
PERSISTENT_S = "600"


def recreate_database(url: str) -> None:
    import dj_database_url

    config = dj_database_url.parse(url)
    name = str(config["NAME"])
    if "bench" not in Path(name).name:
        raise SystemExit(
            f"refusing to drop {name!r}: the benchmark's database name must contain 'bench'"
        )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        quoted = '"' + name.replace('"', '""') + '"'
        conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {quoted}")


def production_connections(env: dict[str, str]) -> tuple[bool, str]:
    """Whether production's settings, with no DJANGO_CONN_MAX_AGE set, keep connections: read
    in a fresh interpreter, as a server would start."""
    env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    env.pop("DJANGO_CONN_MAX_AGE", None)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; "
        "print(json.dumps([db.get('CONN_MAX_AGE'), bool(db.get('OPTIONS', {}).get('pool'))]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    max_age, pool = json.loads(out.strip().splitlines()[-1])
    persistent = pool or max_age is None or max_age > 0
    described = f"CONN_MAX_AGE={max_age}" + (", psycopg pool" if pool else "")
    return persistent, described


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[str]:
    """Gunicorn with config/gunicorn.conf.py on a free port, until /healthz answers; stopped
    (SIGTERM, then SIGKILL after the graceful timeout) when the block ends."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            cwd=BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
            try:
                with urlopen(base_url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log}")
            time.sleep(0.2)  # polling a starting server, not a test
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return sha + (" with uncommitted changes" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--users", type=int, default=LoadOptions.users)
    parser.add_argument("--teacher-users", type=int, default=LoadOptions.teacher_users)
    parser.add_argument("--rounds", type=int, default=LoadOptions.rounds)
    parser.add_argument("--seconds", type=float, default=LoadOptions.seconds)
    parser.add_argument("--warmup-seconds", type=float, default=LoadOptions.warmup_seconds)
    parser.add_argument("--quiz-starts", type=int, default=LoadOptions.quiz_starts)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="serve with Redis as the cache (REDIS_URL), e.g. redis://127.0.0.1:6379/5",
    )
    parser.add_argument("--out", type=Path, default=BASE_DIR / "bench" / "out")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
    }
    # Each phase sets its own; a replica or Redis only when asked for (--redis-url).
    for name in ("DJANGO_CONN_MAX_AGE", "DATABASE_REPLICA_URL", "REDIS_URL"):
        env.pop(name, None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    # The cache is the servers' and this process's alone: a directory of this run's (where
    # the settings keep files), under a key prefix of this run's (where Redis is shared).
    cache_dir = args.out / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    env["DJANGO_CACHE_DIR"] = str(cache_dir)
    env["DJANGO_CACHE_KEY_PREFIX"] = f"bench-{stamp}"
    os.environ.clear()
    os.environ.update(env)
    began = time.perf_counter()
    commit = _commit()
    print(f"bench: {commit}, {os.cpu_count()} cores, database {args.database_url}", flush=True)

    recreate_database(args.database_url)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    from django.conf import settings

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    sessions = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from bench import checks, generate

    data = generate.generate(generate.Options(students=args.students))
    # What bench.profile_review needs to read this database later as the servers did: the key
    # the sessions are signed with, and the same cache.
    data["secret_key"] = env["DJANGO_SECRET_KEY"]
    data["environment"] = {
        name: env[name]
        for name in ("DJANGO_CACHE_DIR", "DJANGO_CACHE_KEY_PREFIX", "REDIS_URL")
        if name in env
    }
    generate.write(data, args.out / "data.json")
    print(f"bench: data generated in {data['seconds']} s: {data['counts']}", flush=True)
    connection.close()

    persistent_default, described = production_connections(env)
    options = LoadOptions(
        users=args.users,
        teacher_users=args.teacher_users,
        rounds=args.rounds,
        seconds=args.seconds,
        warmup_seconds=args.warmup_seconds,
        quiz_starts=args.quiz_starts,
    )
    load = {"before": os.getloadavg()}
    log = args.out / f"gunicorn-{stamp}.log"
    print("bench: bare view with DJANGO_CONN_MAX_AGE=0", flush=True)
    with server({**env, "DJANGO_CONN_MAX_AGE": "0"}, log) as url:
        per_request = run(url, data, replace(options, scenarios=("bare",)), starts=False)
    per_request = per_request.stats["bare"]
    persistent_env = {} if persistent_default else {"DJANGO_CONN_MAX_AGE": PERSISTENT_S}
    persistent_label = described if persistent_default else f"CONN_MAX_AGE={PERSISTENT_S}"
    print(f"bench: every scenario, {persistent_label}", flush=True)
    with server({**env, **persistent_env}, log) as url:
        results: Results = run(url, data, options, starts=False)
        load["after"] = os.getloadavg()
        recorded = checks.record_missing_ratings(data, results)
        queries = checks.count_queries(data)
        connection.close()
        if options.quiz_starts:
            print(f"bench: {options.quiz_starts} synchronized quiz starts", flush=True)
            started = run_quiz_starts(url, data, options)
            results.stats.update(started.stats)
            results.started_attempts = started.started_attempts
    starts_ok = checks.open_attempts_ok(data, results) if options.quiz_starts else None
    results.stats["bare_per_request"] = per_request
    figures = report.figures(
        results,
        bare_per_request=per_request,
        queries=queries,
        production_persistent=persistent_default,
        production_connections=described,
        open_attempts_ok=starts_ok,
    )
    scenario_md = report.markdown(report.scenario_table(results.stats))
    figure_md = report.markdown(report.figure_table(figures))
    summary = (
        f"Commit {commit}; {os.cpu_count()} cores; {args.students} students × "
        f"{data['counts']['cards']} cards; {args.users} users ({args.teacher_users} on the "
        f"teacher pages), {args.rounds} rounds × {args.seconds:g} s per scenario; persistent "
        f"phase {persistent_label}; cache {cache}, sessions {sessions}; ratings posted "
        f"{results.reviews_posted}, recorded "
        f"{recorded}; load average {load['before'][0]:.1f} before, {load['after'][0]:.1f} "
        f"after; {time.perf_counter() - began:.0f} s in all."
    )
    text = f"{scenario_md}\n\n{figure_md}\n\n{summary}\n"
    print("\n" + text)
    (args.out / f"report-{stamp}.md").write_text(text)
    (args.out / f"results-{stamp}.json").write_text(
        json.dumps(
            {
                "commit": commit,
                "options": options.__dict__,
                "students": args.students,
                "counts": data["counts"],
                "results": results.as_dict(),
                "queries": queries,
                "ratings_recorded": recorded,
                "open_attempts_ok": starts_ok,
                "production_connections": described,
                "cache": cache,
                "sessions": sessions,
                "load_average": load,
                "figures": [f.__dict__ for f in figures],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
