"""The simulated annotators of bench/load_annotators.py: browsers that log in and annotate.

Each client process runs some of the annotators, one thread each. By default every annotator
has a process of its own, as every real annotator has a browser of their own: threads of one
Python process share one interpreter lock, so an answer that has arrived waits for the other
threads before its clock stops, and the measured latency would include the client's own
queueing. `--client-processes 1` runs them all as threads of one process (the earlier client).

A process logs its annotators in, says it is ready, waits for the common start, annotates
through the warm-up and the measured window and sends back plain values: every request
(kind, start, latency; the benchmark keeps those started in the measured window), errors,
reconnects, acknowledged annotations and its own CPU time over the measured window.
"""

import http.client
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

HOST = "127.0.0.1"
KINDS = ("next", "form", "save")
PASSWORD = "load-test-password-2026"
MAX_REQUESTS_PER_ANNOTATOR = 5_000  # a bound besides the time limit


@dataclass
class Results:
    """What one client process measured; merged by the benchmark."""

    requests: list[tuple[str, float, float]] = field(default_factory=list)  # kind, start, ms
    logins_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0  # idle keep-alive connections the server had closed
    acknowledged: list[tuple[str, int]] = field(default_factory=list)  # (username, statement)
    cpu_ms: float = 0.0  # the client process's own CPU over the measured window

    def merge(self, other: "Results") -> None:
        self.requests += other.requests
        self.logins_ms += other.logins_ms
        self.errors += other.errors
        self.reconnects += other.reconnects
        self.acknowledged += other.acknowledged
        self.cpu_ms += other.cpu_ms


class Browser:
    """A minimal HTTP client with cookies, as a browser behind TLS at a proxy would send."""

    def __init__(self, port: int, results: Results, lock: threading.Lock):
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.results = results
        self.lock = lock

    def headers(self, path: str) -> dict[str, str]:
        return {
            "Host": f"{HOST}:{self.port}",
            # The production settings trust this header from the proxy, as they would there.
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{HOST}:{self.port}{path}",
            "Cookie": "; ".join(f"{key}={value}" for key, value in self.cookies.items()),
        }

    def exchange(self, method: str, path: str, body, headers):
        """One request and its whole answer; None after an error (recorded)."""
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response, response.read().decode("utf-8", "replace")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection (GUNICORN_KEEPALIVE): a
                # browser opens a new one and sends the request again, and so do we, once.
                self.connection.close()
                with self.lock:
                    if attempt == 2:
                        self.results.errors.append(f"{method} {path}: connection closed twice")
                        return None, ""
                    self.results.reconnects += 1
            except (OSError, http.client.HTTPException) as error:
                self.connection.close()
                with self.lock:
                    self.results.errors.append(f"{method} {path}: {error!r}")
                return None, ""
        return None, ""

    def request(self, kind: str, method: str, path: str, form=None, expect=(200, 302)):
        headers = self.headers(path)
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        response, content = self.exchange(method, path, body, headers)
        elapsed = (time.monotonic() - started) * 1000
        if response is None:
            return None, "", ""
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        with self.lock:
            if kind == "login":
                self.results.logins_ms.append(elapsed)
            else:
                self.results.requests.append((kind, started, elapsed))
            if response.status not in expect:
                self.results.errors.append(f"{method} {path}: {response.status}")
        return response.status, response.getheader("Location", ""), content


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return match.group(1) if match else ""


def login(browser: Browser, username: str) -> bool:
    _, _, page = browser.request("login", "GET", "/admin/login/?next=/admin/")
    status, _, _ = browser.request(
        "login",
        "POST",
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": csrf_token(page), "username": username, "password": PASSWORD},
        expect=(302,),
    )
    return status == 302


@dataclass
class Work:
    """What every client process is given: the server, the project, the form, the pauses."""

    port: int
    project_id: int
    form_fields: dict
    pause: tuple[float, float] | None
    seconds: float
    warmup: float  # seconds of annotating before the measured window (not counted)


def annotate(browser: Browser, username: str, work: Work, rng: random.Random, deadline):
    next_path = f"/admin/annotator/project/{work.project_id}/annotate/"
    for _ in range(MAX_REQUESTS_PER_ANNOTATOR):
        if work.pause:
            time.sleep(rng.uniform(*work.pause))
        if time.monotonic() > deadline:
            return
        _, location, _ = browser.request("next", "GET", next_path)
        path = urlsplit(location).path + ("?" + urlsplit(location).query if "?" in location else "")
        if "statement=" not in path:
            return  # the queue is empty
        _, _, page = browser.request("form", "GET", path)
        statement = int(path.rsplit("=", 1)[1])
        form = {**work.form_fields, "csrfmiddlewaretoken": csrf_token(page)}
        status, _, _ = browser.request("save", "POST", path, form, expect=(302,))
        if status == 302:
            with browser.lock:
                browser.results.acknowledged.append((username, statement))


def client_process(work: Work, annotators: list[tuple[str, float]], shared, outbox):
    """One client process: log in, wait for the common start time, annotate, report back.

    `annotators` holds (username, seed); `shared` the barrier `ready` shared with the
    benchmark, the value `start` it fills with the start time (time.monotonic, the same clock
    in every process on Linux) once every client has logged in, and `logins`, a semaphore
    that lets two logins run at a time: forty password hashes at once on a loaded machine
    took longer than a request's 30 s timeout."""
    ready, start = shared["ready"], shared["start"]
    results, lock = Results(), threading.Lock()
    browsers = [Browser(work.port, results, lock) for _ in annotators]
    logged_in = True
    for browser, (name, _) in zip(browsers, annotators, strict=True):
        with shared["logins"]:
            logged_in = login(browser, name) and logged_in
    ready.wait()  # the benchmark fills `start` after everyone has logged in
    ready.wait()
    if logged_in:
        measured_from = start.value + work.warmup
        cpu_at_start = []  # the process's CPU time when the measured window opens
        timer = threading.Timer(
            max(0.0, measured_from - time.monotonic()),
            lambda: cpu_at_start.append(time.process_time()),
        )
        timer.start()
        time.sleep(max(0.0, start.value - time.monotonic()))
        threads = [
            threading.Thread(
                target=annotate,
                args=(browser, name, work, random.Random(seed), measured_from + work.seconds),
            )
            for browser, (name, seed) in zip(browsers, annotators, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        timer.join()
        results.cpu_ms = (time.process_time() - cpu_at_start[0]) * 1000
    else:
        results.errors.append(f"login failed: {results.errors[:3]}")
    outbox.put(results)
