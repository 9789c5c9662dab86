"""Shared CLI plumbing: language, error → one-line message + documented exit code, JSON output."""

from __future__ import annotations

import codecs
import contextlib
import functools
import itertools
import json
import sys
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cardkit.errors import (
    AccessDeniedError,
    CardError,
    CardkitError,
    CardRemovedError,
    ExitCode,
    FixtureError,
    InputError,
    NoCardError,
    ReaderError,
    VerificationError,
)
from cardkit.i18n import LANGUAGES, N_, Gettext, pick_language, translator

F = TypeVar("F", bound=Callable[..., Any])

_state: dict[str, Any] = {"lang": None, "gettext": None}

# What the person at the counter should do, per kind of error (the detail follows in brackets).
_ERROR_LEADS: list[tuple[type[CardkitError], str]] = [
    (AccessDeniedError, N_("The card refused the access key — check the ID number, date of birth "
                           "and date of expiry (or the CAN) and try again")),
    (CardRemovedError, N_("The card was removed during reading — place it back on the reader "
                          "and read again")),
    (NoCardError, N_("No card on the reader — lay the card flat on the reader, alone, and try "
                     "again")),
    (ReaderError, N_("Card reader problem — check that the reader is connected; `cardkit doctor` "
                     "says what is wrong")),
    (CardError, N_("The card could not be read — place it on the reader again")),
    (FixtureError, N_("The recorded session cannot be used")),
    (VerificationError, N_("Verification refused")),
    (InputError, N_("The input cannot be used")),
]


def set_language(lang: str | None) -> str:
    code = pick_language(lang)
    _state["lang"] = code
    _state["gettext"] = _lazy_translator(code)
    return code


def _lazy_translator(code: str) -> Gettext:
    """`translator(code)`, built on the first message translated: `cardkit --help` or a JSON
    report never pays for reading the catalogue (issue 15, start-up)."""
    loaded: list[Gettext] = []

    def gettext(msgid: str) -> str:
        if not loaded:
            loaded.append(translator(code))
        return loaded[0](msgid)

    return gettext


def current_language() -> str:
    if _state["lang"] is None:
        set_language(None)
    return str(_state["lang"])


def gettext() -> Gettext:
    if _state["gettext"] is None:
        set_language(None)
    return _state["gettext"]


def _(msgid: str) -> str:
    return gettext()(msgid)


def lang_option(func: F) -> F:
    """`--lang vi|en` (else $CARDKIT_LANG, else the locale)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
        if value is not None:  # `cardkit --lang vi read …`: the group's choice reaches the command
            ctx.meta["cardkit.lang"] = value
        return set_language(value or ctx.meta.get("cardkit.lang"))

    return click.option("--lang", type=click.Choice(LANGUAGES), default=None, expose_value=False,
                        is_eager=True, callback=callback,
                        help="Language of the output: vi (Tiếng Việt) or en; default "
                             "$CARDKIT_LANG, else the locale.")(func)  # type: ignore[return-value]


def error_line(exc: CardkitError) -> str:
    """`cardkit: error: <what to do> (<detail>)`, the lead in the user's language."""
    lead = next((msg for cls, msg in _ERROR_LEADS if isinstance(exc, cls)), None)
    word = _("error")
    if lead is None or _state["lang"] in (None, "en"):
        return f"cardkit: {word}: {exc}"
    return f"cardkit: {word}: {_(lead)} ({exc})"


def handle_errors(func: F) -> F:
    """Turn cardkit errors into `cardkit: error: <message>` and their exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CardkitError as exc:
            click.echo(error_line(exc), err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("cardkit: " + _("interrupted"), err=True)
            sys.exit(130)
        finally:  # the next command (same process: tests, a shell) chooses its language anew
            _state["lang"] = _state["gettext"] = None

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    """JSON on stdout: UTF-8 as is; on any other console \\u escapes (the data stays exact)."""
    click.echo(json.dumps(data, ensure_ascii=not _is_utf(sys.stdout), indent=2,
                          sort_keys=False))


# --- consoles that are not UTF-8 (Vietnamese Windows cp1258, cp1252, C locale) ----------------

TRANSLIT = "cardkit-translit"
_PLAIN = {"Đ": "D", "đ": "d", "—": "-", "–": "-", "×": "x", "…": "...", "→": "->", "←": "<-",
          "█": "#", "░": ".", "✓": "v", "✗": "x", "·": ".", "•": "*", "’": "'", "‘": "'",
          "“": '"', "”": '"', "≤": "<=", "≥": ">=", "µ": "u"}


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def transliterate(ch: str, encoding: str) -> str:
    """The closest spelling of `ch` the console can show: first a precomposed letter plus
    combining tone marks the code page has (cp1258 writes Vietnamese this way, exactly), then the
    base letter, then a plain ASCII stand-in, else '?'."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    for k in range(len(marks), -1, -1):  # the letter with the most marks precomposed first
        for used in itertools.combinations(range(len(marks)), k):
            letter = unicodedata.normalize("NFC", base + "".join(marks[i] for i in used))
            if len(letter) == 1 and _encodable(letter, encoding):
                rest = "".join(m for i, m in enumerate(marks)
                               if i not in used and _encodable(m, encoding))
                return letter + rest
    plain = _PLAIN.get(ch) or _PLAIN.get(base) or base
    return plain if _encodable(plain, encoding) else "?"


def translit_errors(encoding: str) -> str:
    """Name of a codec error handler transliterating for `encoding` (registered on first use;
    the handler must know the code page: charmap codecs report their encoding as 'charmap')."""
    name = f"{TRANSLIT}-{encoding}"
    try:
        codecs.lookup_error(name)
    except LookupError:
        def handler(exc: UnicodeError) -> tuple[str, int]:
            if not isinstance(exc, UnicodeEncodeError):
                raise exc
            chars = exc.object[exc.start:exc.end]
            return "".join(transliterate(c, encoding) for c in chars), exc.end

        codecs.register_error(name, handler)
    return name


def _is_utf(stream: Any) -> bool:
    enc = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    return enc in ("utf-8", "utf8", "utf-16", "utf-32") or enc.startswith("utf-")


def safe_console() -> None:
    """Never crash on output: a console that cannot show a character gets its transliteration."""
    for stream in (sys.stdout, sys.stderr):
        if not _is_utf(stream) and hasattr(stream, "reconfigure"):
            with contextlib.suppress(ValueError, OSError):  # a detached stream: leave it
                stream.reconfigure(errors=translit_errors(stream.encoding))


def exit_with(code: ExitCode | int) -> None:
    sys.exit(int(code))
