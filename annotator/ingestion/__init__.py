"""Article files in, documents out: ``reading`` turns files and folders into checked article
records with per-file, per-line issues (no database); ``running`` imports them with a progress
callback and a summary, or previews what an import would do without writing anything.

Used by ``manage.py import_articles`` and by the admin's "Import articles" (ingestion_admin).
"""

from .reading import (
    LANGUAGES,
    RECORD_KEYS,
    SUPPORTED_SUFFIXES,
    ArticleFile,
    ArticleRecord,
    ImportIssue,
    RecordInvalid,
    article_file_read,
    article_files_read,
    article_paths,
    date_parse,
    language_parse,
    record_build,
    text_decode,
)
from .running import (
    PREVIEW_MAX_CHARS,
    FilePreview,
    ImportProgress,
    ImportSummary,
    RecordPreview,
    SuggestionCount,
    article_files_preview,
    articles_import,
)

__all__ = [
    "LANGUAGES",
    "PREVIEW_MAX_CHARS",
    "RECORD_KEYS",
    "SUPPORTED_SUFFIXES",
    "ArticleFile",
    "ArticleRecord",
    "FilePreview",
    "ImportIssue",
    "ImportProgress",
    "ImportSummary",
    "RecordInvalid",
    "RecordPreview",
    "SuggestionCount",
    "article_file_read",
    "article_files_preview",
    "article_files_read",
    "article_paths",
    "articles_import",
    "date_parse",
    "language_parse",
    "record_build",
    "text_decode",
]
