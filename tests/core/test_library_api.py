"""The README's library example, on the virtual card instead of a reader."""

from __future__ import annotations

from cardkit.document import parse_document
from cardkit.lds.mrz import vn_access_key
from cardkit.read import read_card
from cardkit.results import CheckState
from cardkit.security.passive import verify_passive
from cardkit.security.trust import TrustStore
from cardkit.sim.card import VirtualCard
from cardkit.sim.personas import get_persona
from cardkit.sim.pki import sim_trust_paths
from cardkit.transport.sim import SimTransport


def test_readme_library_example() -> None:
    with SimTransport(VirtualCard(get_persona("default"))) as reader:
        card = read_card(reader, vn_access_key("001093000001", "1993-01-05", "2033-01-05"))
    holder = parse_document(card.files).holder_identity()
    assert holder["full_name"] == "Nguyễn Văn An" and holder["id_number"] == "001093000001"
    pa = verify_passive(card.files, trust=TrustStore.from_paths(sim_trust_paths()))
    assert pa.overall.state is CheckState.VALID
    assert pa.summary_line().startswith("Chip data genuine")
    assert card.chip_auth.state is CheckState.VALID and card.active_auth.state is CheckState.VALID
