"""The jsonl on PostgreSQL (postgres_jsonl.copy_jsonl, one SELECT through COPY) against the
streaming writer (writers.jsonl_chunks over DatasetExport.records): the same bytes, for texts
that JSON escapes or keeps as they are, NULLs, statements without annotations, gold labels,
every export option, odd label keys, the agreement's floats, and a vocabulary of one bigint of
labels and of one label more."""

from __future__ import annotations

import io
import json
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from annotator.datasets.postgres_jsonl import MASK_BITS, copy_jsonl, rounded_json
from annotator.datasets.selection import DatasetExport
from annotator.datasets.writers import jsonl_chunks, write_jsonl_export
from annotator.models import (
    Annotation,
    Document,
    GoldLabel,
    Label,
    LabelGroup,
    ProjectLabelGroup,
    Source,
    Statement,
)
from annotator.vocabulary.services import schema_entry_add
from tests.helpers import label

AWKWARD = [
    'zwei, „drei“ "vier" \\ back\\slash \\u00e4 \\n',
    "\x01\x02\x08\x0c\x1f\t\n\r\x7f control",
    "=1+1",
    "-minus @at +plus",
    "ä ß 😀 \u2028 \u2029 \ufeff \U0010ffff",
    "",
    "'=quoted",
    "\\",
]


def both(export: DatasetExport) -> tuple[bytes, bytes]:
    copied = io.BytesIO()
    copy_jsonl(export, copied)
    return copied.getvalue(), "".join(jsonl_chunks(export.records())).encode()


def parsed(data: bytes) -> list[dict]:
    """The records (str.splitlines would also split at U+2028, which JSON keeps as it is)."""
    return [json.loads(line) for line in data.decode().split("\n")[:-1]]


def label_sets(statement: Statement, sets: list[list[Label]]) -> None:
    """The statement's annotations (by annotator) get these labels, in place of theirs."""
    annotations = Annotation.objects.filter(statement=statement).order_by("annotator_id")
    for annotation, labels in zip(annotations, sets, strict=False):
        annotation.labels.set(labels)


@pytest.fixture
def awkward(demo, lead):
    """The demo with every text awkward, NULLs where the schema allows them, a statement
    without annotations, gold labels, odd label keys and label sets whose MASI agreement is
    no simple fraction."""
    statements = list(Statement.objects.filter(document__project=demo).order_by("position"))
    for statement, text in zip(statements, AWKWARD * 3, strict=False):
        Statement.objects.filter(pk=statement.pk).update(
            text=text, suggested_mention=text, suggested_cue=text[::-1]
        )
    Statement.objects.filter(pk=statements[1].pk).update(suggested_cue_start=3, suggested_cue_end=9)
    Document.objects.filter(project=demo).update(title='Titel "\\" \x0b 😀', external_id="=x\n")
    annotations = list(
        Annotation.objects.filter(statement__document__project=demo).order_by(
            "statement__position", "annotator_id"
        )
    )
    for annotation, text in zip(annotations, AWKWARD * 9, strict=False):
        Annotation.objects.filter(pk=annotation.pk).update(
            note=text, source_mention=text, guidelines_version=text[:50]
        )
    Annotation.objects.filter(pk=annotations[0].pk).update(submitted_at=None, source=None)
    Annotation.objects.filter(pk=annotations[1].pk).update(
        source_mention_start=3, source_mention_end=7, seconds_spent=12345
    )
    # "Cannot be judged" leaves one judged grade (no pairs) and two of three.
    Annotation.objects.filter(statement=statements[2]).update(source_reliability="F")
    Annotation.objects.filter(pk=annotations[9].pk).update(info_credibility="6")
    Annotation.objects.filter(statement=statements[5]).delete()
    Source.objects.filter(name="KCNA").update(name='"KCNA" \\ 😀')
    type(lead).objects.filter(pk=lead.pk).update(username='-lead "x" 😀')

    persuasion = list(Label.objects.filter(group__name="Persuasion techniques").order_by("pk"))
    a, b, c, d = persuasion[:4]
    label_sets(statements[6], [[a, b], [a], [c]])
    label_sets(statements[7], [[a, b, c], [a, b], []])
    label_sets(statements[8], [[a], [a, b, c, d], [b, c, d]])
    label_sets(statements[9], [[], [], [a]])
    biased, unbiased = label("Bias", "biased"), label("Bias", "non-biased")
    label_sets(statements[10], [[biased, unbiased], [biased], [unbiased, biased]])
    stance = list(Label.objects.filter(group__name="Stance").order_by("pk"))
    Label.objects.filter(pk=stance[0].pk).update(key="")  # "|".join([""]) or None: None
    Label.objects.filter(pk=stance[1].pk).update(key='a|"b" ä')
    label_sets(statements[11], [[stance[0]], [], [stance[1]]])

    gold = GoldLabel.objects.create(
        statement=statements[1], method="adjudicated", source_reliability="B",
        info_credibility="2", decided_by=lead, rationale=AWKWARD[1], source_mention="=x",
        source_mention_start=1, source_mention_end=2,
    )  # fmt: skip
    gold.labels.set([biased, a, c, stance[1]])
    GoldLabel.objects.create(
        statement=statements[4], method="unanimous", source_reliability="F",
        info_credibility="6", source=Source.objects.first(),
    )  # fmt: skip
    return statements


def export_options(statements) -> list[dict]:
    # --since: one statement's annotations changed recently, the others long ago.
    Annotation.objects.exclude(statement=statements[7]).update(
        updated_at=timezone.now() - timedelta(days=10)
    )
    since = timezone.now() - timedelta(days=1)
    return [{}, {"gold_only": True}, {"real_names": True}, {"since": since}]


def test_awkward_records_match_the_streaming_writer(postgres_only, demo, awkward):
    for options in export_options(awkward):
        copied, streamed = both(DatasetExport(project=demo, **options))
        assert copied == streamed, options
        assert parsed(streamed), options
    everything = parsed(both(DatasetExport(project=demo))[1])
    assert [record["text"] for record in everything[: len(AWKWARD)]] == AWKWARD
    assert everything[5]["annotations"] == [] and everything[5]["agreement"]["annotators"] == 0
    masi = everything[6]["agreement"]["labels"]["persuasion-techniques"]
    assert masi not in (None, 0.0, 1.0) and masi != round(masi, 2)
    assert everything[11]["annotations"][0]["labels"]["stance"] is None


@pytest.mark.parametrize("size", [MASK_BITS, MASK_BITS + 1])
def test_labels_past_one_bigint_match(postgres_only, demo, awkward, size):
    """Up to MASK_BITS labels the label sets are bigints, beyond that bit strings."""
    group = LabelGroup.objects.create(name="Zusatz", position=99, multiple=True)
    schema_entry_add(project=demo, group=group)
    in_schema = Label.objects.filter(group__in=DatasetExport(project=demo).groups).count()
    extra = [
        Label.objects.create(group=group, name=f"Zusatz {number:02d}", position=number % 3)
        for number in range(size - in_schema)
    ]
    label_sets(awkward[12], [extra[-3:], extra[-2:], [extra[0], extra[-1]]])
    label_sets(awkward[13], [extra[:1], [], extra[:2]])
    export = DatasetExport(project=demo)
    assert Label.objects.filter(group__in=export.groups).count() == size
    copied, streamed = both(export)
    assert copied == streamed


def test_the_export_uses_copy_on_postgresql(postgres_only, demo, awkward):
    written = io.BytesIO()
    write_jsonl_export(DatasetExport(project=demo), written)
    assert written.getvalue() == both(DatasetExport(project=demo))[1]


def test_rounding_is_pythons_round_and_repr(postgres_only, db):
    """Python rounds a float's exact binary value half to even: ties (a fifth decimal 5) go
    up or down by where the float really lies, exact binary ties to the even digit."""
    rng = random.Random(13)
    values = [0.0, 1.0, 0.5, 1 / 3, 2 / 3, 2 / 9, 1e-5, 1e-9, 0.1 + 0.2, 0.99995, 0.00005]
    values += [k / n for n in range(1, 80) for k in range(n + 1)]
    values += [(2 * j + 1) / 20000 for j in range(0, 10000, 7)]  # the floats nearest to ties
    values += [t / 32 for t in range(1, 32, 2)]  # exact binary ties
    values += [rng.random() for _ in range(2000)]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL extra_float_digits = 1")
        cursor.execute(
            f"SELECT {rounded_json('v.x')} FROM unnest(%s::float8[]) WITH ORDINALITY v(x, i) "
            "ORDER BY v.i",
            [values],
        )
        rounded = [row[0] for row in cursor.fetchall()]
    assert rounded == [json.dumps(round(value, 4)) for value in values]
    assert json.dumps(round(0.00015, 4)) == "0.0001" and json.dumps(round(1 / 32, 4)) == "0.0312"


def test_a_schema_without_label_groups_matches(postgres_only, demo, awkward):
    ProjectLabelGroup.objects.filter(project=demo).delete()
    export = DatasetExport(project=demo)
    assert export.groups == []
    copied, streamed = both(export)
    assert copied == streamed
    assert parsed(streamed)[0]["agreement"]["labels"] == {}
