#!/usr/bin/env python3
"""How many gate series the trainer's quality gate needs (ACCURACY.md, "How many series the gate needs").

The five fine-tuned infection models of the labelling-order experiment are each worse than v9 over the 24 scans that
chose nothing in their runs (held-out seed 12's 20 chest scans and the pool's four unchosen ones). Gates of N of those
scans, drawn at random, decide as the trainer does (mean Dice, margin 0.005; a healthy scan marked clean scores 1, as
in the trainer): how often is a worse challenger published, and how often is the better one (v9, as the challenger
of each arm) refused? The same for a gate that also asks the challenger to be better on at least as many scans as it
is worse (by 0.001 or more). And for `--gate-rule NON_INFERIORITY`: the mean gate, and the 2.5th percentile of the
paired per-scan difference's bootstrap mean (1,000 resamples; the trainer draws 2,000) at or above -margin, with 5 gate
scans or more (fewer are refused); over the first 2,000 draws of each size (numpy).

    experiments/gate_size.py AL_DIR V9_HELDOUT_JSON
AL_DIR is experiments/labelling_order.py's OUT_DIR holding heldout-mix-<arm>.json, unused-<arm>.json and
unused-v9.json (`eval --json` outputs, commands in ACCURACY.md); V9_HELDOUT_JSON is v9's `eval --json` on held-out
seed 12.
"""
import json
import os
import random
import sys

import numpy as np

ARMS = ['S', 'M', 'R11', 'R12', 'R13']
MARGIN = 0.005
EQUAL_WITHIN = 0.001


def per_scan(path, prefix):
    out = {}
    for s in json.load(open(path))['scans']:
        d = s['infection_dice']
        out[prefix + s['scan_id']] = 1.0 if d == 'NaN' else float(d)
    return out


def mean_gate(c, h):
    return sum(c) / len(c) >= sum(h) / len(h) - MARGIN


def mean_and_count_gate(c, h):
    better = sum(1 for x, y in zip(c, h) if x - y >= EQUAL_WITHIN)
    worse = sum(1 for x, y in zip(c, h) if y - x >= EQUAL_WITHIN)
    return mean_gate(c, h) and better >= worse


MIN_SCANS = 5
NI_TRIALS = 2000
NI_RESAMPLES = 1000
NI_RNG = np.random.default_rng(20261207)
NI_DRAWS = {}


def non_inferiority_gate(c, h):
    n = len(c)
    if n < MIN_SCANS or not mean_gate(c, h):
        return False
    if n not in NI_DRAWS:
        NI_DRAWS[n] = NI_RNG.integers(0, n, size=(NI_RESAMPLES, n))
    d = np.array(c) - np.array(h)
    low = np.percentile(d[NI_DRAWS[n]].mean(axis=1), 2.5)
    return low >= -MARGIN


def main(al, v9_heldout):
    champion = {**per_scan(v9_heldout, 'heldout/'), **per_scan(os.path.join(al, 'unused-v9.json'), 'pool/')}
    arms = {a: {**per_scan(os.path.join(al, 'heldout-mix-%s.json' % a), 'heldout/'),
                **per_scan(os.path.join(al, 'unused-%s.json' % a), 'pool/')} for a in ARMS}
    scans = sorted(champion)
    print('%d scans; each arm minus v9 over all of them: %s' % (len(scans), ', '.join(
        '%s %+.4f' % (a, sum(arms[a][s] - champion[s] for s in scans) / len(scans)) for a in ARMS)))
    rng = random.Random(7)
    trials = 20000
    print('gate series | worse published: mean gate | better refused: mean gate | worse published: mean and count | '
          'better refused: mean and count | worse published: non-inferiority | better refused: non-inferiority')
    for n in (1, 2, 3, 4, 6, 8, 12, 16):
        r = [0, 0, 0, 0, 0, 0]
        for trial in range(trials):
            g = rng.sample(scans, n)
            h = [champion[s] for s in g]
            for a in ARMS:
                c = [arms[a][s] for s in g]
                r[0] += mean_gate(c, h)
                r[1] += not mean_gate(h, c)
                r[2] += mean_and_count_gate(c, h)
                r[3] += not mean_and_count_gate(h, c)
                if trial < NI_TRIALS:
                    r[4] += non_inferiority_gate(c, h)
                    r[5] += not non_inferiority_gate(h, c)
        t = trials * len(ARMS)
        ni = NI_TRIALS * len(ARMS)
        print('%d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f' % (n, r[0] / t, r[1] / t, r[2] / t, r[3] / t, r[4] / ni,
                                                               r[5] / ni))


if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
