"""Loaded by pytest before Django (`-p config.pytest_development_mode` in pyproject.toml): the
test suite runs in development mode, which the settings no longer assume when DJANGO_DEBUG is
unset. pytest-django still turns DEBUG off for every test; this only decides which settings
load (no production secret key needed)."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
