//! Diagnosis tools over ClickHouse, Prometheus and MLflow, one file each.
