#!/usr/bin/env python3
"""Training cohorts of the labelling-order experiment (ACCURACY.md, "Does labelling the least stable first train better?").

Five pool scans are chosen per arm: the least stable under the shipped infection model (its eval JSON), the most
stable, or at random (seeds 11, 12, 13); three fixed pool scans are never chosen and are every arm's validation set.
Each arm's cohort holds its five scans, ten scans of another seed standing for the labels already held (replayed so
that the network does not forget them), and the three validation scans where the trainer holds out every fifth scan
(indices 4, 9 and 14). Scan folders are linked, not copied; the manifest keeps the pool's seed.

    experiments/labelling_order.py POOL_DIR REPLAY_DIR POOL_EVAL_JSON OUT_DIR
writes OUT_DIR/arms.json and OUT_DIR/mix-<arm>/ for the arms S, M, R11, R12, R13, and OUT_DIR/pool-unused/: the pool
scans no arm chose and outside the validation set, which chose nothing in any arm's run (ACCURACY.md, "The gate
judged on the scans that chose the reading").
"""
import json
import os
import random
import sys

VALIDATION = ['scan-0024', 'scan-0017', 'scan-0021']


def arms(pool_eval):
    stability = {s['scan_id']: s['infection_stability'] for s in pool_eval['scans'] if s['scan_id'] not in VALIDATION}
    candidates = sorted(stability)
    ranked = sorted(candidates, key=lambda i: (stability[i], i))
    out = {'S': ranked[:5], 'M': ranked[-5:]}
    for seed in (11, 12, 13):
        out['R%d' % seed] = sorted(random.Random(seed).sample(candidates, 5))
    return out


def cohort(pool, replay, dst, chosen):
    pm = json.load(open(os.path.join(pool, 'manifest.json')))
    rm = json.load(open(os.path.join(replay, 'manifest.json')))
    by = {('p', s['scanId']): s for s in pm['scans']}
    by.update({('r', s['scanId']): s for s in rm['scans']})
    train = [('p', i) for i in chosen] + [('r', s['scanId']) for s in rm['scans'] if s['kind'] == 'chest']
    if len(train) != 15 or set(chosen) & set(VALIDATION):
        raise SystemExit('an arm takes 5 pool scans outside the validation set, and 10 chest scans to replay')
    v = [('p', i) for i in VALIDATION]
    order = train[:4] + v[:1] + train[4:8] + v[1:2] + train[8:12] + v[2:] + train[12:]
    os.makedirs(dst, exist_ok=True)
    scans, patients = [], []
    for src, sid in order:
        manifest, base = (pm, pool) if src == 'p' else (rm, replay)
        s = dict(by[(src, sid)])
        name = sid if src == 'p' else 'replay-' + sid[len('scan-'):]
        s['scanId'] = name
        s['dicomDir'] = name + '/dicom'
        s['truthFiles'] = {k: name + '/' + f.split('/', 1)[1] for k, f in s['truthFiles'].items()}
        link = os.path.join(dst, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(os.path.abspath(base), sid), link)
        scans.append(s)
        patients += [dict(p, scanIds=[name]) for p in manifest['patients'] if p['patientId'] == s['patientId']]
    out = dict(pm, scans=scans, patients=patients, pairs=[], alertPairs=[])
    json.dump(out, open(os.path.join(dst, 'manifest.json'), 'w'), indent=1)


def unchosen(pool, dst, chosen):
    pm = json.load(open(os.path.join(pool, 'manifest.json')))
    taken = set(VALIDATION).union(*chosen.values())
    scans = [s for s in pm['scans'] if s['scanId'] not in taken]
    os.makedirs(dst, exist_ok=True)
    for s in scans:
        link = os.path.join(dst, s['scanId'])
        if not os.path.lexists(link):
            os.symlink(os.path.join(os.path.abspath(pool), s['scanId']), link)
    ids = {s['scanId'] for s in scans}
    patients = [dict(p, scanIds=[i for i in p['scanIds'] if i in ids]) for p in pm['patients']
                if any(i in ids for i in p['scanIds'])]
    json.dump(dict(pm, scans=scans, patients=patients, pairs=[], alertPairs=[]),
              open(os.path.join(dst, 'manifest.json'), 'w'), indent=1)
    return sorted(ids)


def main(pool, replay, pool_eval, out):
    chosen = arms(json.load(open(pool_eval)))
    os.makedirs(out, exist_ok=True)
    json.dump(chosen, open(os.path.join(out, 'arms.json'), 'w'), indent=1)
    for arm, ids in chosen.items():
        cohort(pool, replay, os.path.join(out, 'mix-' + arm), ids)
        print(arm, ' '.join(ids))
    print('unused', ' '.join(unchosen(pool, os.path.join(out, 'pool-unused'), chosen)))


if __name__ == '__main__':
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
