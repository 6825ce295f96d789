//! `mlobs agent run` on the real stack: the seed's section 7 with the
//! servers following the registry, the worker killed with SIGKILL while it
//! waits for approval and again right after it acted.

mod support;

use support::investigate::incident_once;
use support::{crash, stop_gracefully, Pipeline, DEADLINE};

#[test]
fn section_7_input_drift_is_rolled_back_with_approval_verified_and_resolved_once() {
    let (pipeline, model, scenario) = Pipeline::section_7("agent-section7");
    let run = pipeline.start("run", &[]);
    let agent = pipeline.agent();
    let simulator = pipeline.simulate_registered(&scenario);

    let waiting = incident_once(
        &pipeline,
        DEADLINE,
        "an incident with an action awaiting approval",
        |i| i["action"]["status"] == "awaiting_approval",
    );
    println!("{waiting:#}");
    assert_eq!(waiting["model"], model.as_str());
    let report = &waiting["report"];
    assert_eq!(
        report["root_cause"]["category"], "data.drift",
        "input drift, not a model bug"
    );
    assert_eq!(report["root_cause"]["feature"], "monthly_charges");
    let action = &waiting["action"];
    assert_eq!(action["action"], "rollback");
    assert_eq!(
        action["target_version"], "1",
        "the version that does not read monthly_charges"
    );
    let action_id = action["action_id"].as_str().unwrap().to_string();

    // Killed while it waits: the next worker continues the incident.
    crash(agent);
    let agent = pipeline.agent();
    pipeline.succeed(&["agent", "approve", &action_id, "--by", "on-call"]);
    incident_once(&pipeline, DEADLINE, "the rollback to be carried out", |i| {
        i["action"]["status"] == "executed"
    });
    // Killed right after acting: the next one verifies, and acts no more.
    crash(agent);
    let agent = pipeline.agent();
    let closed = incident_once(&pipeline, DEADLINE, "the incident to close", |i| {
        i["status"] != "open"
    });
    println!("{closed:#}");
    assert_eq!(closed["status"], "resolved", "{closed:#}");
    let resolution = closed["resolution"].as_str().unwrap();
    assert!(
        resolution.starts_with("rolled back to version 1"),
        "{resolution}"
    );
    assert!(resolution.contains("accuracy now"), "{resolution}");
    assert_eq!(closed["action"]["decided_by"], "on-call");
    let resolved = pipeline.metric("agent", "mlobs_agent_incidents_total", "resolved");
    assert_eq!(resolved, Some(1.0), "the last worker verified it");
    let executed = pipeline.metric("agent", "mlobs_agent_actions_total", "executed");
    assert_eq!(executed, Some(0.0), "and carried nothing out again");

    let champion = pipeline.succeed(&["model", "show", &model]);
    assert!(
        champion.starts_with("champion: version 1; last change: rollback by mlobs-agent"),
        "{champion}"
    );
    let rollbacks = pipeline.history(&format!(
        "SELECT actor, version FROM {{db}}.registry_events WHERE model = '{model}' AND action = 'rollback'"
    ));
    assert_eq!(
        rollbacks.len(),
        1,
        "one rollback, however often the agent died: {rollbacks:?}"
    );
    assert_eq!(rollbacks[0]["actor"], "mlobs-agent");
    assert_eq!(rollbacks[0]["version"], "1");
    let rows = pipeline.history(&format!(
        "SELECT status, root_cause, feature FROM {{db}}.incidents FINAL WHERE model = '{model}'"
    ));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "resolved");
    assert_eq!(rows[0]["root_cause"], "data.drift");

    pipeline.background_truth(simulator);
    stop_gracefully(agent);
    stop_gracefully(run);
}
