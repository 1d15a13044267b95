#!/usr/bin/python3
"""Reference values for evolvd's percentile caps of sum metrics (evidence/unit-totals.ts), made with numpy.

    python3 scripts/make-capped-fixtures.py > tests/fixtures/capped.json

Two arms of units with heavy-tailed revenue (a few orders each, log-normal values). Recorded:
each unit's orders; the p-th percentile of all units' totals (numpy, inverted CDF: the smallest
total with at least p of the units at or below it); each arm's mean and variance of the totals
winsorised at that percentile. evolvd caps at the upper edge of the 1 %-wide bin holding the
percentile, so the cap is compared to 1 % and the winsorised means to 1e-3.
"""
import json

import numpy as np

rng = np.random.default_rng(20261205)


def arm(n):
    return [[round(float(rng.lognormal(3, 1.2)), 2) for _ in range(int(rng.poisson(1.5)))] for _ in range(n)]


cases = []
for p in (0.95, 0.99):
    a, b = arm(4000), arm(4000)
    totals = np.array([sum(u) for u in a + b])
    cap = float(np.quantile(totals, p, method="inverted_cdf"))
    side = lambda s: np.minimum(np.array([sum(u) for u in s]), cap)
    cases.append({"percentile": p, "control": a, "treatment": b, "cap": cap, "controlMean": float(side(a).mean()), "treatmentMean": float(side(b).mean()), "controlVariance": float(side(a).var(ddof=1)), "treatmentVariance": float(side(b).var(ddof=1)), "uncappedControlMean": float(np.mean([sum(u) for u in a]))})
print(json.dumps({"made_with": {"numpy": np.__version__}, "cases": cases}))
