"""Tests of annotator.annotation."""
