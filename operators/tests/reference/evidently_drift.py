"""Evidently 0.7.23's verdicts, for operators/tests/evidently_conformance.rs.

Reads {"cases": [...]} on stdin. A case is one dataset: named columns, each
with its kind ("numeric" or "categorical") and its raw reference and current
values (null = missing), and optionally a method forced on every column.
Runs Evidently's DataDriftPreset on it, as a user would, and prints per case
the drifted-column count and share and, per column, the method Evidently
chose (its display name) and the score.
"""
import json
import sys

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def frame(columns, side):
    data = {}
    for name, column in columns.items():
        values = column[side]
        if column["kind"] == "numeric":
            data[name] = pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        else:
            data[name] = pd.Series(values, dtype="object")
    return pd.DataFrame(data)


def verdicts(case):
    columns = case["columns"]
    definition = DataDefinition(
        numerical_columns=[n for n, c in columns.items() if c["kind"] == "numeric"],
        categorical_columns=[n for n, c in columns.items() if c["kind"] == "categorical"],
    )
    dataset = lambda side: Dataset.from_pandas(frame(columns, side), data_definition=definition)
    preset = DataDriftPreset(method=case.get("method"), drift_share=case.get("share", 0.5))
    result = Report([preset]).run(dataset("current"), dataset("reference")).dict()
    out = {"columns": {}}
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"].endswith("DriftedColumnsCount"):
            out["drifted"] = metric["value"]["count"]
            out["share"] = metric["value"]["share"]
        elif config["type"].endswith("ValueDrift"):
            out["columns"][config["column"]] = {"method": config["method"], "score": metric["value"]}
    return out


cases = json.load(sys.stdin)["cases"]
json.dump({c["name"]: verdicts(c) for c in cases}, sys.stdout)
