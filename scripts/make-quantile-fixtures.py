#!/usr/bin/python3
"""Reference values for evolvd's quantile metrics (stats/quantile.ts), made with numpy.

    python3 scripts/make-quantile-fixtures.py > tests/fixtures/quantile.json

Each case has two arms of units with several latency-like outcomes each (a per-unit level, so a
unit's outcomes are correlated). Recorded:
- the p50/p95/p99 of each arm's outcomes (numpy, exact; evolvd's histogram is 1 % wide, so it
  is compared to 1 %);
- a bootstrap over units (2,000 resamples, whole units, so valid for clustered data) of the
  standard error of each quantile and of the relative difference of the arms' quantiles
  (evolvd's random-groups estimate is itself noisy, about 13 % relative with 32 groups);
- the same standard error as if outcomes were independent (resampling outcomes): what
  ignoring the clustering would claim.
"""
import json
import math

import numpy as np

rng = np.random.default_rng(20261204)


def arm(units, lift):
    out = []
    for _ in range(units):
        level = 120 * math.exp(0.5 * rng.normal())
        visits = 1 + int(rng.binomial(8, 0.5))
        out.append([round(level * (1 + lift) * float(rng.lognormal(0, 0.4)), 3) for _ in range(visits)])
    return out


def case(name, n, lift, qs):
    a, b = arm(n, 0), arm(n, lift)
    flat = lambda side: np.concatenate([np.array(u) for u in side])
    out = {"name": name, "control": a, "treatment": b, "quantiles": []}
    boot = 2000
    for q in qs:
        qa, qb = float(np.quantile(flat(a), q)), float(np.quantile(flat(b), q))
        ra, rb, rel = [], [], []
        for _ in range(boot):
            sa = [a[i] for i in rng.integers(0, len(a), len(a))]
            sb = [b[i] for i in rng.integers(0, len(b), len(b))]
            x, y = np.quantile(flat(sa), q), np.quantile(flat(sb), q)
            ra.append(x)
            rb.append(y)
            rel.append((y - x) / x)
        fa, fb = flat(a), flat(b)
        iid = [(np.quantile(rng.choice(fb, len(fb)), q) - np.quantile(rng.choice(fa, len(fa)), q)) / np.quantile(rng.choice(fa, len(fa)), q) for _ in range(500)]
        out["quantiles"].append({"q": q, "control": qa, "treatment": qb, "bootstrapSe": {"control": float(np.std(ra, ddof=1)), "treatment": float(np.std(rb, ddof=1)), "relative": float(np.std(rel, ddof=1))}, "independentOutcomesRelativeSe": float(np.std(iid, ddof=1))})
    return out


cases = [case("latency, +0%", 3000, 0.0, [0.5, 0.95, 0.99]), case("latency, +5%", 3000, 0.05, [0.5, 0.99])]
print(json.dumps({"made_with": {"numpy": np.__version__}, "bootstrap": "2000 resamples of whole units", "cases": cases}))
