"""The PostgreSQL csv's label columns (postgres.label_ctes) with a vocabulary of exactly one
bigint of labels (the last label on the sign bit) and with one label more (the sorted
string_agg per row): the same bytes as the streaming writer."""

from __future__ import annotations

import io

import pytest

from annotator.datasets.postgres import MASK_BITS
from annotator.datasets.selection import DatasetExport
from annotator.datasets.writers import csv_chunks, write_csv
from annotator.models import Annotation, Label, LabelGroup
from annotator.vocabulary.services import schema_entry_add

# Same position, so the order falls to the names by code point ("B" < "a" < "b" < "ä"). The
# columns hold keys: here each label's key is its name, so that the odd ones ("ä", "=zuletzt",
# which no form would accept as keys but a database may hold) reach both writers.
TIED = ["b", "B", "ä", "a"]


def grown_vocabulary(project, total: int) -> list[Label]:
    """A new group in the project's schema, filling the vocabulary up to `total` labels; the
    returned labels are the tied names and the group's last label (highest position)."""
    group = LabelGroup.objects.create(name="Zusatz", position=99, multiple=True)
    schema_entry_add(project=project, group=group)
    missing = total - Label.objects.count()
    assert missing > len(TIED)
    tied = [Label.objects.create(group=group, name=name, key=name, position=1) for name in TIED]
    for number in range(missing - len(TIED) - 1):
        Label.objects.create(group=group, name=f"Füller {number:02d}", position=2)
    last = Label.objects.create(group=group, name="=zuletzt", key="=zuletzt", position=3)
    assert Label.objects.count() == total
    return [*tied, last]


@pytest.mark.parametrize("total", [MASK_BITS, MASK_BITS + 1])
def test_label_columns_match_the_streaming_writer(postgres_only, demo, total):
    chosen = grown_vocabulary(demo, total)
    annotations = list(Annotation.objects.filter(statement__document__project=demo))
    assert len(annotations) >= 3
    annotations[0].labels.add(*chosen)
    annotations[1].labels.add(chosen[-1])
    annotations[2].labels.add(chosen[1], chosen[2])
    export = DatasetExport(project=demo)
    copied = io.BytesIO()
    write_csv(export, copied)
    streamed = "".join(csv_chunks(export))
    assert copied.getvalue() == streamed.encode()
    assert ",B|a|b|ä|=zuletzt," in streamed
    assert ",'=zuletzt," in streamed  # a cell starting with "=" neutralised
    assert ",B|ä," in streamed
