"""The names of the checks, used everywhere (reports, JSON, policies, exit codes), and the words a
teller reads for each outcome (no protocol jargon: the technical reason stays in the details).

Teller level:  chip_genuine = passive_auth + chip_authentic;  document_valid;  face_match;
finger_match.  Underneath: chip_authentic = chip_auth (CA) or active_auth (AA).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from .i18n import N_, Message
from .results import CheckResult, CheckState


class CheckName(str, Enum):
    PASSIVE_AUTH = "passive_auth"  # data signed by the issuing state, unaltered (ICAO 9303-11 §5.1)
    CHIP_AUTH = "chip_auth"  # Chip Authentication (DG14)
    ACTIVE_AUTH = "active_auth"  # Active Authentication (DG15)
    CHIP_AUTHENTIC = "chip_authentic"  # CA or AA: the chip is the original, not a copy
    CHIP_GENUINE = "chip_genuine"  # passive_auth + chip_authentic (the teller's line)
    DOCUMENT_VALID = "document_valid"  # not expired
    FACE_MATCH = "face_match"
    FINGER_MATCH = "finger_match"
    TERMINAL_AUTH = "terminal_auth"  # EAC: the chip accepted this terminal (to read DG3)

    def __str__(self) -> str:
        return self.value


#: Checks a policy can require (chip_genuine is derived from the first two).
POLICY_CHECKS = (CheckName.PASSIVE_AUTH, CheckName.CHIP_AUTHENTIC, CheckName.DOCUMENT_VALID,
                 CheckName.FACE_MATCH, CheckName.FINGER_MATCH)
#: Checks whose failure is evidence of forgery or cloning.
SECURITY_CHECKS = frozenset({CheckName.PASSIVE_AUTH, CheckName.CHIP_AUTHENTIC,
                             CheckName.CHIP_AUTH, CheckName.ACTIVE_AUTH, CheckName.CHIP_GENUINE})

TITLES: dict[CheckName, str] = {
    CheckName.PASSIVE_AUTH: N_("Card data issued by the state"),
    CheckName.CHIP_AUTH: N_("Chip authentication"),
    CheckName.ACTIVE_AUTH: N_("Active authentication"),
    CheckName.CHIP_AUTHENTIC: N_("Original chip (not a copy)"),
    CheckName.CHIP_GENUINE: N_("Chip genuine"),
    CheckName.DOCUMENT_VALID: N_("Document valid"),
    CheckName.FACE_MATCH: N_("Face matches"),
    CheckName.FINGER_MATCH: N_("Finger matches"),
    CheckName.TERMINAL_AUTH: N_("Fingerprints readable (EAC)"),
}

# Passive-authentication sub-check that failed → what it means for the teller.
_PASSIVE_INVALID = {
    "dg_hashes": N_("the card data was changed after the card was issued"),
    "sod_signature": N_("the issuer's signature on the card data is not valid"),
    "dsc_chain": N_("the card was not issued by a trusted authority"),
    "crl": N_("the card's signing certificate has been revoked"),
    "dsc_validity": N_("the card's signing certificate is not valid"),
    "dg_coverage": N_("the card holds data that the issuer did not sign"),
    "com_consistency": N_("the card's file list does not match the issuer's signature"),
}
_PASSIVE_UNSURE = {
    "dsc_chain": N_("the issuing authority's certificate is not installed — ask IT to update "
                    "the trust list"),
    "crl": N_("the revocation list could not be checked"),
    "dg_coverage": N_("some signed card data could not be read — place the card on the reader "
                      "again"),
}


def teller_message(check: CheckResult,
                   others: Mapping[str, CheckResult] | None = None) -> Message:
    """What the teller reads for one check outcome (translatable, no protocol jargon).

    `others`: the other checks of the same result (chip_genuine speaks through the part that
    decided it, named in its details as `cause`)."""
    cause = (others or {}).get(str((check.details or {}).get("cause", "")))
    if check.name == CheckName.CHIP_GENUINE and cause is not None and cause.state == check.state:
        return teller_message(cause, others)
    try:
        name = CheckName(check.name)
    except ValueError:
        return Message(N_("{check}: {state}"), {"check": check.name, "state": check.state.value})
    state = check.state
    details: dict[str, Any] = check.details or {}
    if state in (CheckState.VALID, CheckState.MATCH):
        if name is CheckName.DOCUMENT_VALID and details.get("date_of_expiry"):
            return Message(N_("valid until {date}"), {"date": details["date_of_expiry"]})
        return Message({
            CheckName.PASSIVE_AUTH: N_("the card data is exactly as the state issued it"),
            CheckName.CHIP_AUTHENTIC: N_("the chip is the original, not a copy"),
            CheckName.CHIP_AUTH: N_("the chip is the original, not a copy"),
            CheckName.ACTIVE_AUTH: N_("the chip is the original, not a copy"),
            CheckName.CHIP_GENUINE: N_("yes"),
            CheckName.FACE_MATCH: N_("the person matches the photo on the chip"),
            CheckName.FINGER_MATCH: N_("the finger matches the one on the chip"),
            CheckName.TERMINAL_AUTH: N_("the chip let this terminal read the fingerprints"),
        }.get(name, N_("yes")))
    if state in (CheckState.INVALID, CheckState.NO_MATCH):
        if name is CheckName.PASSIVE_AUTH:
            return Message(_PASSIVE_INVALID.get(str(details.get("failed", "")),
                                                N_("the card data is not authentic")))
        if name is CheckName.CHIP_GENUINE:
            return Message(N_("no"))
        if name is CheckName.DOCUMENT_VALID:
            if details.get("date_of_expiry"):
                return Message(N_("the card expired on {date} — ask for a valid document"),
                               {"date": details["date_of_expiry"]})
            return Message(N_("the card is not valid"))
        if details.get("key_covered_by_sod") is False:
            return Message(N_("the chip's key is not covered by the issuer's signature — the chip "
                              "is a copy or a forgery"))
        return Message({
            CheckName.CHIP_AUTHENTIC: N_("the chip is a copy or a forgery"),
            CheckName.CHIP_AUTH: N_("the chip is a copy or a forgery"),
            CheckName.ACTIVE_AUTH: N_("the chip is a copy or a forgery"),
            CheckName.FACE_MATCH: N_("the person does not match the photo on the chip — check "
                                     "their identity by other means"),
            CheckName.FINGER_MATCH: N_("the finger does not match the one on the chip"),
            CheckName.TERMINAL_AUTH: N_("the chip did not accept this terminal: the fingerprints "
                                        "could not be read"),
        }[name])
    if state is CheckState.NOT_SUPPORTED:
        if name in (CheckName.CHIP_AUTHENTIC, CheckName.CHIP_AUTH, CheckName.ACTIVE_AUTH):
            return Message(N_("this card's chip has no copy protection"))
        return Message(N_("not supported by this card"))
    # unverifiable / not performed
    if name is CheckName.PASSIVE_AUTH:
        return Message(_PASSIVE_UNSURE.get(str(details.get("unsure", "")),
                                           N_("the card data could not be confirmed")))
    if name is CheckName.CHIP_GENUINE:
        return Message(N_("could not be confirmed"))
    if name is CheckName.FACE_MATCH and details.get("advice"):
        return Message(N_("the face could not be checked: {advice}"),
                       {"advice": Message(str(details["advice"]))})
    if state is CheckState.NOT_PERFORMED and details.get("not_requested"):
        return Message(N_("not checked"))
    return Message({
        CheckName.CHIP_AUTHENTIC: N_("could not check that the chip is the original — place "
                                     "the card on the reader again"),
        CheckName.CHIP_AUTH: N_("not checked"),
        CheckName.ACTIVE_AUTH: N_("not checked"),
        CheckName.DOCUMENT_VALID: N_("the expiry date could not be confirmed"),
        CheckName.FACE_MATCH: N_("no face photo of the customer was taken"),
        CheckName.FINGER_MATCH: N_("no fingerprint of the customer was taken"),
    }.get(name, N_("not checked")))
