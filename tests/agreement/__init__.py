"""Tests of annotator.agreement."""
