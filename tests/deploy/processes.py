"""Helpers for tests that run the app in processes of its own, as a deployment does."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "a-long-random-production-secret-" + "k3Vz" * 12


def base_env(**extra: str) -> dict[str, str]:
    """A clean environment: none of the test run's own DJANGO_* or database variables."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def run_python(script: str, env: dict[str, str], *, timeout_s: float = 60) -> object:
    """Run `script` in a new interpreter in the repository; return the JSON its last line prints."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database a connection's settings name (the test database, say)."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{os.path.abspath(settings_dict['NAME'])}"
    assert settings_dict["ENGINE"] == "django.db.backends.postgresql", settings_dict["ENGINE"]
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"
