"""Fit the weighted-evidence rule of the matcher (match.EVIDENCE_WEIGHTS, EVIDENCE_MIN) on TRAIN.

The rule decides only the pairs no other rule decides: authors compatible or strong, no year,
edition, format or extent contradicting, cleaned titles of EVIDENCE_MIN_WORDS words or more
agreeing at EVIDENCE_TITLE_FLOOR or more. This script collects exactly those pairs from the
train splits (DBLP-ACM and DBLP-Scholar together), fits a logistic regression on their features
(match.evidence_features) by plain gradient descent (no dependency), and picks the threshold:
the lowest score at which the pairs the rule adds are still right at least EVIDENCE_PRECISION of
the time on train. It prints the constants to paste into match.py. Valid is never read.

    .venv/bin/python bench/fit_match_weights.py
    .venv/bin/python bench/fit_match_weights.py --data ../shared/data/dedup --split train
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_benchmark import DATASETS, DEFAULT_DATA, _side, read_pairs  # noqa: E402

from federator.dedup.keys import record_keys  # noqa: E402

M = importlib.import_module("federator.dedup.match")  # the module (federator.dedup.match is also a function)

FEATURES = ("title", "covered", "first_word", "series_agree", "series_differ", "strong", "authors_found", "same_year", "year_cited")
# The pairs the rule adds must be right this often on train (precision first: a false merge is
# worse than a missed duplicate, so the margin is well above the F1-optimal ~0.5).
EVIDENCE_PRECISION = 0.85
L2 = 0.0001
STEPS = 50  # Newton iterations (it converges in about 8)


def region(data: Path, split: str) -> list[tuple[dict[str, float], bool, str]]:
    """(features, label, dataset) of every labelled pair the evidence rule would be asked about."""
    saved = M.EVIDENCE_MIN
    M.EVIDENCE_MIN = float("inf")  # the other rules alone
    out = []
    try:
        for ds in DATASETS:
            for row in read_pairs(data / ds / f"{split}.csv"):
                ka, kb = record_keys(_side(row, "left", "l")), record_keys(_side(row, "right", "r"))
                if M.match_keys(ka, kb).level == "edition":
                    continue
                if ka.year is not None and kb.year is not None and ka.year != kb.year:
                    continue
                if M.edition_conflict(ka, kb) or M.format_conflict(ka, kb) or M.extent_conflict(ka, kb):
                    continue
                ag = M.author_agreement(ka, kb)
                if ag.level not in ("compatible", "strong"):
                    continue
                f = M.evidence_features(ka, kb, ag)
                if f is not None:
                    out.append((f, row["label"].strip() == "1", ds))
    finally:
        M.EVIDENCE_MIN = saved
    return out


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """a x = b by Gaussian elimination with partial pivoting (a is small and well conditioned by L2)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(samples: list[tuple[dict[str, float], bool, str]]) -> dict[str, float]:
    """Logistic regression by Newton's method (L2 penalty L2 on the weights, not the bias)."""
    names = ("bias", *FEATURES)
    xs = [[1.0, *(f[k] for k in FEATURES)] for f, _, _ in samples]
    ys = [1.0 if y else 0.0 for _, y, _ in samples]
    w = [0.0] * len(names)
    for _ in range(STEPS):
        grad = [0.0] * len(w)
        hess = [[0.0] * len(w) for _ in w]
        for x, y in zip(xs, ys):
            z = sum(wi * xi for wi, xi in zip(w, x))
            p = 1.0 / (1.0 + math.exp(-z))
            for i, xi in enumerate(x):
                grad[i] += (p - y) * xi
                for j, xj in enumerate(x):
                    hess[i][j] += p * (1 - p) * xi * xj
        for i in range(1, len(w)):
            grad[i] += L2 * len(xs) * w[i]
            hess[i][i] += L2 * len(xs)
        step = _solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step)]
        if max(map(abs, step)) < 1e-9:
            break
    return dict(zip(names, w))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--split", default="train")
    args = ap.parse_args()
    if args.split != "train":
        print("note: fitting on", args.split, "(the constants in match.py are fitted on train)")
    samples = region(args.data, args.split)
    pos = sum(y for _, y, _ in samples)
    print(f"{len(samples)} pairs reach the evidence rule on {args.split} ({pos} duplicates)")
    w = fit(samples)
    scored = sorted(((w["bias"] + sum(w[k] * f[k] for k in FEATURES), y, ds) for f, y, ds in samples), reverse=True)
    print("\nscore    added TP  added FP  precision of additions  (cumulative, best score first)")
    threshold = math.inf
    tp = fp = 0
    for i, (z, y, _ds) in enumerate(scored):
        tp += y
        fp += not y
        last = i + 1 == len(scored) or scored[i + 1][0] < z
        if last:
            prec = tp / (tp + fp)
            if prec >= EVIDENCE_PRECISION:
                threshold = z
            if i < 400 and (i % 10 == 0 or prec >= EVIDENCE_PRECISION - 0.05):
                print(f"{z:7.3f}  {tp:8d}  {fp:8d}  {prec:.3f}")
    chosen = [(y, ds) for z, y, ds in scored if z >= threshold]
    for ds in DATASETS:
        added = [y for y, d in chosen if d == ds]
        print(f"{ds}: the rule adds {sum(added)} duplicates and {len(added) - sum(added)} false merges on {args.split}")
    print("\nEVIDENCE_WEIGHTS = {")
    for k, v in w.items():
        print(f'    "{k}": {v:.3f},')
    print("}")
    print(f"EVIDENCE_MIN = {threshold:.3f}")


if __name__ == "__main__":
    main()
