"""Article files in, documents and statements out: `reading` (with `records` and `formats`)
turns files and folders into checked article records with per-file, per-line issues (no
database); `segmentation` splits a text into statements with exact offsets (pure); `running`
imports records with a progress callback and a summary, or previews an import without writing
anything; `services` writes one document; `uploads` keeps the admin's uploads between preview
and confirm.

Used by ``manage.py import_articles`` and by the admin's "Import articles" (`admin`).
"""
