//! The small sums a window keeps beside its sketches: of an optional
//! measurement (for a mean), of resource usage, of regression errors.

use serde::{Deserialize, Serialize};

/// Sum and count of one optional measurement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SumCount {
    /// Sum of the values.
    pub sum: f64,
    /// How many values.
    pub count: u64,
}

impl SumCount {
    pub(super) fn add(&mut self, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.sum += v;
            self.count += 1;
        }
    }

    pub(super) fn merge(&mut self, other: &SumCount) {
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// Resource usage sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// CPU time in milliseconds.
    pub cpu_time_ms: SumCount,
    /// GPU memory in megabytes.
    pub gpu_memory_mb: SumCount,
    /// GPU utilisation (fraction).
    pub gpu_utilization: SumCount,
}

/// Error sums of regression outcomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RegressionErrors {
    /// Scored outcomes.
    pub count: u64,
    /// Sum of |prediction - label|.
    pub sum_abs: f64,
    /// Sum of (prediction - label)^2.
    pub sum_sq: f64,
}

impl RegressionErrors {
    /// Mean absolute error.
    pub fn mae(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_abs / self.count as f64)
    }

    /// Root mean squared error.
    pub fn rmse(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.sum_sq / self.count as f64).sqrt())
    }
}
