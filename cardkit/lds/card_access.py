"""EF.CardAccess (ICAO 9303-11 §9.2.1; file 011C in the master file, a bare SecurityInfos SET).

Read before access control; it tells the terminal whether and how the chip offers PACE.
"""

from __future__ import annotations

from ..errors import ParseError
from .security_infos import PaceInfo, SecurityInfos, parse_security_infos

MAX_SIZE = 4096


def parse_card_access(data: bytes) -> SecurityInfos:
    """Parse EF.CardAccess into SecurityInfos."""
    if len(data) > MAX_SIZE:
        raise ParseError(f"EF.CardAccess of {len(data)} bytes is implausibly large")
    # read in whole blocks, some chips return padding after the SET: ignore it
    return parse_security_infos(data, allow_trailing=True)


def supported_pace_infos(infos: SecurityInfos) -> list[PaceInfo]:
    """PACEInfos cardkit can run, in the chip's order (unknown algorithms left out)."""
    return [p for p in infos.pace if p.algorithm is not None]
