"""The production server's configuration (config/gunicorn.conf.py) and persistent database
connections in production (config/settings.py)."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import PRODUCTION, ROOT, manage

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"]


def gunicorn(*args, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if "GUNICORN" not in key}
    return subprocess.run(
        [*GUNICORN, *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_of(output: str) -> dict[str, str]:
    return {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in output.splitlines())
    }


def test_the_defaults_are_threaded_workers_with_a_long_timeout():
    printed = gunicorn("--print-config")
    assert printed.returncode == 0, printed.stderr
    config = settings_of(printed.stdout)
    assert config["wsgi_app"] == "config.wsgi:application"
    assert config["worker_class"] == "gthread" and config["threads"] == "4"
    assert int(config["workers"]) == 2 * os.cpu_count() + 1
    assert config["timeout"] == "120" and config["bind"] == "['127.0.0.1:8000']"


def test_by_default_a_worker_takes_a_connection_only_for_a_free_thread_and_closes_it():
    config = settings_of(gunicorn("--print-config").stdout)
    assert config["keepalive"] == "0"
    assert config["worker_connections"] == config["threads"] == "4"


def test_with_keep_alive_on_idle_connections_cannot_hold_every_thread():
    config = settings_of(gunicorn("--print-config", GUNICORN_KEEPALIVE="5").stdout)
    assert config["keepalive"] == "5" and config["worker_connections"] == "1000"
    config = settings_of(
        gunicorn("--print-config", GUNICORN_THREADS="8", GUNICORN_WORKER_CONNECTIONS="50").stdout
    )
    assert config["threads"] == "8" and config["worker_connections"] == "50"


def test_the_environment_sets_workers_threads_and_timeouts():
    printed = gunicorn(
        "--print-config",
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="1",
        GUNICORN_TIMEOUT="45",
        GUNICORN_BIND="127.0.0.1:9123",
    )
    config = settings_of(printed.stdout)
    assert (config["workers"], config["threads"], config["worker_class"]) == ("3", "1", "sync")
    assert config["timeout"] == "45" and config["bind"] == "['127.0.0.1:9123']"


def test_a_bad_number_stops_with_a_clear_message():
    printed = gunicorn("--print-config", GUNICORN_WORKERS="many")
    assert printed.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number, not 'many'" in printed.stderr + printed.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_server_starts_with_the_configuration_and_answers(tmp_path: Path):
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if key.startswith(("PATH",))}
    environment.update(
        PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
    )
    server = subprocess.Popen(
        GUNICORN, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        status = connection_header = None
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/admin/login/")
                response = connection.getresponse()
                status, connection_header = response.status, response.getheader("Connection")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200
        assert connection_header == "close"  # no keep-alive: the next request queues anew
    finally:
        server.terminate()
        server.wait(timeout=30)


def last_line(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def test_production_keeps_database_connections_open_and_checks_them():
    code = (
        "from django.db import connection as c; "
        "print(c.settings_dict['CONN_MAX_AGE'], c.settings_dict['CONN_HEALTH_CHECKS'])"
    )
    assert last_line(manage("shell", "-c", code, **PRODUCTION)) == ["60", "True"]
    assert last_line(manage("shell", "-c", code, **PRODUCTION, DJANGO_CONN_MAX_AGE="0")) == [
        "0",
        "True",
    ]
    assert last_line(manage("shell", "-c", code, DJANGO_DEBUG="1")) == ["0", "True"]
