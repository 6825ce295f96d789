"""Exact drift statistics with scipy, for operators/tests/drift_accuracy.rs.

Reads {"cases": [...]} on stdin; each case has the raw reference and current
values (null = missing), the bins mlobs used (numeric: edges; categorical: the
reference categories), and mlobs' own statistics. Prints, per case, scipy's
exact statistics on the raw data and on the same bins, plus the p-values
scipy's formulas give for mlobs' statistics and sample sizes.
"""
import json
import sys

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

EMPTY_BIN_SHARE = 0.0001  # mlobs' documented epsilon for empty bins


def binned(case, ref, cur):
    if case["kind"] == "numeric":
        edges = np.asarray(case["edges"], dtype=float)
        nbins = len(edges) + 1
        ref_counts = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=nbins)
        cur_counts = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=nbins)
    else:
        categories = case["categories"]
        index = {c: i for i, c in enumerate(categories)}
        other = len(categories)
        ref_counts = np.bincount([index.get(v, other) for v in ref], minlength=other + 1)
        cur_counts = np.bincount([index.get(v, other) for v in cur], minlength=other + 1)
    return ref_counts.astype(float), cur_counts.astype(float)


def ks_pvalue(d, n1, n2):
    # scipy.stats.ks_2samp(method="asymp"), two-sided, for a given statistic.
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(stats.distributions.kstwo.sf(d, np.round(en)), 0, 1))


def evaluate(case):
    clean = lambda xs: [x for x in xs if x is not None]
    ref, cur = clean(case["reference"]), clean(case["current"])
    if case["kind"] == "numeric":
        ref, cur = np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)
    out = {}
    ours = case["ours"]
    if case["kind"] == "numeric":
        ks = stats.ks_2samp(ref, cur, method="asymp")
        out["ks_statistic"] = float(ks.statistic)
        out["ks_p_value"] = float(ks.pvalue)
        out["ks_p_value_of_ours"] = ks_pvalue(ours["ks_statistic"], len(ref), len(cur))
        out["wasserstein"] = float(stats.wasserstein_distance(ref, cur))
    ref_counts, cur_counts = binned(case, ref, cur)
    p = ref_counts / ref_counts.sum()
    q = cur_counts / cur_counts.sum()
    pe, qe = np.where(p == 0, EMPTY_BIN_SHARE, p), np.where(q == 0, EMPTY_BIN_SHARE, q)
    out["psi"] = float(np.sum((qe - pe) * np.log(qe / pe)))
    out["jensen_shannon"] = float(jensenshannon(p, q))
    smoothed = np.where(p == 0, EMPTY_BIN_SHARE, p)
    expected = smoothed / smoothed.sum() * cur_counts.sum()
    chi = stats.chisquare(cur_counts, expected)
    out["chi2_statistic"] = float(chi.statistic)
    out["chi2_p_value"] = float(chi.pvalue)
    if ours.get("chi2_statistic") is not None:
        out["chi2_p_value_of_ours"] = float(stats.chi2.sf(ours["chi2_statistic"], len(p) - 1))
    # Two-proportion z-test on the first bin (binary features).
    x1, n1, x2, n2 = ref_counts[0], ref_counts.sum(), cur_counts[0], cur_counts.sum()
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    out["z_p_value"] = float(2 * stats.norm.sf(abs((x1 / n1 - x2 / n2) / np.sqrt(var)))) if var > 0 else 1.0
    return out


cases = json.load(sys.stdin)["cases"]
json.dump({c["name"]: evaluate(c) for c in cases}, sys.stdout)
