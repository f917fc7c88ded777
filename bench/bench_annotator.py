"""The annotator's loop in Chromium: 20 statements of the demo by keyboard alone, then the same
20 by mouse, in the same run. Prints keys and mouse clicks per statement and seconds per
statement for each path, and their ratio (mouse / keyboard).

    .venv/bin/python bench/bench_annotator.py [--statements 20] [--chromium /usr/bin/chromium]

The demo is loaded into a SQLite database in a temporary directory and served by `runserver`
on a free loopback port (DEBUG on, as in development). The keyboard path reads every key from
the controls' `aria-keyshortcuts` and never touches the mouse; the mouse path clicks the same
choices and the save button. Trusted mouse presses are counted in the page itself, so "0 mouse
clicks" is measured, not assumed. The seconds are the automation's floor (no thinking time):
what the page costs, not what a person needs.
"""

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "dora", "dora-demo-2026"
# The grades given, in turn (every statement gets the suggested source and one Bias label).
CHOICES = [("E", "4", "biased"), ("B", "2", "non-biased"), ("C", "3", "non-biased")]
COUNT_MOUSE = """
window.addEventListener('mousedown', (event) => {
  if (event.isTrusted) {
    const count = Number(sessionStorage.getItem('mouse') || 0) + 1;
    sessionStorage.setItem('mouse', String(count));
  }
}, true);
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def playwright_key(shortcut: str) -> str:
    *modifiers, key = shortcut.split("+")
    if len(key) == 1 and key.isalpha() and "Shift" not in modifiers:
        key = key.lower()
    return "+".join([*modifiers, key])


class Path_:
    """One way through the queue: keys pressed and mouse clicks made by the automation."""

    def __init__(self, page, label_ids: dict[str, int]):
        self.page, self.label_ids = page, label_ids
        self.keys = self.clicks = 0

    def label_selector(self, name: str) -> str:
        return f"input[name^=label_group_][value='{self.label_ids[name]}']"

    def statement(self, reliability: str, credibility: str, label: str) -> None:
        raise NotImplementedError


class KeyboardPath(Path_):
    def press(self, selector: str) -> None:
        shortcut = self.page.get_attribute(selector, "aria-keyshortcuts")
        self.page.keyboard.press(playwright_key(shortcut))
        self.keys += 1

    def statement(self, reliability, credibility, label):
        self.press(f"input[name=source_reliability][value='{reliability}']")
        self.press(f"input[name=info_credibility][value='{credibility}']")
        self.press(self.label_selector(label))
        self.press("input[name=_annotate_next]")


class MousePath(Path_):
    def click(self, selector: str) -> None:
        self.page.click(selector)
        self.clicks += 1

    def statement(self, reliability, credibility, label):
        self.click(f"input[name=source_reliability][value='{reliability}']")
        self.click(f"input[name=info_credibility][value='{credibility}']")
        self.click(self.label_selector(label))
        self.click("input[name=_annotate_next]")


def walk(browser, base: str, project_id: int, path_class, statements: int, label_ids):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    context.add_init_script(COUNT_MOUSE)
    page = context.new_page()
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/admin/")
    page.evaluate("sessionStorage.setItem('mouse', '0')")
    page.goto(f"{base}/admin/annotator/project/{project_id}/annotate/")
    page.wait_for_selector("#annotation-progress")
    walker = path_class(page, label_ids)
    seconds = []
    for index in range(statements):
        done = f"{index + 1} of"
        started = time.perf_counter()
        walker.statement(*CHOICES[index % len(CHOICES)])
        page.wait_for_function(
            "done => document.querySelector('#annotation-progress')?.innerText.startsWith(done)"
            " || !document.querySelector('#annotation-progress')",
            arg=done,
        )
        seconds.append(time.perf_counter() - started)
    mouse = int(page.evaluate("Number(sessionStorage.getItem('mouse') || 0)"))
    context.close()
    return walker, seconds, mouse


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench_annotator_"))
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
    }
    os.environ.update(env)
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are ordinary.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotator.models import Annotation, Label, Project

    call_command("migrate", verbosity=0)
    call_command("demo", verbosity=0, stdout=io.StringIO())
    project = Project.objects.get(name__startswith="Demo:")
    label_ids = {label.name: label.pk for label in Label.objects.filter(group__name="Bias")}
    dora = get_user_model().objects.get(username=USER)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        from playwright.sync_api import sync_playwright

        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            for name, path_class in (("keyboard", KeyboardPath), ("mouse", MousePath)):
                Annotation.objects.filter(annotator=dora).delete()
                walker, seconds, mouse = walk(
                    browser, base, project.pk, path_class, args.statements, label_ids
                )
                saved = Annotation.objects.submitted().filter(annotator=dora).count()
                assert saved == args.statements, f"{name}: {saved} annotations saved"
                results[name] = (walker, seconds, mouse)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"annotator loop, Chromium, {args.statements} statements of the demo, 1366x768")
    for name, (walker, seconds, mouse) in results.items():
        print(
            f"{name:8s}: {walker.keys / args.statements:.1f} keys, "
            f"{mouse / args.statements:.1f} mouse clicks per statement (trusted presses counted "
            f"in the page: {mouse}); {statistics.median(seconds):.3f} s per statement (median), "
            f"{sum(seconds):.1f} s in all"
        )
    keyboard, mouse_path = results["keyboard"][1], results["mouse"][1]
    print(
        "mouse / keyboard, median seconds per statement: "
        f"{statistics.median(mouse_path) / statistics.median(keyboard):.2f}"
    )


if __name__ == "__main__":
    main()
