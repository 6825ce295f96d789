"""NannyML 0.13's CBPE on the predictions the Rust test sends on stdin:
binary classification, accuracy, fitted on the reference, estimated per
chunk of the analysis rows. Prints the estimate and the realized accuracy
of every analysis chunk as JSON."""
import json
import sys

import nannyml as nml
import numpy as np
import pandas as pd

data = json.load(sys.stdin)


def frame(part):
    score = np.asarray(data[part]["score"])
    return pd.DataFrame(
        {"score": score, "pred": (score >= 0.5).astype(int), "y": np.asarray(data[part]["y"])}
    )


cbpe = nml.CBPE(
    problem_type="classification_binary",
    y_pred_proba="score",
    y_pred="pred",
    y_true="y",
    metrics=["accuracy"],
    chunk_size=data["chunk_size"],
)
cbpe.fit(frame("reference"))
analysis = frame("analysis")
result = cbpe.estimate(analysis).filter(period="analysis").to_df()
estimates = result[("accuracy", "value")].tolist()
realized = [
    float((chunk["pred"] == chunk["y"]).mean())
    for chunk in np.array_split(analysis, len(analysis) // data["chunk_size"])
]
print(json.dumps({"estimated": estimates, "realized": realized}))
