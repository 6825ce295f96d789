"""Drives examples/fastapi_server.py for cli/tests/python_sdk.rs: N requests
to /predict and the feedback of each to /feedback, through FastAPI's test
client (the app's lifespan starts and closes its loggers), with the
pipeline's topics from the environment. Prints how many of each answered."""

import sys
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from fastapi_server import app  # noqa: E402

n = int(sys.argv[1])
answered = {"predict": 0, "feedback": 0}
with TestClient(app) as client:
    for i in range(n):
        customer = {"tenure_months": i % 72, "monthly_charges": 20 + i % 100, "plan": ["basic", "pro", None][i % 3]}
        reply = client.post("/predict", json=customer)
        reply.raise_for_status()
        answered["predict"] += 1
        truth = "churn" if i % 4 == 0 else "stay"
        client.post("/feedback", json={"prediction_id": reply.json()["prediction_id"], "label": truth}).raise_for_status()
        answered["feedback"] += 1
print(answered)
