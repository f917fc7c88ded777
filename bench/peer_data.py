"""The data set of the peer benchmark (`bench_peer_label_studio.py`), and its translation into
Label Studio's terms. Pure Python: nothing here imports Django or Label Studio.

* `dataset_write` generates, from a seed, German news statements in documents with every
  annotator's source, mention, Admiralty grades, bias labels and an occasional note, in the
  format `import_dataset` reads (a jsonl file and its ``.documents.jsonl``). The benchmark
  imports it once and exports it again: that export is what both tools are given.
* `label_config` and `tasks_from_export` express the same schema and the same records for
  Label Studio: one task per statement, one annotation per annotator, one result per field.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

# The demo's data (package data of annotator.demo): sources and label vocabularies.
DEMO_DATA = Path(__file__).resolve().parent.parent / "annotator" / "demo" / "data"
RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY = {
    "1": "confirmed by other sources",
    "2": "probably true",
    "3": "possibly true",
    "4": "doubtful",
    "5": "improbable",
    "6": "truth cannot be judged",
}
START_DAY = date(2026, 1, 1)
ANNOTATOR_EMAIL_DOMAIN = "peer-bench.example"
LABEL_STUDIO_TEXT_FIELDS = ("source", "source_mention", "note")

# Attribution cues and the sentences they stand in ({m}: the mention of the source).
ATTRIBUTED = [
    ("Laut", "Laut {m} {claim_inverted}."),
    ("berichtete", "Wie {m} berichtete, {claim_inverted}."),
    ("erklärte", "{m} erklärte am {day}, {claim}."),
    ("Nach Angaben", "Nach Angaben von {m} {claim_inverted}."),
    ("behauptete", "{m} behauptete, {claim}."),
]
SUBJECTS = ["die Truppen", "die Regierung", "die Armee", "die Einheiten", "die Behörden",
            "die Soldaten", "die Verbündeten", "die Grenzposten"]  # fmt: skip
VERBS = ["haben die Stellungen bei {place} gehalten", "sind nach {place} verlegt worden",
         "haben {number} Angriffe abgewehrt", "haben die Versorgung von {place} gesichert",
         "haben {number} Gefangene gemacht", "sind bei {place} vorgerückt",
         "haben Verluste bei {place} erlitten"]  # fmt: skip
PLACES = ["Kursk", "Charkiw", "Saporischschja", "Pjöngjang", "Donezk", "Belgorod", "Cherson",
          "Sumy", "Wladiwostok", "Seoul"]  # fmt: skip
DAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
OWN_VOICE = [
    "Die Lage in {place} bleibt unübersichtlich.",
    "Unabhängig überprüfen lassen sich diese Angaben nicht.",
    "Beobachter rechnen mit {number} weiteren Soldaten bis zum Jahresende.",
    "Der Konflikt dauert inzwischen mehr als {number} Tage an.",
    "In {place} wurden {number} Häuser beschädigt.",
]
NOTES = ["cue unclear", "mention refers to two sources", "=SUM(1,2) looks like a formula",
         "quote inside a quote", "source named only later in the article"]  # fmt: skip


def key_of(item: dict) -> str:
    """A label group's or label's key: its own, else derived from its name as the vocabulary
    derives it (Django's slugify: "Persuasion techniques" -> "persuasion-techniques")."""
    if item.get("key"):
        return item["key"]
    ascii_name = unicodedata.normalize("NFKD", item["name"]).encode("ascii", "ignore").decode()
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", ascii_name.lower())).strip("-_")


def fixture(name: str):
    return json.loads((DEMO_DATA / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Generating the data set
# --------------------------------------------------------------------------------------------


class Generator:
    """Statements and annotations drawn from one seeded random stream (same seed, same data)."""

    def __init__(self, seed: int, annotators: int):
        self.random = random.Random(seed)
        self.sources = fixture("sources.json")
        self.groups = fixture("label_groups.json")
        self.annotators = [f"bench_annotator_{number}" for number in range(1, annotators + 1)]
        self.moment = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def fill(self, template: str) -> str:
        pick = self.random.choice
        return template.format(place=pick(PLACES), number=self.random.randint(2, 900), m="{m}")

    def claim(self) -> str:
        return self.fill(f"{self.random.choice(SUBJECTS)} {self.random.choice(VERBS)}")

    def statement(self) -> tuple[str, dict | None]:
        """A sentence, and the attribution a segmenter would suggest (source, mention, cue)."""
        if self.random.random() < 0.35:
            return self.fill(self.random.choice(OWN_VOICE)), None
        source = self.random.choice(self.sources)
        mention = self.random.choice(source["aliases"])
        cue, template = self.random.choice(ATTRIBUTED)
        if template.startswith("{m}"):
            mention = mention[0].upper() + mention[1:]
        claim = self.claim()
        inverted = re.sub(r"^(\S+ \S+) (haben|sind) ", r"\2 \1 ", claim)
        text = template.format(
            m=mention, claim=claim, claim_inverted=inverted, day=self.random.choice(DAYS)
        )
        spans = {"mention": find_span(text, mention), "cue": find_span(text, cue)}
        return text, {"source": source["name"], "mention": mention, "cue": cue, "spans": spans}

    def grade(self, scale: str, base: int) -> str:
        """Near the statement's grade; sometimes the "cannot be judged" grade (F, 6)."""
        if self.random.random() < 0.08:
            return scale[5]
        return scale[max(0, min(4, base + self.random.choice((-1, 0, 0, 0, 1))))]

    def labels(self, base: dict) -> dict:
        chosen = {}
        for group in self.groups:
            keys = [key_of(label) for label in group["labels"]]
            if group["multiple"]:
                keep = [key for key in base[key_of(group)] if self.random.random() < 0.8]
                if self.random.random() < 0.2:
                    keep.append(self.random.choice(keys))
                chosen[key_of(group)] = sorted(set(keep), key=keys.index)
            elif group["required"] or base[key_of(group)] is not None:
                agree = self.random.random() < 0.8
                chosen[key_of(group)] = base[key_of(group)] if agree else self.random.choice(keys)
        return chosen

    def base_labels(self) -> dict:
        base = {}
        for group in self.groups:
            keys = [key_of(label) for label in group["labels"]]
            if group["multiple"]:
                base[key_of(group)] = self.random.sample(keys, self.random.choice((0, 0, 1, 2)))
            elif group["required"] or self.random.random() < 0.6:
                base[key_of(group)] = self.random.choice(keys)
            else:
                base[key_of(group)] = None
        return base

    def annotations(self, suggestion: dict | None) -> list[dict]:
        source = suggestion["source"] if suggestion else None
        mention = suggestion["mention"] if suggestion else ""
        reliability, credibility = self.random.randrange(5), self.random.randrange(5)
        base = self.base_labels()
        result = []
        for annotator in self.annotators:
            chosen_source, chosen_mention = source, mention
            if self.random.random() < 0.15:  # another reading of who speaks
                other = self.random.choice([None, *self.sources])
                chosen_source = other["name"] if other else None
                chosen_mention = other["aliases"][0] if other else ""
            self.moment += timedelta(seconds=self.random.randint(5, 90))
            result.append(
                {
                    "annotator": annotator,
                    "source": chosen_source,
                    "source_mention": chosen_mention,
                    "source_reliability": self.grade("ABCDEF", reliability),
                    "info_credibility": self.grade("123456", credibility),
                    "labels": self.labels(base),
                    "note": self.random.choice(NOTES) if self.random.random() < 0.03 else "",
                    "submitted_at": self.moment.isoformat().replace("+00:00", "Z"),
                }
            )
        return result


def find_span(text: str, part: str) -> list[int] | None:
    start = text.find(part) if part else -1
    return [start, start + len(part)] if start >= 0 else None


def documents_generate(
    *, statements: int, per_document: int, annotators: int, seed: int
) -> Iterator[tuple[dict, list[dict]]]:
    """(document record, its statement records) in `import_dataset`'s format."""
    generator = Generator(seed, annotators)
    for number in range(-(-statements // per_document)):
        count = min(per_document, statements - number * per_document)
        sentences = [generator.statement() for _ in range(count)]
        text, offset, records = "", 0, []
        for position, (sentence, suggestion) in enumerate(sentences):
            records.append(statement_record(number + 1, position, sentence, offset, suggestion))
            records[-1]["annotations"] = generator.annotations(suggestion)
            text += sentence + " "
            offset = len(text)
        document = {
            "id": number + 1,
            "external_id": f"peer-bench-{number + 1:05d}",
            "title": f"Lagebericht {number + 1}: {generator.fill('Kämpfe um {place}')}",
            "text": text.rstrip(),
            "language": "de",
            "outlet": "Peer benchmark",
            "published_at": (START_DAY + timedelta(days=number % 365)).isoformat(),
        }
        for record in records:
            record["document_title"] = document["title"]
        yield document, records


def statement_record(
    document_id: int, position: int, text: str, offset: int, suggestion: dict | None
) -> dict:
    spans = suggestion["spans"] if suggestion else {}
    return {
        "document_id": document_id,
        "position": position,
        "paragraph": position // 5,
        "text": text,
        "start": offset,
        "end": offset + len(text),
        "language": "de",
        "suggested_source": suggestion["source"] if suggestion else None,
        "suggested_mention": suggestion["mention"] if suggestion else "",
        "suggested_cue": suggestion["cue"] if suggestion else "",
        "suggested_cue_span": spans.get("cue"),
        "suggested_mention_span": spans.get("mention"),
        "annotations": [],
        "gold": None,
    }


def dataset_write(
    path: Path, *, statements: int, per_document: int, annotators: int, seed: int
) -> dict:
    """The generated data set as PATH and PATH.documents.jsonl; returns its counts."""
    counts = {"documents": 0, "statements": 0, "annotations": 0}
    documents_path = path.with_name(path.name + ".documents.jsonl")
    with (
        path.open("w", encoding="utf-8") as data,
        documents_path.open("w", encoding="utf-8") as docs,
    ):
        for document, records in documents_generate(
            statements=statements, per_document=per_document, annotators=annotators, seed=seed
        ):
            docs.write(json.dumps(document, ensure_ascii=False) + "\n")
            for record in records:
                data.write(json.dumps(record, ensure_ascii=False) + "\n")
                counts["annotations"] += len(record["annotations"])
            counts["documents"] += 1
            counts["statements"] += len(records)
    return counts


def card_write(path: Path, *, project: str, annotators: int) -> None:
    """PATH.card.md with the front matter `import_dataset` reads: the project, and the fixtures'
    label groups and sources (JSON is YAML), so --create-vocabulary recreates them in full."""
    groups = fixture("label_groups.json")
    for position, group in enumerate(groups):
        group["position"], group["key"] = position, key_of(group)
        for label_position, label in enumerate(group["labels"]):
            label["position"], label["key"] = label_position, key_of(label)
    meta = {
        "project": {
            "name": project,
            "description": "Generated by bench/bench_peer_label_studio.py.",
            "guidelines": "Source, Admiralty grades (A-F, 1-6) and bias labels per statement.",
            "guidelines_version": "bench",
            "annotations_per_statement": annotators,
        },
        "label_groups": groups,
        "sources": fixture("sources.json"),
    }
    card = path.with_name(path.name + ".card.md")
    card.write_text(f"---\n{json.dumps(meta, ensure_ascii=False, indent=1)}\n---\n", "utf-8")


# --------------------------------------------------------------------------------------------
# The same schema and records for Label Studio
# --------------------------------------------------------------------------------------------


def control_name(group_key: str) -> str:
    """A label group's key as a Label Studio control name ("persuasion-techniques" ->
    "labels_persuasion_techniques")."""
    return "labels_" + re.sub(r"[^0-9a-z]+", "_", group_key.lower()).strip("_")


def label_config(label_groups: list[dict]) -> str:
    """A labeling config with one control per field of our schema: the source and its mention
    as text areas, the two Admiralty grades and every label group as choices (single or
    multiple, required as in the group; the values are the label keys our exports hold), the
    note as a text area."""

    def choices(name: str, values: dict[str, str], multiple=False, required=False) -> str:
        options = "".join(
            f"\n    <Choice value={quoteattr(value)} hint={quoteattr(hint)}/>"
            for value, hint in values.items()
        )
        return (
            f'  <Choices name="{name}" toName="text" '
            f'choice="{"multiple" if multiple else "single"}" '
            f'required="{"true" if required else "false"}">{options}\n  </Choices>'
        )

    def text_area(name: str, title: str) -> str:
        return (
            f'  <Header value={quoteattr(title)} size="6"/>\n'
            f'  <TextArea name="{name}" toName="text" maxSubmissions="1" editable="true"/>'
        )

    parts = [
        "<View>",
        '  <Header value="$document_title"/>',
        '  <Text name="text" value="$text"/>',
        text_area("source", "Source (registry name; empty: the author's own voice)"),
        text_area("source_mention", "Source as written"),
        choices("source_reliability", RELIABILITY, required=True),
        choices("info_credibility", CREDIBILITY, required=True),
    ]
    for group in label_groups:
        labels = {key_of(label): label.get("description", "") for label in group["labels"]}
        parts.append(
            choices(control_name(key_of(group)), labels, group["multiple"], group["required"])
        )
    parts += [text_area("note", "Note"), "</View>"]
    return "\n".join(parts)


def annotator_email(name: str) -> str:
    return f"{name}@{ANNOTATOR_EMAIL_DOMAIN}"


def annotation_result(annotation: dict) -> list[dict]:
    """One Label Studio result per filled field of one of our annotations."""

    def result(name: str, kind: str, value: dict) -> dict:
        return {"from_name": name, "to_name": "text", "type": kind, "value": value}

    results = [
        result(name, "textarea", {"text": [annotation[name]]})
        for name in LABEL_STUDIO_TEXT_FIELDS
        if annotation.get(name)
    ]
    for name in ("source_reliability", "info_credibility"):
        results.append(result(name, "choices", {"choices": [annotation[name]]}))
    for group, value in (annotation.get("labels") or {}).items():
        values = value if isinstance(value, list) else [value] if value else []
        if values:
            results.append(result(control_name(group), "choices", {"choices": values}))
    return results


def task_from_record(record: dict) -> dict:
    """One of our statement records as a Label Studio task with its annotations."""
    data = {
        key: record.get(key)
        for key in ("text", "document_title", "document_external_id", "position", "paragraph",
                    "start", "end", "language", "suggested_source", "suggested_mention")
    }  # fmt: skip
    data["statement_id"] = record["id"]
    return {
        "data": data,
        "annotations": [
            {
                "completed_by": {"email": annotator_email(annotation["annotator"])},
                "result": annotation_result(annotation),
            }
            for annotation in record["annotations"]
        ],
    }


def tasks_from_export(path: Path) -> tuple[list[dict], set[str]]:
    """Every record of our jsonl export as a task, and the annotators' names."""
    tasks, annotators = [], set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            tasks.append(task_from_record(record))
            annotators.update(annotation["annotator"] for annotation in record["annotations"])
    return tasks, annotators
