"""The LDS files of an eMRTD application: names, short EF identifiers, file IDs, DG tags.

ICAO 9303-10 §4.6.1 Table 37 (file IDs), §4.7 (data-group tags). Names are what `--out` writes:
`COM.bin`, `SOD.bin`, `DG1.bin` ... `DG16.bin`, `CardAccess.bin`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LdsFile:
    name: str  # "COM", "SOD", "DG1" ... , "CardAccess"
    fid: int  # file identifier for SELECT
    sfi: int | None  # short EF identifier
    tag: int | None  # outer TLV tag of the file's content
    dg_number: int | None = None


def _dg(n: int, tag: int) -> LdsFile:
    return LdsFile(f"DG{n}", 0x0100 + n, n, tag, n)


DG_TAGS = {
    1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
    9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70,
}

COM = LdsFile("COM", 0x011E, 0x1E, 0x60)
SOD = LdsFile("SOD", 0x011D, 0x1D, 0x77)
CARD_ACCESS = LdsFile("CardAccess", 0x011C, 0x1C, None)  # in the master file, a bare SET
# EF.CVCA (TR-03110-3 A.6.2.2): inside the eMRTD application, same FID as EF.CardAccess in the
# master file, fixed 36 bytes (not a TLV file); kept out of ALL so dumps map 011C to CardAccess.
CVCA = LdsFile("CVCA", 0x011C, 0x1C, None)
DATA_GROUPS = {n: _dg(n, tag) for n, tag in DG_TAGS.items()}
ALL = {f.name: f for f in (COM, SOD, CARD_ACCESS, *DATA_GROUPS.values())}
TAG_TO_DG = {tag: n for n, tag in DG_TAGS.items()}

EMRTD_AID = bytes.fromhex("A0000002471001")  # ICAO 9303-10 §4.1


def by_name(name: str) -> LdsFile:
    try:
        return ALL[name]
    except KeyError:
        raise KeyError(f"unknown LDS file {name!r}") from None
