//! The tools with the local stack's MLflow (no mock): `name@alias`
//! resolves to the version the alias points at, an unknown alias is an
//! error naming it, and a baseline published to MLflow for the champion
//! is the one `get_feature_distribution` compares with.

mod support;

use mlobs_agent::tools::{ToolError, Tools};
use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_registry::{baseline, Registry};
use mlobs_testkit::{mlflow_url, unique_name};
use support::{setup_named, NOW};

#[test]
fn aliases_and_baselines_come_from_mlflow() {
    let model = unique_name("agent-tools");
    let (db, _, rows) = setup_named(&model);
    let registry = Registry::new(&mlflow_url()).expect("the MLflow client");
    registry
        .create_model(&model)
        .expect("MLflow is up (make up)");
    let experiment = registry.experiment("mlobs-agent-tests").unwrap();
    let run = registry.create_run(&experiment, &model, 0, &[]).unwrap();
    for _ in 0..2 {
        let source = format!("runs:/{}/model", run.run_id);
        registry
            .create_version(&model, &source, &run.run_id)
            .unwrap();
    }
    registry.set_alias(&model, "champion", "2").unwrap();
    let profile = Baseline::build(&[(
        "plan".to_string(),
        ColumnData::Categorical(vec![Some("basic"); 4].into_iter().collect()),
    )]);
    let summary = baseline::Summary {
        rows: 4,
        features: 1,
        format_version: profile.format_version,
    };
    baseline::publish(&registry, &model, "2", &profile.to_json(), summary, NOW)
        .expect("publishing the baseline");
    let tools = Tools::new(db.0.clone(), Some(registry)).at(NOW);

    // The champion is version 2: its accuracy, not version 1's.
    let acc = tools
        .get_model_accuracy(&format!("{model}@champion"), None, "1h")
        .expect("accuracy");
    assert_eq!(acc.model.version.as_deref(), Some("2"));
    let labeled = rows
        .iter()
        .filter(|r| r.version == "2" && !r.failed)
        .count() as u64;
    assert_eq!(acc.overall.labeled, labeled);

    let e = tools
        .get_model_accuracy(&format!("{model}@challenger"), None, "1h")
        .unwrap_err();
    assert!(
        matches!(&e, ToolError::Registry { why, .. } if why.contains("no alias \"challenger\"")),
        "{e}"
    );

    // The distribution of "plan" against the champion's published baseline.
    let d = tools
        .get_feature_distribution("plan", "1h", Some(&model))
        .expect("plan");
    assert_eq!(d.baseline_source, Some(format!("mlflow:{model}/2")));
    let gold = rows.iter().filter(|r| r.gold).count() as u64;
    assert_eq!(d.unseen_values, vec![("gold".to_string(), gold)]);
    assert_eq!(
        d.baseline.expect("baseline").top_categories,
        vec![("basic".to_string(), 1.0)]
    );
}
