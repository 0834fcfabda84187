"""The load benchmark's settings (`make bench`): production's, served over plain HTTP.

Everything production does (DEBUG off, a real secret key, compressed manifest static files,
the same middleware and database settings) except what a client talking plain HTTP to
127.0.0.1 cannot get through, with no TLS proxy in front:
- no redirect to HTTPS, and session and CSRF cookies that are sent over HTTP;
- no proxy to trust for the client's address (TRUSTED_PROXY_COUNT 0).
The URLconf adds the benchmark's bare logged-in view (bench.urls); the site's own URLconf never
has it.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
TRUSTED_PROXY_COUNT = 0
