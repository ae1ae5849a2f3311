#!/usr/bin/python3
"""Write samples/digits/eval.bin from the digits_cnn corpus case's eval.npz.

Run once by hand (the .bin is committed; builds and tests never need the corpus):
    /usr/bin/python3 samples/digits/make_eval.py PATH/TO/eval.npz [OUT.bin]

eval.bin, all integers little-endian:
    offset  size      field
    0       4         magic "LWEV"
    4       4         uint32 version (1)
    8       4         uint32 count N (images)
    12      4         uint32 floats per image E (64: one 1x1x8x8 image)
    16      4*N*E     float32 images, row-major, image after image
    16+4NE  N         uint8 labels 0..9
"""
import struct
import sys

import numpy as np

MAGIC = b"LWEV"
VERSION = 1


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else "samples/digits/eval.bin"
    data = np.load(src)
    x = np.ascontiguousarray(data["x"], dtype="<f4")
    y = data["y"]
    n = x.shape[0]
    if y.shape != (n,) or y.min() < 0 or y.max() > 255:
        sys.exit("make_eval: labels must be N integers in 0..255")
    per = int(np.prod(x.shape[1:]))
    with open(out, "wb") as f:
        f.write(MAGIC + struct.pack("<III", VERSION, n, per))
        f.write(x.reshape(n, per).tobytes())
        f.write(y.astype(np.uint8).tobytes())
    print(f"make_eval: wrote {out}: {n} images of {per} floats, {n} labels")


if __name__ == "__main__":
    main()
