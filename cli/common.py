"""Shared CLI plumbing: error → one-line message + documented exit code, JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cardkit.errors import CardkitError, ExitCode

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn cardkit errors into `cardkit: error: <message>` and their exit code; no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CardkitError as exc:
            click.echo(f"cardkit: error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("cardkit: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def exit_with(code: ExitCode | int) -> None:
    sys.exit(int(code))
