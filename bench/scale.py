#!/usr/bin/env python3
"""A synthetic format-2 project of N users, for checking that the cost of
`caseshare check` grows linearly with the project (issue 7 brings the full
generator and benchmark). Usage: python3 bench/scale.py N OUT_DIR

20 case-sharing apps, N/10 case-sharing groups, N/50 villages under one district;
four users in five are in one group, the fifth owns cases through a village;
users in files of 1,000. Deterministic."""
import os, shutil, sys
n = int(sys.argv[1]); out = sys.argv[2]

shutil.rmtree(out, ignore_errors=True)
for d in ['apps','groups','users','locations']: os.makedirs(f'{out}/{d}')
napps = 20
open(f'{out}/project.yaml','w').write(f"""format_version: 2
domain: scale
case_sharing: true
roles:
  chw: {{apps: [{', '.join(f'app{i}' for i in range(napps))}]}}
location_types:
  - {{name: district, view_descendants: true}}
  - {{name: village, parent: district, shares_cases: true}}
""")
for i in range(napps):
    open(f'{out}/apps/app{i}.yaml','w').write(f"""format_version: 2
name: App {i}
commcare_version: "2.53.0"
case_sharing: true
modules:
  - name: Pregnancy
    case_type: pregnancy
    forms:
      - {{name: Register, opens: [{{}}]}}
      - {{name: Visit, requires: case, opens: [{{case_type: referral}}]}}
  - name: Referral {i}
    case_type: referral
    forms:
      - {{name: Follow up, requires: case}}
""")
ngroups = max(1, n // 10)
members = [[] for _ in range(ngroups)]
nvill = max(1, n // 50)
k = 0
for u in range(n):
    if u % 5 != 0:
        members[(k // 8) % ngroups].append(f'u{u}')
        k += 1
with open(f'{out}/groups/groups.yaml','w') as f:
    f.write('format_version: 2\ngroups:\n')
    for g in range(ngroups):
        f.write(f"  - {{name: G{g}, case_sharing: true, members: [{', '.join(members[g])}]}}\n")
with open(f'{out}/locations/l.yaml','w') as f:
    f.write('format_version: 2\nlocations:\n  - {code: d0, name: D0, type: district}\n')
    for v in range(nvill):
        f.write(f'  - {{code: v{v}, name: V{v}, type: village, parent: d0}}\n')
for b in range(0, n, 1000):
    with open(f'{out}/users/u{b//1000:04d}.yaml','w') as f:
        f.write('format_version: 2\nusers:\n')
        for u in range(b, min(n, b+1000)):
            loc = f', locations: [v{u % nvill}]' if u % 5 == 0 else ''
            f.write(f'  - {{username: u{u}, role: chw{loc}}}\n')
