"""Rows read ahead by a thread (read_ahead.py): the same rows in the same order, the reader's
errors raised where the rows are taken, and a reader stopped when its rows are no longer
wanted."""

import threading

import pytest

from annotator.datasets.read_ahead import read_ahead


def test_the_rows_come_in_order_across_chunks():
    assert list(read_ahead(iter(range(1003)), 10)) == list(range(1003))
    assert list(read_ahead(iter(range(7)), 10)) == list(range(7))  # one chunk: no thread
    assert list(read_ahead(iter(range(20)), 10)) == list(range(20))  # exactly two chunks


def failing_after(count: int):
    yield from range(count)
    raise RuntimeError("the database went away")


def test_an_error_of_the_reader_is_raised_to_the_caller():
    taken = []
    with pytest.raises(RuntimeError, match="went away"):
        for row in read_ahead(failing_after(35), 10):
            taken.append(row)
    assert taken == list(range(30))  # the chunks read whole before the error


def test_a_reader_whose_rows_are_not_wanted_ends():
    rows = read_ahead(iter(range(100_000)), 10)
    assert [next(rows) for _ in range(25)] == list(range(25))
    rows.close()
    assert not [t for t in threading.enumerate() if t.name == "export-read-ahead"]
