#!/usr/bin/env python3
"""A format 1 (legacy) project for timing `caseshare migrate`: N users in files of
1,000, each naming one of N/50 groups (so every membership moves across files),
and one app whose form uses registration and subcases.

Usage: python3 bench/legacy_gen.py N OUT, then `cd OUT && caseshare migrate --check`."""
import os, sys
n = int(sys.argv[1]); out = sys.argv[2]
os.makedirs(out+'/groups', exist_ok=True); os.makedirs(out+'/users', exist_ok=True); os.makedirs(out+'/apps', exist_ok=True)
open(out+'/project.yaml','w').write("# legacy\nproject_space: big\ncase_sharing: yes\n")
open(out+'/apps/chw.yaml','w').write("name: CHW\nversion: 2.10\ncase_sharing: on\nmodules:\n  - name: H\n    case_type: household\n    forms:\n      - {name: R, registration: yes, subcases: [member]}\n")
g = max(1, n // 50)
with open(out+'/groups/villages.yaml','w') as f:
    f.write("groups:\n")
    for i in range(g):
        f.write(f"  - name: Village {i}\n    case_sharing: yes\n")
per = 1000
for b in range(0, n, per):
    with open(out+f'/users/u{b//per:04}.yaml','w') as f:
        f.write("users:\n")
        for i in range(b, min(n, b+per)):
            f.write(f"  - username: user{i:07}\n    groups: [Village {i % g}]   # home village\n")
