"""Tests of annotator.demo."""
