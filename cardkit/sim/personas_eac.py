"""Virtual-card personas for PACE, Chip Authentication and Active Authentication.

- `pace`: EF.CardAccess advertises PACE-ECDH-GM-AES-CBC-CMAC-128 on brainpoolP256r1 (ID 13)
  and CA-ECDH-AES-CBC-CMAC-128, like the Vietnamese CCCD; DG14 (CA) and DG15 (RSA AA key).
- `pace-ec-aa`: the same with an EC (brainpoolP256r1) AA key and ecdsa-plain-SHA256.
- `pace-cam`: PACE with Chip Authentication Mapping (the chip proves its DG14 key in PACE).
- `clone`, `clone-cam`: the `pace` card's genuine SOD and data groups on a chip holding other CA and AA
  private keys — what copying a card onto a blank chip gives. CA and AA must both fail.
"""

from __future__ import annotations

import dataclasses

from ..lds.security_infos import Mapping as PaceMapping
from ..lds.security_infos import (
    ca_oid,
    encode_ca_info,
    encode_pace_info,
    encode_security_infos,
    pace_oid,
)
from .personas import BuildOptions, Persona, aa_key, build_persona, ca_key, register_persona

BRAINPOOL_P256R1_ID = 13


def card_access(parameter_id: int = BRAINPOOL_P256R1_ID,
                mapping: PaceMapping = PaceMapping.GM) -> bytes:
    """EF.CardAccess: PACEInfo (ECDH-GM or -CAM, AES-128, version 2) + ChipAuthenticationInfo."""
    return encode_security_infos([
        encode_pace_info(pace_oid("ECDH", mapping, "AES", 128), 2, parameter_id),
        encode_ca_info(ca_oid("ECDH", "AES", 128), 1),
    ])


PACE_DESC = "PACE (ECDH-GM brainpoolP256r1, AES) + Chip Authentication + RSA Active Auth"
PACE_EC_DESC = "PACE + Chip Authentication + ECDSA (brainpoolP256r1) Active Authentication"
PACE_CAM_DESC = "PACE-CAM (ECDH brainpoolP256r1, AES): chip authenticated during PACE"
CLONE_CAM_DESC = "the `pace-cam` card's genuine files on a chip with another CA key (clone)"
CLONE_DESC = "genuine SOD and data groups of `pace` on a chip with other CA/AA keys (clone)"


def build_pace(seed: int | None, *, aa_algorithm: str = "rsa", name: str = "pace",
               description: str = PACE_DESC, mapping: PaceMapping = PaceMapping.GM) -> Persona:
    options = BuildOptions(aa_algorithm=aa_algorithm,
                           extra_files=(("CardAccess", card_access(mapping=mapping)),))
    return build_persona(name, description, seed, options)


def build_pace_cam(seed: int | None) -> Persona:
    return build_pace(seed, name="pace-cam", description=PACE_CAM_DESC, mapping=PaceMapping.CAM)


def build_clone(seed: int | None, genuine: Persona | None = None) -> Persona:
    genuine = genuine or build_pace(seed)
    other = 1_000_003 if seed is None else seed + 1_000_003
    return dataclasses.replace(genuine, name="clone" if genuine.name == "pace" else "clone-cam",
                               description=CLONE_DESC if genuine.name == "pace" else CLONE_CAM_DESC,
                               aa_private_key=aa_key(other), ca_private_key=ca_key(other))


register_persona("pace", PACE_DESC, build_pace)
register_persona("pace-ec-aa", PACE_EC_DESC,
                 lambda seed: build_pace(seed, aa_algorithm="ec", name="pace-ec-aa",
                                         description=PACE_EC_DESC))
register_persona("clone", CLONE_DESC, build_clone)
register_persona("pace-cam", PACE_CAM_DESC, build_pace_cam)
register_persona("clone-cam", CLONE_CAM_DESC,
                 lambda seed: build_clone(seed, build_pace_cam(seed)))

from . import personas_ta  # noqa: E402,F401  (EAC personas: DG3 behind Terminal Authentication)
