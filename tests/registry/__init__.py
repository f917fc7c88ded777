"""Tests of the source registry package: sources, attribution suggestions, sources from mentions."""
