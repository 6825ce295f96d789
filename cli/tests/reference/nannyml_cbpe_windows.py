"""NannyML 0.13's CBPE on predictions exported from mlobs's ClickHouse
history: fitted on the reference predictions with their labels, then
estimated on each window's predictions (one chunk per window, so that its
chunks are mlobs's windows). Binary classification, accuracy. Reads JSON
on stdin, prints {window_start: estimated accuracy} as JSON."""
import json
import sys

import nannyml as nml
import numpy as np
import pandas as pd

data = json.load(sys.stdin)


def frame(scores, labels=None):
    score = np.asarray(scores, dtype=float)
    columns = {"score": score, "pred": (score >= 0.5).astype(int)}
    if labels is not None:
        columns["y"] = np.asarray(labels, dtype=int)
    return pd.DataFrame(columns)


cbpe = nml.CBPE(
    problem_type="classification_binary",
    y_pred_proba="score",
    y_pred="pred",
    y_true="y",
    metrics=["accuracy"],
    chunk_number=1,
)
cbpe.fit(frame(data["reference"]["score"], data["reference"]["y"]))
estimates = {}
for start, scores in data["windows"].items():
    result = cbpe.estimate(frame(scores)).filter(period="analysis").to_df()
    estimates[start] = float(result[("accuracy", "value")].iloc[0])
print(json.dumps(estimates))
