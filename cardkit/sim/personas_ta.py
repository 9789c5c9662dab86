"""Virtual-card personas with Extended Access Control: DG3 fingerprints behind Terminal
Authentication.

- `eac`: BAC + Chip Authentication; EF.CVCA trusts the virtual card's TEST CVCA
  (cardkit/sim/data/eac/); DG3 holds two SYNTHETIC fingers of the holder (right and left index,
  impression 0 of `cardkit.sim.fingerprint_synth`, WSQ, 500 ppi), covered by the SOD.
- `eac-pace`: the same behind PACE (ECDH-GM brainpoolP256r1) — ID_PICC is then the chip's
  ephemeral PACE key.

DG3 answers 6982 until Terminal Authentication with a chain from the test CVCA whose CHAT grants
DG3 (e.g. `cardkit eac make-test-chain DIR --from-cvca cardkit/sim/data/eac`, or the committed
`cardkit/sim/data/eac/is.cvcert` + `is.key.pem`).
"""

from __future__ import annotations

import io

from PIL import Image

from ..lds.dg3 import encode_dg3
from ..lds.finger_image import Compression, FingerView
from . import fingerprint_synth as fs
from .personas import BuildOptions, Persona, build_persona, make_holder, register_persona
from .personas_eac import card_access
from .terminal_auth_card import default_cvca, encode_ef_cvca

EAC_FINGERS = ("right-index", "left-index")
EAC_DESC = "BAC + CA + Terminal Authentication: DG3 with 2 synthetic WSQ fingers (EAC)"
EAC_PACE_DESC = "PACE + CA + Terminal Authentication: DG3 with 2 synthetic WSQ fingers (EAC)"


def wsq_bytes(image) -> bytes:
    """WSQ-compress an 8-bit grey image (the `wsq` Pillow plugin, NIST NBIS; ~15:1)."""
    import wsq  # noqa: F401  (registers the WSQ format with Pillow)

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "WSQ")
    return buf.getvalue()


def finger_dg3(identity: str, fingers: tuple[str, ...] = EAC_FINGERS) -> bytes:
    """DG3 with impression 0 of each finger (one 19794-4 record per finger), WSQ at 500 ppi."""
    views = [FingerView(position=fs.finger_code(f), view_number=1, view_count=1, quality=80,
                        impression_type=0, width=fs.WIDTH, height=fs.HEIGHT,
                        image_bytes=wsq_bytes(fs.impression(identity, f, 0)))
             for f in fingers]
    return encode_dg3(views, compression=Compression.WSQ, resolution=fs.RESOLUTION_PPI)


def ef_cvca_of_test_pki() -> bytes:
    from ..lds.cvc import parse_certificate

    return encode_ef_cvca([parse_certificate(default_cvca()).chr])


def build_eac(seed: int | None, *, pace: bool = False) -> Persona:
    holder = make_holder(seed)
    extra = [("DG3", finger_dg3(holder.id_number)), ("CVCA", ef_cvca_of_test_pki())]
    if pace:
        extra.append(("CardAccess", card_access()))
    name, desc = ("eac-pace", EAC_PACE_DESC) if pace else ("eac", EAC_DESC)
    return build_persona(name, desc, seed, BuildOptions(extra_files=tuple(extra)), holder=holder)


register_persona("eac", EAC_DESC, build_eac)
register_persona("eac-pace", EAC_PACE_DESC, lambda seed: build_eac(seed, pace=True))
