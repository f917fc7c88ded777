"""Load: 20 simulated annotators against gunicorn with several workers on PostgreSQL.

Builds a project in a database of its own, starts gunicorn on loopback with production-like
settings (DEBUG off), and lets each simulated annotator log in through the login form and
annotate through the real pages (annotate next -> form -> "Save and annotate next") for a
bounded time. Reports requests per second, p50/p95/p99 latency, errors (must be 0) and whether
every acknowledged annotation is in the database (must be all). Traffic stays on 127.0.0.1.

    .venv/bin/python bench/load_annotators.py [--annotators 20] [--seconds 60] [--workers 4]
"""

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from benchdata import (
    ROOT,
    data_build,
    database_drop,
    database_recreate,
    django_setup,
    production_environment,
)

DATABASE = "annotator_bench_load"
HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on, so a stale server can never answer in our place."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


PORT = free_port()
PASSWORD = "load-test-password-2026"
MAX_REQUESTS_PER_ANNOTATOR = 5_000  # a bound besides the time limit


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledged: list[tuple[str, int]] = field(default_factory=list)  # (username, statement)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Browser:
    """A minimal HTTP client with cookies, as a browser behind TLS at a proxy would send."""

    def __init__(self, results: Results):
        self.connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
        self.cookies: dict[str, str] = {}
        self.results = results

    def request(self, method: str, path: str, form: dict | None = None, expect=(200, 302)):
        headers = {
            "Host": f"{HOST}:{PORT}",
            # The production settings trust this header from the proxy, as they would there.
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{HOST}:{PORT}{path}",
            "Cookie": "; ".join(f"{key}={value}" for key, value in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        elapsed = (time.perf_counter() - started) * 1000
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        with self.results.lock:
            self.results.latencies_ms.append(elapsed)
            if response.status not in expect:
                self.results.errors.append(f"{method} {path}: {response.status}")
        return response.status, response.getheader("Location", ""), content


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return match.group(1) if match else ""


def annotator_session(username: str, project_id: int, form_fields: dict, deadline, results):
    browser = Browser(results)
    _, _, page = browser.request("GET", "/admin/login/?next=/admin/")
    status, _, _ = browser.request(
        "POST",
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": csrf_token(page), "username": username, "password": PASSWORD},
        expect=(302,),
    )
    if status != 302:
        return
    for _ in range(MAX_REQUESTS_PER_ANNOTATOR):
        if time.monotonic() > deadline:
            return
        _, location, _ = browser.request("GET", f"/admin/annotator/project/{project_id}/annotate/")
        path = urlsplit(location).path + ("?" + urlsplit(location).query if "?" in location else "")
        if "statement=" not in path:
            return  # the queue is empty
        _, _, page = browser.request("GET", path)
        statement = int(path.rsplit("=", 1)[1])
        form = {**form_fields, "csrfmiddlewaretoken": csrf_token(page)}
        status, _, _ = browser.request("POST", path, form, expect=(302,))
        if status == 302:
            with results.lock:
                results.acknowledged.append((username, statement))


def users_create(count: int, project) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Annotators")
    usernames = []
    for number in range(count):
        user = get_user_model().objects.create_user(
            f"load_annotator_{number:02d}", password=PASSWORD, is_staff=True
        )
        user.groups.add(group)
        project.annotators.add(user)
        usernames.append(user.username)
    return usernames


def form_fields() -> dict:
    from annotator.models import Label

    bias = Label.objects.get(group__name="Bias", name="non-biased")
    return {
        "source": "",
        "source_mention": "",
        "source_reliability": "C",
        "info_credibility": "3",
        f"label_group_{bias.group_id}": bias.pk,
        "note": "",
        "_annotate_next": "Save and annotate next",
    }


def gunicorn_start(args) -> subprocess.Popen:
    environment = {**os.environ, **production_environment(args.server, DATABASE)}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"{HOST}:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    for _ in range(100):
        try:
            http.client.HTTPConnection(HOST, PORT, timeout=1).request("GET", "/admin/login/")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def report(results: Results, seconds: float) -> bool:
    from annotator.models import Annotation

    saved = set(
        Annotation.objects.filter(annotator__username__startswith="load_annotator_").values_list(
            "annotator__username", "statement_id"
        )
    )
    missing = [ack for ack in results.acknowledged if ack not in saved]
    latencies = sorted(results.latencies_ms)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"requests:              {len(latencies)} in {seconds:.1f} s")
    print(f"requests per second:   {len(latencies) / seconds:.1f}")
    print(
        f"latency ms:            p50 {quantiles[49]:.1f}  p95 {quantiles[94]:.1f}  "
        f"p99 {quantiles[98]:.1f}  max {latencies[-1]:.1f}"
    )
    print(f"annotations per second: {len(results.acknowledged) / seconds:.1f}")
    print(f"errors:                {len(results.errors)} {results.errors[:5]}")
    print(
        f"acknowledged annotations in the database: {len(results.acknowledged) - len(missing)}"
        f" of {len(results.acknowledged)}"
    )
    return not results.errors and not missing and bool(results.acknowledged)


def main() -> None:
    args = parse_args()
    database_recreate(args.server, DATABASE)
    django_setup(args.server, DATABASE)
    from annotator.models import Project

    data_build(args.documents * 30, 1, annotate=False)
    project = Project.objects.get(name="Bench")
    project.annotations_per_statement = 3
    project.save()
    usernames = users_create(args.annotators, project)
    fields = form_fields()
    server = gunicorn_start(args)
    results = Results()
    try:
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(
                target=annotator_session, args=(name, project.pk, fields, deadline, results)
            )
            for name in usernames
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 60)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\n{args.annotators} annotators, gunicorn with {args.workers} workers, PostgreSQL, "
        f"{args.seconds:.0f} s"
    )
    passed = report(results, elapsed)
    print("PASS" if passed else "FAIL", "(no errors, every acknowledged annotation saved)")
    if not args.keep:
        database_drop(args.server, DATABASE)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
