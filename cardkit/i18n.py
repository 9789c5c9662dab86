"""Translatable text: gettext-style catalogues (`cardkit/locale/<lang>/LC_MESSAGES/cardkit.po`).

The library marks teller-facing text with `N_("...")` (English msgid, translated later) and
carries it as a `Message` (msgid + parameters), so JSON stays English and stable while a front-end
renders the same result in Vietnamese. `translator(lang)` returns a gettext function for a
language; `pick_language()` chooses it from an explicit value, `CARDKIT_LANG` or the locale.

Catalogues are read with babel's PO reader (the .po files are the only source; nothing to
compile).
"""

from __future__ import annotations

import locale
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "cardkit"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "en"

Gettext = Callable[[str], str]


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for translation without translating it (xgettext keyword)."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A teller-facing sentence: an English msgid with `{name}` placeholders and their values."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Gettext | None = None,
               fmt: Callable[[Any], Any] | None = None) -> str:
        """The text in gettext's language; `fmt` formats parameter values (e.g. dates as the
        language writes them)."""
        text = (gettext or _identity)(self.msgid)
        values = {k: (v.render(gettext, fmt) if isinstance(v, Message)
                      else fmt(v) if fmt is not None else v)
                  for k, v in self.params.items()}
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a broken translation must not crash
            return self.msgid.format(**values)

    def __str__(self) -> str:
        return self.render()


def _identity(text: str) -> str:
    return text


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def load_catalogue(lang: str) -> dict[str, str]:
    """msgid → msgstr for `lang` (untranslated and fuzzy entries left out)."""
    from babel.messages.pofile import read_po

    path = catalogue_path(lang)
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def translator(lang: str | None) -> Gettext:
    """A gettext function for `lang` ("vi", "en"); unknown text falls back to English."""
    table = load_catalogue(normalise(lang) or DEFAULT_LANGUAGE)

    def gettext(msgid: str) -> str:
        return table.get(msgid) or msgid

    return gettext


def normalise(lang: str | None) -> str | None:
    """"vi_VN.UTF-8" → "vi"; None or an unsupported language → None."""
    if not lang:
        return None
    code = lang.replace("-", "_").split(".")[0].split("_")[0].lower()
    return code if code in LANGUAGES else None


def pick_language(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Explicit choice, else $CARDKIT_LANG, else the locale ($LC_ALL, $LC_MESSAGES, $LANG)."""
    env = os.environ if env is None else env
    for candidate in (explicit, env.get("CARDKIT_LANG"), env.get("LC_ALL"),
                      env.get("LC_MESSAGES"), env.get("LANG")):
        code = normalise(candidate)
        if code:
            return code
    try:
        code = normalise(locale.getlocale(locale.LC_MESSAGES)[0])
    except (AttributeError, ValueError):
        code = None
    return code or DEFAULT_LANGUAGE
