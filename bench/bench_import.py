"""Benchmark `import_articles`: 1,000 generated articles (about 30,000 statements), then 2,000.

    .venv/bin/python bench/bench_import.py                       # SQLite file in a temp folder
    .venv/bin/python bench/bench_import.py --database-url postgres://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/bench_import.py --articles 100 200    # a quick run

Articles are German, in the example article's format (title, paragraphs, a heading, a Details
table), built from sentence templates with attribution cues ("Laut KCNA …", "… sagte
Selenskyj", "Experten vermuten …", "„…“, betonte Gerassimow.", "Nach Angaben der Denkfabrik
ISW …") naming registry sources and sources missing from it, plus sentences in the author's own
voice; a fixed seed makes every run import the same text.

Each size is imported into a fresh database by its own subprocess (`migrate`, the source
registry, then the timed `import_articles` call), so peak memory (the child's ru_maxrss:
interpreter, Django, SoMaJo and the import) does not mix between runs. With PostgreSQL a
throwaway database is created next to the one named in the URL and dropped afterwards.
Linear means time(2,000) / time(1,000) ≈ 2 and a flat peak memory: files are read one at a
time, statements are bulk-inserted, the source index is built once per run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
SEED = 20260301
PARAGRAPHS = (5, 7)  # per article
SENTENCES = (4, 6)  # per paragraph

# --- the generated corpus --------------------------------------------------------------------

# name -> (nominative, dative, genitive, accusative, plural?)
REGISTRY_SOURCES = {
    "KCNA": ("KCNA", "KCNA", "von KCNA", "KCNA", False),
    "agency": (
        "die nordkoreanische Nachrichtenagentur",
        "der nordkoreanischen Nachrichtenagentur",
        "der nordkoreanischen Nachrichtenagentur",
        "die nordkoreanische Nachrichtenagentur",
        False,
    ),
    "Gerassimow": ("Gerassimow", "Gerassimow", "von Gerassimow", "Gerassimow", False),
    "Selenskyj": (
        "Präsident Selenskyj",
        "Präsident Selenskyj",
        "von Präsident Selenskyj",
        "Präsident Selenskyj",
        False,
    ),
    "intelligence": (
        "südkoreanische und westliche Geheimdienste",
        "südkoreanischen und westlichen Geheimdiensten",
        "südkoreanischer und westlicher Geheimdienste",
        "südkoreanische und westliche Geheimdienste",
        True,
    ),
    "Kremlin": ("der Kreml", "dem Kreml", "des Kremls", "den Kreml", False),
    "Kiev": (
        "die ukrainische Regierung",
        "der ukrainischen Regierung",
        "der ukrainischen Regierung",
        "die ukrainische Regierung",
        False,
    ),
    "experts": ("Experten", "Experten", "von Experten", "Experten", True),
}
UNKNOWN_SOURCES = {
    "ISW": (
        "die Denkfabrik ISW",
        "der Denkfabrik ISW",
        "der Denkfabrik ISW",
        "die Denkfabrik ISW",
        False,
    ),
    "UN": (
        "ein Sprecher der Vereinten Nationen",
        "einem Sprecher der Vereinten Nationen",
        "eines Sprechers der Vereinten Nationen",
        "einen Sprecher der Vereinten Nationen",
        False,
    ),
    "Reuters": (
        "die Agentur Reuters",
        "der Agentur Reuters",
        "der Agentur Reuters",
        "die Agentur Reuters",
        False,
    ),
}
PLACES = ["Kursk", "Charkiw", "Donezk", "Saporischschja", "Belgorod", "Pjöngjang", "Seoul", "Kiew"]
SUBJECTS = [  # all plural, so every predicate agrees
    "die nordkoreanischen Truppen",
    "die russischen Streitkräfte",
    "die ukrainischen Einheiten",
    "mehrere Brigaden",
    "die Artillerieverbände",
    "die Luftabwehrkräfte",
]
# (participle phrase, indicative auxiliary, subjunctive auxiliary)
PREDICATES = [
    ("in der Region {place} vorgerückt", "sind", "seien"),
    ("schwere Verluste bei {place} erlitten", "haben", "hätten"),
    ("neue Stellungen nahe {place} bezogen", "haben", "hätten"),
    ("Nachschub über {place} erhalten", "haben", "hätten"),
    ("sich aus {place} zurückgezogen", "haben", "hätten"),
]
# (singular, plural) reporting verbs
VERBS = [("sagte", "sagten"), ("erklärte", "erklärten"), ("bestätigte", "bestätigten")]
ATTRIBUTED = [
    "Laut {dat} {aux} {subject} {predicate}.",
    "Nach Angaben {gen} {aux} {subject} {predicate}.",
    "{Nom} {verb}, {subject} {subj_aux} {predicate}.",
    "{Nom} {verb} am {day}. {month}, {subject} {subj_aux} {predicate}.",
    "„{Subject} {aux} {predicate}“, betonte {nom}.",
    "{Nom} {verb}, dass {subject} {predicate} {aux}.",
    "Unter Berufung auf {acc} berichtete die Zeitung, {subject} {subj_aux} {predicate}.",
]
OWN_VOICE = [
    "Die Lage in {place} bleibt angespannt.",
    "Seit Wochen wird in der Region {place} gekämpft.",
    "Die Kämpfe dauern seit dem {day}. {month} an, ein Ende ist nicht absehbar.",
    "Mehr als {number} Menschen haben die Gegend um {place} verlassen.",
    "Während {subject} {predicate} {aux}, bleibt die Versorgung schwierig.",
]
HEADINGS = ["Einsätze und Auswirkungen", "Geopolitische Implikationen", "Reaktionen", "Ausblick"]
MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "Oktober"]


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def sentence(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    predicate, aux, subj_aux = rng.choice(PREDICATES)
    slots = {
        "subject": rng.choice(SUBJECTS),
        "predicate": predicate.format(place=place),
        "aux": aux,
        "subj_aux": subj_aux,
        "place": place,
        "day": rng.randint(1, 28),
        "month": rng.choice(MONTHS),
        "number": f"{rng.randint(2, 90)}.{rng.randint(0, 999):03d}",
    }
    slots["Subject"] = capitalised(slots["subject"])
    if rng.random() < 0.3:
        return rng.choice(OWN_VOICE).format(**slots)
    sources = REGISTRY_SOURCES if rng.random() < 0.8 else UNKNOWN_SOURCES
    nom, dat, gen, acc, plural = sources[rng.choice(sorted(sources))]
    verb = rng.choice(VERBS)[plural]
    return rng.choice(ATTRIBUTED).format(
        nom=nom, Nom=capitalised(nom), dat=dat, gen=gen, acc=acc, verb=verb, **slots
    )


def article(number: int, rng: random.Random) -> str:
    place = rng.choice(PLACES)
    lines = [f"Lagebericht {number}: Truppenbewegungen bei {place}"]
    for paragraph in range(rng.randint(*PARAGRAPHS)):
        if paragraph == 3:
            lines.append(rng.choice(HEADINGS))
        lines.append(" ".join(sentence(rng) for _ in range(rng.randint(*SENTENCES))))
    day = rng.randint(1, 28)
    lines += [
        "Details | |",
        "---|---|",
        f"Ort | {place} |",
        f"Datum | {day:02d}.{rng.randint(1, 12):02d}.2025 |",
        f"URL | https://example.org/artikel/{number} |",
    ]
    return "\n".join(lines) + "\n"


def corpus_write(folder: Path, articles: int) -> int:
    """Write the articles (deterministic) as .txt files; returns the characters written."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    characters = 0
    for number in range(articles):
        text = article(number, rng)
        (folder / f"{number:05d}.txt").write_text(text, encoding="utf-8")
        characters += len(text)
    return characters


# --- one measurement (child process) ---------------------------------------------------------


def cpu_seconds() -> float:
    """This process's CPU time: less disturbed than wall time by other load on the machine
    (the database server's share, with PostgreSQL, is not in it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(folder: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from annotator.models import Project, Statement
    from annotator.registry.services import sources_load

    call_command("migrate", verbosity=0)
    registry = json.loads((ROOT / "annotator/demo/data/sources.json").read_text(encoding="utf-8"))
    sources_load(records=registry)
    Project.objects.create(name="Benchmark")
    devnull = open(os.devnull, "w")  # noqa: SIM115 (kept open for the call)
    started, cpu_started = time.perf_counter(), cpu_seconds()
    call_command("import_articles", folder, project="Benchmark", stdout=devnull)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    statements = Statement.objects.filter(document__project__name="Benchmark")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "documents": Project.objects.get(name="Benchmark").documents.count(),
                "statements": statements.count(),
                "suggested": statements.exclude(suggested_mention="").count(),
                "matched": statements.filter(suggested_source__isnull=False).count(),
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


# --- the parent ------------------------------------------------------------------------------


def postgres_database(url: str, name: str, *, create: bool) -> str:
    """Create (or drop) a throwaway database on the server of `url`; returns its URL."""
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


def measure(folder: Path, workdir: Path, database_url: str | None, articles: int) -> dict:
    if database_url:
        name = f"{urlsplit(database_url).path.lstrip('/') or 'annotator'}_bench_{articles}"
        url = postgres_database(database_url, name, create=True)
    else:
        url = f"sqlite:///{workdir / f'bench_{articles}.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0"}
    env["DJANGO_SECRET_KEY"] = "bench-only-secret-key-" + "x" * 40
    env["DJANGO_ALLOWED_HOSTS"] = "localhost"
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if database_url:
            postgres_database(database_url, name, create=False)
    if result.returncode != 0:
        sys.exit(f"the import of {articles} articles failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs=2, default=[1000, 2000], metavar="N")
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"import_articles benchmark, {database}, seed {SEED}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_import_") as temp:
        for articles in args.articles:
            folder = Path(temp) / f"articles_{articles}"
            characters = corpus_write(folder, articles)
            result = measure(folder, Path(temp), args.database_url, articles)
            results.append(result)
            rate = result["statements"] / result["seconds"]
            print(
                f"{articles:>6,} articles ({characters / 1e6:.1f} MB): "
                f"{result['documents']:,} documents, {result['statements']:,} statements "
                f"({result['suggested']:,} suggested, {result['matched']:,} matched) in "
                f"{result['seconds']:.1f} s ({result['cpu_seconds']:.1f} s CPU) = "
                f"{rate:,.0f} statements/s, "
                f"peak memory {result['peak_mb']:.0f} MB"
            )
    small, large = results
    print(
        f"time({args.articles[1]:,}) / time({args.articles[0]:,}) = "
        f"{large['seconds'] / small['seconds']:.2f} wall, "
        f"{large['cpu_seconds'] / small['cpu_seconds']:.2f} CPU "
        f"(linear: {args.articles[1] / args.articles[0]:.2f}); "
        f"peak memory ratio {large['peak_mb'] / small['peak_mb']:.2f}"
    )


if __name__ == "__main__":
    main()
