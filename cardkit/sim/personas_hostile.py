"""Hostile virtual cards: chips that lie, as a cloner or forger would build them (TEST PKI only).

Each persona is a way to try to pass as genuine; cardkit must end every one of them not genuine.

- `clone-own-dg15`: a document issued without Active Authentication (SOD over DG1, DG2, DG3,
  DG13); the clone adds its own DG15 (its own AA key) and lists it in EF.COM.
- `clone-own-dg14`: the same document; the clone adds its own DG14 (its own CA key).
- `unlisted-dg`: the SOD covers only DG1, while DG2, DG13, DG14 and DG15 are on the chip.
- `withheld-dg14`: a genuine card whose chip hides DG14 (answers "file not found" and EF.COM
  omits it) although the SOD lists it — the dodge of a clone that cannot do Chip Authentication.
- `com-lies`: EF.COM lists DG4/DG16 that the SOD does not list, and omits DG14 that it does.
- `swapped-dg-hash`: the chip serves the genuine DG14 bytes (whose hash the SOD lists under
  number 14) as DG15 too: a hash must be matched under its own DG number, never "any entry".
- `ec-aa-uncovered-dg14`: EC AA key in a covered DG15; the ECDSA hash algorithm is taken from a
  DG14 the clone added (not covered): the chip picks the hash.
- `aa-wrong-algorithm`: the genuine, covered RSA DG15; the chip signs AA with an ECDSA key.
- `duplicate-dg-hash`: the SOD lists DG13 twice (the genuine hash and another): refused as a
  malformed security object, never "either hash will do".
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from ..lds.com import encode_com
from .issuer import encode_dg14, encode_dg15, encode_sod
from .personas import BuildOptions, Persona, aa_key, build_persona, ca_key, register_persona
from .pki import dsc

CLONE_SEED_OFFSET = 2_000_003


def _clone_keys(seed: int | None) -> int:
    return CLONE_SEED_OFFSET if seed is None else seed + CLONE_SEED_OFFSET


def _with_files(p: Persona, name: str, description: str, files: dict[str, bytes],
                *, com: list[int] | None = None, **changes: object) -> Persona:
    """`p` with other files (EF.COM re-encoded from the data groups present unless `com`)."""
    out = dict(files)
    dgs = sorted(int(n[2:]) for n in out if n.startswith("DG"))
    out["COM"] = encode_com(com if com is not None else dgs)
    return dataclasses.replace(p, name=name, description=description,
                               files=MappingProxyType(out), **changes)  # type: ignore[arg-type]


def _no_chip_auth_document(seed: int | None, name: str, description: str) -> Persona:
    return build_persona(name, description, seed, BuildOptions(data_groups=(1, 2, 3, 13)))


def build_clone_own_dg15(seed: int | None) -> Persona:
    p = _no_chip_auth_document(seed, "clone-own-dg15", CLONE_DG15_DESC)
    key = aa_key(_clone_keys(seed))
    return _with_files(p, p.name, p.description, {**p.files, "DG15": encode_dg15(key.public_key())},
                       aa_private_key=key)


def build_clone_own_dg14(seed: int | None) -> Persona:
    p = _no_chip_auth_document(seed, "clone-own-dg14", CLONE_DG14_DESC)
    key = ca_key(_clone_keys(seed))
    return _with_files(p, p.name, p.description, {**p.files, "DG14": encode_dg14(key)},
                       ca_private_key=key)


def build_unlisted_dg(seed: int | None) -> Persona:
    p = build_persona("unlisted-dg", UNLISTED_DESC, seed)
    files = dict(p.files)
    files["SOD"] = encode_sod({"DG1": files["DG1"]}, dsc("rsa"))
    return _with_files(p, p.name, p.description, files)


def build_withheld_dg14(seed: int | None) -> Persona:
    p = build_persona("withheld-dg14", WITHHELD_DESC, seed)
    files = {k: v for k, v in p.files.items() if k != "DG14"}
    return _with_files(p, p.name, p.description, files)


def build_com_lies(seed: int | None) -> Persona:
    p = build_persona("com-lies", COM_LIES_DESC, seed)
    return _with_files(p, p.name, p.description, dict(p.files), com=[1, 2, 3, 4, 13, 15, 16])


def build_swapped_dg_hash(seed: int | None) -> Persona:
    p = build_persona("swapped-dg-hash", SWAPPED_DESC, seed,
                      BuildOptions(data_groups=(1, 2, 13, 14)))
    # the genuine DG14 bytes (whose hash the SOD lists, as DG14) served again as DG15
    return _with_files(p, p.name, p.description, {**p.files, "DG15": p.files["DG14"]})


def build_ec_aa_uncovered_dg14(seed: int | None) -> Persona:
    p = build_persona("ec-aa-uncovered-dg14", EC_AA_DESC, seed,
                      BuildOptions(aa_algorithm="ec", data_groups=(1, 2, 13, 15)))
    files = dict(p.files)
    files["DG14"] = encode_dg14(ca_key(_clone_keys(seed)), aa_ec=True)
    return _with_files(p, p.name, p.description, files,
                       ca_private_key=ca_key(_clone_keys(seed)))


def build_aa_wrong_algorithm(seed: int | None) -> Persona:
    p = build_persona("aa-wrong-algorithm", AA_ALG_DESC, seed)
    return dataclasses.replace(p, aa_private_key=aa_key(_clone_keys(seed), "ec"))


def build_duplicate_dg_hash(seed: int | None) -> Persona:
    """The SOD lists DG13 twice: once with the genuine hash, once with a forged DG13's."""
    import hashlib

    from ..lds import files as lds_files
    from ..lds import tlv
    from .issuer import LDSSecurityObject, sign_cms

    p = build_persona("duplicate-dg-hash", DUPLICATE_DESC, seed)
    entries = [{"data_group_number": int(n[2:]),
                "data_group_hash_value": hashlib.sha256(p.files[n]).digest()}
               for n in sorted((n for n in p.files if n.startswith("DG")), key=lambda n: int(n[2:]))]
    entries.append({"data_group_number": 13, "data_group_hash_value": hashlib.sha256(b"x").digest()})
    lso = LDSSecurityObject({"version": 0, "hash_algorithm": {"algorithm": "sha256"},
                             "data_group_hash_values": entries}).dump()
    sod = tlv.encode(lds_files.SOD.tag or 0x77, sign_cms(lso, dsc("rsa")))
    return _with_files(p, p.name, p.description, {**p.files, "SOD": sod})


CLONE_DG15_DESC = "HOSTILE: clone of a card without AA that adds its own DG15 (not in the SOD)"
CLONE_DG14_DESC = "HOSTILE: clone of a card without CA that adds its own DG14 (not in the SOD)"
UNLISTED_DESC = "HOSTILE: SOD covers only DG1; DG2, DG3, DG13, DG14, DG15 unauthenticated"
WITHHELD_DESC = "HOSTILE: the SOD lists DG14 but the chip hides it (no Chip Authentication)"
COM_LIES_DESC = "HOSTILE: EF.COM lists DGs the SOD does not and omits DG14"
SWAPPED_DESC = "HOSTILE: the genuine DG14 bytes served as DG15 too (hash listed under 14)"
EC_AA_DESC = "HOSTILE: covered EC DG15, uncovered DG14 choosing the AA hash"
DUPLICATE_DESC = "HOSTILE: the SOD lists DG13 twice, with two different hashes"
AA_ALG_DESC = "HOSTILE: covered RSA DG15; the chip answers AA with an ECDSA key of its own"

HOSTILE = {
    "clone-own-dg15": (CLONE_DG15_DESC, build_clone_own_dg15),
    "clone-own-dg14": (CLONE_DG14_DESC, build_clone_own_dg14),
    "unlisted-dg": (UNLISTED_DESC, build_unlisted_dg),
    "withheld-dg14": (WITHHELD_DESC, build_withheld_dg14),
    "com-lies": (COM_LIES_DESC, build_com_lies),
    "swapped-dg-hash": (SWAPPED_DESC, build_swapped_dg_hash),
    "ec-aa-uncovered-dg14": (EC_AA_DESC, build_ec_aa_uncovered_dg14),
    "aa-wrong-algorithm": (AA_ALG_DESC, build_aa_wrong_algorithm),
    "duplicate-dg-hash": (DUPLICATE_DESC, build_duplicate_dg_hash),
}
for _name, (_desc, _builder) in HOSTILE.items():
    register_persona(_name, _desc, _builder)
