//! The MLflow client against the local stack's MLflow 3.17 (no mock):
//! every call mlobs uses, and the server's quirks.

use mlobs_registry::{baseline, Registry, RegistryError, Run};
use mlobs_testkit::{mlflow_url, unique_name};

fn registry() -> Registry {
    Registry::new(&mlflow_url()).expect("the local MLflow URL is valid")
}

/// A registered model with one version, made from a run of its own.
fn model_with_version(registry: &Registry) -> (String, Run) {
    let name = unique_name("registry-client");
    registry.create_model(&name).expect("create model");
    let experiment = registry
        .experiment("mlobs-registry-tests")
        .expect("experiment");
    let run = registry
        .create_run(&experiment, &name, 0, &[])
        .expect("create run");
    let version = registry
        .create_version(&name, &format!("runs:/{}/model", run.run_id), &run.run_id)
        .expect("create version");
    assert_eq!(
        version.version, "1",
        "MLflow numbers versions from 1, as strings"
    );
    (name, run)
}

#[test]
fn models_versions_and_tags_round_trip() {
    let registry = registry();
    let (name, run) = model_with_version(&registry);
    registry
        .set_model_tag(&name, "team", "risk")
        .expect("model tag");
    assert_eq!(
        registry.model(&name).expect("get model").tag("team"),
        Some("risk")
    );
    let found = registry
        .search_models(&format!("name = '{name}'"))
        .expect("search models");
    assert_eq!(found.len(), 1);

    let second = registry
        .create_version(&name, &format!("runs:/{}/model", run.run_id), &run.run_id)
        .expect("second version");
    assert_eq!(second.version, "2");
    registry
        .set_version_tag(&name, "2", "stage", "canary")
        .expect("version tag");
    let updated = registry
        .update_version(&name, "2", "the canary")
        .expect("update version");
    assert_eq!(updated.description, "the canary");
    let read = registry.version(&name, "2").expect("get version");
    assert_eq!(read.tag("stage"), Some("canary"));
    let versions = registry
        .search_versions(&format!("name = '{name}'"))
        .expect("search versions");
    let mut numbers: Vec<_> = versions.iter().map(|v| v.version.as_str()).collect();
    numbers.sort();
    assert_eq!(numbers, ["1", "2"]);
}

#[test]
fn aliases_set_get_move_and_delete_and_a_missing_one_is_none() {
    let registry = registry();
    let (name, run) = model_with_version(&registry);
    assert!(
        registry
            .alias(&name, "champion")
            .expect("missing alias is not an error")
            .is_none(),
        "MLflow answers 400 for a missing alias; the client maps it to None"
    );
    registry
        .set_alias(&name, "champion", "1")
        .expect("set alias");
    let champion = registry.alias(&name, "champion").expect("get alias");
    assert_eq!(champion.map(|v| v.version), Some("1".to_string()));

    registry
        .create_version(&name, &format!("runs:/{}/model", run.run_id), &run.run_id)
        .expect("second version");
    registry
        .set_alias(&name, "champion", "2")
        .expect("move alias");
    let model = registry.model(&name).expect("get model");
    assert_eq!(model.alias("champion"), Some("2"));

    registry
        .delete_alias(&name, "champion")
        .expect("delete alias");
    assert!(registry.alias(&name, "champion").expect("get").is_none());
    registry
        .delete_alias(&name, "champion")
        .expect("deleting an absent alias is not an error");
}

#[test]
fn errors_name_the_call_and_mlflows_code() {
    let registry = registry();
    let (name, _) = model_with_version(&registry);
    let missing = registry.version(&name, "7").expect_err("no version 7");
    assert!(missing.is_not_found());
    assert_eq!(missing.code(), Some("RESOURCE_DOES_NOT_EXIST"));
    assert!(
        missing.to_string().starts_with(&format!(
            "mlflow model-versions/get ({name} v7): 404 RESOURCE_DOES_NOT_EXIST:"
        )),
        "{missing}"
    );
    let no_model = registry
        .alias(&unique_name("never-registered"), "champion")
        .expect_err("a missing model is an error, not a missing alias");
    assert!(no_model.is_not_found(), "{no_model}");
    let bad = registry
        .set_alias(&name, "champion", "7")
        .expect_err("an alias to a version that does not exist");
    assert!(
        bad.to_string()
            .contains(&format!("registered-models/alias (set {name}@champion=7)")),
        "{bad}"
    );
    let duplicate = registry.create_model(&name).expect_err("exists");
    assert_eq!(duplicate.code(), Some("RESOURCE_ALREADY_EXISTS"));
}

#[test]
fn a_foreign_host_header_is_refused_with_the_call_named() {
    // The client's own requests are accepted (the tests above); one whose
    // Host header MLflow does not serve gets its DNS-rebinding 403.
    let url = mlflow_url();
    let address: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("MLOBS_MLFLOW_URL is http://ip:port here");
    let http = reqwest::blocking::Client::builder()
        .resolve("mlflow.elsewhere.example", address)
        .build()
        .expect("client");
    let foreign = Registry::with_client(
        &format!("http://mlflow.elsewhere.example:{}", address.port()),
        http,
    )
    .expect("registry");
    let refused = foreign.model("anything").expect_err("foreign Host");
    match &refused {
        RegistryError::Api { status, code, .. } => {
            assert_eq!((*status, code.as_str()), (403, "HTTP_403"));
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    let text = refused.to_string();
    assert!(
        text.starts_with("mlflow registered-models/get (anything): 403"),
        "{text}"
    );
    assert!(text.contains("--allowed-hosts"), "{text}");
    assert!(
        registry().search_models("").is_ok(),
        "the client's own Host is accepted"
    );
}

#[test]
fn an_unreachable_mlflow_says_what_to_check() {
    let port = mlobs_testkit::services::free_port();
    let dead = Registry::new(&format!("http://127.0.0.1:{port}")).expect("registry");
    let error = dead.model("churn").expect_err("nobody listens");
    assert!(error.is_unreachable(), "{error:?}");
    let text = error.to_string();
    assert!(
        text.starts_with("mlflow registered-models/get (churn): cannot reach MLflow at"),
        "{text}"
    );
    assert!(text.contains("mlflow.url"), "{text}");
}

#[test]
fn runs_and_artifacts_through_the_proxy() {
    let registry = registry();
    let experiment = registry
        .experiment("mlobs-registry-tests")
        .expect("experiment");
    assert_eq!(
        registry.experiment("mlobs-registry-tests").expect("again"),
        experiment,
        "an existing experiment is found, not created twice"
    );
    let run = registry
        .create_run(&experiment, &unique_name("artifacts"), 1, &[])
        .expect("run");
    let bytes = b"{\"format_version\": 1, \"x\": [1, 2, 3]}\n".to_vec();
    let uri = registry
        .put_artifact(&run, "mlobs/test.json", bytes.clone())
        .expect("put artifact");
    assert_eq!(uri, format!("{}/mlobs/test.json", run.artifact_uri));
    assert_eq!(registry.get_artifact(&uri).expect("get artifact"), bytes);
    let absent = registry
        .get_artifact(&format!("{}/mlobs/absent.json", run.artifact_uri))
        .expect_err("absent artifact");
    assert!(absent.is_not_found(), "{absent}");
    let ended = registry
        .end_run(&run.run_id, "FINISHED", 2)
        .expect("end run");
    assert_eq!(ended.status, "FINISHED");
}

#[test]
fn a_baseline_is_published_on_its_version_and_listed() {
    let registry = registry();
    let (name, _) = model_with_version(&registry);
    let summary = baseline::Summary {
        rows: 1000,
        features: 3,
        format_version: 1,
    };
    let missing = baseline::publish(&registry, &name, "2", "{}", summary, 5)
        .expect_err("version 2 does not exist");
    assert!(missing.is_not_found(), "{missing}");

    let profile = "{\"format_version\":1,\"rows\":1000}";
    let uri = baseline::publish(&registry, &name, "1", profile, summary, 5).expect("publish");
    let version = registry.version(&name, "1").expect("version");
    assert_eq!(version.tag(baseline::URI_TAG), Some(uri.as_str()));
    assert_eq!(version.tag(baseline::ROWS_TAG), Some("1000"));
    assert_eq!(version.tag(baseline::FEATURES_TAG), Some("3"));
    assert_eq!(version.tag(baseline::FORMAT_TAG), Some("1"));
    assert_eq!(baseline::fetch(&registry, &uri).expect("fetch"), profile);
    let listed = baseline::list(&registry).expect("list");
    assert!(
        listed
            .iter()
            .any(|p| p.model == name && p.version == "1" && p.uri == uri),
        "the listing has the new baseline"
    );
}
