//! infra/k8s/retrain-job.yaml, checked without a cluster: every resource
//! against the Kubernetes API schemas (kubernetes-validate --strict, in the
//! reference Python), its mlobs.toml as mlobs loads it, and its command as
//! mlobs parses it.

use std::path::Path;
use std::process::Command;

use mlobs_testkit::reference_python;

const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/k8s/retrain-job.yaml");

/// kubernetes-validate's verdict on `file`: (passed, what it printed).
fn validate(file: &Path) -> (bool, String) {
    let out = Command::new(reference_python())
        .args(["-m", "kubernetes_validate", "--strict", "--quiet"])
        .arg(file)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

#[test]
fn the_retrain_job_passes_the_api_schemas_and_a_typo_does_not() {
    let (passed, said) = validate(Path::new(MANIFEST));
    assert!(passed, "{said}");
    let broken = std::env::temp_dir().join(mlobs_testkit::unique_name("retrain-job.yaml"));
    let text = std::fs::read_to_string(MANIFEST).unwrap();
    std::fs::write(
        &broken,
        text.replace("restartPolicy: Never", "restartPolicyy: Never"),
    )
    .unwrap();
    let (passed, said) = validate(&broken);
    assert!(!passed && said.contains("restartPolicyy"), "{said}");
    let _ = std::fs::remove_file(broken);
}

#[test]
fn its_config_loads_and_its_command_parses() {
    let script = "import sys, yaml\n\
        docs = list(yaml.safe_load_all(open(sys.argv[1])))\n\
        config = next(d for d in docs if d['kind'] == 'ConfigMap')['data']['mlobs.toml']\n\
        job = next(d for d in docs if d['kind'] == 'Job')\n\
        open(sys.argv[2], 'w').write(config)\n\
        print('\\n'.join(job['spec']['template']['spec']['containers'][0]['args']))";
    let config = std::env::temp_dir().join(mlobs_testkit::unique_name("k8s-mlobs.toml"));
    let out = Command::new(reference_python())
        .args(["-c", script, MANIFEST])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(args[0], "retrain");
    // `--help` after the job's arguments: clap checks them all first, and
    // the config is loaded before any command runs.
    let mlobs = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mlobs"))
            .arg("--config")
            .arg(&config)
            .args(extra)
            .output()
            .unwrap()
    };
    let parsed = mlobs(
        &[
            &args.iter().map(String::as_str).collect::<Vec<_>>()[..],
            &["--help"],
        ]
        .concat(),
    );
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let loaded = mlobs(&[
        "dashboards",
        "--output",
        config.with_extension("d").to_str().unwrap(),
    ]);
    assert!(
        loaded.status.success(),
        "the ConfigMap's mlobs.toml: {}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let _ = std::fs::remove_file(config.clone());
    let _ = std::fs::remove_dir_all(config.with_extension("d"));
}
