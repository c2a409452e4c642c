"""File bodies the sandbox serves: a real (tiny) PDF, export ZIPs streamed on the fly, generated blobs.

Everything is deterministic — the same entry state renders the same PDF bytes — so "unchanged
content creates no new revision" can be tested, and large bodies (1 GiB for the memory benchmark)
are generated chunk by chunk while they are sent, never held in memory or written to disk.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator

CHUNK = 1024 * 1024


def render_pdf(title: str, lines: Iterable[str]) -> bytes:
    """A valid single-page PDF 1.4 showing ``title`` and ``lines`` in Helvetica."""

    def esc(text: str) -> str:
        raw = text.encode("latin-1", "replace").decode("latin-1")
        return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 16 Tf", "50 790 Td", f"({esc(title)}) Tj", "/F1 10 Tf", "0 -24 Td"]
    for line in list(lines)[:60]:
        ops += [f"({esc(line[:110])}) Tj", "0 -14 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def iter_pattern(size: int, seed: str = "sandbox", chunk: int = CHUNK) -> Iterator[bytes]:
    """``size`` deterministic, incompressible-looking bytes, ``chunk`` at a time."""
    block = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(chunk // 32 + 1))[:chunk]
    remaining = size
    while remaining > 0:
        piece = block if remaining >= len(block) else block[:remaining]
        remaining -= len(piece)
        yield piece


class _Sink(io.RawIOBase):
    """A write-only, non-seekable stream that hands its bytes out as they are written."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buf += data
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def take(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


def iter_zip(members: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """Stream a ZIP (stored, zip64, data descriptors) of ``(name, chunks)`` members as it is built."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if (data := sink.take()):
                        yield data
            if (data := sink.take()):
                yield data
    if (data := sink.take()):
        yield data


# A 1x1 PNG (valid file), for the attachment fixture.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)
