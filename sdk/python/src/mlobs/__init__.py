"""Log predictions and ground truth from Python model servers to mlobs.

    from mlobs import PredictionLogger, LabelLogger

    predictions = PredictionLogger("127.0.0.1:9092")
    predictions.log("req-1", "churn", "3", "churn", {"tenure_months": 4.0}, confidence=0.91)
    ...
    LabelLogger("127.0.0.1:9092").log("req-1", "stay")

Records are Avro single-object encoded with the pipeline's own schemas,
byte for byte as the Rust logger writes them.
"""

from .events import ground_truth_event, prediction_event
from .logger import LabelLogger, LoggerStats, PredictionLogger
from .privacy import features_hash

__all__ = [
    "LabelLogger",
    "LoggerStats",
    "PredictionLogger",
    "features_hash",
    "ground_truth_event",
    "prediction_event",
]
