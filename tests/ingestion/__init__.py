"""Tests of annotator.ingestion."""
