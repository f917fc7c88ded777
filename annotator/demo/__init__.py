"""The demo: the example article in a demo project, with a lead and annotators. Its data (the
article, the source registry, the label vocabularies, the project) is package data in `data/`,
so an installed package can run ``manage.py demo``."""
