//! The root-cause categories of the seed's section 4, with the fixed ids of
//! issue 11 (they are a contract: the JSON, the incident table, the LLM
//! narrator's check).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A root-cause category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    /// The input distribution shifted.
    #[serde(rename = "data.drift")]
    DataDrift,
    /// A feature arrives missing more often.
    #[serde(rename = "data.missing_values")]
    DataMissingValues,
    /// Categories never seen in training.
    #[serde(rename = "data.new_values")]
    DataNewValues,
    /// Values outside the training range while the bulk holds.
    #[serde(rename = "data.outliers")]
    DataOutliers,
    /// One version is wrong (a bug, a bad deployment).
    #[serde(rename = "model.version_bug")]
    ModelVersionBug,
    /// A version and its input disagree on the schema.
    #[serde(rename = "model.schema_mismatch")]
    ModelSchemaMismatch,
    /// Inference fails for lack of GPU memory.
    #[serde(rename = "infra.gpu_oom")]
    InfraGpuOom,
    /// Inference times out (network, a slow dependency).
    #[serde(rename = "infra.timeouts")]
    InfraTimeouts,
    /// Another workload takes the CPU/GPU.
    #[serde(rename = "infra.resource_contention")]
    InfraResourceContention,
    /// Accuracy looks low because labels are few or late.
    #[serde(rename = "labels.delayed")]
    LabelsDelayed,
    /// No cause is supported well enough to name.
    #[serde(rename = "none")]
    None,
}

impl Category {
    /// Every category, `none` last.
    pub const ALL: [Category; 11] = [
        Category::DataDrift,
        Category::DataMissingValues,
        Category::DataNewValues,
        Category::DataOutliers,
        Category::ModelVersionBug,
        Category::ModelSchemaMismatch,
        Category::InfraGpuOom,
        Category::InfraTimeouts,
        Category::InfraResourceContention,
        Category::LabelsDelayed,
        Category::None,
    ];

    /// The id as written in JSON and tables.
    pub fn id(self) -> &'static str {
        match self {
            Category::DataDrift => "data.drift",
            Category::DataMissingValues => "data.missing_values",
            Category::DataNewValues => "data.new_values",
            Category::DataOutliers => "data.outliers",
            Category::ModelVersionBug => "model.version_bug",
            Category::ModelSchemaMismatch => "model.schema_mismatch",
            Category::InfraGpuOom => "infra.gpu_oom",
            Category::InfraTimeouts => "infra.timeouts",
            Category::InfraResourceContention => "infra.resource_contention",
            Category::LabelsDelayed => "labels.delayed",
            Category::None => "none",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
