"""Article uploads kept between the preview and the confirmed import, in Django's file storage.

Each upload is a folder named by a random token that only the uploading user's session knows:
the files as uploaded (``0.upload``, ``1.upload``, …) and a manifest (who uploaded them, for
which project and language, under which names). Confirm reads and checks them again; a claim
taken with an exclusive create makes a double-clicked "Confirm import" import them only once.
Uploads older than a day are removed at the next upload.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

UPLOAD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
MANIFEST = "manifest.json"
CLAIM = "claim"
UPLOAD_MAX_AGE = timedelta(days=1)  # older uploads are removed at the next upload


def upload_max_bytes() -> int:
    return getattr(settings, "ARTICLE_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


def upload_root() -> Path:
    folder = getattr(settings, "ARTICLE_IMPORT_UPLOAD_DIR", None)
    return Path(folder or Path(tempfile.gettempdir()) / "annotator-article-uploads")


def upload_storage() -> FileSystemStorage:
    """The uploads' storage: private to the server's user (read and written by it only)."""
    return FileSystemStorage(
        location=upload_root(), file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def upload_store(*, user_id: int, project_id: int, language: str, files: list) -> str:
    """Keep the uploaded (name, bytes) files under a fresh random token; returns the token."""
    uploads_expire()
    storage = upload_storage()
    token = secrets.token_urlsafe(24)
    for number, (_name, data) in enumerate(files):
        storage.save(f"{token}/{number}.upload", ContentFile(data))
    manifest = {
        "user": user_id,
        "project": project_id,
        "language": language,
        "names": [name for name, _data in files],
    }
    storage.save(f"{token}/{MANIFEST}", ContentFile(json.dumps(manifest).encode()))
    return token


def upload_load(token: str, *, claim: bool = False) -> tuple[dict, list] | None:
    """The manifest and (name, bytes) of each file; None for an unknown or expired token. With
    claim, the upload is taken away at once, so a second confirm finds nothing."""
    if not UPLOAD_TOKEN.match(token):
        return None
    storage = upload_storage()
    if not storage.exists(f"{token}/{MANIFEST}"):
        return None
    if claim and not upload_claim(storage, token):
        return None
    try:
        with storage.open(f"{token}/{MANIFEST}") as manifest_file:
            manifest = json.loads(manifest_file.read())
        files = []
        for number, name in enumerate(manifest["names"]):
            with storage.open(f"{token}/{number}.upload") as upload:
                files.append((name, upload.read()))
    except (OSError, ValueError, KeyError):
        return None
    finally:
        if claim:
            upload_remove(storage, token)
    return manifest, files


def upload_claim(storage: FileSystemStorage, token: str) -> bool:
    """Take the upload: the storage creates files exclusively, so of two confirms only one
    gets the claim under its own name (the other is given another name, and loses)."""
    wanted = f"{token}/{CLAIM}"
    got = storage.save(wanted, ContentFile(b""))
    if got != wanted:
        storage.delete(got)
        folder_remove(storage, token)
        return False
    return True


def upload_remove(storage: FileSystemStorage, token: str) -> None:
    _folders, names = storage.listdir(token)
    for name in names:
        storage.delete(f"{token}/{name}")
    folder_remove(storage, token)


def folder_remove(storage: FileSystemStorage, token: str) -> None:
    # Only once empty: a losing claim may still be inside; whoever leaves last removes it.
    with contextlib.suppress(OSError):
        storage.delete(token)


def uploads_expire() -> None:
    storage = upload_storage()
    if not upload_root().is_dir():
        return
    cutoff = timezone.now() - UPLOAD_MAX_AGE
    for token in storage.listdir("")[0]:
        try:
            if UPLOAD_TOKEN.match(token) and storage.get_modified_time(token) < cutoff:
                upload_remove(storage, token)
        except OSError:
            pass  # removed by another worker meanwhile
