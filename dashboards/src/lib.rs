//! The Grafana dashboards of mlobs, generated from this one description:
//! `mlobs dashboards --output infra/grafana/dashboards` writes them, and a
//! test fails when the checked-in files differ from what this crate makes.
//! Pure: JSON values only; writing files is the CLI's job.

pub mod annotations;
pub mod check;
pub mod comparison;
pub mod datasources;
pub mod drift;
pub mod filters;
pub mod health;
pub mod model;
pub mod performance;
pub mod rollout;
pub mod variables;

pub use model::Dashboard;

/// Every dashboard, in the order they are listed.
pub fn all() -> Vec<Dashboard> {
    vec![
        performance::dashboard(),
        comparison::dashboard(),
        rollout::dashboard(),
        drift::dashboard(),
        health::dashboard(),
    ]
}

/// A dashboard's JSON as it is written to its file: pretty, with a final
/// newline, so that diffs of the checked-in files read well.
pub fn file_text(dashboard: &Dashboard) -> String {
    let mut text = serde_json::to_string_pretty(&dashboard.to_json()).expect("JSON values print");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_file(path: &str) -> String {
        let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
    }

    #[test]
    fn the_checked_in_dashboards_are_the_generators_output() {
        for dashboard in all() {
            let path = format!("infra/grafana/dashboards/{}", dashboard.file_name());
            assert!(
                repo_file(&path) == file_text(&dashboard),
                "{path} differs from what the generator makes: run \
                 `cargo run -p mlobs-cli -- dashboards --output infra/grafana/dashboards`"
            );
        }
        let files = std::fs::read_dir(format!(
            "{}/../infra/grafana/dashboards",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .count();
        assert_eq!(
            files,
            all().len(),
            "a dashboard file the generator no longer makes"
        );
    }

    #[test]
    fn the_checked_in_dashboards_pass_grafanas_structural_checks() {
        let datasources = check::provisioned(&repo_file(
            "infra/grafana/provisioning/datasources/mlobs.yml",
        ));
        assert_eq!(datasources.len(), 2, "{datasources:?}");
        let dashboards: Vec<serde_json::Value> = all()
            .iter()
            .map(|d| {
                serde_json::from_str(&repo_file(&format!(
                    "infra/grafana/dashboards/{}",
                    d.file_name()
                )))
                .unwrap()
            })
            .collect();
        let problems = check::problems(&dashboards, &datasources);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn the_checks_catch_what_grafana_would_refuse() {
        let datasources = vec![check::Datasource {
            kind: "prometheus".into(),
            uid: "mlobs-prometheus".into(),
        }];
        let mut broken = performance::dashboard().to_json();
        broken["panels"][1]["id"] = broken["panels"][0]["id"].clone();
        broken["panels"][2]["type"] = "graphz".into();
        broken["schemaVersion"] = 12.into();
        let problems = check::problems(&[broken.clone(), broken], &datasources).join("\n");
        for expected in [
            "is used twice",
            "unknown type \"graphz\"",
            "schemaVersion Some(12)",
            "the uid is used by another dashboard",
            "datasource uid \"mlobs-clickhouse\" is not provisioned",
        ] {
            assert!(
                problems.contains(expected),
                "{expected} not in:\n{problems}"
            );
        }
    }

    #[test]
    fn every_dashboard_offers_the_three_variables_and_has_panels() {
        for dashboard in all() {
            let json = dashboard.to_json();
            assert!(
                json["panels"].as_array().unwrap().len() >= 4,
                "{}",
                dashboard.uid
            );
            let queries = check::queries(&json);
            assert!(queries.iter().any(|q| q.place == "variable version"));
        }
    }
}
