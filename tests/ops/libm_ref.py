#!/usr/bin/env python3
"""libm_ref.py: writes tests/ops/libm_ref.h, the correctly rounded values of tapegrad's own math
functions (ops/tg_libm.h) at edge points and random points, from mpmath: an independent source.

Each finite value is computed at PREC bits and again at PREC + 100 bits; both must round to the
same double (otherwise the point is too close to a midpoint to trust and the script stops). The
rounding to binary64 is done exactly, by Python's int/int true division of a Fraction (round to
nearest even, subnormals included; OverflowError means the value rounds to infinity). mpmath's own
float() is not used: its rounding mode is not documented as round-to-nearest.

Usage: libm_ref.py [OUT.h]   (default: libm_ref.h next to this script; CI regenerates and diffs)
       libm_ref.py --check DUMP  (DUMP: `libm_bits N all` output, "name x y result" in bit patterns:
                                  counts the results that are not the correctly rounded value)
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


def rounded(f, *args, extra=0):
    """f(*args) (an mpmath expression of mpf arguments) correctly rounded, checked at two precisions
    (both raised by extra bits where a function needs more, e.g. atan2's tiny ratios)."""
    out = []
    for prec in (PREC + extra, PREC + 100 + extra):
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


# The circular functions and hypot (ops/tg_libm_trig.c). mpmath reduces huge arguments of sin,
# cos and tan itself (it raises its precision by the argument's exponent): checked at 320 and 420
# bits like the rest, e.g. cos(6381956970095103 * 2^797) = -4.687165924254627611e-19 at both.

def ref_circular(f, at_zero_is_one):
    def ref(x):
        if math.isnan(x) or math.isinf(x):
            return NAN
        if x == 0:
            return 1.0 if at_zero_is_one else x
        return rounded(f, x)
    return ref


def ref_asin(x):
    if math.isnan(x) or abs(x) > 1:
        return NAN
    if x == 0:
        return x
    return rounded(mp.asin, x)


def ref_acos(x):
    if math.isnan(x) or abs(x) > 1:
        return NAN
    return rounded(mp.acos, x)


def binary_exponent(x):
    return math.frexp(x)[1]


def ref_atan2(y, x):
    """Annex F's zeros and infinities, then mpmath. atan2 of a tiny ratio u = y/x is u - u^3/3:
    with u = 2^-g the correction sits 2g bits below u, so the precision is raised by 3g bits (a
    ratio that is exactly a midpoint on the subnormal grid must round down, not to even)."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    pi, pi_2, pi_4 = math.pi, math.pi / 2, math.pi / 4  # math.pi is pi rounded; /2 and /4 exact
    if y == 0:
        return math.copysign(pi if math.copysign(1, x) < 0 else 0.0, y)
    if x == 0:
        return math.copysign(pi_2, y)
    if math.isinf(x):
        if math.isinf(y):
            return math.copysign(rounded(lambda: 3 * mp.pi / 4) if x < 0 else pi_4, y)
        return math.copysign(pi if x < 0 else 0.0, y)
    if math.isinf(y):
        return math.copysign(pi_2, y)
    gap = abs(binary_exponent(y) - binary_exponent(x))
    return rounded(mp.atan2, y, x, extra=3 * gap)


def ref_hypot(x, y):
    if math.isinf(x) or math.isinf(y):  # hypot(+-inf, NaN) = +inf
        return INF
    if math.isnan(x) or math.isnan(y):
        return NAN
    return rounded(lambda a, b: mp.sqrt(a * a + b * b), x, y)


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
# Hard cases of log and log10 (CORE-MATH's lists, arguments only) that the double-double path
# alone rounds wrongly: the triple-double slow path takes them (one subnormal, one in [1/2, 2)).
LOG_HARD = [float.fromhex(a) for a in ['0x1.74e35780cada8p+2', '0x1.10cdb4aa1770bp-9',
                                       '0x1.ec3fb79be1211p-124', '0x1.c561b55246db6p+718']]
LOG10_HARD = [float.fromhex(a) for a in ['0x0.697bd89666317p-1022', '0x1.8569bef21c955p-101',
                                         '0x1.1145245b64300p+24', '0x1.89825f74aa6b7p+0']]
# ... and of expm1, sinh, cosh, tanh, atanh, erf, erfc (the same: a few of those the
# double-double path alone rounds wrongly).
EXPM1_HARD = [float.fromhex(a) for a in ['0x1.8bbe2fb45c151p-2', '-0x1.99ccc999fff07p-48',
                                         '0x1.aca7ae8da5a7bp+0', '-0x1.9d871e078ebcep-2']]
SINH_HARD = [float.fromhex(a) for a in ['0x1.7f0046225d651p+1', '-0x1.c6adb85d9e00fp-6']]
COSH_HARD = [float.fromhex(a) for a in ['0x1.52268c6359f0ep-1', '0x1.bb67ae8584caap-26']]
TANH_HARD = [float.fromhex(a) for a in ['0x1.291c601a05276p-2', '-0x1.e0000000000e1p-22']]
ATANH_HARD = [float.fromhex(a) for a in ['0x1.b3f61bc925b8bp-11', '-0x1.01ed608da294dp-12']]
ERF_HARD = [float.fromhex(a) for a in ['0x1.9730ce1d0f154p-49', '-0x1.e502a7e284ebfp-9',
                                       '0x1.52b76545cc8efp-6']]
ERFC_HARD = [float.fromhex('0x1.48de452fb1a15p+4')]
EDGE_HYP = (around(710.4758600739439, 3) + around(-710.4758600739439, 2) +
            [19.0, 19.1, 20.0, 22.0, 36.7, 36.8, 37.0, 0.3, 0.35, 1e-5, 2**-26, 2**-28])
EDGE_AINV = [2.0**60, 2.0**61, 2.0**28, 2.0**26, 1e154, 1e155, 1e308, 2.0**-28, 2**-26, 0.99,
             -0.99, next_down(1.0), -next_down(1.0), 0.9999999999, 1 + 2**-30, 1 + 2**-52,
             1.5, 1e-10, 0.25, 0.5]
EDGE_ERF = ([0.25, 0.4769362762044699, 0.477, 0.47, 0.5, 0.75, 0.84375, 1.25, 2.0, 2.857,
             3.0, 4.0, 5.0, 5.9, 5.92, 5.93, 6.0, 8.0, 10.0, 15.0, 20.0, 26.0, 26.5, 27.0,
             27.2, 27.22, 27.23, 27.3, 28.0, 30.0, -5.9, -6.0, -30.0, 1e-20, -1e-20] +
            around(26.55, 1) + around(27.2262, 2))

def nearest_multiple_of_pi_2(k):
    """The double nearest k pi/2 (k an integer below 2^1030)."""
    with mp.workprec(1200):
        return to_double(k * mp.pi / 2)


# Multiples of pi/2 and their neighbours, small and huge (the last pair is the double closest to a
# multiple of pi/2, 2^-61 away: Muller, Elementary Functions), the ends of the sin/cos table
# (j/128), pi/4 where the reduction starts.
EDGE_TRIG = ([x for k in [1, 2, 3, 4, 5, 6, 7, 8, 10, 100, 1000, 10**6, 10**9, 2**30, 10**15,
                          10**22, 2**100, 3**500]
              for x in around(nearest_multiple_of_pi_2(k), 1)] +
             around(math.pi / 4, 2) + around(2.0**-27, 1) + [2.0**-26, 2.0**52, 2.0**60, 1e22] +
             [j / 128 + d for j in (1, 7, 64, 100, 101) for d in (0, 0.5 / 128, -0.5 / 128)] +
             [6381956970095103 * 2.0**797, -6381956970095103 * 2.0**797, 355.0, 103993.0,
              833719.0, 2.0**1023, 1.5707963267948966, 3.141592653589793, 6.283185307179586])
# Hard cases of asin and acos (CORE-MATH's lists, arguments only) that the double-double path alone
# rounds wrongly: the triple-double slow path takes them.
ASIN_HARD = [float.fromhex(a) for a in ['0x1.522bffce02485p-19', '0x1.860db11c8df3bp-16',
                                        '-0x1.ff0f3022b2e9dp-16']]
ACOS_HARD = [float.fromhex(a) for a in ['0x1.11b3c109f983bp-1', '0x1.4182199998587p-1',
                                        '0x1.53ea6c7255e88p-4', '0x1.0c953e71a6263p-26',
                                        '0x1.04239f1c69896p-24', '0x1.7151512be14bep-19']]
# ... and of sin, cos, tan (CORE-MATH's lists, arguments only; every third one that the
# double-double path alone rounds wrongly, some with the reduction).
SIN_HARD = [float.fromhex(a) for a in ['0x1.1c63df63d59d0p-2', '-0x1.997d35866ce04p-14',
                                       '0x1.c1c27d6b9a3a1p+5', '-0x1.1fa4f6c3eb138p+10']]
COS_HARD = [float.fromhex(a) for a in ['0x1.26851b567579fp-19', '-0x1.270df70e010f7p-4',
                                       '0x1.5e5c1cd6c4e6fp-22', '-0x1.6b8a6273d7c21p+0']]
TAN_HARD = [float.fromhex(a) for a in ['0x1.50486b2f87014p-5', '-0x1.7efa565652033p-5',
                                       '0x1.c85686e7833abp-8', '-0x1.c9f47908c3178p-3']]
EDGE_ATRIG = (around(1.0, 3) + around(-1.0, 3) + around(0.5, 1) + around(2.0**-27, 1) +
              around(2.0**-60, 1) + [1 - 2**-30, -1 + 2**-30, 0.7071067811865476, 0.99, -0.99,
                                     1e-17, 0.25, 1 / 128, 0.0078125 * 3.5])
# Hard cases of atan and atan2 (CORE-MATH's src/binary64/{atan,atan2}/*.wc lists, arguments only)
# that the double-double path alone rounds wrongly: tg_libm_atan and tg_libm_atan2 take their
# triple-double path there.
ATAN_HARD = [float.fromhex(a) for a in ['0x1.0a402fcc79299p-25', '-0x1.1668b390f3622p-2',
                                        '0x1.3e450e3933b22p+7', '-0x1.6298b5896ed3cp+1',
                                        '0x1.8f58c95595e42p+0']]
ATAN2_HARD = [(float.fromhex(a), float.fromhex(b)) for a, b in [
    ('0x1.49343d4e26bb6p+53', '0x1.d786165a1b544p+51'), ('0x1.b544be799cc2bp+63', '0x1.49e86746d8bc3p+53'),
    ('0x1.f871863ea2343p+53', '0x1.b3a489e67fd3ap+53'), ('0x1.249b791466ca0p+51', '0x1.8425f8c35f554p+50'),
    ('0x1.a0e9d4bc084f7p+74', '0x1.31a270a7e7afep+53'), ('0x1.b778588eee453p+56', '0x1.ee210a8cdf10ep+52'),
    ('0x1.ee491652e8df4p+65', '0x1.7ef856e1e6948p+51'), ('0x1.0cd392672e91bp+57', '0x1.01fd265c7c717p+53'),
    ('0x1.7a1162f7a4610p+65', '0x1.b5fedff48dd58p+49'), ('0x1.664717269cafbp+63', '0x1.6c6fe3a02b340p+52'),
    # y/x = (2 - 2^-52) 2^-1023, the midpoint between the largest subnormal and 2^-1022: atan2 is
    # a little less, so the largest subnormal (from the same list)
    ('0x1.fffffffffffffp-962', '0x1p+61'), ('-0x1.fffffffffffffp-962', '0x1p+61')]]
EDGE_ATAN = ATAN_HARD + ([j / 128 + d for j in (1, 2, 64, 127, 128) for d in (0, 0.5 / 128, -0.5 / 128, 1e-9)] +
             around(2.0**60, 1) + around(2.0**-27, 1) + [128 / 3.5, 128.0, 1e16, 1e300])
EDGE_PAIR_VALUES = [0.0, -0.0, TRUE_MIN, -TRUE_MIN, 3 * TRUE_MIN, DMIN, 2.0**-1000, 1e-300, 2.0**-61,
                    0.75, 1.0, -1.0, 2.0, -2.0, 3.0, 2.0**61, 1e300, -1e300, DMAX, -DMAX, INF, -INF,
                    NAN]
# atan2: every pair of those (Annex F's quadrants, zeros and infinities; ratios below 2^-1076
# that round to 0; the angles of huge and tiny ratios), then ratios that are midpoints on the
# subnormal grid (3 * 2^-1074 / 2 = 1.5 * 2^-1074 rounds down: atan u < u) and pairs near
# |y| = |x| (the angle near pi/4, 3 pi/4).
EDGE_ATAN2 = ([(y, x) for y in EDGE_PAIR_VALUES for x in EDGE_PAIR_VALUES] +
              [(s * y, x) for (y, x) in [(3 * TRUE_MIN, 2.0), (TRUE_MIN, 2.0), (5 * TRUE_MIN, 2.0),
                                         (7 * TRUE_MIN, 4.0), (TRUE_MIN, 3.0), (3 * 2.0**-1000, 2.0**75),
                                         (2.0**-1000, 2.0**70)] for s in (1, -1)] +
              [(1.0, next_up(1.0)), (next_up(1.0), 1.0), (-1.0, -next_down(1.0)), (1e-300, -1e-300)] +
              ATAN2_HARD)
# Exact ties of hypot: Pythagorean triples (k^2 - l^2, 2kl, k^2 + l^2) whose hypotenuse is an odd
# integer of 54 bits, halfway between two doubles (round to even), at three scales.
HYPOT_TIES = [(float(k * k - l * l) * s, float(2 * k * l) * s)
              for k, l in [(90000000, 35000001), (90000002, 35000001), (90000004, 35000001)]
              for s in (1.0, 2.0**-600, 2.0**500)]
# Hard cases of hypot, within 2^-105 of a midpoint: the first twelve of CORE-MATH's list
# (src/binary64/hypot/hypot.wc, from Lefevre's and Zimmermann's searches) that a double-double
# root alone rounds wrongly; tg_libm_hypot decides these exactly.
HYPOT_HARD = [(float.fromhex(a), float.fromhex(b)) for a, b in [
    ('0x1.6p-45', '0x1.2c2fc595456a7p-71'), ('0x1.a308e1455f447p+0', '0x1.9d931a83ef879p+0'),
    ('0x1.9c6d80093ebf8p+446', '0x1.add8969f3a07ep+421'),
    ('0x1.ebebdb907b334p-1', '0x1.299107d9f1218p-24'),
    ('0x1.85e5ab86aad3ep-1', '0x1.d3456f627eaa7p-25'),
    ('0x1.0b8ff8025530ep-1', '0x1.77dce8694fc5ep-25'),
    ('0x1.4eb2e7a47ba73p-1', '0x1.474454484e724p-26'),
    ('0x1.3c3a892906dd6p-1', '0x1.78642e943661ep-26'),
    ('0x1.055bdf8356204p-1', '0x1.21326767783cbp-26'),
    ('0x1.421bffb3fe30ep-1', '0x1.410d8e51d5dacp-26'),
    ('0x1.f62eaf1fac3f8p-1', '0x1.90df3af5b3bc3p-26'),
    ('0x1.af613ed4f7a22p-1', '0x1.b79c84732bdf3p-26')]]
# hypot: every pair, exact results (3-4-5 at every scale), the subnormal range (rounded once),
# overflow, and ratios around the 2^-60 cut.
EDGE_HYPOT = ([(x, y) for x in EDGE_PAIR_VALUES for y in EDGE_PAIR_VALUES] +
              [(3.0 * s, 4.0 * s) for s in (TRUE_MIN, 2.0**-1070, 2.0**-600, 1.0, 2.0**1000)] +
              [(TRUE_MIN, TRUE_MIN), (3e-310, 4e-310), (1.5e-308, 1.5e-308), (DMAX, DMAX),
               (DMAX, 1.0), (DMAX / 2, DMAX / 2), (1.0, 2.0**-30), (1.0, 2.0**-60), (1.0, 2.0**-61),
               (1.0, 2.0**-62), (next_up(1.0), 2.0**-26), (2.0**-537, 2.0**-537)] +
              HYPOT_TIES + HYPOT_HARD)


def trig_sampler(rng):
    """Uniform in [-10, 10], in [-1e6, 1e6], log-uniform over all doubles, and the doubles nearest
    k pi/2 for random k of up to 1,000 bits with their neighbours."""
    r = rng.random()
    if r < 0.15:
        x = nearest_multiple_of_pi_2(rng.getrandbits(rng.randint(1, 1000)) + 1)
        x = x if not math.isinf(x) else DMAX
        return x if rng.random() < 0.5 else math.nextafter(x, rng.choice([-INF, INF]))
    if r < 0.4:
        return rng.uniform(-10, 10)
    if r < 0.6:
        return rng.uniform(-1e6, 1e6)
    return log_uniform(rng, -1074, 1024, True)


def atrig_sampler(rng):
    """Uniform in [-1, 1], near +-1 (1 - 2^-k), tiny."""
    r = rng.random()
    if r < 0.6:
        return rng.uniform(-1, 1)
    if r < 0.8:
        return rng.choice([-1, 1]) * (1 - rng.random() * 2.0**-rng.randint(1, 53))
    return log_uniform(rng, -1074, -1, True)


def atan_sampler(rng):
    """Near the table points j/128 and their reciprocals, uniform in [-10, 10], log-uniform."""
    r = rng.random()
    if r < 0.2:
        return rng.choice([-1, 1]) * (rng.randint(0, 128) + rng.choice([0, 0.5]) +
                                      rng.uniform(-1e-6, 1e-6)) / 128
    if r < 0.3:
        return 128 / (rng.randint(1, 128) + rng.uniform(-1e-6, 1e-6))
    if r < 0.6:
        return rng.uniform(-10, 10)
    return log_uniform(rng, -1074, 1024, True)


def pair_sampler(rng):
    """Pairs with |y| near |x|, uniform in [-2, 2]^2, and both log-uniform over all doubles."""
    r = rng.random()
    if r < 0.1:
        y = rng.uniform(-2, 2)
        return (y, rng.choice([-1, 1]) * y * (1 + rng.uniform(-1e-9, 1e-9)))
    if r < 0.5:
        return (rng.uniform(-2, 2), rng.uniform(-2, 2))
    return (log_uniform(rng, -1074, 1024, True), log_uniform(rng, -1074, 1024, True))


# name: (arity, reference, edge points, random sampler)
FUNCS = {
    'exp': (1, ref_exp, EDGE_EXP, sampler([(-20, 20), (-745.2, 709.8)], (-60, 10), True)),
    'expm1': (1, ref_expm1, EDGE_EXP + EXPM1_HARD,
              sampler([(-2, 2), (-40, 709.8)], (-60, 10), True)),
    'log': (1, ref_log, EDGE_LOG + LOG_HARD,
            sampler([(1e-3, 100), (0.5, 2)], (-1074, 1024), False)),
    'log1p': (1, ref_log1p, EDGE_LOG + [-0.5, -next_down(1.0), -0.999, -1 + 2**-40],
              sampler([(-0.9, 10), (-1, 1)], (-1074, 1024), False)),
    'log2': (1, ref_log2, EDGE_LOG, sampler([(1e-3, 100), (0.5, 2)], (-1074, 1024), False)),
    'log10': (1, ref_log10, EDGE_LOG + LOG10_HARD,
              sampler([(1e-3, 100), (0.5, 2)], (-1074, 1024), False)),
    'sinh': (1, odd(mp.sinh, INF), EDGE_EXP + EDGE_HYP + SINH_HARD,
             sampler([(-5, 5), (-710.4, 710.4)], (-60, 10), True)),
    'cosh': (1, ref_cosh, EDGE_EXP + EDGE_HYP + COSH_HARD,
             sampler([(-5, 5), (-710.4, 710.4)], (-60, 10), True)),
    'tanh': (1, odd(mp.tanh, 1.0), EDGE_HYP + TANH_HARD,
             sampler([(-5, 5), (-20, 20)], (-60, 6), True)),
    'asinh': (1, odd(mp.asinh, INF), EDGE_AINV, sampler([(-10, 10)], (-1074, 1024), True)),
    'acosh': (1, ref_acosh, EDGE_AINV, sampler([(1, 10), (1, 1.01)], (0, 1024), False)),
    'atanh': (1, ref_atanh, EDGE_AINV + ATANH_HARD, sampler([(-1, 1), (0.9, 1)], (-1074, 0), True)),
    'erf': (1, ref_erf, EDGE_ERF + ERF_HARD, sampler([(-4, 4), (-6, 6)], (-1074, 5), True)),
    'erfc': (1, ref_erfc, EDGE_ERF + ERFC_HARD, sampler([(-4, 10), (0, 27.3)], (-1074, 5), True)),
    'sin': (1, ref_circular(mp.sin, False), EDGE_TRIG + SIN_HARD, trig_sampler),
    'cos': (1, ref_circular(mp.cos, True), EDGE_TRIG + COS_HARD, trig_sampler),
    'tan': (1, ref_circular(mp.tan, False), EDGE_TRIG + TAN_HARD, trig_sampler),
    'asin': (1, ref_asin, EDGE_ATRIG + ASIN_HARD, atrig_sampler),
    'acos': (1, ref_acos, EDGE_ATRIG + ACOS_HARD, atrig_sampler),
    'atan': (1, odd(mp.atan, math.pi / 2), EDGE_ATAN, atan_sampler),
    'atan2': (2, ref_atan2, EDGE_ATAN2, pair_sampler),
    'hypot': (2, ref_hypot, EDGE_HYPOT, pair_sampler),
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


def ulps_apart(a, b):
    """How many doubles apart a and b are (their bit patterns ordered, negatives mirrored)."""
    def order(x):
        b = bits(x)
        return -(b & ~(1 << 63)) if b >> 63 else b
    return abs(order(a) - order(b))


def check(path):
    """Every line of a libm_bits dump against the reference; prints per function how many are
    correctly rounded and the largest distance in ulps of the others."""
    counts = {}
    for line in open(path):
        name, xb, yb, rb = line.split()
        arity, ref = FUNCS[name][0], FUNCS[name][1]
        x, y, got = from_bits(int(xb, 16)), from_bits(int(yb, 16)), from_bits(int(rb, 16))
        want = ref(x) if arity == 1 else ref(x, y)
        ok = math.isnan(got) if math.isnan(want) else bits(got) == bits(want)
        n, bad, worst = counts.get(name, (0, 0, 0))
        if not ok:
            far = math.inf if math.isnan(got) or math.isnan(want) else ulps_apart(got, want)
            worst = max(worst, far)
            if bad < 5:
                print('%s(%s, %s) = %s, want %s' % (name, x.hex(), y.hex(), got.hex(), want.hex()))
        counts[name] = (n + 1, bad + (not ok), worst)
    for name, (n, bad, worst) in counts.items():
        print('%-6s %d of %d correctly rounded%s' % (name, n - bad, n,
              ', the others at most %s ulp off' % worst if bad else ''), flush=True)
    return 1 if any(bad for _, bad, _ in counts.values()) else 0


def main():
    if len(sys.argv) > 2 and sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2]))
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
