"""The virtual CCCD card: card-side protocols, personas, test PKI and the vpcd bridge.

`card.VirtualCard` (ISO 7816-4 + ICAO 9303-11 card side, 3DES/AES SM, quirks),
`personas.get_persona` (synthetic Vietnamese holders), `pki` (TEST CSCA/DSC/CRL),
`vpcd.serve` (serve a card to pcscd). Written from the standards; never imports `cardkit.icao`.
"""
