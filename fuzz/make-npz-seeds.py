"""Writes the seed corpora of the NPY and NPZ fuzzers (fuzz/npy/seeds, fuzz/npz/seeds):
small files as numpy writes them (np.save, np.savez, np.savez_compressed, versions 1-3,
big-endian, Fortran order, object arrays), a ZIP with data descriptors as written to a
pipe, and a hand-built Zip64 archive. Run with a Python that has numpy:
    .venv/bin/python fuzz/make-npz-seeds.py
"""
import io
import os
import struct
import zipfile
import zlib

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
npy_dir = os.path.join(here, "npy", "seeds")
npz_dir = os.path.join(here, "npz", "seeds")
os.makedirs(npy_dir, exist_ok=True)
os.makedirs(npz_dir, exist_ok=True)

base = np.arange(2 * 3 * 4).reshape(2, 3, 4) % 7
arrays = {
    "X": (base / 3).astype("<f4").reshape(2, 3, 4, 1),
    "y": base.astype("<i4"),
    "u1": base.astype("|u1"),
    "be": base.astype(">u2"),
    "f8": base.astype("<f8")[0],
    "fortran": np.asfortranarray(base.astype("<i2")),
    "b": base > 3,
    "h": base.astype("<f2"),
    "scalar": np.array(2.5),
    "empty": np.zeros((0, 3), "<u4"),
}
for name, a in arrays.items():
    np.save(os.path.join(npy_dir, name + ".npy"), a)
for version in [(2, 0), (3, 0)]:
    with open(os.path.join(npy_dir, "v%d.npy" % version[0]), "wb") as f:
        np.lib.format.write_array(f, arrays["y"], version=version)
np.save(os.path.join(npy_dir, "object.npy"), np.array([["a", 1]], dtype=object), allow_pickle=True)

np.savez(os.path.join(npz_dir, "stored.npz"), **arrays)
np.savez_compressed(os.path.join(npz_dir, "deflated.npz"), **arrays)
np.savez(os.path.join(npz_dir, "dataset.npz"), X=arrays["X"], y=arrays["y"],
         meta=np.array([["well"], ["A1"]], dtype=object))


class Unseekable(io.RawIOBase):
    """A write-only stream without seek/tell, so zipfile writes data descriptors."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


for method, name in [(zipfile.ZIP_STORED, "pipe-stored.npz"), (zipfile.ZIP_DEFLATED, "pipe-deflated.npz")]:
    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", method) as z:
        for key in ["X", "be"]:
            buffer = io.BytesIO()
            np.save(buffer, arrays[key])
            with z.open(key + ".npy", "w", force_zip64=True) as member:
                member.write(buffer.getvalue())
    with open(os.path.join(npz_dir, name), "wb") as f:
        f.write(stream.data)


def zip64_archive():
    """Central directory with 0xFFFFFFFF placeholders, Zip64 extras and end record."""
    out = bytearray()
    central = bytearray()
    for key in ["X", "y"]:
        buffer = io.BytesIO()
        np.save(buffer, arrays[key])
        content = buffer.getvalue()
        crc = zlib.crc32(content)
        name = (key + ".npy").encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, len(content), len(content), len(name), 0)
        out += name + content
        extra = struct.pack("<HHQQQ", 1, 24, len(content), len(content), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x032D, 45, 0, 0, 0, 0x21, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += name + extra
    directory = len(out)
    out += central
    record = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 2, 2, len(central), directory)
    out += struct.pack("<IIQI", 0x07064B50, 0, record, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(out)


with open(os.path.join(npz_dir, "zip64.npz"), "wb") as f:
    f.write(zip64_archive())
assert sorted(np.load(os.path.join(npz_dir, "zip64.npz")).files) == ["X", "y"]
assert sorted(np.load(os.path.join(npz_dir, "pipe-deflated.npz")).files) == ["X", "be"]
