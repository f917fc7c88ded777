"""Our dataset import and export beside Label Studio's, on the same data, in the same run.

    .venv/bin/python bench/bench_peer_label_studio.py                    # 20,000 x 3, medians of 3
    .venv/bin/python bench/bench_peer_label_studio.py --statements 2000 --repeat 1 --keep

The data set (peer_data.py, fixed seed): 20,000 German news statements in documents of 30, each
annotated by 3 annotators with a source, its mention, both Admiralty grades, the bias labels and
now and then a note. It is imported once with `import_dataset` and exported with
`export_dataset --format jsonl`: that export is what both tools are given (Label Studio gets each
statement as a task with its three annotations, the labeling config expressing the same schema).

Each round, on PostgreSQL, in a fresh database (cloned from a migrated empty template):
* ours: `manage.py import_dataset EXPORT --create-vocabulary --attach-existing-users`, then
  `manage.py export_dataset --format jsonl` and `--format csv`; each command's wall clock (a
  new process, Django's start-up included), its peak RSS and CPU seconds;
* Label Studio (peer_label_studio.py): `POST /api/projects/{id}/import` with every task, then
  `GET /api/projects/{id}/export?exportType=JSON` and `=CSV`, each on a freshly started server;
  the request's wall clock until the answer's last byte, the server's peak RSS during it, its
  growth over the RSS before, and the server's CPU seconds.
Our modules are compiled to bytecode first (as a server's first start does), so no command
compiles them again. CPU seconds are the Python process's own on both sides (PostgreSQL's
backends not included).

Prints medians of --repeat rounds and the ratios Label Studio time / ours against the targets
(import >= 10x, exports >= 50x). Everything lands under bench/out/peer/ (git-ignored), Label
Studio's virtualenv under bench/out/label-studio-<version>-venv.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import peer_data
from benchdata import production_environment, server_execute
from peer_label_studio import LabelStudio, PeerError, peer_install
from peer_measure import command_measure, median_of

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PROJECT = "Peer benchmark"
TARGETS = {"import": 10.0, "export_json": 50.0, "export_csv": 50.0}
OPERATIONS = {  # name in the table: (ours, Label Studio's), exactly what runs
    "import": (
        "manage.py import_dataset EXPORT.jsonl --create-vocabulary --attach-existing-users",
        "POST /api/projects/{id}/import (one JSON body: every task with its annotations)",
    ),
    "export_json": (
        "manage.py export_dataset --format jsonl (+ documents file and dataset card)",
        "GET /api/projects/{id}/export?exportType=JSON",
    ),
    "export_csv": (
        "manage.py export_dataset --format csv (+ documents file and dataset card)",
        "GET /api/projects/{id}/export?exportType=CSV",
    ),
}
TITLES = {"import": "import", "export_json": "export JSON", "export_csv": "export CSV"}


def load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load()}] {message}", flush=True)


def database_recreate(name: str, template: str | None = None) -> None:
    create = f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
    server_execute(PG_SERVER, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", create)


def database_exists(name: str) -> bool:
    found = subprocess.run(
        [
            "psql",
            f"{PG_SERVER}/postgres",
            "-qAtc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() == "1"


def database_drop(name: str) -> None:
    server_execute(PG_SERVER, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --------------------------------------------------------------------------------------------
# Ours
# --------------------------------------------------------------------------------------------


class Ours:
    def __init__(self, database: str, work: Path):
        self.database, self.template, self.work = database, f"{database}_template", work

    def manage(self, *arguments: str, database: str | None = None):
        env = {**os.environ, **production_environment(PG_SERVER, database or self.database)}
        command = [sys.executable, "manage.py", *arguments]
        return command_measure(command, env=env, cwd=ROOT)

    def template_create(self) -> None:
        database_recreate(self.template)
        self.manage("migrate", "--noinput", "-v0", database=self.template)

    def input_build(self, args, data: Path) -> dict:
        """Generate, import and export the data set: the export (data, documents, card) is the
        input of every round, for both tools."""
        generated = self.work / "generated" / "peer.jsonl"
        generated.parent.mkdir(parents=True, exist_ok=True)
        counts = peer_data.dataset_write(
            generated,
            statements=args.statements,
            per_document=args.per_document,
            annotators=args.annotators,
            seed=args.seed,
        )
        peer_data.card_write(generated, project=PROJECT, annotators=args.annotators)
        database_recreate(self.database, self.template)
        self.manage("import_dataset", str(generated), "--create-vocabulary")
        data.parent.mkdir(parents=True, exist_ok=True)
        self.export("jsonl", data)
        return counts

    def export(self, fmt: str, path: Path, counts: dict | None = None):
        measurement, _out = self.manage(
            "export_dataset", "--project", PROJECT, "--format", fmt, "--output", str(path)
        )
        if counts:
            measurement.detail = export_check(path, fmt, counts)
        return measurement

    def round(self, data: Path, counts: dict) -> dict:
        database_recreate(self.database, self.template)
        measured, out = self.manage(
            "import_dataset", str(data), "--create-vocabulary", "--attach-existing-users"
        )
        expected = f"{counts['statements']} statement(s), {counts['annotations']} annotation(s)"
        if expected not in out:
            raise RuntimeError(f"import_dataset did not report {expected}:\n{out}")
        measured.detail = (
            f"{counts['statements']:,} statements, {counts['annotations']:,} annotations"
        )
        exports = self.work / "exports"
        exports.mkdir(exist_ok=True)
        startup, _out = self.manage("help", "export_dataset")
        return {
            "import": measured,
            "export_json": self.export("jsonl", exports / "ours.jsonl", counts),
            "export_csv": self.export("csv", exports / "ours.csv", counts),
            "startup": startup,
        }


def export_check(path: Path, fmt: str, counts: dict) -> str:
    """What our export holds, read after the clock stopped: a record per statement (jsonl), a
    row per annotation (csv)."""
    with path.open(newline="", encoding="utf-8") as handle:
        if fmt == "jsonl":
            found, expected, unit = sum(1 for _line in handle), counts["statements"], "records"
        else:
            found, expected, unit = (
                sum(1 for _row in csv.reader(handle)) - 1,
                counts["annotations"],
                "rows",
            )
    if found != expected:
        raise RuntimeError(f"{path.name} holds {found:,} {unit}, expected {expected:,}")
    return f"{found:,} {unit}, {path.stat().st_size / 1e6:.1f} MB (+ documents file and card)"


# --------------------------------------------------------------------------------------------
# Label Studio
# --------------------------------------------------------------------------------------------


class Peer:
    def __init__(self, args, work: Path):
        self.version = args.peer_version
        self.venv = OUT / f"label-studio-{self.version}-venv"
        self.database, self.template = args.peer_database, f"{args.peer_database}_template"
        self.work = work
        self.server = LabelStudio(
            venv=self.venv, version=self.version, pg_server=PG_SERVER, work=work
        )

    def prepare(self, *, reuse: bool, data: Path) -> None:
        say(f"Label Studio {self.version}: virtualenv ({'reuse' if reuse else 'fresh'}) ...")
        say(peer_install(venv=self.venv, version=self.version, reuse=reuse,
                         log=self.work / "label-studio-install.log"))  # fmt: skip
        tasks, annotators = peer_data.tasks_from_export(data)
        meta = card_meta(data)
        self.config = peer_data.label_config(meta["label_groups"])
        self.body = json.dumps(tasks, ensure_ascii=False).encode()
        self.expected = (len(tasks), sum(len(task["annotations"]) for task in tasks))
        say(f"{self.expected[0]:,} tasks, {self.expected[1]:,} annotations "
            f"({len(self.body) / 1e6:.1f} MB of JSON); database {self.template} ...")  # fmt: skip
        if not (reuse and database_exists(self.template)):
            database_recreate(self.template)
        self.server.start(self.template)  # migrates an empty database
        try:
            self.server.users_create(annotators, peer_data.annotator_email)
        finally:
            self.server.stop()

    def round(self) -> dict:
        database_recreate(self.database, self.template)
        exports = self.work / "exports"
        exports.mkdir(exist_ok=True)
        results = {}
        operations = [
            ("import", lambda: self.server.tasks_import(self.project, self.body, self.expected)),
            ("export_json", lambda: self.exported("JSON", exports / "label-studio.json")),
            ("export_csv", lambda: self.exported("CSV", exports / "label-studio.csv")),
        ]
        for name, operation in operations:
            self.server.start(self.database)  # each request on a freshly started server
            try:
                if name == "import":
                    self.project = self.server.project_create(PROJECT, self.config)
                results[name] = operation()
            finally:
                self.server.stop()
        return results

    def exported(self, export_type: str, path: Path):
        return self.server.project_export(self.project, export_type, path, self.expected)


def card_meta(data: Path) -> dict:
    """The front matter of our export's dataset card (the label groups, the project)."""
    import yaml

    text = data.with_name(data.name + ".card.md").read_text(encoding="utf-8")
    return yaml.safe_load(text[4 : text.find("\n---", 4)])


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--per-document", type=int, default=30, help="statements per document")
    parser.add_argument("--annotators", type=int, default=3, help="annotations per statement")
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the medians are printed")
    parser.add_argument("--database", default="annotator_bench_peer",
                        help="our database (and NAME_template), dropped at the end")  # fmt: skip
    parser.add_argument("--peer-database", default="labelstudio_bench_peer",
                        help="Label Studio's database (and NAME_template)")  # fmt: skip
    parser.add_argument("--peer-version", default="1.23.2", help="label-studio==VERSION")
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--skip-peer", action="store_true", help="measure ours only")
    side.add_argument("--peer-only", action="store_true", help="measure Label Studio only")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse an installed peer virtualenv and a built input of the same size and seed; "
        "keep the databases and files afterwards",
    )
    args = parser.parse_args()
    if min(args.statements, args.per_document, args.annotators, args.repeat) < 1:
        parser.error("sizes and --repeat must be at least 1")
    return args


def input_ready(args, work: Path, data: Path, ours: Ours) -> dict:
    params = {k: getattr(args, k) for k in ("statements", "per_document", "annotators", "seed")}
    stamp = work / "input-params.json"
    if args.keep and data.exists() and stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved["params"] == params:
            say(f"reusing the input {data.relative_to(ROOT)}")
            return saved["counts"]
    say(f"building the input: {args.statements:,} statements x {args.annotators} annotations")
    counts = ours.input_build(args, data)
    stamp.write_text(json.dumps({"params": params, "counts": counts}))
    return counts


def main() -> int:
    args = arguments()
    work = OUT / "peer"
    work.mkdir(parents=True, exist_ok=True)
    data = work / "input" / "peer.jsonl"
    ours, peer = Ours(args.database, work), None if args.skip_peer else Peer(args, work)
    results: dict = {"ours": {}, "peer": {}, "load": [("start", load())], "errors": []}
    try:
        bytecode_write()
        ours.template_create()
        counts = input_ready(args, work, data, ours)
        if peer:
            try:
                peer.prepare(reuse=args.keep, data=data)
            except PeerError as error:
                results["errors"].append(str(error))
                peer = None
        for number in range(1, args.repeat + 1):
            if not args.peer_only:
                say(f"round {number}/{args.repeat}: ours")
                add(results["ours"], ours.round(data, counts))
            if peer:
                say(f"round {number}/{args.repeat}: Label Studio {args.peer_version}")
                try:
                    add(results["peer"], peer.round())
                except PeerError as error:
                    results["errors"].append(str(error))
                    peer = None
            results["load"].append((f"after round {number}", load()))
    finally:
        if peer:
            peer.server.stop()
        if not args.keep:
            cleanup(args, work)
    report(args, counts, results, work)
    return 1 if results["errors"] else 0


def bytecode_write() -> None:
    """Our modules' bytecode written once, as a server's first start writes it. Where
    PYTHONDONTWRITEBYTECODE is set, each command would otherwise compile the project's modules
    again (about 75 ms of its start-up); the libraries' bytecode pip wrote at install."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "annotator", "config"], cwd=ROOT, check=True
    )


def add(into: dict, round_results: dict) -> None:
    for name, measurement in round_results.items():
        into.setdefault(name, []).append(measurement)


def cleanup(args, work: Path) -> None:
    for name in (args.database, args.peer_database):
        database_drop(name)
        database_drop(f"{name}_template")
    for folder in ("generated", "input", "exports", "label-studio-data"):
        shutil.rmtree(work / folder, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def versions(args) -> dict:
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    postgres = subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-qAtc", "SHOW server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    import django

    return {"ours": f"annotator {commit} (Django {django.get_version()})",
            "peer": f"Label Studio {args.peer_version} (label-studio start: Django runserver)",
            "postgres": postgres.split()[0] if postgres else "?"}  # fmt: skip


def report(args, counts: dict, results: dict, work: Path) -> None:
    names = versions(args)
    medians = {side: {op: median_of(runs) for op, runs in results[side].items()}
               for side in ("ours", "peer")}  # fmt: skip
    print(
        f"\nPeer side by side: {counts['statements']:,} statements in {counts['documents']:,} "
        f"documents x {args.annotators} annotations ({counts['annotations']:,}), PostgreSQL "
        f"{names['postgres']}, median of {args.repeat}, seed {args.seed}"
    )
    print(f"  ours: {names['ours']}\n  peer: {names['peer']}")
    print("  load average (1, 5, 15 min; 2 cores shared with other work): "
          + "; ".join(f"{when} {value}" for when, value in results["load"]))  # fmt: skip
    print(f"\n{'operation':<12} {'tool':<13} {'median s':>9}  {'runs s':<20} {'peak MiB':>9}"
          f" {'growth':>7} {'CPU s':>7}  checked after the clock stopped")  # fmt: skip
    for op, title in TITLES.items():
        for side, tool in (("ours", "ours"), ("peer", "Label Studio")):
            row = medians[side].get(op)
            if row is not None:
                print(f"{title:<12} {tool:<13} {table_cells(row)}")
                title = ""
    print("\nwhat runs:")
    for op, (our_command, peer_request) in OPERATIONS.items():
        print(f"  {TITLES[op]:<12} ours: {our_command}")
        print(f"  {'':<12} Label Studio {args.peer_version}: {peer_request}")
    print("  peak MiB: ours, the command's peak RSS; Label Studio, its server's peak RSS during "
          "the request (growth: above its RSS before). CPU s: that process's user + system "
          "time (PostgreSQL's backends not included).")  # fmt: skip
    startup = medians["ours"].get("startup")
    if startup:
        print(f"(ours includes a command's start-up: `manage.py help export_dataset` alone takes "
              f"{startup['seconds']:.2f} s, {startup['peak_mib']:.0f} MiB)")  # fmt: skip
    print(f"\nLabel Studio {args.peer_version} time / ours (targets for ours):")
    for op, target in TARGETS.items():
        ours, peer = medians["ours"].get(op), medians["peer"].get(op)
        if ours and peer:
            ratio = peer["seconds"] / ours["seconds"]
            verdict = "PASS" if ratio >= target else "FAIL"
            cpu = peer["cpu_seconds"] / max(ours["cpu_seconds"], 0.01)
            print(f"  {TITLES[op]:<12} {ratio:6.1f}x  (target >= {target:.0f}x) {verdict}"
                  f"   (CPU seconds: {cpu:.1f}x)")  # fmt: skip
    for error in results["errors"]:
        print(f"\nLabel Studio could not be measured: {error}")
    saved = {side: {op: [m.as_dict() for m in runs] for op, runs in results[side].items()}
             for side in ("ours", "peer")}  # fmt: skip
    saved.update(arguments=vars(args), counts=counts, load=results["load"], versions=names,
                 errors=results["errors"])  # fmt: skip
    (work / "results.json").write_text(json.dumps(saved, indent=1))
    print(f"\n(all runs in {(work / 'results.json').relative_to(ROOT)})")


def table_cells(row: dict) -> str:
    runs = "/".join(f"{value:.2f}" for value in row["runs"])
    low, high = row["peak_range"]
    peak = f"{low:.0f}-{high:.0f}" if round(low) != round(high) else f"{high:.0f}"
    growth = f"+{row['growth_mib']:.0f}" if row["growth_mib"] is not None else ""
    return (
        f"{row['seconds']:>9.2f}  {runs:<20} {peak:>9} {growth:>7} {row['cpu_seconds']:>7.1f}  "
        f"{row['detail']}"
    )


if __name__ == "__main__":
    sys.exit(main())
