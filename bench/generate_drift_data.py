"""Writes the `mlobs drift` benchmark inputs: two CSVs of ROWS x 50 columns
(40 numeric with a few shifted in the current file, 10 categorical)."""
import sys

import numpy as np
import pandas as pd

rows, reference_path, current_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def frame(seed, shift):
    rng = np.random.default_rng(seed)
    data = {}
    for i in range(40):
        scale = 1.0 + i % 5
        data[f"num_{i:02}"] = rng.normal(shift if i % 8 == 0 else 0.0, scale, rows)
    for i in range(10):
        data[f"cat_{i}"] = rng.choice(["a", "b", "c", "d", "e"], rows, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    return pd.DataFrame(data)


frame(1, 0.0).to_csv(reference_path, index=False, float_format="%.6g")
frame(2, 0.3).to_csv(current_path, index=False, float_format="%.6g")
