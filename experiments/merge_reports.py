#!/usr/bin/env python3
"""One `radstream eval --json` report of several cohorts' reports of one method, for `radstream compare`.

Each cohort's scan ids are prefixed with its name ("s17/scan-0021"), so that scans of different cohorts that share an
id stay apart; chest and abdominal rows are both carried. The figures at the top of the report are the first
report's; `compare` recomputes every figure from the rows.

    experiments/merge_reports.py OUT.json NAME=REPORT.json NAME=REPORT.json ...
"""
import json
import sys


def main(out_path, parts):
    out = None
    names = []
    for part in parts:
        name, _, path = part.partition('=')
        if not path:
            raise SystemExit('expected NAME=REPORT.json, got ' + part)
        report = json.load(open(path))
        for key in ('scans', 'abdomen_scans'):
            for row in report.get(key, []):
                row['scan_id'] = name + '/' + row['scan_id']
        names.append(name)
        if out is None:
            out = report
            out.setdefault('abdomen_scans', [])
        else:
            out['scans'] += report.get('scans', [])
            out['abdomen_scans'] += report.get('abdomen_scans', [])
    out['cohort'] = ' + '.join(names)
    json.dump(out, open(out_path, 'w'))


if __name__ == '__main__':
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
