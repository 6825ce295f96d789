"""Runs one peer's drift check on a reference and a current CSV, the way its
documentation shows, for `make bench` to time beside `mlobs drift`.

usage: peers.py evidently|nannyml|whylogs REFERENCE CURRENT

Prints the number of features the peer calls drifted (a sanity check that
it did the work; the peers' tests and thresholds differ from each other).
"""
import os
import sys
import warnings

import pandas as pd

# The peers report usage to their vendors unless told not to; this machine
# has no route out, and the retries would be timed with the work.
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
os.environ["WHYLOGS_NO_ANALYTICS"] = "True"
warnings.filterwarnings("ignore")


def evidently(reference, current):
    from evidently import Report
    from evidently.presets import DataDriftPreset

    result = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    for metric in result.dict()["metrics"]:
        if metric["config"]["type"].endswith("DriftedColumnsCount"):
            return int(metric["value"]["count"])
    raise SystemExit("Evidently's report has no DriftedColumnsCount")


def nannyml(reference, current):
    import nannyml as nml

    calculator = nml.UnivariateDriftCalculator(
        column_names=list(reference.columns),
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["jensen_shannon"],
        chunk_number=1,
    )
    calculator.fit(reference)
    results = calculator.calculate(current).filter(period="analysis").to_df()
    alerts = [c for c in results.columns if c[-1] == "alert"]
    return sum(bool(results[c].any()) for c in alerts if c[1] == "jensen_shannon")


def whylogs(reference, current):
    import whylogs as why
    from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

    scores = calculate_drift_scores(
        target_view=why.log(current).view(),
        reference_view=why.log(reference).view(),
        with_thresholds=True,
    )
    return sum(1 for s in scores.values() if s and s["drift_category"] == "DRIFT")


tool, reference_path, current_path = sys.argv[1:4]
reference, current = pd.read_csv(reference_path), pd.read_csv(current_path)
print({"evidently": evidently, "nannyml": nannyml, "whylogs": whylogs}[tool](reference, current))
