"""Gunicorn's settings for `make serve` and `make bench`, each from the environment.

    gunicorn -c config/gunicorn.conf.py config.wsgi:application

GUNICORN_BIND           where to listen                 127.0.0.1:$PORT (PORT defaults to 8000)
GUNICORN_WORKERS        worker processes                2 × CPU cores + 1 (5 on 2 cores); falls
                                                        back to WEB_CONCURRENCY if that is set
GUNICORN_THREADS        threads per worker              1: sync workers. More than 1 switches to
                                                        gthread workers
GUNICORN_TIMEOUT        seconds a request may take before its worker is killed and restarted  30
GUNICORN_GRACEFUL_TIMEOUT  seconds to finish requests on a restart or stop                 30
GUNICORN_KEEPALIVE      seconds an idle keep-alive connection stays open (gthread only)      5
GUNICORN_MAX_REQUESTS   requests after which a worker is replaced (0: never)            20000
GUNICORN_ACCESS_LOG     a file, or "-" for stdout; unset: no access log
GUNICORN_LOG_LEVEL      debug, info, warning, error                                      info
GUNICORN_CONTROL_SOCKET the path of gunicorn's control socket; unset: none

The application is CPU-bound (templates, Markdown, the scheduler) with short database waits, so
the default is gunicorn's rule of thumb of 2 × cores + 1 single-threaded workers: while one
worker waits on PostgreSQL another computes. Each worker thread holds its own database
connection when DJANGO_CONN_MAX_AGE is set, so one server opens up to workers × threads
connections: keep the sum over all app servers below PostgreSQL's max_connections (100 by
default). A request that outlives GUNICORN_TIMEOUT is killed with its worker; 30 s is far beyond
any page here (the health check answers within 2 s even when the database hangs). Workers are
replaced after about GUNICORN_MAX_REQUESTS requests (with jitter, so not all at once) to bound
any slow growth of memory. A new worker costs about a second of CPU (importing Django and the
apps, warming up): at 1,000 requests per worker, on this 2-core machine at full load, that was a
quarter of the throughput of a bare page (make bench: 892 req/s replacing every ~1,000, 1,162
without; docs/performance.md), so a worker now serves 20,000.

Gunicorn 25 and later open a control socket at one fixed path per user by default; two servers
on one machine (a benchmark beside a development server, or two app servers in a test) would
fight over it, so it is off unless GUNICORN_CONTROL_SOCKET names one.
"""

import os


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "config.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", 2 * _cores() + 1))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 10
# Heartbeat files in memory, not on a disk that may stall (and read-only in some containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
