"""Pith's random streams and checkpoints, in Python: so that a PyTorch run can start from
the same initial weights, visit the batches in the same order, and load a Pith teacher.

PithRandom is xoshiro256** seeded through SplitMix64 (Sources/PithTensor/Random.swift);
Model(description, seed) draws each weighted layer's weight then bias from
U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on stream 0x1417; the trainer shuffles epoch e with
stream 0x5EED0000 + e (Fisher-Yates). A checkpoint is "PITHCKPT", u32 version, u64 header
length, JSON header, u64 float count, the floats (parameters in order, then optimizer
state), CRC-32 (Sources/PithNN/Checkpoint.swift).
"""
import json, struct, zlib

import numpy as np

M64 = (1 << 64) - 1


class PithRandom:
    def __init__(self, seed, stream=None):
        if stream is not None:
            seed = (seed ^ ((stream * 0xD6E8FEB86659FD93) & M64) ^ 0x5851F42D4C957F2D) & M64
        x = seed
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            s.append(z ^ (z >> 31))
        self.s = s

    def next(self):
        s0, s1, s2, s3 = self.s
        r = (s1 * 5) & M64
        result = ((((r << 7) | (r >> 57)) & M64) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M64
        self.s = [s0, s1, s2, s3]
        return result

    def uniform_floats(self, n):
        """n draws of nextFloat(): (next() >> 40) / 2^24, as float32."""
        return np.array([self.next() >> 40 for _ in range(n)], dtype=np.float64).astype(np.float32) * np.float32(1.0 / 16777216.0)

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.next() % (i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def initial_weights(layers, seed):
    """Pith's Model(description, seed) weights. layers: [(weight_shape, fan_in)] in order;
    returns [w0, b0, w1, b1, ...] as float32 arrays."""
    rng = PithRandom(seed, 0x1417)
    out = []
    for shape, fan_in in layers:
        bound = np.float32(1) / np.sqrt(np.float32(fan_in), dtype=np.float32)
        for sh in (shape, (shape[0],)):
            n = int(np.prod(sh))
            u = rng.uniform_floats(n)
            out.append(((u * np.float32(2) - np.float32(1)) * bound).astype(np.float32).reshape(sh))
    return out


def epoch_order(seed, epoch, n):
    return PithRandom(seed, 0x5EED0000 + epoch).permutation(n)


def read_checkpoint(path):
    """(header dict, [parameter arrays]) of a Pith checkpoint, checked by its CRC."""
    data = open(path, "rb").read()
    assert data[:8] == b"PITHCKPT", f"{path}: not a Pith checkpoint"
    assert struct.unpack("<I", data[-4:])[0] == zlib.crc32(data[:-4]) & 0xFFFFFFFF, f"{path}: checksum mismatch"
    (hlen,) = struct.unpack("<Q", data[12:20])
    header = json.loads(data[20:20 + hlen])
    (count,) = struct.unpack("<Q", data[20 + hlen:28 + hlen])
    floats = np.frombuffer(data, dtype="<f4", count=count, offset=28 + hlen)
    params, offset = [], 0
    for shape in header["parameterShapes"]:
        n = int(np.prod(shape))
        params.append(floats[offset:offset + n].reshape(shape).copy())
        offset += n
    return header, params
