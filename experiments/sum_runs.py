#!/usr/bin/env python3
"""Several training runs of one recipe against one baseline, each scored on the same scans: is the recipe better on
average, over runs as well as over scans?

`radstream compare` pairs two reports over their scans; its interval says what other scans would show for those
weights, not what another training run would give. This pools the runs: for each run, the mean over the scans of the
per-scan difference (run − baseline, and run − its own control where one is given), then over the runs their mean,
a t interval over the runs (the scans held fixed) and an interval from resampling runs and scans together.

    experiments/sum_runs.py BASELINE.json RUN=REPORT.json[:CONTROL.json] ...

Reports are `radstream eval --json` reports (or experiments/merge_reports.py's pools of them) over one set of
abdominal scans; a scan id missing from any report is an error.
"""
import json
import math
import random
import sys

FIGURES = (('vessel_dice', 'vessel Dice', 4), ('vessel_hd95_mm', 'vessel HD95 mm', 2))
RESAMPLES = 10000
SEED = 1
# two-sided 95% quantiles of Student's t by degrees of freedom
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086}


def rows(path):
    report = json.load(open(path))
    out = {r['scan_id']: r for r in report.get('abdomen_scans', [])}
    if not out:
        raise SystemExit(path + ': no abdominal scans')
    return out


def differences(a, b, key):
    """Per-scan a − b over the scans both score finitely, in the scans' order."""
    if set(a) != set(b):
        raise SystemExit('the reports score different abdominal scans (another cohort?)')
    out = []
    for scan in sorted(a):
        x, y = a[scan][key], b[scan][key]
        out.append(x - y if x is not None and y is not None and math.isfinite(x) and math.isfinite(y) else None)
    return out


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float('nan')


def over_runs(per_run):
    """Mean of the runs' figures, and its t interval over the runs."""
    n = len(per_run)
    m = sum(per_run) / n
    if n < 2:
        return m, float('nan'), float('nan')
    sd = math.sqrt(sum((x - m) ** 2 for x in per_run) / (n - 1))
    half = T95.get(n - 1, 1.96) * sd / math.sqrt(n)
    return m, m - half, m + half


def two_level(diffs, rng):
    """2.5th and 97.5th percentiles of the mean difference when runs and scans are both drawn again."""
    runs, scans = len(diffs), len(diffs[0])
    stats = []
    for _ in range(RESAMPLES):
        rs = [rng.randrange(runs) for _ in range(runs)]
        ss = [rng.randrange(scans) for _ in range(scans)]
        stats.append(mean([diffs[r][s] for r in rs for s in ss]))
    stats.sort()
    return stats[int(0.025 * RESAMPLES)], stats[int(0.975 * RESAMPLES) - 1]


def main(baseline_path, parts):
    baseline = rows(baseline_path)
    runs = []
    for part in parts:
        name, _, paths = part.partition('=')
        if not paths:
            raise SystemExit('expected RUN=REPORT.json[:CONTROL.json], got ' + part)
        run, _, control = paths.partition(':')
        runs.append((name, rows(run), rows(control) if control else None))
    with_control = all(c is not None for _, _, c in runs)
    rng = random.Random(SEED)
    for key, label, digits in FIGURES:
        against_base = [differences(r, baseline, key) for _, r, _ in runs]
        against_control = [differences(r, c, key) for _, r, c in runs] if with_control else None
        print(f'{label} over {len(baseline)} scans, {len(runs)} runs')
        print('| run | run − baseline |' + (' run − its control |' if with_control else ''))
        print('|---|---|' + ('---|' if with_control else ''))
        for i, (name, _, _) in enumerate(runs):
            line = f'| {name} | {mean(against_base[i]):+.{digits}f} |'
            if with_control:
                line += f' {mean(against_control[i]):+.{digits}f} |'
            print(line)
        for what, diffs in (('baseline', against_base), ('control', against_control)):
            if diffs is None:
                continue
            per_run = [mean(d) for d in diffs]
            m, lo, hi = over_runs(per_run)
            blo, bhi = two_level(diffs, rng)
            better = sum(1 for x in per_run if (x > 0) == (key == 'vessel_dice'))
            print(f'run − {what}: mean {m:+.{digits}f}, t 95% over runs [{lo:+.{digits}f}, {hi:+.{digits}f}], '
                  f'runs and scans resampled [{blo:+.{digits}f}, {bhi:+.{digits}f}]; '
                  f'better in {better} of {len(per_run)} runs')
        print()


if __name__ == '__main__':
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
