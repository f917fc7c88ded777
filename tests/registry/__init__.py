"""Tests of the source registry package: attribution suggestions."""
