"""Tests of annotator.datasets."""
