//! `get_incident(incident_id?, model_name?)`: an incident of the agent as
//! it stands (node, status, diagnosis, resolution), with its action (what,
//! who decided, what it did). By id, or a model's incidents newest first;
//! read from ClickHouse's `incidents` and `agent_actions` (newest row of
//! each id wins).

use serde::Serialize;
use serde_json::Value;

use super::sql::quote;
use super::{ToolError, Tools};

/// How many incidents a model query returns at most.
const NEWEST: usize = 20;

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Incidents {
    /// Newest first; each with its `action` (null when none) and its
    /// `report` (the investigation, as `mlobs agent investigate` prints it).
    pub incidents: Vec<Value>,
}

impl Tools {
    /// See the module documentation; one of the two arguments is needed.
    pub fn get_incident(
        &self,
        incident_id: Option<&str>,
        model_name: Option<&str>,
    ) -> Result<Incidents, ToolError> {
        let filter = match (incident_id, model_name) {
            (Some(id), _) => format!("incident_id = {}", quote(id)),
            (None, Some(model)) => format!("model = {}", quote(&self.resolve(model)?.model)),
            (None, None) => {
                return Err(ToolError::bad(
                    "incident_id",
                    "",
                    "give incident_id, or model_name for a model's incidents",
                ))
            }
        };
        let mut incidents = self.rows(&format!(
            "SELECT * FROM {} FINAL WHERE {filter} ORDER BY opened_at DESC LIMIT {NEWEST}",
            self.table("incidents")
        ))?;
        if incidents.is_empty() {
            return Err(ToolError::bad(
                "incident_id",
                incident_id.or(model_name).unwrap_or_default(),
                "no incident of the agent matches; see list_alerts for what fired",
            ));
        }
        for incident in &mut incidents {
            let report = incident["report"].as_str().unwrap_or_default();
            incident["report"] = serde_json::from_str(report).unwrap_or(Value::Null);
            let action_id = incident["action_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            incident["action"] = match action_id.as_str() {
                "" => Value::Null,
                id => self
                    .rows(&format!(
                        "SELECT * FROM {} FINAL WHERE action_id = {}",
                        self.table("agent_actions"),
                        quote(id)
                    ))?
                    .into_iter()
                    .next()
                    .unwrap_or(Value::Null),
            };
        }
        Ok(Incidents { incidents })
    }
}
