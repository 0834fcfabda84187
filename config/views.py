import copy
import threading
from concurrent.futures import Future

from django.db import DatabaseError, connection
from django.db.utils import load_backend
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEALTHZ_TIMEOUT_S = 2

_probe_lock = threading.Lock()
_probe: Future | None = None


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Public: whether the database answers. 200 when it does, 503 when it does not.

    Answers within HEALTHZ_TIMEOUT_S (about 2 s) however the database fails: refusing, hanging
    on connect, or locked by another process.
    """
    if not _database_answers(timeout_s=HEALTHZ_TIMEOUT_S):
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "reachable"})


def _database_answers(*, timeout_s: float) -> bool:
    """Run the probe in a daemon thread and stop waiting for it after `timeout_s`.

    The driver's own timeouts below bound most hangs, but not all (a server that stops
    answering mid-query, a hung file system). Requests that arrive while a probe is still out
    share it instead of starting another, so a hung database cannot pile up threads.
    """
    global _probe
    with _probe_lock:
        if _probe is None or _probe.done():
            _probe = Future()
            threading.Thread(
                target=_run_probe,
                args=(_probe, connection.settings_dict),
                name="healthz-probe",
                daemon=True,
            ).start()
        probe = _probe
    try:
        probe.result(timeout=timeout_s)
    except (TimeoutError, DatabaseError):
        return False
    return True


def _run_probe(future: Future, settings_dict: dict) -> None:
    try:
        _query_database(settings_dict)
    except BaseException as exc:  # whatever it is, or the future would stay pending for good
        future.set_exception(exc)
    else:
        future.set_result(None)


def _query_database(settings_dict: dict) -> None:
    """One query on a new connection of its own, with timeouts short enough for a health check.

    PostgreSQL: `connect_timeout` covers a server that accepts the TCP connection and never
    answers; `statement_timeout` a server that is up but cannot run the query. SQLite: a busy
    timeout of HEALTHZ_TIMEOUT_S instead of the 20 s that requests wait for the write lock; the
    query reads the schema, so it touches the file (`SELECT 1` would not).
    """
    settings_dict = copy.deepcopy(settings_dict)
    options = settings_dict.setdefault("OPTIONS", {})
    options.pop("pool", None)  # a connection of its own, closed after the query
    wrapper_class = load_backend(settings_dict["ENGINE"]).DatabaseWrapper
    if wrapper_class.vendor == "postgresql":
        options["connect_timeout"] = HEALTHZ_TIMEOUT_S
        timeout_ms = HEALTHZ_TIMEOUT_S * 1000
        options["options"] = f"{options.get('options', '')} -c statement_timeout={timeout_ms}"
        sql = "SELECT 1"
    elif wrapper_class.vendor == "sqlite":
        options["timeout"] = HEALTHZ_TIMEOUT_S
        sql = "SELECT count(*) FROM sqlite_master"
    else:
        sql = "SELECT 1"
    probe = wrapper_class(settings_dict)
    try:
        with probe.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchone()
    finally:
        probe.close()
