"""`--help` in the user's language: click commands whose help texts go through the catalogue.

The English texts stay where they are written (docstrings, `help=`); they are the msgids.
`HelpCommand` / `HelpGroup` translate them when the help is rendered, in the language chosen by
`--lang` (when given before `--help`), `CARDKIT_LANG` or the locale. `help_msgids(cli)` lists
every help text of the command tree for the catalogue (scripts/i18n_update.py) and the test that
each has a Vietnamese translation.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator

import click
from click.formatting import HelpFormatter
from click.utils import _make_default_short_help

from cardkit.i18n import N_

from .common import _

# click's own words in a help screen (its options' help texts, section titles, option extras)
CLICK_TEXTS = (N_("Show this message and exit."), N_("Show the version and exit."),
               N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"),
               N_("default: {default}"), N_("required"), N_("env var: {var}"))


NO_REWRAP = "\n\n\b\n"  # click: the paragraph after a \b line is printed as written


def _clean(text: str | None) -> str:
    """The help text as click shows it (dedented, cut at a form feed)."""
    return inspect.cleandoc(text).partition("\f")[0] if text else ""


def _units(text: str) -> list[str]:
    """The msgids of a help text: its parts around click's no-rewrap markers."""
    return [part for part in text.split(NO_REWRAP) if part]


def _translate(text: str) -> str:
    return NO_REWRAP.join(_(part) for part in text.split(NO_REWRAP))


class HelpFormatter_(HelpFormatter):  # noqa: N801 - click's name, translated
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, f"{_('Usage:')} " if prefix is None else prefix)

    def section(self, name: str):  # type: ignore[no-untyped-def]
        return super().section(_(name))


class HelpContext(click.Context):
    formatter_class = HelpFormatter_


def _param_record(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    """click's help row of `param` with the help text and click's extras translated."""
    if isinstance(param, click.Option) and param.hidden:
        return None
    plain = copy.copy(param)
    plain.help = None
    record = plain.get_help_record(ctx)
    if record is None:
        return None
    spec, extra = record
    if extra:  # "[default: x; required]" -> in the user's language
        items = []
        for item in extra.strip("[]").split("; "):
            if item.startswith("default: "):
                item = _("default: {default}").format(default=item[len("default: "):])
            elif item.startswith("env var: "):
                item = _("env var: {var}").format(var=item[len("env var: "):])
            elif item == "required":
                item = _("required")
            items.append(item)
        extra = f"[{'; '.join(items)}]"
    text = _(_clean(param.help)) if getattr(param, "help", None) else ""
    return spec, f"{text}  {extra}" if text and extra else text or extra


class _Translated(click.Command):
    context_class = HelpContext

    def format_help_text(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        text = _clean(self.help)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(_translate(text))

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return _(inspect.cleandoc(self.short_help)).strip()
        text = _clean(self.help)
        return _make_default_short_help(_translate(text), limit).strip() if text else ""

    def format_arguments(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        args = [p for p in self.get_params(ctx) if isinstance(p, click.Argument)]
        if any(a.help is not None for a in args):
            with formatter.section("Positional arguments"):
                formatter.write_dl([r for a in args if (r := _param_record(a, ctx))])

    def format_options(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        rows = [r for p in self.get_params(ctx)
                if not isinstance(p, click.Argument) and (r := _param_record(p, ctx))]
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)


class HelpCommand(_Translated):
    """A click command whose help is shown in the user's language."""


class HelpGroup(_Translated, click.Group):
    """A click group whose help (and its sub-commands', via `@group.command`) is translated."""

    command_class = HelpCommand
    group_class = type  # sub-groups are HelpGroups too

    def format_options(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        _Translated.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)


def walk(command: click.Command, ctx: click.Context | None = None
         ) -> Iterator[tuple[click.Command, click.Context]]:
    """Every command of the tree (importing lazily registered ones) with a context for it."""
    ctx = ctx or HelpContext(command, info_name=command.name)
    yield command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from walk(sub, HelpContext(sub, info_name=name, parent=ctx))


def help_msgids(root: click.Command) -> list[str]:
    """Every help text of the command tree (commands, short helps, options, arguments)."""
    ids: list[str] = list(CLICK_TEXTS)
    for command, ctx in walk(root):
        texts = [_clean(command.help), _clean(command.short_help)]
        texts += [_clean(getattr(p, "help", None)) for p in command.get_params(ctx)]
        texts += getattr(command, "short_helps", list)()  # a lazy group's table
        ids += [u for t in texts for u in _units(t) if u not in ids]
    return ids
