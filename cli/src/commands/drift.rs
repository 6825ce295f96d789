//! `mlobs drift`: compare a current file with a reference file or baseline.

use std::path::{Path, PathBuf};

use clap::ArgGroup;
use std::collections::BTreeMap;

use mlobs_operators::baseline::{Baseline, ColumnData};
use mlobs_operators::drift::dataset::{columns_drift, sample_pair_drift, DriftError, Reference};
use mlobs_operators::drift::samples::Sample;
use mlobs_operators::drift::{Choice, DriftOptions, DriftReport, Method, Status};

use super::columns::ColumnFlags;
use crate::output::{print_json, print_table, Format};
use crate::{bad_input, out, parallel, tabular};

#[derive(clap::Args)]
#[command(group(ArgGroup::new("against").required(true).args(["reference", "baseline"])))]
pub struct Args {
    /// Reference data (.csv or .parquet): decided exactly as Evidently's DataDriftPreset.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Reference profile written by `mlobs baseline build`: the baseline's bins, as the pipeline uses them.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Current data (.csv or .parquet).
    #[arg(long)]
    current: PathBuf,
    /// Test for every feature: auto chooses per feature as Evidently does.
    #[arg(long, default_value = "auto", value_parser = parse_method)]
    method: MethodFlag,
    /// Threshold for every feature (default: the method's, 0.05 for p-values, 0.1 for distances).
    #[arg(long)]
    threshold: Option<f64>,
    /// Per-feature method and/or threshold, FEATURE=METHOD[:THRESHOLD] or FEATURE=:THRESHOLD (repeatable).
    #[arg(long = "override", value_name = "FEATURE=METHOD:THRESHOLD")]
    overrides: Vec<String>,
    /// Dataset drift when at least this share of features drifted.
    #[arg(long, default_value_t = 0.5)]
    share: f64,
    #[command(flatten)]
    columns: ColumnFlags,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Clone, Copy)]
struct MethodFlag(Option<Method>);

fn parse_method(text: &str) -> Result<MethodFlag, String> {
    if text == "auto" {
        return Ok(MethodFlag(None));
    }
    Method::ALL
        .into_iter()
        .find(|m| m.name() == text)
        .map(|m| MethodFlag(Some(m)))
        .ok_or_else(|| {
            let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
            format!("unknown method {text:?}; use auto, {}", names.join(", "))
        })
}

/// What the current file is compared with.
enum Against {
    /// A reference file's columns.
    File(Vec<(String, ColumnData)>),
    /// A baseline profile.
    Baseline(Reference),
}

pub fn execute(args: Args) -> anyhow::Result<()> {
    let options = options(&args)?;
    let selection = args.columns.selection();
    let files: Vec<&Path> = [args.reference.as_deref(), Some(args.current.as_path())]
        .into_iter()
        .flatten()
        .collect();
    let progress = tabular::Progress::new("reading", tabular::size_of(&files));
    // The two files are independent: read them on two threads (each reads
    // its file on every core).
    let (against, current) = progress.show_while(|| {
        std::thread::scope(|scope| {
            let against = scope.spawn(|| match (&args.reference, &args.baseline) {
                (Some(path), _) => Ok(Against::File(tabular::read(path, &selection, &progress)?)),
                (None, Some(path)) => {
                    let mut reference = Reference::from_baseline(&load_baseline(path)?);
                    if !selection.columns.is_empty() {
                        reference
                            .features
                            .retain(|name, _| selection.columns.contains(name));
                    }
                    Ok(Against::Baseline(reference))
                }
                (None, None) => unreachable!("clap requires one of --reference and --baseline"),
            });
            let current = tabular::read(&args.current, &selection, &progress);
            let against: anyhow::Result<Against> = against.join().expect("reading does not panic");
            (against, current)
        })
    });
    let (against, current) = (against?, current?);
    let report = match against {
        Against::File(reference) => files_drift(reference, current, &options),
        Against::Baseline(reference) => columns_drift(&reference, current, &options),
    }
    .map_err(|e| bad_input!("{e}"))?;
    match args.format {
        Format::Json => print_json(&report),
        Format::Table => Ok(print_report(&report)?),
    }
}

/// Every reference column against the current column of the same name, a
/// feature per core at a time: a thread sorts a feature's two columns,
/// tests them and frees them before it takes the next, so memory stays
/// near the columns' own.
fn files_drift(
    reference: Vec<(String, ColumnData)>,
    current: Vec<(String, ColumnData)>,
    options: &DriftOptions,
) -> Result<DriftReport, DriftError> {
    let mut current: BTreeMap<String, ColumnData> = current.into_iter().collect();
    let pairs = reference
        .into_iter()
        .map(|(name, reference)| match current.remove(&name) {
            Some(current) => Ok((name, reference, current)),
            None => Err(DriftError::MissingFeature { feature: name }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let features = parallel::map(pairs, |(name, reference, current)| {
        sample_pair_drift(
            &name,
            &Sample::from_column(reference),
            &Sample::from_column(current),
            options,
        )
    });
    Ok(DriftReport::new(
        features.into_iter().collect::<Result<_, _>>()?,
        options.dataset_share,
    ))
}

fn options(args: &Args) -> anyhow::Result<DriftOptions> {
    let mut options = DriftOptions {
        default: Choice {
            method: args.method.0,
            threshold: args.threshold,
        },
        dataset_share: args.share,
        ..DriftOptions::default()
    };
    if !(0.0..=1.0).contains(&args.share) {
        return Err(bad_input!(
            "--share must be between 0 and 1, got {}",
            args.share
        ));
    }
    for text in &args.overrides {
        let (feature, choice) = text.split_once('=').ok_or_else(|| {
            bad_input!("--override {text:?}: expected FEATURE=METHOD[:THRESHOLD]")
        })?;
        let (method, threshold) = choice.split_once(':').unwrap_or((choice, ""));
        let method = match method {
            "" | "auto" => None,
            name => Some(
                parse_method(name)
                    .map_err(|e| bad_input!("--override {text:?}: {e}"))?
                    .0
                    .expect("not auto"),
            ),
        };
        let threshold =
            match threshold {
                "" => None,
                t => Some(t.parse().map_err(|_| {
                    bad_input!("--override {text:?}: threshold {t:?} is not a number")
                })?),
            };
        options
            .overrides
            .insert(feature.to_string(), Choice { method, threshold });
    }
    Ok(options)
}

fn load_baseline(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| bad_input!("cannot read baseline {}: {e}", path.display()))?;
    Baseline::from_json(&text).map_err(|e| bad_input!("{}: {e}", path.display()))
}

fn print_report(report: &DriftReport) -> std::io::Result<()> {
    let number = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"));
    let rows: Vec<Vec<String>> = report
        .features
        .iter()
        .map(|f| {
            vec![
                f.name.clone(),
                format!("{:?}", f.kind).to_lowercase(),
                f.method.name().to_string(),
                number(f.score),
                format!("{}", f.threshold),
                // Untested features say why: missing, not_monitored.
                if f.drift_detected {
                    "DRIFT".into()
                } else {
                    f.status.name().into()
                },
                format!("{} -> {}", f.reference.missing, f.current.missing),
            ]
        })
        .collect();
    print_table(
        &[
            "FEATURE",
            "KIND",
            "METHOD",
            "SCORE",
            "THRESHOLD",
            "DRIFT",
            "MISSING",
        ],
        &rows,
    )?;
    let count = |status: Status| {
        report
            .features
            .iter()
            .filter(|f| f.status == status)
            .count()
    };
    let untested = [Status::Missing, Status::NotMonitored]
        .into_iter()
        .filter(|s| count(*s) > 0)
        .map(|s| format!("; {} {}", count(s), s.name()))
        .collect::<String>();
    out!(
        "dataset drift: {} ({} of {} tested features drifted, {:.0}%{untested})",
        if report.dataset_drift { "YES" } else { "no" },
        report.drifted_features,
        report
            .features
            .iter()
            .filter(|f| f.status.is_tested())
            .count(),
        report.share_drifted * 100.0
    );
    Ok(())
}
