"""Writes the `mlobs drift` benchmark inputs: a reference and a current CSV
of ROWS rows, NUMERIC numeric columns (normal, every eighth shifted in the
current file) and CATEGORICAL categorical ones (five labels).

usage: generate_drift_data.py ROWS NUMERIC CATEGORICAL REFERENCE CURRENT
"""
import sys

import numpy as np
import pandas as pd

rows, numeric, categorical = (int(a) for a in sys.argv[1:4])
reference_path, current_path = sys.argv[4], sys.argv[5]


def frame(seed, shift):
    rng = np.random.default_rng(seed)
    data = {}
    for i in range(numeric):
        scale = 1.0 + i % 5
        data[f"num_{i:03}"] = rng.normal(shift if i % 8 == 0 else 0.0, scale, rows)
    for i in range(categorical):
        data[f"cat_{i}"] = rng.choice(["a", "b", "c", "d", "e"], rows, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    return pd.DataFrame(data)


frame(1, 0.0).to_csv(reference_path, index=False, float_format="%.6g")
frame(2, 0.3).to_csv(current_path, index=False, float_format="%.6g")
