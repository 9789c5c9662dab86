"""Defect 2 (issue 11): a 242-byte JPEG 2000 portrait declaring 20000×20000 pixels made `verify`
use 2.9 GB for 18 s (Pillow refused it, then OpenCV decoded it). Dimensions are now read from the
header before any decoder runs, and no fallback decoder is tried past the limit."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from cardkit.biometrics.face.image import image_size, load_image
from cardkit.errors import InputError


def _small(fmt: str, side: int = 64) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(buf, fmt)
    return buf.getvalue()


def jp2_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid tiny JP2 whose ihdr box and SIZ marker both claim width×height pixels."""
    data = bytearray(_small("JPEG2000", 8))
    i = data.index(b"ihdr") + 4
    data[i:i + 8] = height.to_bytes(4, "big") + width.to_bytes(4, "big")
    s = data.index(b"\xff\x51") + 6  # SIZ: Lsiz, Rsiz, then Xsiz, Ysiz
    data[s:s + 8] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    return bytes(data)


def j2k_siz_only_bomb() -> bytes:
    """The honest ihdr says 8×8, the codestream's SIZ (what OpenJPEG decodes) 30000×30000."""
    data = bytearray(_small("JPEG2000", 8))
    s = data.index(b"\xff\x51") + 6
    data[s:s + 8] = (30000).to_bytes(4, "big") * 2
    return bytes(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "JPEG2000"])
def test_header_size_of_real_images(fmt):
    assert image_size(_small(fmt, 64)) == (64, 64)


def test_header_size_of_bombs():
    assert image_size(jp2_bomb()) == (20000, 20000)
    assert image_size(j2k_siz_only_bomb()) == (30000, 30000)


def test_small_images_still_decode():
    assert load_image(_small("JPEG2000", 64)).shape == (64, 64, 3)


_CHILD = textwrap.dedent("""
    import resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    from cardkit.biometrics.face.image import load_image
    from cardkit.errors import InputError
    data = sys.stdin.buffer.read()
    t0 = time.monotonic()
    try:
        load_image(data, "chip portrait")
    except InputError as exc:
        print("InputError", exc)
    except MemoryError:
        print("MemoryError")
    else:
        print("decoded")
    print("seconds", round(time.monotonic() - t0, 2))
    print("maxrss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


@pytest.mark.parametrize("bomb", [jp2_bomb, j2k_siz_only_bomb], ids=["ihdr+siz", "siz-only"])
def test_jp2_bomb_refused_before_decoding(bomb):
    """Run in a child under a 1.5 GB address-space cap, so the old code cannot hurt the machine."""
    out = subprocess.run([sys.executable, "-c", _CHILD], input=bomb(), capture_output=True,
                         timeout=60).stdout.decode()
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert "too large" in lines.get("InputError", ""), out
    assert float(lines["seconds"]) < 1.0, out
    # (no ru_maxrss assertion: a child inherits the pytest process's high-water mark; the
    # 1.5 GB address-space cap is the memory bound, and "too large" shows no decoder ran)


def test_bomb_error_is_an_input_error_in_process():
    with pytest.raises(InputError, match="too large"):
        load_image(jp2_bomb(), "chip portrait")
