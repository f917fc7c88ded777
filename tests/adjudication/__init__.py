"""Tests of annotator.adjudication."""
