"""Where the machine's CPU goes per request: gunicorn's processes, the PostgreSQL backends of
the benchmark's database, and this load client, per scenario.

    python -m bench.cpu --scenarios bare,review,dashboard --seconds 8

After `make bench` (or `bench.generate`) on the database it left, with the same data file. It
starts gunicorn as the benchmark does (persistent connections, no worker replacement, so that
no process's CPU time leaves with it), runs each scenario alone for `--seconds`, and reads each
process's user and system CPU time from /proc before and after. Linux only. Each scenario's
ratings use up the students' due cards: a review scenario of 8 s takes about 1,500 of the
13,000 the generator leaves due, so run `make bench` (or regenerate) after a few runs.

The sum of the three is what a request costs the machine: on two cores the benchmark's ratios
to the bare view are, near enough, the inverse ratios of these sums.
"""

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from bench.load import SCENARIOS, Options, run
from bench.run import BASE_DIR, server

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("gunicorn", "postgres", "client")


def _cpu_times(database: str) -> dict[int, tuple[str, float]]:
    """CPU seconds of each process of ours, by pid: (group, seconds)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.path.realpath(f"/proc/{entry}/cwd")
        except OSError:
            continue  # gone, or not ours to read
        name = stat.split("(", 1)[1].rsplit(")", 1)[0]
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        if int(entry) == os.getpid():
            group = "client"
        elif "gunicorn" in command and cwd == str(BASE_DIR):
            group = "gunicorn"
        elif name == "postgres" and f" {database} " in command:
            group = "postgres"
        else:
            continue
        found[int(entry)] = (group, seconds)
    return found


def _spent(before: dict, after: dict) -> dict[str, float]:
    spent = dict.fromkeys(GROUPS, 0.0)
    for pid, (group, seconds) in after.items():
        spent[group] += seconds - before.get(pid, (group, 0.0))[1]
    return spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=BASE_DIR / "bench" / "out" / "data.json")
    parser.add_argument("--scenarios", default="bare,review,dashboard")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--users", type=int, default=Options.users)
    args = parser.parse_args(argv)
    data = json.loads(args.data.read_text())
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/learnhall_bench")
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": data["secret_key"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "DJANGO_CONN_MAX_AGE": "600",
        "GUNICORN_MAX_REQUESTS": "0",
        **data.get("environment", {}),
    }
    database = urlsplit(url).path.lstrip("/")
    log = BASE_DIR / "bench" / "out" / "gunicorn-cpu.log"
    options = Options(
        users=args.users, rounds=1, seconds=args.seconds, warmup_seconds=0, quiz_starts=0
    )
    print("scenario | requests | req/s | CPU ms per request: gunicorn / postgres / client = sum")
    with server(env, log) as base_url:
        run(base_url, data, replace(options, seconds=2, scenarios=tuple(scenarios)), starts=False)
        for scenario in scenarios:
            before: dict = {}
            # From when the clock starts: not the students' first pages (start_sessions).
            results = run(
                base_url,
                data,
                replace(options, scenarios=(scenario,)),
                starts=False,
                clock_started=lambda into=before: into.update(_cpu_times(database)),
            )
            spent = _spent(before, _cpu_times(database))
            stats = results.stats[scenario]
            each = {g: 1000 * spent[g] / max(stats.requests, 1) for g in GROUPS}
            print(
                f"{scenario} | {stats.requests} | {stats.per_second:.0f} | "
                + " / ".join(f"{each[g]:.2f}" for g in GROUPS)
                + f" = {sum(each.values()):.2f} | errors {stats.error_count}",
                flush=True,
            )


if __name__ == "__main__":
    main()
