"""scipy's KS statistic and Evidently's normalised Wasserstein distance
(scipy's `wasserstein_distance` over max(np.std(reference), 0.001)) of each
case's raw reference and current samples.

stdin: {"cases": [{"reference": [...], "current": [...]}, ...]}
stdout: [{"ks": ..., "wasserstein_normalized": ...}, ...]
"""
import json
import sys

import numpy as np
from scipy.stats import ks_2samp, wasserstein_distance

out = []
for case in json.load(sys.stdin)["cases"]:
    reference, current = np.array(case["reference"]), np.array(case["current"])
    out.append({
        "ks": float(ks_2samp(reference, current).statistic),
        "wasserstein_normalized": float(
            wasserstein_distance(reference, current) / max(np.std(reference), 0.001)
        ),
    })
print(json.dumps(out))
