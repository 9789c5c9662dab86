"""Update the gettext catalogues (cardkit/locale/<lang>/LC_MESSAGES/cardkit.po) from the code.

    python scripts/i18n_update.py          # extract, merge, write; prints untranslated entries

Extracts every string marked `_("...")` or `N_("...")` in cardkit/ and cli/ (babel), plus the
teller messages built from tables (face quality advice), keeps existing translations, drops
obsolete ones. English: msgstr = msgid. tests/core/test_i18n.py fails when an entry lacks a
Vietnamese translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None}


def dynamic_msgids() -> list[str]:
    """Teller text that reaches the screen from tables rather than marked literals."""
    from cardkit.biometrics.face.quality import ADVICE

    return list(ADVICE.values())


def extracted_msgids() -> list[str]:
    ids: list[str] = []
    for folder in ("cardkit", "cli"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
            if isinstance(message, str) and message not in ids:
                ids.append(message)
    for msgid in dynamic_msgids():
        if msgid not in ids:
            ids.append(msgid)
    return ids


def update(lang: str, ids: list[str]) -> list[str]:
    path = ROOT / "cardkit" / "locale" / lang / "LC_MESSAGES" / "cardkit.po"
    old: dict[str, str] = {}
    if path.is_file():
        with path.open("rb") as fh:
            old = {m.id: m.string for m in read_po(fh) if m.id}
    cat = Catalog(locale=lang, domain="cardkit", project="cardkit", version="0.1.0",
                  charset="utf-8")
    missing = []
    for msgid in ids:
        string = msgid if lang == "en" else old.get(msgid, "")
        if not string:
            missing.append(msgid)
        cat.add(msgid, string)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, cat, width=100, omit_header=False, sort_output=False, no_location=True)
    return missing


def main() -> int:
    ids = extracted_msgids()
    status = 0
    for lang in ("vi", "en"):
        missing = update(lang, ids)
        for m in missing:
            print(f"{lang}: untranslated: {m!r}")
            status = 1
    print(f"{len(ids)} messages")
    return status


if __name__ == "__main__":
    sys.exit(main())
