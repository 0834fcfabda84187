"""What each environment gets, read from the settings a fresh process builds (config/settings).

The rule (docs/deploy.md): persistent database connections with health checks when DEBUG is off;
a cache that every process of the deployment shares (Redis with REDIS_URL, else files on one
machine); sessions in that cache written through to the database; tasks queued in Redis with
REDIS_URL, else stored in the database. Tests get memory, one connection per request and tasks
run when enqueued.
"""

import pytest
from django.conf import settings

from tests.deploy.processes import SECRET, base_env, run_python

READ_SETTINGS = (
    "import json; import config.settings as s; "
    "print(json.dumps({'caches': s.CACHES, 'databases': s.DATABASES, "
    "'routers': getattr(s, 'DATABASE_ROUTERS', []), 'session_engine': s.SESSION_ENGINE, "
    "'tasks': s.TASKS, 'rq_queues': getattr(s, 'RQ_QUEUES', {}), "
    "'rq': getattr(s, 'RQ', {}), 'django_rq': 'django_rq' in s.INSTALLED_APPS}))"
)


def settings_for(tmp_path, **env: str) -> dict:
    return run_python(
        READ_SETTINGS,
        base_env(
            DJANGO_SECRET_KEY=SECRET,
            **{"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **env},
        ),
    )


def test_production_on_one_machine_keeps_connections_and_shares_a_file_cache(tmp_path):
    found = settings_for(tmp_path, DJANGO_CACHE_DIR=str(tmp_path / "cache"))
    default = found["databases"]["default"]
    assert (default["CONN_MAX_AGE"], default["CONN_HEALTH_CHECKS"]) == (600, True)
    cache = found["caches"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert cache["LOCATION"] == str(tmp_path / "cache")
    assert found["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert found["tasks"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert (found["rq_queues"], found["django_rq"]) == ({}, False)
    assert found["routers"] == []
    assert set(found["databases"]) == {"default"}


def test_redis_url_makes_redis_the_cache_with_short_socket_timeouts(tmp_path):
    found = settings_for(tmp_path, REDIS_URL="redis://127.0.0.1:6379/4")
    cache = found["caches"]["default"]
    assert cache["BACKEND"] == "config.cache.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/4"
    assert cache["KEY_PREFIX"] == "learnhall"
    assert cache["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_redis_url_queues_tasks_in_redis_for_rq_workers(tmp_path):
    found = settings_for(tmp_path, REDIS_URL="redis://127.0.0.1:6379/4")
    assert found["tasks"] == {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
    assert found["rq_queues"]["default"]["URL"] == "redis://127.0.0.1:6379/4"
    assert found["rq"] == {"JOB_CLASS": "django_tasks_rq.Job"}
    assert found["django_rq"]


@pytest.mark.parametrize(
    ("env", "conn_max_age"),
    [({"DJANGO_CONN_MAX_AGE": "0"}, 0), ({"DJANGO_CONN_MAX_AGE": "30"}, 30)],
)
def test_django_conn_max_age_overrides_the_default(tmp_path, env, conn_max_age):
    default = settings_for(tmp_path, **env)["databases"]["default"]
    assert default["CONN_MAX_AGE"] == conn_max_age
    assert default["CONN_HEALTH_CHECKS"] == (conn_max_age != 0)


def test_development_opens_a_connection_per_request_and_shares_the_cache_with_its_worker(
    tmp_path,
):
    """runserver and the task worker that `make run` starts beside it are two processes."""
    found = settings_for(tmp_path, DJANGO_DEBUG="1")
    assert found["databases"]["default"]["CONN_MAX_AGE"] == 0
    cache = found["caches"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"


def test_a_replica_url_adds_the_replica_alias_and_installs_the_router(tmp_path):
    found = settings_for(tmp_path, DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'replica.sqlite3'}")
    replica = found["databases"]["replica"]
    assert replica["NAME"] == str(tmp_path / "replica.sqlite3")
    assert replica["TEST"]["MIRROR"] == "default"
    assert replica["CONN_MAX_AGE"] == 600
    assert found["routers"] == ["config.routers.ReplicaRouter"]


def test_the_test_run_itself_uses_memory_and_runs_tasks_at_once():
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert (
        settings.TASKS["default"]["BACKEND"] == "django.tasks.backends.immediate.ImmediateBackend"
    )


@pytest.mark.parametrize(
    ("env", "prepared"), [({}, True), ({"DJANGO_DB_PREPARED_STATEMENTS": "0"}, False)]
)
def test_postgresql_prepares_the_review_loops_statements_unless_told_not_to(
    tmp_path, env, prepared
):
    found = settings_for(tmp_path, DATABASE_URL="postgres://u@db.invalid:5432/learnhall", **env)
    options = found["databases"]["default"]["OPTIONS"]
    assert ("prepare_threshold" in options) is prepared
    assert ("plan_cache_mode=force_generic_plan" in options["options"]) is prepared
    assert "parallel_setup_cost=10000" in options["options"]
