"""Label Studio as the peer of `bench_peer_label_studio.py`: installed with pip into a virtualenv
of its own under bench/out/ (never into the repository), on a PostgreSQL database of its own,
started as its documentation says (`label-studio start`, which serves Django's runserver in one
process) and driven only through its HTTP API with a legacy API token:

* ``POST /api/users/`` the annotators (members of the organisation, matched by e-mail),
* ``POST /api/projects`` a project with the labeling config of `peer_data.label_config`,
* ``POST /api/projects/{id}/import`` every task with its annotations in one JSON request (the
  Community edition imports synchronously: the answer comes when the tasks are stored),
* ``GET /api/projects/{id}/export?exportType=JSON|CSV`` the export, read to its last byte.

Settings are environment variables (label_studio/core/settings/base.py): ``DJANGO_DB=default``
with ``POSTGRE_NAME/USER/PASSWORD/HOST/PORT`` selects PostgreSQL; ``LATEST_VERSION_CHECK``,
``COLLECT_ANALYTICS`` and the Sentry DSNs are switched off so nothing leaves the machine.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from peer_measure import Measurement, server_measure

ADMIN_EMAIL = "lead@peer-bench.example"
ADMIN_PASSWORD = "peer-bench-password"
API_TOKEN = "peer-bench-token-0123456789abcdef"
START_TIMEOUT = 300  # the first start migrates an empty database
REQUEST_TIMEOUT = 3600


class PeerError(Exception):
    """The peer could not be installed, started or driven; the message says what happened."""


def log_tail(path: Path, lines: int = 12) -> str:
    try:
        return "\n".join(
            line[:300] for line in path.read_text(errors="replace").splitlines()[-lines:]
        )
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------------------------
# Installing
# --------------------------------------------------------------------------------------------


def installed_version(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    done = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else None


def peer_install(*, venv: Path, version: str, reuse: bool, log: Path) -> str:
    """label-studio==VERSION in its own virtualenv; reused when `reuse` and already there."""
    if reuse and installed_version(venv) == version:
        return f"reused {venv}"
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--upgrade", "pip"],
            [str(venv / "bin" / "pip"), "install", f"label-studio=={version}"],
        ]
        for step in steps:
            output.write(f"$ {' '.join(step)}\n")
            output.flush()
            if subprocess.run(step, stdout=output, stderr=subprocess.STDOUT).returncode != 0:
                raise PeerError(
                    f"Could not install label-studio=={version} into {venv} "
                    f"(`{' '.join(step[-3:])}` failed). Last lines of {log}:\n{log_tail(log)}"
                )
    found = installed_version(venv)
    if found != version:
        raise PeerError(f"{venv} has label-studio {found!r} after installing {version}.")
    return f"installed into {venv}"


# --------------------------------------------------------------------------------------------
# Server and API
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabelStudio:
    """One Label Studio server process at a time, on a given database."""

    def __init__(self, *, venv: Path, version: str, pg_server: str, work: Path):
        self.venv, self.version, self.pg = venv, version, urlparse(pg_server)
        self.data_dir = work / "label-studio-data"
        self.log = work / "label-studio-server.log"
        self.process: subprocess.Popen | None = None
        self.port = 0

    def environment(self, database: str) -> dict:
        # A clean environment: ours (DJANGO_SETTINGS_MODULE, DATABASE_URL) must not leak in.
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        env = {key: os.environ[key] for key in keep if key in os.environ}
        env.update(
            DJANGO_DB="default",
            POSTGRE_NAME=database,
            POSTGRE_USER=self.pg.username or "postgres",
            POSTGRE_PASSWORD=self.pg.password or "",
            POSTGRE_HOST=self.pg.hostname or "127.0.0.1",
            POSTGRE_PORT=str(self.pg.port or 5432),
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            SECRET_KEY="peer-bench-secret-key-" + "x" * 40,
            DEBUG="false",
            LOG_LEVEL="WARNING",
            LATEST_VERSION_CHECK="false",
            COLLECT_ANALYTICS="false",
            SENTRY_DSN="",
            FRONTEND_SENTRY_DSN="",
        )
        return env

    def start(self, database: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        command = [
            str(self.venv / "bin" / "label-studio"), "start", "--no-browser",
            "--internal-host", "127.0.0.1", "--port", str(self.port),
            "--username", ADMIN_EMAIL, "--password", ADMIN_PASSWORD,
            "--user-token", API_TOKEN, "--enable-legacy-api-token",
        ]  # fmt: skip
        with self.log.open("a") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} start on {database}, port {self.port}\n")
            self.process = subprocess.Popen(
                command,
                env=self.environment(database),
                cwd=self.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, ended by its id in stop()
            )
        self.wait_until_ready()

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PeerError(
                    f"Label Studio exited with code {self.process.returncode} while starting. "
                    f"Last lines of {self.log}:\n{log_tail(self.log)}"
                )
            try:
                release = json.loads(self.request("GET", "/api/version", timeout=5)).get("release")
            except (OSError, http.client.HTTPException, PeerError, ValueError):
                time.sleep(0.5)
                continue
            if release != self.version:
                raise PeerError(f"The server on port {self.port} is Label Studio {release}.")
            return
        self.stop()
        raise PeerError(
            f"Label Studio did not answer on 127.0.0.1:{self.port} within {START_TIMEOUT} s. "
            f"Last lines of {self.log}:\n{log_tail(self.log)}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def request(
        self, method: str, path: str, body=None, *, into: Path | None = None, timeout=None
    ) -> bytes:
        """One API call; the answer's bytes, or with `into` the answer streamed into a file."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=timeout or REQUEST_TIMEOUT
        )
        headers = {"Authorization": f"Token {API_TOKEN}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            if response.status >= 300:
                raise PeerError(
                    f"Label Studio answered {method} {path} with HTTP {response.status}: "
                    f"{response.read(2000).decode(errors='replace')}"
                )
            if into is None:
                return response.read()
            with into.open("wb") as file:
                while chunk := response.read(1 << 20):
                    file.write(chunk)
            return b""
        finally:
            connection.close()

    def measured(self, work) -> Measurement:
        return server_measure(self.process.pid, work)

    # --- the operations ----------------------------------------------------------------------

    def users_create(self, names: set[str], email) -> None:
        """The annotators as members of the organisation (those not there yet)."""
        present = {user["email"] for user in json.loads(self.request("GET", "/api/users/"))}
        for name in sorted(names):
            if email(name) in present:
                continue
            self.request(
                "POST", "/api/users/", {"email": email(name), "username": name, "first_name": name}
            )

    def project_create(self, title: str, config: str) -> int:
        answer = self.request("POST", "/api/projects", {"title": title, "label_config": config})
        return json.loads(answer)["id"]

    def tasks_import(self, project: int, body: bytes, expected: tuple[int, int]) -> Measurement:
        def work() -> str:
            answer = json.loads(self.request("POST", f"/api/projects/{project}/import", body))
            found = (answer.get("task_count"), answer.get("annotation_count"))
            if found != expected:
                raise PeerError(
                    f"Label Studio imported {found} (tasks, annotations), not {expected}."
                )
            return f"{found[0]:,} tasks, {found[1]:,} annotations"

        return self.measured(work)

    def project_export(
        self, project: int, export_type: str, into: Path, expected: tuple[int, int]
    ) -> Measurement:
        # Warm: the export code and its converters are imported before the clock starts, as in a
        # server that has been running for a while.
        self.request("GET", f"/api/projects/{project}/export/formats")
        path = f"/api/projects/{project}/export?exportType={export_type}"
        measurement = self.measured(lambda: self.request("GET", path, into=into) and "")
        measurement.detail = export_check(into, export_type, expected)
        return measurement


def export_check(path: Path, export_type: str, expected: tuple[int, int]) -> str:
    """What an export holds, read after the clock stopped: every task and annotation (JSON),
    one row per annotation (CSV)."""
    size = f"{path.stat().st_size / 1e6:.1f} MB"
    if export_type == "JSON":
        tasks = json.loads(path.read_bytes())
        found = (len(tasks), sum(len(task.get("annotations", [])) for task in tasks))
        summary = f"{found[0]:,} tasks, {found[1]:,} annotations, {size}"
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = sum(1 for _row in csv.reader(handle)) - 1
        found = (expected[0], rows)
        summary = f"{rows:,} rows, {size}"
    if found != expected:
        raise PeerError(f"The {export_type} export holds {summary}; expected {expected}.")
    return summary
