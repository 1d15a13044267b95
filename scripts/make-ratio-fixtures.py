#!/usr/bin/python3
"""Reference values for evolvd's per-unit (ratio) statistics, made with numpy and scipy.

    python3 scripts/make-ratio-fixtures.py > tests/fixtures/ratio.json

For clustered data (several correlated outcomes per unit) it records each unit's outcomes, the
unit-level sums evolvd must accumulate, the ratio estimate with its delta-method variance from
numpy's covariance matrix (exact: compared to 1e-6), the relative lift of two arms with its
delta-method standard error, and a bootstrap over units of the ratio's standard error (a check
of the delta method itself, to sampling error: compared to 5 %). The tests need no Python.
"""
import json
import math

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261202)


def arm(units, base, sigma, lift, kind):
    """Each unit: 1 + Binomial(8, 1/2) outcomes at its own rate (log-normal per-unit effect)."""
    out = []
    for _ in range(units):
        rate = min(1.0, base * math.exp(sigma * rng.normal() - sigma * sigma / 2) * (1 + lift))
        visits = 1 + rng.binomial(8, 0.5)
        if kind == "rate":
            out.append([float(rng.random() < rate) for _ in range(visits)])
        else:  # latency-like: a per-unit level plus noise
            level = 200 * math.exp(sigma * rng.normal()) * (1 + lift)
            out.append([round(level * (0.5 + rng.random()), 3) for _ in range(visits)])
    return out


def unit_sums(outcomes):
    y = np.array([sum(o) for o in outcomes], dtype=float)
    d = np.array([len(o) for o in outcomes], dtype=float)
    return y, d


def moments(y, d):
    return {"n": int(y.size), "sum": float(y.sum()), "sumSquares": float((y * y).sum()), "den": float(d.sum()), "denSquares": float((d * d).sum()), "cross": float((y * d).sum())}


def ratio(y, d):
    n = y.size
    r = y.sum() / d.sum()
    c = np.cov(np.vstack([y, d]), ddof=1)
    var = (c[0, 0] - 2 * r * c[0, 1] + r * r * c[1, 1]) / (n * d.mean() ** 2)
    return float(r), float(var)


def bootstrap_se(y, d, draws=4000):
    n = y.size
    idx = rng.integers(0, n, size=(draws, n))
    return float(np.std(y[idx].sum(axis=1) / d[idx].sum(axis=1), ddof=1))


cases = []
for i, (units, base, sigma, lift, kind) in enumerate([(400, 0.1, 0.8, 0.0, "rate"), (300, 0.3, 0.5, 0.1, "rate"), (250, 0.0, 0.6, 0.05, "latency")]):
    control = arm(units, base, sigma, 0.0, kind)
    treatment = arm(units + 37, base, sigma, lift, kind)
    ya, da = unit_sums(control)
    yb, db = unit_sums(treatment)
    ra, va = ratio(ya, da)
    rb, vb = ratio(yb, db)
    rel = (rb - ra) / abs(ra)
    rel_se = math.sqrt(vb / ra**2 + va * rb**2 / ra**4)
    cases.append({
        "name": f"ratio-{i}-{kind}",
        "control": {"outcomes": control, "moments": moments(ya, da), "mean": ra, "variance": va, "bootstrapSe": bootstrap_se(ya, da)},
        "treatment": {"outcomes": treatment, "moments": moments(yb, db), "mean": rb, "variance": vb, "bootstrapSe": bootstrap_se(yb, db)},
        "relative": {"effect": rel, "se": rel_se},
        # What treating every outcome as independent would have said (the design effect it hides).
        "perOutcomeSe": float(math.sqrt(np.var(np.concatenate([np.array(o) for o in control]), ddof=1) / da.sum())),
    })

print(json.dumps({"numpy": np.__version__, "scipy": scipy.__version__, "cases": cases}))
