"""The German catalogues translate every message of the interface, and the compiled catalogues
Django loads (.mo) hold what the sources (.po) say: a message added without a translation, or a
.po edited without compiling, shows English on a German page."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "annotator" / "locale" / "de" / "LC_MESSAGES"


def po_entries(path: Path) -> list[dict]:
    """Each entry of a .po file: its flags, msgctxt, msgid, msgid_plural and msgstr[n]."""
    entries, entry, field = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {}, None
        elif line.startswith("#,"):
            entry["flags"] = line[2:].strip()
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return [entry for entry in entries if entry["msgid"]]  # not the header


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_message_has_a_german_translation_and_the_compiled_catalogue_holds_it(domain):
    entries = po_entries(LOCALE / f"{domain}.po")
    assert entries
    with (LOCALE / f"{domain}.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    problems = []
    for entry in entries:
        msgid, context = entry["msgid"], entry.get("msgctxt")
        if "fuzzy" in entry.get("flags", ""):
            problems.append(f"fuzzy: {msgid!r}")
        if "msgid_plural" in entry:
            forms = [entry[key] for key in ("msgstr[0]", "msgstr[1]")]
            compiled_forms = [
                catalogue.npgettext(context, msgid, entry["msgid_plural"], n)
                if context
                else catalogue.ngettext(msgid, entry["msgid_plural"], n)
                for n in (1, 2)
            ]
        else:
            forms = [entry["msgstr"]]
            compiled_forms = [catalogue.pgettext(context, msgid) if context else
                              catalogue.gettext(msgid)]  # fmt: skip
        if not all(forms):
            problems.append(f"untranslated: {msgid!r}")
        elif compiled_forms != forms:
            problems.append(f"not compiled (make messages): {msgid!r}")
    assert not problems, "\n".join(problems)
