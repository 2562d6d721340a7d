#!/usr/bin/env python3
"""Correctly rounded exp, log, tanh and sigmoid of float64 values, from mpmath at 200 bits.

Writes tests/ScratchML.Tests/Core/Tensor/data/vecmath_reference.txt: one line per case,
"function x y" with x and y the float64 bit patterns in hex (y = f(x) rounded to nearest once),
for VecMathTests to measure VecMath's error in ulps. The values: a fixed random sweep of each
function's interesting ranges (seeded: the file is the same on every run).

Run from the repository root: python3 scripts/vecmath_reference.py   (needs mpmath)
"""
import os
import random
import struct
from fractions import Fraction

import mpmath

mpmath.mp.prec = 200

def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]

def nearest(y):
    """The float64 nearest to mpf y (ties to even, subnormals too): Python rounds a Fraction
    correctly, where mpmath's own float() may truncate."""
    sign, man, exp, _ = y._mpf_
    exact = Fraction(man) * (Fraction(2) ** exp)
    return -float(exact) if sign else float(exact)

def sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))

rng = random.Random(20261126)
uniform = lambda lo, hi: (lambda: rng.uniform(lo, hi))
log_uniform = lambda lo, hi: (lambda: 2.0 ** rng.uniform(lo, hi))
CASES = [
    # function, mpmath function, [(generator, count)]
    ("exp", mpmath.exp, [(uniform(-1, 0), 750), (uniform(-40, 20), 750),
                         (uniform(-745.1, 709.7), 750), (uniform(-745.1, -708.4), 250)]),
    ("log", mpmath.log, [(uniform(0.5, 1), 750), (uniform(1 - 1e-3, 1 + 1e-3), 250),
                         (log_uniform(-1074, 511), 1000), (log_uniform(-1074, -1022), 250)]),
    ("tanh", mpmath.tanh, [(uniform(-0.7, 0.7), 750), (uniform(-20, 10), 750),
                           (lambda: rng.choice([-1, 1]) * 2.0 ** rng.uniform(-60, -1), 750)]),
    ("sigmoid", sigmoid, [(uniform(-10, 5), 750), (uniform(-745, 20), 750)]),
]

lines = []
for name, f, ranges in CASES:
    for gen, count in ranges:
        for _ in range(count):
            x = gen()
            y = nearest(f(mpmath.mpf(x)))
            lines.append(f"{name} {bits(x):016x} {bits(y):016x}")

path = os.path.join("tests", "ScratchML.Tests", "Core", "Tensor", "data", "vecmath_reference.txt")
with open(path, "w") as out:
    out.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} cases to {path}")
