#!/usr/bin/python3
"""Reference values for evolvd's statistics, made with scipy and statsmodels.

Run with Debian's python3-scipy and python3-statsmodels:
    /usr/bin/python3 scripts/make-stats-fixtures.py > tests/fixtures/stats.json
The tests compare src/stats against this JSON to 1e-6 relative and need no Python.
"""
import json
import math

import numpy as np
import scipy
import statsmodels
from scipy import integrate, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

rng = np.random.default_rng(20261121)


def moments(x):
    x = np.asarray(x, dtype=float)
    return {"n": int(x.size), "sum": float(x.sum()), "sumSquares": float((x * x).sum())}


def welch_cases():
    cases = []
    for i, (n_a, n_b, m_a, m_b, s_a, s_b, alpha) in enumerate([
        (50, 60, 10.0, 11.0, 3.0, 4.0, 0.05),
        (1000, 800, 25.0, 25.3, 7.0, 9.0, 0.05),
        (20, 200, 100.0, 96.0, 15.0, 5.0, 0.1),
        (5000, 5000, 3.2, 3.25, 1.1, 1.2, 0.01),
    ]):
        a = rng.normal(m_a, s_a, n_a)
        b = rng.normal(m_b, s_b, n_b)
        cm = CompareMeans(DescrStatsW(b), DescrStatsW(a))  # treatment − control
        t, p, df = cm.ttest_ind(usevar="unequal")
        lo, hi = cm.tconfint_diff(alpha=alpha, usevar="unequal")
        ma, mb = a.mean(), b.mean()
        va, vb = a.var(ddof=1), b.var(ddof=1)
        # Delta method for the relative lift, as specified in the statistics issue.
        rel = (mb - ma) / abs(ma)
        rel_se = math.sqrt(vb / (n_b * ma**2) + va * mb**2 / (n_a * ma**4))
        rel_p = 2 * stats.t.sf(abs(rel / rel_se), df)
        q = stats.t.ppf(1 - alpha / 2, df)
        cases.append({
            "name": f"welch-{i}", "kind": "mean", "alpha": alpha,
            "control": moments(a), "treatment": moments(b),
            "absolute": {"effect": float(mb - ma), "se": float(math.sqrt(va / n_a + vb / n_b)), "df": float(df), "pValue": float(p), "ci": [float(lo), float(hi)], "t": float(t)},
            "relative": {"effect": rel, "se": rel_se, "pValue": float(rel_p), "ci": [rel - q * rel_se, rel + q * rel_se]},
        })
    return cases


def proportion_cases():
    cases = []
    for i, (n_a, x_a, n_b, x_b, alpha) in enumerate([(10000, 1000, 10000, 1080, 0.05), (2500, 300, 2600, 270, 0.05), (150000, 15100, 149000, 15800, 0.01)]):
        pa, pb = x_a / n_a, x_b / n_b
        va, vb = pa * (1 - pa), pb * (1 - pb)
        se = math.sqrt(va / n_a + vb / n_b)
        df = (va / n_a + vb / n_b) ** 2 / ((va / n_a) ** 2 / (n_a - 1) + (vb / n_b) ** 2 / (n_b - 1))
        eff = pb - pa
        p = 2 * stats.t.sf(abs(eff / se), df)
        q = stats.t.ppf(1 - alpha / 2, df)
        rel = eff / pa
        rel_se = math.sqrt(vb / (n_b * pa**2) + va * pb**2 / (n_a * pa**4))
        cases.append({
            "name": f"proportion-{i}", "kind": "proportion", "alpha": alpha,
            "control": {"n": n_a, "successes": x_a}, "treatment": {"n": n_b, "successes": x_b},
            "absolute": {"effect": eff, "se": se, "df": df, "pValue": float(p), "ci": [eff - q * se, eff + q * se]},
            "relative": {"effect": rel, "se": rel_se, "pValue": float(2 * stats.t.sf(abs(rel / rel_se), df)), "ci": [rel - q * rel_se, rel + q * rel_se]},
        })
    return cases


def sequential_cases():
    """Normal-mixture confidence sequence: half-width and always-valid p-value, from the formulas."""
    cases = []
    for effect, se, n, alpha, tuning in [(0.01, 0.004, 20000, 0.05, 10000), (-0.3, 0.2, 500, 0.05, 5000), (0.002, 0.001, 400000, 0.01, 100000), (0.05, 0.02, 3000, 0.1, 3000)]:
        s2 = se * se * n
        rho2 = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning
        half = math.sqrt(s2) * math.sqrt(2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha))
        # mSPRT likelihood ratio with mixing variance tau² = s²ρ² and estimator variance V = s²/N.
        v, tau2 = s2 / n, s2 * rho2
        lam = math.sqrt(v / (v + tau2)) * math.exp(effect**2 * tau2 / (2 * v * (v + tau2)))
        cases.append({"effect": effect, "se": se, "n": n, "alpha": alpha, "tuning": tuning, "halfWidth": half, "pValue": min(1.0, 1 / lam)})
    return cases


def srm_cases():
    out = []
    for observed, weights in [([5000, 5100], [0.5, 0.5]), ([10000, 10400, 9800], [1, 1, 1]), ([900, 2100], [0.3, 0.7]), ([4811, 5189], [0.5, 0.5])]:
        total = sum(observed)
        expected = [total * w / sum(weights) for w in weights]
        chi, p = stats.chisquare(observed, expected)
        out.append({"observed": observed, "weights": weights, "chiSquare": float(chi), "pValue": float(p)})
    return out


def adjust_cases():
    out = []
    for p in [[0.01, 0.04, 0.03, 0.005], [0.2, 0.001, 0.05, 0.049, 0.5, 0.01], [0.04, 0.04, 0.04]]:
        out.append({"pValues": p, "holm": multipletests(p, method="holm")[1].tolist(), "bh": multipletests(p, method="fdr_bh")[1].tolist()})
    return out


def bayes_cases():
    out = []
    for effect, se, direction, prior in [(0.02, 0.01, "increase", None), (-0.01, 0.02, "increase", None), (0.03, 0.01, "decrease", None), (0.05, 0.03, "increase", {"mean": 0.0, "variance": 0.0009})]:
        mean, var = effect, se * se
        if prior:
            prec = 1 / prior["variance"] + 1 / var
            mean = (prior["mean"] / prior["variance"] + effect / var) / prec
            var = 1 / prec
        sd = math.sqrt(var)
        post = stats.norm(mean, sd)
        if direction == "increase":
            ctw = post.sf(0)
            loss = integrate.quad(lambda x: max(0.0, -x) * post.pdf(x), mean - 12 * sd, mean + 12 * sd, points=[0.0], epsabs=1e-14, epsrel=1e-12)[0]
        else:
            ctw = post.cdf(0)
            loss = integrate.quad(lambda x: max(0.0, x) * post.pdf(x), mean - 12 * sd, mean + 12 * sd, points=[0.0], epsabs=1e-14, epsrel=1e-12)[0]
        out.append({"effect": effect, "se": se, "direction": direction, "prior": prior, "chanceToWin": float(ctw), "expectedLoss": float(loss)})
    return out


def beta_cases():
    out = []
    for a_s, a_n, b_s, b_n in [(10, 100, 15, 100), (120, 1000, 100, 1000), (3, 20, 3, 20), (500, 4000, 540, 4000)]:
        aa, ba, ab, bb = a_s + 1, a_n - a_s + 1, b_s + 1, b_n - b_s + 1
        pa, pb = stats.beta(aa, ba), stats.beta(ab, bb)
        lo, hi = min(pa.ppf(1e-12), pb.ppf(1e-12)), max(pa.isf(1e-12), pb.isf(1e-12))
        value = integrate.quad(lambda x: pb.pdf(x) * pa.cdf(x), lo, hi, limit=500, epsabs=1e-13, epsrel=1e-11)[0]
        out.append({"alphaA": aa, "betaA": ba, "alphaB": ab, "betaB": bb, "probabilityBBeatsA": value})
    return out


def mann_whitney_cases():
    out = []
    for x, y in [
        (rng.lognormal(5.0, 0.4, 40).round(0).tolist(), rng.lognormal(5.1, 0.4, 55).round(0).tolist()),
        ([1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 4, 4, 5, 6, 6, 7, 8]),
        (rng.normal(0, 1, 300).round(1).tolist(), rng.normal(0.1, 1, 250).round(1).tolist()),
    ]:
        r = stats.mannwhitneyu(x, y, use_continuity=True, alternative="two-sided", method="asymptotic")
        # scipy reports U of x: U_x = R_x − n_x(n_x+1)/2.
        ranks = stats.rankdata(np.concatenate([x, y]))
        u_x = ranks[: len(x)].sum() - len(x) * (len(x) + 1) / 2
        out.append({"x": x, "y": y, "u": float(u_x), "pValue": float(r.pvalue)})
    return out


def power_cases():
    out = []
    for mean, sd, mde, alpha, power in [(25.0, 9.0, 0.02, 0.05, 0.8), (3.2, 1.1, 0.05, 0.01, 0.9)]:
        d = mean * mde / sd
        n = NormalIndPower().solve_power(effect_size=d, alpha=alpha, power=power, ratio=1.0, alternative="two-sided")
        achieved = NormalIndPower().power(effect_size=d, nobs1=1000, alpha=alpha, ratio=1.0, alternative="two-sided")
        out.append({"kind": "mean", "mean": mean, "variance": sd * sd, "mde": mde, "alpha": alpha, "power": power, "n": math.ceil(n), "powerAt1000": float(achieved)})
    for p, mde, alpha, power in [(0.1, 0.05, 0.05, 0.8), (0.02, 0.1, 0.05, 0.9)]:
        p2 = p * (1 + mde)
        z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
        n = z * z * (p * (1 - p) + p2 * (1 - p2)) / (p2 - p) ** 2
        se = math.sqrt((p * (1 - p) + p2 * (1 - p2)) / 1000)
        out.append({"kind": "proportion", "mean": p, "mde": mde, "alpha": alpha, "power": power, "n": math.ceil(n), "powerAt1000": float(stats.norm.cdf(abs(p2 - p) / se - stats.norm.ppf(1 - alpha / 2)) + stats.norm.cdf(-abs(p2 - p) / se - stats.norm.ppf(1 - alpha / 2)))})
    return out


def quantile_cases():
    values = rng.lognormal(3.0, 1.2, 501).round(2).tolist()
    return [{"values": values, "quantile": q, "value": float(np.quantile(values, q))} for q in (0.5, 0.9, 0.99, 1.0)]


print(json.dumps({
    "generator": f"scripts/make-stats-fixtures.py with scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, numpy {np.__version__}",
    "welch": welch_cases(),
    "proportions": proportion_cases(),
    "sequential": sequential_cases(),
    "srm": srm_cases(),
    "adjust": adjust_cases(),
    "bayes": bayes_cases(),
    "beta": beta_cases(),
    "mannWhitney": mann_whitney_cases(),
    "power": power_cases(),
    "quantiles": quantile_cases(),
}, indent=1))
