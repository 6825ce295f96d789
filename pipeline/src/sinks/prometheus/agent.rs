//! The agent worker's metrics (`mlobs agent run` serves them on
//! `agent.metrics_listen`): incidents, actions, the LLM narrator.

use super::Metrics;

impl Metrics {
    /// Counts an incident opened, resolved or escalated.
    pub fn agent_incident(&self, status: &str) {
        self.agent_incidents.with_label_values(&[status]).inc();
    }

    /// Counts an action carried out, by its outcome.
    pub fn agent_action(&self, action: &str, status: &str) {
        self.agent_actions
            .with_label_values(&[action, status])
            .inc();
    }

    /// Counts an answer of the LLM narrator: `used`, or why it was
    /// discarded.
    pub fn agent_narration(&self, outcome: &str) {
        self.agent_narrations.with_label_values(&[outcome]).inc();
    }

    /// Counts a retraining trigger that fired: `started`, or `cooldown`
    /// when the cool-down held the job back.
    pub fn retrain_trigger(&self, model: &str, trigger: &str, outcome: &str) {
        self.retrain_triggers
            .with_label_values(&[model, trigger, outcome])
            .inc();
    }
}
