#!/usr/bin/env python3
"""Compares rules for GRAPPA's automatic λ offline, on the feature file grappa-auto-bench
writes with --features (one JSON line per scan: the oracle grid, the ACS fit's residual,
degrees of freedom, weight norm and eigenvalue quantiles for every support and λ, the true
noise and the measured lines' energies). Every rule keeps the support the lattice-line proxies
chose and picks λ_rel on the grid; its NRMSE is read from the grid, relative to the oracle.

Usage: python3 Lab/scripts/grappa_auto_features.py FEATURES.jsonl [...]
Reproduces BENCHMARKS.md's "The λ rule's ingredients" and the noise-estimate quantiles.
"""
import collections
import json
import math
import sys

import numpy as np
from blas_kernel import print_kernel


def load(paths):
    cases = []
    for path in paths:
        for line in open(path):
            if line.strip():
                c = json.loads(line)
                c["lambdas"] = [float(x) for x in c["lambdas"]]
                cases.append(c)
    return cases


def mp_quantile(p, gamma, steps=4000):
    """p-quantile of the Marchenko–Pastur law of eig(AᴴA/rows), gamma = columns/rows."""
    if gamma > 1:
        zero = 1 - 1 / gamma
        return 0.0 if p <= zero else gamma * mp_quantile((p - zero) / (1 - zero), 1 / gamma, steps)
    a, b = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2
    theta = np.linspace(0, math.pi, steps + 1)
    x = a + (b - a) * (1 - np.cos(theta)) / 2
    s = (b - a) / 2 * np.sin(theta)
    w = np.where(x > 0, s * s / (2 * math.pi * gamma * np.maximum(x, 1e-300)), b / (2 * math.pi * gamma))
    cdf = np.concatenate([[0], np.cumsum((w[1:] + w[:-1]) / 2 * np.diff(theta))])
    return float(np.interp(p * cdf[-1], cdf, x))


def noise_mp(c, support, q=0.1):
    f = c["supports"][support]
    return f["eig_quantiles"][2] / (f["rows"] * mp_quantile(q, f["unknowns"] / f["rows"]))


def size(g):
    lines, readout = g.split("x")
    return int(lines) * int(readout)


def noise_rule(c):
    """The library's choice: the smallest support of ≥ 5 readout samples with ≥ 192 unknowns."""
    wide = sorted((g for g in c["supports"] if int(g.split("x")[1]) >= 5), key=size)
    pick = next((g for g in wide if c["coils"] * size(g) >= 192), wide[-1])
    return noise_mp(c, pick)


def missing_energy(c, s2):
    e = np.array(c["row_energy"], float)
    measured = np.where(e >= 0)[0]
    clean = np.maximum(e[measured] - c["coils"] * c["nx"] * s2, 0)
    missing = np.array([y for y in range(len(e)) if e[y] < 0])
    return float(np.interp(missing, measured, clean).sum()), len(missing)


def ridge_terms(f, s2, lambdas):
    """Per λ_rel of one ACS fit `f` (its residual, degrees of freedom and weight norm): the GCV,
    the model error (the GCV less the targets' noise and the noise the kernel passes) and the
    passed noise σ²‖W‖²; λ where the GCV denominator vanishes left out."""
    n, t = f["rows"], f["targets"]
    out = {}
    for lam, rss, df, w2 in zip(lambdas, f["residual"], f["freedom"], f["weight_norm"]):
        if df >= 0.99 * n:
            continue
        gcv = (rss / n) / (1 - df / n) ** 2
        passed = s2 * w2
        out[lam] = (gcv, max(gcv - t * s2 - passed, 0), passed)
    return out


def risk_terms(c, s2):
    """Per (support, λ_rel): the expected error's model term over the missing samples before
    the energy ratio, that ratio, its noise term, and the GCV."""
    out = {}
    emiss, nmiss = missing_energy(c, s2)
    k = nmiss * c["nx"] / (c["R"] - 1)
    for g, f in c["supports"].items():
        n, t, eb = f["rows"], f["targets"], f["target_energy"]
        ratio = (emiss / k) / (max(eb - n * t * s2, 1e-30) / n)
        for lam, (gcv, model, passed) in ridge_terms(f, s2, c["lambdas"]).items():
            out[(g, lam)] = (k * model, ratio, k * passed, gcv)
    return out


def risks(c, s2, power=1.0, weight=1.0, scale=True):
    """Expected squared error over the missing samples for every (support, λ_rel)."""
    return {key: model * ratio ** power + weight * passed if scale else gcv
            for key, (model, ratio, passed, gcv) in risk_terms(c, s2).items()}


def proxies_support(c):
    return c["auto_choice"].split("|")[0]


def rule(score, support="proxies", lmin=1e-5):
    def choose(c):
        s = score(c)
        keep = {key: v for key, v in s.items() if key[1] >= lmin * 0.99 and (support == "any" or key[0] == proxies_support(c))}
        return min(keep.items(), key=lambda kv: kv[1])[0]
    return choose


def evaluate(cases, choose, label):
    ratios, worse = [], 0
    for c in cases:
        oracle = min(c["grid"].values())
        g, lam = choose(c)
        e = c["grid"][f"{g}|{float(lam)}"]
        ratios.append(e / oracle)
        worse += e > 1.01 * c["default"]
    r = np.array(ratios)
    print(f"| {label} | {r.mean():.3f} | {r.max():.3f} | {(r <= 1.03).sum()} of {len(r)} | {worse} |")


def main():
    print_kernel()
    cases = load(sys.argv[1:])
    print(f"{len(cases)} cases (proxies' support unless said; NRMSE / oracle)\n")
    print("| rule | mean | worst | within 3 % | worse than classic by > 1 % |")
    print("|---|---|---|---|---|")
    evaluate(cases, lambda c: ("4x5", 1e-4), "classic 4 × 5, λ_rel 1e-4")
    evaluate(cases, rule(lambda c: risks(c, c["sigma2_true"], scale=False)), "GCV of the ACS fit alone")
    evaluate(cases, rule(lambda c: risks(c, c["sigma2_true"])), "expected error, true σ²")
    evaluate(cases, rule(lambda c: risks(c, noise_rule(c))), "expected error, Marchenko–Pastur σ² (the rule)")
    evaluate(cases, rule(lambda c: risks(c, noise_rule(c)), support="any"), "expected error choosing the support too")

    def with_four_line_twin(c):
        """At R ≤ 4, the proxies' support or its 4-line twin, whichever the expected error prefers."""
        s, g = risks(c, noise_rule(c)), proxies_support(c)
        allowed = {g, "4x" + g.split("x")[1]} if c["R"] <= 4 else {g}
        keep = {key: v for key, v in s.items() if key[1] >= 0.99e-5 and key[0] in allowed}
        return min(keep.items(), key=lambda kv: kv[1])[0]
    evaluate(cases, with_four_line_twin, "expected error choosing between the proxies' support and its 4-line twin, R ≤ 4")

    def oracle_lambda(c):
        g = proxies_support(c)
        key = min((k for k in c["grid"] if k.startswith(g + "|")), key=c["grid"].get)
        return g, float(key.split("|")[1])
    evaluate(cases, oracle_lambda, "proxies' support, oracle's λ")
    print("\nSweep of the model term's power and the noise term's weight (MP σ²):\n")
    print("| rule | mean | worst | within 3 % | worse than classic by > 1 % |")
    print("|---|---|---|---|---|")
    for power in [0.8, 0.9, 1.0]:
        for weight in [0.7, 1.0, 1.5]:
            evaluate(cases, rule(lambda c: risks(c, noise_rule(c), power, weight)), f"power {power}, weight {weight}")
    if all("proxies" in c for c in cases):
        transport(cases)
    print("\nNoise estimate / true noise (10 % eigenvalue quantile against Marchenko–Pastur):\n")
    print("| support | coils | median | 5th percentile | 95th percentile | max |")
    print("|---|---|---|---|---|---|")
    groups = collections.defaultdict(list)
    for c in cases:
        for g in c["supports"]:
            groups[(g, c["coils"])].append(noise_mp(c, g) / c["sigma2_true"])
        groups[("the rule", c["coils"])].append(noise_rule(c) / c["sigma2_true"])
    for (g, coils), v in sorted(groups.items()):
        v = np.array(v)
        print(f"| {g} | {coils} | {np.median(v):.2f} | {np.percentile(v, 5):.2f} | {np.percentile(v, 95):.2f} | {v.max():.2f} |")


def kernel_terms(c, s2):
    """Per λ_rel: the expected error's model and noise terms for the proxies' support."""
    g = proxies_support(c)
    return {lam: (model * ratio, passed) for (support, lam), (model, ratio, passed, _) in risk_terms(c, s2).items()
            if support == g and lam >= 0.99e-5}


def proxy_terms(c, s2):
    """Per λ_rel: the proxy's predicted model term on the lattice lines outside the ACS
    (its ACS model error scaled by their energy), its noise term, and its measured error there."""
    p = c["proxies"].get(proxies_support(c))
    if p is None or p["validation_rows"] == 0:
        return None
    n, t, vr = p["rows"], p["targets"], p["validation_rows"]
    ratio = ((p["validation_energy"] - vr * t * s2) / vr) / (max(p["target_energy"] - n * t * s2, 1e-30) / n)
    validation = dict(zip(c["lambdas"], p["validation"]))
    return {lam: (model * ratio, passed + t * s2, validation[lam] / vr)
            for lam, (_, model, passed) in ridge_terms(p, s2, c["lambdas"]).items() if lam >= 0.99e-5}


def with_transport(c, tau):
    terms = kernel_terms(c, noise_rule(c))
    return proxies_support(c), min(terms, key=lambda lam: tau * terms[lam][0] + terms[lam][1])


def measured_transport(c):
    """Model error measured on the lattice lines / predicted, at the proxy's best λ (≥ 1)."""
    p = proxy_terms(c, noise_rule(c))
    if p is None:
        return 1.0
    model, noise, error = p[min(p, key=lambda lam: p[lam][2])]
    return max(1.0, (error - noise) / model) if model > 0 else 1.0


def calibrated_transport(c, grid=(0.25, 0.5, 1, 2, 4, 8, 16, 32)):
    """The factor with which the expected error picks the proxy's own best λ (nearest 1 on ties)."""
    p = proxy_terms(c, noise_rule(c))
    if p is None:
        return 1.0
    least = min(v[2] for v in p.values())
    def score(tau):
        lam = min(p, key=lambda l: tau * p[l][0] + p[l][1])
        return round(p[lam][2] / least, 3), abs(math.log(tau))
    return min(grid, key=score)


def transport(cases):
    """The model term scaled by a transport factor: constant, measured on the proxies, or ideal."""
    print("\nThe model term scaled by a transport factor τ (MP σ², proxies' support):\n")
    print("| rule | mean | worst | within 3 % | worse than classic by > 1 % |")
    print("|---|---|---|---|---|")
    for tau in [0.5, 1, 2, 4]:
        evaluate(cases, lambda c: with_transport(c, tau), f"τ = {tau} for every scan")
    evaluate(cases, lambda c: with_transport(c, measured_transport(c)), "τ measured on the proxies at their best λ (≥ 1)")
    evaluate(cases, lambda c: with_transport(c, calibrated_transport(c)), "τ with which the expected error picks the proxy's best λ")
    grid = [0.25, 0.5, 1, 2, 4, 8, 16, 32]
    def ideal(c):
        oracle = min(c["grid"].values())
        return min((with_transport(c, tau) for tau in grid), key=lambda gl: c["grid"][f"{gl[0]}|{float(gl[1])}"] / oracle)
    evaluate(cases, ideal, "best τ of 0.25…32 for each scan (needs the noise-free image)")


if __name__ == "__main__":
    main()
