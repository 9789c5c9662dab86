"""cardkit: read and verify Vietnamese chip ID cards (CCCD, ICAO 9303 eMRTD).

The public API, importable from `cardkit` alone (loaded on first use, so `import cardkit` stays
cheap):

    from cardkit import CardSource, Probes, verify_card, vn_access_key
    result = verify_card(CardSource.from_sim("default"), policy="card")
    result.verdict, result.reasons, result.identity.fields, result.to_dict()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # the workflow
    "verify_card": "cardkit.verify",
    "CardSource": "cardkit.verify",
    "Probes": "cardkit.verify",
    "ProgressEvent": "cardkit.verify",
    "VerificationResult": "cardkit.verify",
    "TrustChoice": "cardkit.verify",
    "load_trust_choice": "cardkit.verify",
    "Verdict": "cardkit.verdict",
    "Decision": "cardkit.verdict",
    "Reason": "cardkit.verdict",
    "decide": "cardkit.verdict",
    "exit_code": "cardkit.verdict",
    "Policy": "cardkit.policy",
    "Level": "cardkit.policy",
    "load_policy": "cardkit.policy",
    "CheckName": "cardkit.checks",
    "CheckResult": "cardkit.results",
    "CheckState": "cardkit.results",
    "Message": "cardkit.i18n",
    "translator": "cardkit.i18n",
    "Identity": "cardkit.identity",
    # the steps underneath
    "read_card": "cardkit.read",
    "CardRead": "cardkit.read",
    "parse_document": "cardkit.document",
    "Document": "cardkit.document",
    "verify_passive": "cardkit.security.passive",
    "PassiveResult": "cardkit.security.passive",
    "TrustStore": "cardkit.security.trust",
    "load_snapshot": "cardkit.security.snapshot",
    "vn_access_key": "cardkit.lds.mrz",
    "parse_mrz": "cardkit.lds.mrz",
    "MrzKey": "cardkit.icao.keys",
    "CanKey": "cardkit.icao.keys",
    # transports
    "Transport": "cardkit.transport.base",
    "PcscTransport": "cardkit.transport.pcsc",
    "SimTransport": "cardkit.transport.sim",
    "ReplayTransport": "cardkit.transport.replay",
    "RecordingTransport": "cardkit.transport.record",
    "load_fixture": "cardkit.transport.fixtures",
    # errors
    "CardkitError": "cardkit.errors",
    "InputError": "cardkit.errors",
    "ParseError": "cardkit.errors",
    "CardError": "cardkit.errors",
    "ReaderError": "cardkit.errors",
    "NoCardError": "cardkit.errors",
    "CardRemovedError": "cardkit.errors",
    "AccessDeniedError": "cardkit.errors",
    "VerificationError": "cardkit.errors",
    "BiometricError": "cardkit.errors",
    "ExitCode": "cardkit.errors",
}

__all__ = ["__version__", "verify_card", "CardSource", "Probes", "ProgressEvent",
          "VerificationResult", "TrustChoice", "load_trust_choice", "Verdict", "Decision",
          "Reason", "decide", "exit_code", "Policy", "Level", "load_policy", "CheckName",
          "CheckResult", "CheckState", "Message", "translator", "Identity", "read_card",
          "CardRead", "parse_document", "Document", "verify_passive", "PassiveResult",
          "TrustStore", "load_snapshot", "vn_access_key", "parse_mrz", "MrzKey", "CanKey",
          "Transport", "PcscTransport", "SimTransport", "ReplayTransport", "RecordingTransport",
          "load_fixture", "CardkitError", "InputError", "ParseError", "CardError", "ReaderError",
          "NoCardError", "CardRemovedError", "AccessDeniedError", "VerificationError",
          "BiometricError", "ExitCode"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cardkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .checks import CheckName
    from .document import Document, parse_document
    from .errors import (
        AccessDeniedError,
        BiometricError,
        CardError,
        CardkitError,
        CardRemovedError,
        ExitCode,
        InputError,
        NoCardError,
        ParseError,
        ReaderError,
        VerificationError,
    )
    from .i18n import Message, translator
    from .icao.keys import CanKey, MrzKey
    from .identity import Identity
    from .lds.mrz import parse_mrz, vn_access_key
    from .policy import Level, Policy, load_policy
    from .read import CardRead, read_card
    from .results import CheckResult, CheckState
    from .security.passive import PassiveResult, verify_passive
    from .security.snapshot import load_snapshot
    from .security.trust import TrustStore
    from .transport.base import Transport
    from .transport.fixtures import load_fixture
    from .transport.pcsc import PcscTransport
    from .transport.record import RecordingTransport
    from .transport.replay import ReplayTransport
    from .transport.sim import SimTransport
    from .verdict import Decision, Reason, Verdict, decide, exit_code
    from .verify import (
        CardSource,
        Probes,
        ProgressEvent,
        TrustChoice,
        VerificationResult,
        load_trust_choice,
        verify_card,
    )
