#!/usr/bin/env python3
"""libm_ref.py: writes tests/ops/libm_ref.h, the correctly rounded values of tapegrad's own math
functions (ops/tg_libm.h) at edge points and random points, from mpmath: an independent source.

Each finite value is computed at PREC bits and again at PREC + 100 bits; both must round to the
same double (otherwise the point is too close to a midpoint to trust and the script stops). The
rounding to binary64 is done exactly, by Python's int/int true division of a Fraction (round to
nearest even, subnormals included; OverflowError means the value rounds to infinity). mpmath's own
float() is not used: its rounding mode is not documented as round-to-nearest.

Usage: libm_ref.py [OUT.h]   (default: libm_ref.h next to this script; CI regenerates and diffs)
To add a function: one entry in FUNCS (name, arity, reference, edge points, random sampler), and
its row in test_libm.c's table of implementations.
"""
import math
import os
import random
import struct
import sys
from fractions import Fraction

from mpmath import mp

PREC = 320
N_RANDOM = 2000
INF = math.inf
NAN = math.nan
DMAX = sys.float_info.max
DMIN = sys.float_info.min  # smallest normal, 2^-1022
TRUE_MIN = 5e-324          # smallest subnormal, 2^-1074


def bits(x):
    return struct.unpack('<Q', struct.pack('<d', x))[0]


def from_bits(b):
    return struct.unpack('<d', struct.pack('<Q', b))[0]


def next_up(x):
    return math.nextafter(x, INF)


def next_down(x):
    return math.nextafter(x, -INF)


def around(x, n=2):
    """x and its n neighbours on each side."""
    pts = [x]
    up = down = x
    for _ in range(n):
        up, down = next_up(up), next_down(down)
        pts += [up, down]
    return pts


def to_double(v):
    """The double nearest to the mpf v (ties to even), exactly."""
    if v == 0:
        return 0.0
    sign, man, exp = v._mpf_[0], int(v.man), int(v.exp)
    if sign:  # mpf.man is the magnitude: the sign is apart
        man = -man
    top = exp + abs(man).bit_length()  # 2^(top-1) <= |v| < 2^top
    if top > 1025:
        return INF if man > 0 else -INF
    if top < -1076:  # |v| < 2^-1076: rounds to zero
        return 0.0 if man > 0 else -0.0
    q = Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)
    try:
        return float(q)
    except OverflowError:
        return INF if q > 0 else -INF


def rounded(f, *args):
    """f(*args) (an mpmath expression of mpf arguments) correctly rounded, checked at two precisions."""
    out = []
    for prec in (PREC, PREC + 100):
        with mp.workprec(prec):
            out.append(to_double(f(*[mp.mpf(a) for a in args])))
    if bits(out[0]) != bits(out[1]):
        raise SystemExit('libm_ref.py: %s%r rounds differently at %d and %d bits' %
                         (f.__name__, args, PREC, PREC + 100))
    return out[0]


# ---------------------------------------------------------------- the reference functions
# Each takes doubles and returns the correctly rounded double; Annex F special values first.

def ref_exp(x):
    if math.isnan(x):
        return NAN
    if math.isinf(x):
        return INF if x > 0 else 0.0
    return rounded(mp.exp, x)


def ref_expm1(x):
    if math.isnan(x):
        return NAN
    if math.isinf(x):
        return INF if x > 0 else -1.0
    if x == 0:
        return x
    return rounded(mp.expm1, x)


def ref_log_like(f, x):
    if math.isnan(x) or x < 0:
        return NAN
    if x == 0:
        return -INF
    if math.isinf(x):
        return INF
    return rounded(f, x)


def ref_log(x):
    return ref_log_like(mp.log, x)


def ref_log2(x):
    return ref_log_like(lambda v: mp.log(v, 2), x)


def ref_log10(x):
    return ref_log_like(mp.log10, x)


def ref_log1p(x):
    if math.isnan(x) or x < -1:
        return NAN
    if x == -1:
        return -INF
    if math.isinf(x):
        return INF
    if x == 0:
        return x
    return rounded(mp.log1p, x)


def odd(f, at_inf):
    """An odd function: f(+-0) = +-0, f(+-inf) = +-at_inf."""
    def ref(x):
        if math.isnan(x):
            return NAN
        if x == 0:
            return x
        if math.isinf(x):
            return math.copysign(at_inf, x)
        return rounded(f, x)
    return ref


def ref_cosh(x):
    if math.isnan(x):
        return NAN
    if math.isinf(x):
        return INF
    return rounded(mp.cosh, x)


def ref_acosh(x):
    if math.isnan(x) or x < 1:
        return NAN
    if math.isinf(x):
        return INF
    return rounded(mp.acosh, x)


def ref_atanh(x):
    if math.isnan(x) or abs(x) > 1:
        return NAN
    if abs(x) == 1:
        return math.copysign(INF, x)
    if x == 0:
        return x
    return rounded(mp.atanh, x)


def ref_erfc(x):
    if math.isnan(x):
        return NAN
    if math.isinf(x):
        return 0.0 if x > 0 else 2.0
    if x > 30:  # erfc(30) < 2^-1300: rounds to +0
        return 0.0
    if x < -10:  # 2 - erfc(10) is 2 within 2^-150: rounds to 2
        return 2.0
    return rounded(mp.erfc, x)


def ref_erf(x):
    if math.isnan(x):
        return NAN
    if x == 0:
        return x
    if abs(x) > 10:  # 1 - erf(10) < 2^-150: rounds to +-1
        return math.copysign(1.0, x)
    return rounded(mp.erf, x)


# ---------------------------------------------------------------- the points

def log_uniform(rng, lo_exp, hi_exp, signed):
    """A double whose binary exponent is uniform in [lo_exp, hi_exp), mantissa uniform."""
    e = rng.uniform(lo_exp, hi_exp)
    x = 2.0 ** math.floor(e) * (1 + rng.random())
    x = min(x, DMAX)
    return -x if signed and rng.random() < 0.5 else x


def sampler(uniform_ranges, log_range, signed):
    """Half of the points uniform over one of uniform_ranges, half log-uniform in magnitude."""
    def draw(rng):
        if rng.random() < 0.5:
            lo, hi = rng.choice(uniform_ranges)
            return rng.uniform(lo, hi)
        return log_uniform(rng, log_range[0], log_range[1], signed)
    return draw


COMMON = [0.0, -0.0, TRUE_MIN, -TRUE_MIN, 2 * TRUE_MIN, DMIN - TRUE_MIN, DMIN, -DMIN, 2**-60,
          -2**-60, 1e-300, -1e-300, 2**-30, -2**-30, 1e-8, -1e-8, 2**-27, 0.5, -0.5, 1.0, -1.0,
          next_up(1.0), next_down(1.0), -next_up(1.0), 2.0, -2.0, 3.0, 10.0, -10.0, 100.0, 1e10,
          1e100, 1e300, DMAX, -DMAX, INF, -INF, NAN]

LN2 = math.log(2)
EDGE_EXP = (around(709.782712893384, 3) + around(-745.1332191019411, 3) +
            around(-708.3964185322641, 3) + around(-744.4400719213812, 2) +
            [-1074 * LN2, -1022 * LN2, 1023 * LN2, 700.0, -700.0, 1e-17, -1e-17, LN2 / 128,
             -LN2 / 128, LN2 / 2, -LN2 / 2, 0.34657359027997264, -0.34657359027997264, 36.0, 40.0])
EDGE_LOG = ([2.0**k for k in range(-1074, 1024, 61)] + [10.0**k for k in range(-300, 301, 37)] +
            around(1.0, 4) + [0.7071067811865476, 1.4142135623730951, 0.75, 1.5, math.e,
                              next_up(math.e), 1000.0, 1e-3, 1e22, 4503599627370497.0])
EDGE_HYP = (around(710.4758600739439, 3) + around(-710.4758600739439, 2) +
            [19.0, 19.1, 20.0, 22.0, 36.7, 36.8, 37.0, 0.3, 0.35, 1e-5, 2**-26, 2**-28])
EDGE_AINV = [2.0**60, 2.0**61, 2.0**28, 2.0**26, 1e154, 1e155, 1e308, 2.0**-28, 2**-26, 0.99,
             -0.99, next_down(1.0), -next_down(1.0), 0.9999999999, 1 + 2**-30, 1 + 2**-52,
             1.5, 1e-10, 0.25, 0.5]
EDGE_ERF = ([0.25, 0.4769362762044699, 0.477, 0.47, 0.5, 0.75, 0.84375, 1.25, 2.0, 2.857,
             3.0, 4.0, 5.0, 5.9, 5.92, 5.93, 6.0, 8.0, 10.0, 15.0, 20.0, 26.0, 26.5, 27.0,
             27.2, 27.22, 27.23, 27.3, 28.0, 30.0, -5.9, -6.0, -30.0, 1e-20, -1e-20] +
            around(26.55, 1) + around(27.2262, 2))

# name: (arity, reference, edge points, random sampler)
FUNCS = {
    'exp': (1, ref_exp, EDGE_EXP, sampler([(-20, 20), (-745.2, 709.8)], (-60, 10), True)),
    'expm1': (1, ref_expm1, EDGE_EXP, sampler([(-2, 2), (-40, 709.8)], (-60, 10), True)),
    'log': (1, ref_log, EDGE_LOG, sampler([(1e-3, 100), (0.5, 2)], (-1074, 1024), False)),
    'log1p': (1, ref_log1p, EDGE_LOG + [-0.5, -next_down(1.0), -0.999, -1 + 2**-40],
              sampler([(-0.9, 10), (-1, 1)], (-1074, 1024), False)),
    'log2': (1, ref_log2, EDGE_LOG, sampler([(1e-3, 100), (0.5, 2)], (-1074, 1024), False)),
    'log10': (1, ref_log10, EDGE_LOG, sampler([(1e-3, 100), (0.5, 2)], (-1074, 1024), False)),
    'sinh': (1, odd(mp.sinh, INF), EDGE_EXP + EDGE_HYP, sampler([(-5, 5), (-710.4, 710.4)],
                                                              (-60, 10), True)),
    'cosh': (1, ref_cosh, EDGE_EXP + EDGE_HYP, sampler([(-5, 5), (-710.4, 710.4)], (-60, 10),
                                                       True)),
    'tanh': (1, odd(mp.tanh, 1.0), EDGE_HYP, sampler([(-5, 5), (-20, 20)], (-60, 6), True)),
    'asinh': (1, odd(mp.asinh, INF), EDGE_AINV, sampler([(-10, 10)], (-1074, 1024), True)),
    'acosh': (1, ref_acosh, EDGE_AINV, sampler([(1, 10), (1, 1.01)], (0, 1024), False)),
    'atanh': (1, ref_atanh, EDGE_AINV, sampler([(-1, 1), (0.9, 1)], (-1074, 0), True)),
    'erf': (1, ref_erf, EDGE_ERF, sampler([(-4, 4), (-6, 6)], (-1074, 5), True)),
    'erfc': (1, ref_erfc, EDGE_ERF, sampler([(-4, 10), (0, 27.3)], (-1074, 5), True)),
}


def key(p):
    return tuple(map(bits, p)) if isinstance(p, tuple) else bits(p)


def points(name, arity, edges, draw):
    """The edge points (COMMON too for functions of one argument), then N_RANDOM random ones."""
    rng = random.Random('tapegrad-libm-' + name)
    pts, seen = [], set()
    for p in (COMMON if arity == 1 else []) + edges:
        if key(p) not in seen:
            seen.add(key(p))
            pts.append(p)
    for _ in range(N_RANDOM):
        pts.append(draw(rng))
    return pts


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                            'libm_ref.h')
    lines = ['/* libm_ref.h: GENERATED by tests/ops/libm_ref.py from mpmath (%d bits, checked at'
             % PREC,
             ' * %d); do not edit. Rows {x, y, f(x[, y]) correctly rounded}, as binary64 bit'
             % (PREC + 100),
             ' * patterns (y is 0 for functions of one argument). */',
             '#include <stddef.h>', '#include <stdint.h>', '']
    tables = []
    for name, (arity, ref, edges, draw) in FUNCS.items():
        rows = []
        for p in points(name, arity, edges, draw):
            if arity == 1:
                x, y, want = p, 0.0, ref(p)
            else:
                x, y = p
                want = ref(x, y)
            rows.append('{0x%016x,0x%x,0x%016x},' % (bits(x), bits(y), bits(want)))
        lines.append('static const uint64_t libm_ref_%s[][3] = {' % name)
        lines += rows
        lines.append('};')
        tables.append((name, arity))
    lines.append('')
    lines.append('static const struct libm_ref_table {')
    lines.append('    const char *name;')
    lines.append('    int arity;')
    lines.append('    const uint64_t (*rows)[3];')
    lines.append('    size_t n_rows;')
    lines.append('} libm_ref_tables[] = {')
    for name, arity in tables:
        lines.append('    {"%s", %d, libm_ref_%s, sizeof libm_ref_%s / sizeof libm_ref_%s[0]},'
                     % (name, arity, name, name, name))
    lines.append('};')
    with open(out, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
