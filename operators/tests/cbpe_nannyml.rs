//! CBPE against NannyML 0.13 on the same predictions: a binary classifier
//! whose scores are overconfident and shifted (so calibration matters),
//! a reference set with labels, then chunks whose population moves towards
//! the decision boundary (accuracy falls, with no change in P(y | x)).
//! mlobs's estimate must track the realized accuracy as closely as
//! NannyML's does (within half a point of its mean absolute error).

use mlobs_operators::cbpe::calibration::{Calibration, Labeled};
use mlobs_operators::cbpe::counts::ConfidenceCounts;
use mlobs_operators::cbpe::estimate::estimate;
use mlobs_testkit::{run_reference_python, TestRng};
use serde_json::{json, Value};

const CHUNK: usize = 2000;

/// `n` predictions with features drawn around `mean`: (score, label).
fn draw(rng: &mut TestRng, n: usize, mean: f64) -> Vec<(f64, u8)> {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    (0..n)
        .map(|_| {
            let x = mean + rng.normal();
            let label = u8::from(rng.uniform() < sigmoid(2.0 * x));
            (sigmoid(2.6 * x + 0.3), label)
        })
        .collect()
}

/// The model's prediction (threshold 0.5), its confidence in it, and
/// whether the label agrees.
fn labeled(score: f64, label: u8) -> Labeled {
    let predicted = u8::from(score >= 0.5);
    Labeled {
        predicted: predicted.to_string(),
        confidence: if predicted == 1 { score } else { 1.0 - score },
        correct: predicted == label,
    }
}

fn mean_absolute_error(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

#[test]
fn the_estimate_tracks_the_realized_accuracy_as_nannyml_does() {
    let mut rng = TestRng::new(7);
    let reference = draw(&mut rng, 20_000, 1.0);
    let means = [1.0, 1.0, 1.0, 1.0, 0.6, 0.3, 0.0, 0.0];
    let analysis: Vec<(f64, u8)> = means
        .iter()
        .flat_map(|&mean| draw(&mut rng, CHUNK, mean))
        .collect();

    let calibration = Calibration::fit(
        &reference
            .iter()
            .map(|&(s, y)| labeled(s, y))
            .collect::<Vec<_>>(),
    );
    for (class, report) in calibration.reports() {
        assert!(report.applied, "class {class}: {report:?}");
    }
    let mut ours = Vec::new();
    let mut realized = Vec::new();
    for chunk in analysis.chunks(CHUNK) {
        let mut counts = ConfidenceCounts::default();
        let mut correct = 0;
        for &(score, label) in chunk {
            let prediction = labeled(score, label);
            counts.add(&prediction.predicted, prediction.confidence, 1, 10);
            correct += usize::from(prediction.correct);
        }
        let e = estimate(&counts, &calibration, Some("1")).unwrap();
        assert!(e.accuracy_lower < e.accuracy && e.accuracy < e.accuracy_upper);
        ours.push(e.accuracy);
        realized.push(correct as f64 / chunk.len() as f64);
    }

    let side = |part: &[(f64, u8)]| {
        json!({"score": part.iter().map(|p| p.0).collect::<Vec<_>>(),
               "y": part.iter().map(|p| p.1).collect::<Vec<_>>()})
    };
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/nannyml_cbpe.py");
    let input =
        json!({"reference": side(&reference), "analysis": side(&analysis), "chunk_size": CHUNK});
    let nannyml: Value =
        serde_json::from_str(&run_reference_python(&script, &input.to_string())).unwrap();
    let theirs: Vec<f64> = serde_json::from_value(nannyml["estimated"].clone()).unwrap();
    let their_realized: Vec<f64> = serde_json::from_value(nannyml["realized"].clone()).unwrap();
    assert_eq!(their_realized, realized, "both sides score the same chunks");

    let (our_error, their_error) = (
        mean_absolute_error(&ours, &realized),
        mean_absolute_error(&theirs, &realized),
    );
    eprintln!("realized {realized:.4?}\nmlobs    {ours:.4?}\nnannyml  {theirs:.4?}");
    eprintln!("mean absolute error: mlobs {our_error:.4}, NannyML {their_error:.4}");
    assert!(
        our_error <= their_error + 0.005,
        "{our_error} vs {their_error}"
    );
    assert!(our_error <= 0.02, "{our_error}");
    // The fall is seen from the confidences alone.
    let before = ours[..4].iter().sum::<f64>() / 4.0;
    let after = ours[6..].iter().sum::<f64>() / 2.0;
    assert!(after < before - 0.03, "{before} -> {after}");
}
