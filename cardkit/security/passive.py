"""Passive Authentication (ICAO 9303-11 §5.1, 9303-12 §6-7): is the chip data what the state signed?

Checks, each an explicit state with a reason (never a bare bool):
- `dg_hashes`: each data group read hashes to the value in EF.SOD (9303-10 §4.6.2);
- `sod_signature`: CMS signed attributes (content-type, message-digest) and the DSC's signature
  (RFC 5652 §5.4, §5.6);
- `dsc_chain`: the DSC is signed by a CSCA in the trust store (9303-12 §5.1). Trust store given but
  no CSCA verifies -> invalid; no trust store at all -> unverifiable;
- `dsc_validity`: DSC (and CSCA) validity periods at verification time (RFC 5280 §6.1.3 a.2);
- `crl`: the DSC is not on a CSCA CRL (9303-12 §7.1.4).
`overall` is valid only when every required check is valid; any invalid check makes it invalid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as ax509

from ..checks import CheckName
from ..errors import ParseError
from ..lds.sod import ID_LDS_SECURITY_OBJECT, Sod, parse_sod
from ..results import CheckResult, CheckState, worst_state
from . import certs, signature
from .crl import Crl, check_revocation, load_crls
from .trust import TrustStore

PASSIVE_AUTH = CheckName.PASSIVE_AUTH.value
CHECK_NAMES = ("dg_hashes", "sod_signature", "dsc_chain", "dsc_validity", "crl")
_PHRASES = {
    "dg_hashes": "data groups not checked",
    "sod_signature": "signature not checked",
    "dsc_chain": "issuing state not confirmed",
    "dsc_validity": "validity not checked",
    "crl": "revocation not checked",
}
_INVALID_ORDER = ("dg_hashes", "sod_signature", "crl", "dsc_chain", "dsc_validity")


@dataclass(frozen=True)
class PassiveResult:
    """The outcome of passive authentication; `overall` is the verdict, `checks` the detail."""

    checks: list[CheckResult]
    overall: CheckResult
    at: dt.datetime
    dsc_subject: str | None = None
    dsc_issuer: str | None = None
    dsc_serial: int | None = None
    dsc_not_after: dt.datetime | None = None
    csca_subject: str | None = None
    csca_source: str | None = None
    country: str | None = None
    signature_algorithm: str | None = None
    dsc_key: str | None = None  # "RSA-2048", "EC brainpoolP256r1 (explicit parameters)" ...
    digest_algorithm: str | None = None
    lds_version: str | None = None
    dg_status: dict[int, str] = field(default_factory=dict)  # valid/invalid/not_read/not_listed

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def state(self) -> CheckState:
        return self.overall.state

    @property
    def authenticated_dgs(self) -> list[int]:
        """Data groups whose content is covered by a valid hash (trust only these)."""
        if self.check("sod_signature").state != CheckState.VALID:
            return []
        return sorted(n for n, s in self.dg_status.items() if s == "valid")

    def summary_line(self) -> str:
        """One line for the teller."""
        by = {c.name: c for c in self.checks}
        state = self.overall.state
        if state == CheckState.VALID:
            who = _cn(self.csca_subject) or "a trusted CSCA"
            country = f" ({self.country})" if self.country else ""
            dgs = ", ".join(f"DG{n}" for n in self.authenticated_dgs)
            return f"Chip data genuine — signed by {who}{country}; {dgs} verified"
        if state == CheckState.INVALID:
            bad = [by[n] for n in _INVALID_ORDER if by[n].state == CheckState.INVALID]
            first = bad[0]
            if first.name == "dg_hashes":
                msg = f"NOT GENUINE: {first.reason}"
            elif first.name == "sod_signature":
                msg = f"NOT GENUINE: security object signature invalid ({first.reason})"
            elif first.name == "crl":
                msg = f"NOT GENUINE: {first.reason}"
            elif first.name == "dsc_chain":
                msg = f"NOT GENUINE: not issued by a trusted state — {first.reason}"
            else:
                msg = f"NOT VALID: {first.reason}"
            others = [f"{c.name} {c.reason}" for c in bad[1:]]
            others += [f"{c.name} {c.state.value}: {c.reason}" for c in self.checks
                       if c.state == CheckState.UNVERIFIABLE]
            return msg + (f" (also: {'; '.join(others)})" if others else "")
        reasons = "; ".join(f"{_PHRASES.get(c.name, c.name)} ({c.reason})" for c in self.checks
                            if c.state in (CheckState.UNVERIFIABLE, CheckState.NOT_PERFORMED)
                            and c.name in _required_names(self))
        intact = by["dg_hashes"].ok and by["sod_signature"].ok
        lead = ("data intact and signed by " + (_cn(self.dsc_subject) or "its document signer")
                + (f" ({self.country})" if self.country else "") + ", but "
                if intact else "")
        return f"CANNOT CONFIRM: {lead}{reasons}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "summary": self.summary_line(),
            "checks": {c.name: c.to_dict() for c in self.checks},
            "data_groups": {f"DG{n}": s for n, s in sorted(self.dg_status.items())},
            "facts": {
                "verified_at": self.at.isoformat(),
                "country": self.country,
                "dsc_subject": self.dsc_subject,
                "dsc_issuer": self.dsc_issuer,
                "dsc_serial": self.dsc_serial,
                "dsc_not_after": self.dsc_not_after.isoformat() if self.dsc_not_after else None,
                "dsc_key": self.dsc_key,
                "csca_subject": self.csca_subject,
                "csca_source": self.csca_source,
                "signature_algorithm": self.signature_algorithm,
                "digest_algorithm": self.digest_algorithm,
                "lds_version": self.lds_version,
            },
        }


def _cn(subject: str | None) -> str | None:
    if not subject:
        return None
    for part in subject.split(", "):
        if part.startswith("CN="):
            return part[3:]
    return subject


def _required_names(result: PassiveResult) -> tuple[str, ...]:
    req = result.overall.details.get("required")
    return tuple(req) if req else CHECK_NAMES[:4]


def _as_utc(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.timezone.utc)
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def _key_desc(cert: ax509.Certificate) -> str:
    spki = certs.spki(cert)
    curve = signature.curve_name_of(spki)
    if curve is not None:
        return f"EC {curve}"
    info = cert.public_key
    try:
        return f"{info.algorithm.upper()}-{info.bit_size}"
    except (ValueError, KeyError):
        return info["algorithm"]["algorithm"].dotted


ACCESS_PROTECTED_DGS = frozenset({3, 4})  # need Terminal Authentication (EAC): may be unread


def sod_coverage(sod: Sod, files: Mapping[str, bytes]) -> dict[int, str]:
    """Each data group's standing against the SOD's list: `valid` (listed, hash matches under
    its own number), `invalid` (listed, hash differs), `not_listed` (read, but the SOD does not
    list it: NOT authenticated), `not_read` (listed, not among `files`)."""
    status: dict[int, str] = {}
    for name, data in files.items():
        if not (name.startswith("DG") and name[2:].isdigit()):
            continue
        n = int(name[2:])
        expected = sod.dg_hashes.get(n)
        if expected is None:
            status[n] = "not_listed"
            continue
        actual = hashlib.new(sod.digest_algorithm, data).digest()
        status[n] = "valid" if hmac.compare_digest(actual, expected) else "invalid"
    for n in sod.dg_hashes:
        status.setdefault(n, "not_read")
    return dict(sorted(status.items()))


def covered_by_sod(files: Mapping[str, bytes], name: str) -> tuple[bool, str]:
    """Is file `name` ("DG14", "DG15" ...) listed in EF.SOD with a matching hash?

    Only such data may be used (e.g. the Chip/Active Authentication public keys); the reason
    says why not otherwise. The SOD's signature is judged by `verify_passive`."""
    sod_bytes = files.get("SOD")
    if not sod_bytes:
        return False, "no EF.SOD read"
    try:
        sod = parse_sod(sod_bytes)
    except ParseError as exc:
        return False, f"EF.SOD is malformed ({exc})"
    n = int(name[2:])
    state = sod_coverage(sod, {name: files[name]} if name in files else {}).get(n, "not_listed")
    return state == "valid", {
        "valid": "",
        "invalid": f"{name} does not match its hash in EF.SOD",
        "not_listed": f"EF.SOD does not list {name}",
        "not_read": f"{name} was not read",
    }[state]


def sod_listed(files: Mapping[str, bytes]) -> set[int] | None:
    """The data-group numbers EF.SOD lists (None without a readable EF.SOD)."""
    try:
        return set(parse_sod(files["SOD"]).dg_hashes) if files.get("SOD") else None
    except ParseError:
        return None


def com_data_groups(files: Mapping[str, bytes]) -> list[int] | None:
    """The data groups EF.COM lists (None without a readable EF.COM)."""
    com = files.get("COM")
    if not com:
        return None
    try:
        from ..lds.com import parse_com

        return sorted(parse_com(com).data_groups)
    except ParseError:
        return None


def _dg_check(sod: Sod, files: Mapping[str, bytes]) -> tuple[CheckResult, dict[int, str]]:
    status = sod_coverage(sod, files)
    details: dict[str, Any] = {"algorithm": sod.digest_algorithm,
                               "data_groups": {f"DG{n}": s for n, s in status.items()}}
    bad = [f"DG{n}" for n, s in status.items() if s == "invalid"]
    good = [f"DG{n}" for n, s in status.items() if s == "valid"]
    unread = [f"DG{n}" for n, s in status.items()
              if s == "not_read" and n not in ACCESS_PROTECTED_DGS]
    protected = [f"DG{n}" for n, s in status.items()
                 if s == "not_read" and n in ACCESS_PROTECTED_DGS]
    unlisted = [f"DG{n}" for n, s in status.items() if s == "not_listed"]
    com = com_data_groups(files)
    com_extra = [f"DG{n}" for n in com or () if n not in sod.dg_hashes]
    com_missing = [f"DG{n}" for n in sorted(sod.dg_hashes) if com is not None and n not in com]
    if com is not None:
        details["com"] = [f"DG{n}" for n in com]
    problems = []
    if bad:
        problems.append(f"{', '.join(bad)} altered after issuance (hash mismatch)")
    if unlisted:
        problems.append(f"{', '.join(unlisted)} not covered by the issuer's signature (read but "
                        "not listed in EF.SOD: added after issuance)")
    if com_extra:
        problems.append(f"EF.COM lists {', '.join(com_extra)}, which EF.SOD does not")
    if com_missing:
        problems.append(f"EF.COM omits {', '.join(com_missing)}, which EF.SOD lists")
    notes = ""
    if protected:
        notes += f"; not read (access-protected): {', '.join(protected)}"
    if problems:
        if unread:
            notes += f"; listed but not read: {', '.join(unread)}"
        return CheckResult("dg_hashes", CheckState.INVALID, "; ".join(problems) + notes,
                           details), status
    if not good:
        return CheckResult("dg_hashes", CheckState.NOT_PERFORMED,
                           f"no data group read to check{notes}", details), status
    if unread:
        return CheckResult("dg_hashes", CheckState.UNVERIFIABLE,
                           f"incomplete: EF.SOD lists {', '.join(unread)}, which the chip did "
                           f"not give{notes}", details), status
    return CheckResult("dg_hashes", CheckState.VALID, f"{', '.join(good)} match{notes}",
                       details), status


def _normalise_crls(crls: Iterable[Crl | bytes]) -> list[Crl]:
    out: list[Crl] = []
    for c in crls:
        out.extend([c] if isinstance(c, Crl) else load_crls(bytes(c)))
    return out


def verify_passive(files: Mapping[str, bytes], *, trust: TrustStore | None,
                   crls: Iterable[Crl | bytes] = (), at: dt.datetime | None = None,
                   dsc: object | None = None, require_crl: bool | None = None) -> PassiveResult:
    """Passive authentication of chip files named as in cardkit.lds.files ("SOD", "DG1" ...).

    `trust`: CSCA store (None = no trust store: chain unverifiable). `crls`: Crl objects or DER/PEM
    bytes, added to the store's CRLs. `dsc`: a DSC to use instead of the one in the SOD.
    `require_crl`: whether the `crl` check must be valid (default: when any CRL is available).
    Raises ParseError when EF.SOD is malformed.
    """
    when = _as_utc(at)
    all_crls = _normalise_crls(crls) + (list(trust.crls) if trust is not None else [])
    if require_crl is None:
        require_crl = bool(all_crls)
    required = list(CHECK_NAMES if require_crl else CHECK_NAMES[:4])
    sod_bytes = files.get("SOD")
    if not sod_bytes:
        checks = [CheckResult(n, CheckState.NOT_PERFORMED, "no EF.SOD read") for n in CHECK_NAMES]
        overall = CheckResult(PASSIVE_AUTH, CheckState.UNVERIFIABLE,
                              "no EF.SOD read: the chip data cannot be authenticated",
                              {"required": required})
        return PassiveResult(checks, overall, when)
    sod = parse_sod(sod_bytes)
    dg_result, dg_status = _dg_check(sod, files)
    facts: dict[str, Any] = {"digest_algorithm": sod.digest_algorithm,
                             "lds_version": sod.lds_version, "dg_status": dg_status}

    # --- the SOD signature by the DSC ---------------------------------------------------------
    si = sod.signer_infos[0]
    facts["signature_algorithm"] = signature.algorithm_name(si.signature_algorithm_der,
                                                            si.digest_algorithm)
    embedded = []
    for d in sod.certificates:
        try:
            embedded.append(certs.load_certificate(d))
        except ParseError:
            continue
    dsc_cert: ax509.Certificate | None
    if dsc is not None:
        dsc_cert = certs.load_certificate(dsc)
    else:
        dsc_cert = signature.find_signer_certificate(si, embedded)
    if len(sod.signer_infos) != 1:
        sig = CheckResult("sod_signature", CheckState.INVALID,
                          f"{len(sod.signer_infos)} signer infos (ICAO requires exactly one)")
    elif dsc_cert is None:
        sig = CheckResult("sod_signature", CheckState.UNVERIFIABLE,
                          "no document signer certificate in the SOD (supply the DSC)")
    else:
        sig_details = {"algorithm": facts["signature_algorithm"],
                       "signed_attributes": si.signed_attrs_der is not None}
        try:
            signature.verify_signer_info(si, sod.encap_content, ID_LDS_SECURITY_OBJECT,
                                         certs.spki(dsc_cert))
            sig = CheckResult("sod_signature", CheckState.VALID,
                              f"signed by {certs.subject_str(dsc_cert)}", sig_details)
        except signature.SignatureInvalid as exc:
            sig = CheckResult("sod_signature", CheckState.INVALID, str(exc), sig_details)
        except signature.SignatureUnsupported as exc:
            sig = CheckResult("sod_signature", CheckState.UNVERIFIABLE, str(exc), sig_details)

    # --- chain, validity, revocation ----------------------------------------------------------
    csca: ax509.Certificate | None = None
    if dsc_cert is None:
        chain = CheckResult("dsc_chain", CheckState.NOT_PERFORMED, "no document signer certificate")
        validity = CheckResult("dsc_validity", CheckState.NOT_PERFORMED,
                               "no document signer certificate")
        revocation = CheckResult("crl", CheckState.NOT_PERFORMED, "no document signer certificate")
    else:
        if trust is None:
            chain = CheckResult("dsc_chain", CheckState.UNVERIFIABLE,
                                "no CSCA trust store given (cardkit trust import FILE.ml)")
        else:
            csca, why = trust.find_issuer(dsc_cert)
            if csca is not None:
                link = certs.is_self_issued(csca) and csca.self_signed == "no"
                chain = CheckResult("dsc_chain", CheckState.VALID,
                                    f"issued by {certs.subject_str(csca)}",
                                    {"csca": certs.subject_str(csca),
                                     "csca_source": trust.source_of(csca),
                                     "link_certificate": link})
            elif why.startswith("unsupported"):
                chain = CheckResult("dsc_chain", CheckState.UNVERIFIABLE, why)
            elif len(trust) == 0:
                chain = CheckResult("dsc_chain", CheckState.UNVERIFIABLE,
                                    "the trust store holds no CSCA certificate")
            else:
                chain = CheckResult("dsc_chain", CheckState.INVALID, why)
        validity = _validity_check(dsc_cert, csca, when)
        revocation = check_revocation(dsc_cert, csca, all_crls, when)

    checks = [dg_result, sig, chain, validity, revocation]
    overall = _overall(checks, required)
    return PassiveResult(
        checks=checks,
        overall=overall,
        at=when,
        dsc_subject=certs.subject_str(dsc_cert) if dsc_cert is not None else None,
        dsc_issuer=certs.name_str(dsc_cert.issuer) if dsc_cert is not None else None,
        dsc_serial=dsc_cert.serial_number if dsc_cert is not None else None,
        dsc_not_after=certs.validity(dsc_cert)[1] if dsc_cert is not None else None,
        csca_subject=certs.subject_str(csca) if csca is not None else None,
        csca_source=trust.source_of(csca) if (csca is not None and trust is not None) else None,
        country=certs.country(dsc_cert) if dsc_cert is not None else None,
        signature_algorithm=facts["signature_algorithm"],
        dsc_key=_key_desc(dsc_cert) if dsc_cert is not None else None,
        digest_algorithm=sod.digest_algorithm,
        lds_version=sod.lds_version,
        dg_status=dg_status,
    )


def _validity_check(dsc: ax509.Certificate, csca: ax509.Certificate | None,
                    when: dt.datetime) -> CheckResult:
    problems = []
    for label, cert in (("document signer", dsc), ("CSCA", csca)):
        if cert is None:
            continue
        nb, na = certs.validity(cert)
        if when < nb:
            problems.append(f"{label} certificate not valid before {nb:%Y-%m-%d}")
        elif when > na:
            problems.append(f"{label} certificate expired on {na:%Y-%m-%d}")
    nb, na = certs.validity(dsc)
    details = {"not_before": nb.isoformat(), "not_after": na.isoformat(),
               "checked_at": when.isoformat()}
    if problems:
        return CheckResult("dsc_validity", CheckState.INVALID, "; ".join(problems), details)
    return CheckResult("dsc_validity", CheckState.VALID, f"valid until {na:%Y-%m-%d}", details)


def _overall(checks: list[CheckResult], required: list[str]) -> CheckResult:
    """The one rule (cardkit.results.worst_state) over the required checks and any invalid one;
    whatever is neither valid nor invalid is unverifiable here."""
    details = {"required": required}
    counted = [c for c in checks if c.name in required or c.state == CheckState.INVALID]
    state = worst_state(c.state for c in counted)
    if state is CheckState.VALID:
        return CheckResult(PASSIVE_AUTH, CheckState.VALID, "all checks valid", details)
    if state is not CheckState.INVALID:
        state = CheckState.UNVERIFIABLE
    why = [c for c in counted if (c.state == CheckState.INVALID) == (state is CheckState.INVALID)
           and c.state != CheckState.VALID]
    return CheckResult(PASSIVE_AUTH, state, "; ".join(f"{c.name}: {c.reason}" for c in why),
                       details)


def verify_dump(folder: str, *, trust: TrustStore | None, crls: Iterable[Crl | bytes] = (),
                at: dt.datetime | None = None) -> PassiveResult:
    """Passive authentication of a dump folder written by `cardkit read --out`."""
    from ..dump import load_dump

    return verify_passive(load_dump(folder), trust=trust, crls=crls, at=at)
