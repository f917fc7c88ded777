"""The production server: `gunicorn -c config/gunicorn.conf.py` (README, "Production server").

Every setting reads an environment variable, with a default for a small machine:

- GUNICORN_BIND (127.0.0.1:8000): behind a TLS proxy on the same machine;
- GUNICORN_WORKERS (2 per core + 1) and GUNICORN_THREADS (4): threaded workers (gthread), so
  one slow request (a download, an upload) does not hold a whole process, and the worker's
  heartbeat goes on while a thread streams; each thread keeps one database connection open
  (DJANGO_CONN_MAX_AGE), so workers x threads must stay below PostgreSQL's max_connections
  (100 by default: 5 x 4 = 20);
- GUNICORN_KEEPALIVE (0 s: every answer closes its connection) and
  GUNICORN_WORKER_CONNECTIONS (with keep-alive off: the threads; on: 1000): a connection
  belongs to the worker that accepted it. Kept alive, it stays with that worker, and a
  gthread worker accepts up to worker_connections of them whatever its threads, so one
  worker served 2.5-2.8 times the requests of another while its requests waited for its
  threads and its one interpreter lock, and the others idled (bench/load_annotators.py, 20
  annotators: requests per worker 963 / 573 / 546 / 351 / 348; the annotators' p95 per
  request type 1.8-3.8 times gunicorn's own). Closed after each answer, and taken only while
  a thread is free, every request waits in the kernel's one accept queue, first come first
  served, for the first free thread of any worker (requests per worker within 10 %, the
  annotators' p95 1.05-1.16 times gunicorn's own). How uneven kept connections are depends on
  how they arrive: all at once (a restart, a proxy opening its pool) one worker collects
  them for as long as they live; two at a time they were 1.5 times apart and as fast as
  without keep-alive. Behind the
  proxy on the same machine that costs one loopback connection per request (the proxy's
  default towards its upstream anyway); keep-alive only saves the TLS handshake, and that
  is the proxy's, with the browser. An operator who turns keep-alive on gets 1000
  connections per worker again, so idle kept connections cannot hold every thread's place;
- GUNICORN_TIMEOUT (120 s): a worker that sends no heartbeat for this long is restarted;
  GUNICORN_GRACEFUL_TIMEOUT (30 s): how long a restart waits for requests in flight;
- GUNICORN_MAX_REQUESTS (2000, with jitter): a worker is replaced after this many requests, so
  memory cannot creep up over weeks;
- GUNICORN_ACCESS_LOG (-, standard output; empty: none) and GUNICORN_LOG_LEVEL (info).
"""

import multiprocessing
import os


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise SystemExit(f"{name} must not be negative, not {number}")
    return number


wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = max(1, env_int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = max(1, env_int("GUNICORN_THREADS", 4))
worker_class = "gthread" if threads > 1 else "sync"
timeout = env_int("GUNICORN_TIMEOUT", 120)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 0)
# Without keep-alive a worker takes a connection only when one of its threads is free: the
# others wait in the kernel's accept queue for whichever worker frees a thread first.
worker_connections = max(
    1, env_int("GUNICORN_WORKER_CONNECTIONS", threads if keepalive == 0 else 1000)
)
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a proxy on the same machine: trust its X-Forwarded-* headers (Django decides which
# address is the client's: DJANGO_TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
