"""cardkit: read and verify Vietnamese chip ID cards (CCCD, ICAO 9303 eMRTD)."""

__version__ = "0.1.0"
