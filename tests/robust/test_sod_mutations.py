"""Defect 3a (issue 11): single-byte changes of a genuine SOD gave tracebacks (the signer's
issuer name could not be decoded). Every mutation now ends in a result or a cardkit error."""

from __future__ import annotations

import collections

from cardkit.errors import CardkitError
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths


def test_every_single_byte_change_of_a_genuine_sod():
    files = dict(get_persona("default").files)
    trust = TrustStore.from_paths(sim_trust_paths())
    sod = files["SOD"]
    outcomes: collections.Counter[str] = collections.Counter()
    escaped = []
    for i in range(len(sod)):
        buf = bytearray(sod)
        buf[i] ^= 0x80 if i % 2 else 0x01
        try:
            r = verify_passive({**files, "SOD": bytes(buf)}, trust=trust)
            r.summary_line()
            r.to_dict()
            outcomes[r.state.value] += 1
        except CardkitError as exc:
            outcomes[type(exc).__name__] += 1
        except Exception as exc:  # noqa: BLE001 — collected, reported below
            escaped.append((i, repr(exc)[:120]))
    assert not escaped, f"{len(escaped)} positions raised: {escaped[:5]}"
    assert outcomes["valid"] < len(sod) // 10  # only unsigned/unused bytes may stay valid
    assert outcomes["invalid"] > 0 and outcomes["ParseError"] > 0
