#!/usr/bin/python3
"""Reference values for evolvd's CUPED adjustment (stats/cuped.ts), made with numpy and statsmodels.

    python3 scripts/make-cuped-fixtures.py > tests/fixtures/cuped.json

Each case has two arms of units with a pre-exposure covariate x (the unit's value of the metric
in an earlier experiment) and its outcomes now. Recorded, all exact (compared to 1e-9):
- theta pooled over arms, each arm's adjusted mean and variance, from numpy's covariance
  matrices over units (the delta method for ratio metrics);
- for a per-unit metric with equal arms, the OLS fit y ~ 1 + treatment + x (statsmodels): its
  treatment coefficient is the CUPED difference and its x coefficient theta, a check that the
  estimator is regression adjustment as it should be.
"""
import json
import math

import numpy as np
import statsmodels.api as sm

rng = np.random.default_rng(20261203)


def units(n, lift, per_unit):
    """Units with a persistent level: earlier value x and outcomes now share it."""
    out = []
    for _ in range(n):
        level = math.exp(0.6 * rng.normal())
        if per_unit:  # one value per unit (d = 1), e.g. revenue per unit
            x = round(level * 20 * (0.7 + 0.6 * rng.random()), 4)
            out.append({"x": x, "outcomes": [round(level * 20 * (1 + lift) * (0.7 + 0.6 * rng.random()), 4)]})
        else:  # conversion per visit at the unit's own rate
            rate = min(1.0, 0.1 * level)
            x = float(rng.binomial(5, rate)) / 5
            visits = 1 + int(rng.binomial(6, 0.5))
            out.append({"x": x, "outcomes": [float(rng.random() < rate * (1 + lift)) for _ in range(visits)]})
    return out


def arm_parts(side):
    y = np.array([sum(u["outcomes"]) for u in side])
    d = np.array([len(u["outcomes"]) for u in side], dtype=float)
    x = np.array([u["x"] for u in side])
    n = len(side)
    cov = np.cov(np.vstack([y, d, x]), ddof=1)
    r = y.sum() / d.sum()
    dbar = d.mean()
    v = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * dbar * dbar)
    c = (cov[0, 2] - r * cov[1, 2]) / (n * dbar)
    vx = cov[2, 2] / n
    return {"r": r, "v": v, "c": c, "vx": vx, "xbar": x.mean(), "n": n, "xsum": x.sum()}


def case(name, n_a, n_b, lift, per_unit):
    a, b = units(n_a, 0, per_unit), units(n_b, lift, per_unit)
    pa, pb = arm_parts(a), arm_parts(b)
    theta = (pa["c"] + pb["c"]) / (pa["vx"] + pb["vx"])
    mu = (pa["xsum"] + pb["xsum"]) / (n_a + n_b)
    adjusted = lambda p: {"mean": p["r"] - theta * (p["xbar"] - mu), "variance": p["v"] - 2 * theta * p["c"] + theta * theta * p["vx"], "unadjustedVariance": p["v"]}
    out = {"name": name, "control": a, "treatment": b, "theta": theta, "controlAdjusted": adjusted(pa), "treatmentAdjusted": adjusted(pb)}
    if per_unit and n_a == n_b:
        y = np.array([u["outcomes"][0] for u in a + b])
        x = np.array([u["x"] for u in a + b])
        t = np.array([0.0] * n_a + [1.0] * n_b)
        fit = sm.OLS(y, sm.add_constant(np.column_stack([t, x]))).fit()
        out["ols"] = {"treatment": float(fit.params[1]), "x": float(fit.params[2])}
    return out


cases = [case("revenue per unit", 600, 600, 0.05, True), case("conversion per visit", 700, 650, 0.1, False)]
print(json.dumps({"made_with": {"numpy": np.__version__, "statsmodels": sm.__version__ if hasattr(sm, "__version__") else "0.15"}, "cases": cases}))
