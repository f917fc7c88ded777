"""Tests of annotator.vocabulary."""
