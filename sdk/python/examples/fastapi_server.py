"""A FastAPI model server that logs every prediction to mlobs.

Run it against the local stack (`make up`, then `mlobs topics create`):

    pip install ./sdk/python fastapi uvicorn
    uvicorn fastapi_server:app --app-dir sdk/python/examples
    curl -s localhost:8000/predict -H 'content-type: application/json' \\
         -d '{"tenure_months": 4, "monthly_charges": 89.5, "plan": "basic"}'
    curl -s localhost:8000/feedback -H 'content-type: application/json' \\
         -d '{"prediction_id": "<the id it answered>", "label": "churn"}'

and `mlobs run` counts them (`mlobs windows`). Settings come from the
environment: MLOBS_KAFKA_BROKERS, MLOBS_KAFKA_TOPICS_PREDICTIONS,
MLOBS_KAFKA_TOPICS_LABELS (the pipeline's own variables) and MODEL_VERSION.
"""

import math
import os
import time
import uuid
from contextlib import asynccontextmanager
from typing import Optional

from fastapi import FastAPI
from pydantic import BaseModel

from mlobs import LabelLogger, PredictionLogger

BROKERS = os.environ.get("MLOBS_KAFKA_BROKERS", "127.0.0.1:9092")
VERSION = os.environ.get("MODEL_VERSION", "1")
loggers = {}


class Customer(BaseModel):
    tenure_months: Optional[float] = None
    monthly_charges: Optional[float] = None
    plan: Optional[str] = None


class Feedback(BaseModel):
    prediction_id: str
    label: str


def churn_probability(c: Customer) -> float:
    """The model: a logistic score (a stand-in for yours)."""
    z = -1.5 - 0.05 * (c.tenure_months or 0) + 0.03 * (c.monthly_charges or 0) + (0.8 if c.plan == "basic" else 0)
    return 1 / (1 + math.exp(-z))


@asynccontextmanager
async def lifespan(_: FastAPI):
    loggers["predictions"] = PredictionLogger(
        BROKERS, os.environ.get("MLOBS_KAFKA_TOPICS_PREDICTIONS", "mlobs.predictions")
    )
    loggers["labels"] = LabelLogger(BROKERS, os.environ.get("MLOBS_KAFKA_TOPICS_LABELS", "mlobs.labels"))
    yield
    for logger in loggers.values():
        logger.close()  # what is queued is sent before the server exits


app = FastAPI(lifespan=lifespan)


@app.post("/predict")
def predict(customer: Customer) -> dict:
    started = time.perf_counter()
    p = churn_probability(customer)
    prediction = "churn" if p >= 0.5 else "stay"
    prediction_id = str(uuid.uuid4())
    loggers["predictions"].log(
        prediction_id,
        model="churn",
        version=VERSION,
        prediction=prediction,
        features=customer.model_dump(),
        confidence=max(p, 1 - p),
        class_probabilities={"churn": p, "stay": 1 - p},
        latency_ms=(time.perf_counter() - started) * 1000,
    )
    return {"prediction_id": prediction_id, "prediction": prediction, "probability": p}


@app.post("/feedback")
def feedback(f: Feedback) -> dict:
    loggers["labels"].log(f.prediction_id, f.label, source="feedback-endpoint")
    return {"logged": True}
