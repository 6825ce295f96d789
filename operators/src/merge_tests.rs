//! Property tests: every partial merges associatively and commutatively, and
//! survives serialization. Counts must agree exactly whatever the grouping;
//! floating-point sums and t-digest quantiles agree within their error.

use proptest::prelude::*;

use crate::limits::{Capped, Limits};
use crate::metrics::{MetricsPartial, Scored};
use crate::sketch::{
    CategoricalSketch, CategoricalSpec, FeatureSketch, NumericSketch, NumericSpec,
};
use crate::stats::tdigest::TDigest;

fn numeric_spec() -> NumericSpec {
    NumericSpec {
        edges: vec![-1.0, 0.0, 2.5, 10.0],
        range: Some((-5.0, 5.0)),
    }
}

fn numeric(values: &[Option<f64>]) -> NumericSketch {
    let spec = numeric_spec();
    let mut sketch = NumericSketch::new(&spec);
    values.iter().for_each(|v| sketch.add(*v, &spec));
    sketch
}

fn categorical(values: &[Option<String>]) -> CategoricalSketch {
    let spec = CategoricalSpec {
        categories: ["a", "b"].map(String::from).into_iter().collect(),
    };
    let mut sketch = CategoricalSketch::default();
    values.iter().for_each(|v| sketch.add(v.as_deref(), &spec));
    sketch
}

fn merged<T: Clone>(first: &T, rest: &[&T], merge: impl Fn(&mut T, &T)) -> T {
    let mut acc = first.clone();
    rest.iter().for_each(|other| merge(&mut acc, other));
    acc
}

/// Numbers with repeats, tails and missing values.
fn values() -> impl Strategy<Value = Vec<Option<f64>>> {
    prop::collection::vec(
        prop_oneof![
            4 => (-20i32..20).prop_map(|i| Some(f64::from(i) / 4.0)),
            2 => (-1e6f64..1e6).prop_map(Some),
            1 => Just(None),
            1 => Just(Some(f64::NAN)),
        ],
        0..300,
    )
}

fn labels() -> impl Strategy<Value = Vec<Option<String>>> {
    prop::collection::vec(
        prop_oneof![3 => "[ab]".prop_map(Some), 3 => "[c-z]{1,2}".prop_map(Some), 1 => Just(None)],
        0..300,
    )
}

/// Merged sketches must agree: counts exactly, moments to rounding, and
/// t-digest quantiles in rank (a quantile's estimate sits within 2% of q in
/// the pooled data; in value it may jump across a gap in the data).
fn assert_numeric_equivalent(x: &NumericSketch, y: &NumericSketch, pooled: &[Option<f64>]) {
    assert_eq!(x.moments.count(), y.moments.count());
    assert_eq!((x.missing, x.out_of_range), (y.missing, y.out_of_range));
    assert_eq!(x.bins, y.bins);
    assert_eq!(x.exact, y.exact);
    assert_eq!(
        (x.moments.min(), x.moments.max()),
        (y.moments.min(), y.moments.max())
    );
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        (a, b) => a == b,
    };
    assert!(close(x.moments.mean(), y.moments.mean()) && close(x.moments.std(), y.moments.std()));
    assert_eq!(
        (x.digest.count(), x.digest.min(), x.digest.max()),
        (y.digest.count(), y.digest.min(), y.digest.max())
    );
    let values: Vec<f64> = pooled
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let n = values.len() as f64;
    for q in [0.1, 0.5, 0.9] {
        for estimate in [x.digest.quantile(q), y.digest.quantile(q)]
            .into_iter()
            .flatten()
        {
            let below = values.iter().filter(|v| **v < estimate).count() as f64 / n;
            let at_or_below = values.iter().filter(|v| **v <= estimate).count() as f64 / n;
            assert!(
                below - 0.02 <= q && q <= at_or_below + 0.02,
                "q {q}: estimate {estimate} has rank {below}..{at_or_below}"
            );
        }
    }
}

proptest! {
    #[test]
    fn numeric_sketches_merge_in_any_order(a in values(), b in values(), c in values()) {
        let pooled: Vec<Option<f64>> = a.iter().chain(&b).chain(&c).copied().collect();
        let (a, b, c) = (numeric(&a), numeric(&b), numeric(&c));
        let merge = |x: &mut NumericSketch, y: &NumericSketch| x.merge(y);
        let left = merged(&merged(&a, &[&b], merge), &[&c], merge);
        let right = merged(&a, &[&merged(&b, &[&c], merge)], merge);
        let shuffled = merged(&c, &[&a, &b], merge);
        assert_numeric_equivalent(&left, &right, &pooled);
        assert_numeric_equivalent(&left, &shuffled, &pooled);
        let back: NumericSketch = serde_json::from_str(&serde_json::to_string(&left).unwrap()).unwrap();
        prop_assert_eq!(back, left);
    }

    #[test]
    fn categorical_sketches_merge_to_the_same_sketch_in_any_order(a in labels(), b in labels(), c in labels()) {
        let (a, b, c) = (categorical(&a), categorical(&b), categorical(&c));
        let merge = |x: &mut CategoricalSketch, y: &CategoricalSketch| x.merge(y);
        let left = merged(&merged(&a, &[&b], merge), &[&c], merge);
        let right = merged(&a, &[&merged(&b, &[&c], merge)], merge);
        let shuffled = merged(&c, &[&b, &a], merge);
        prop_assert_eq!(&left, &right);
        prop_assert_eq!(&left, &shuffled);
        let back: CategoricalSketch = serde_json::from_str(&serde_json::to_string(&left).unwrap()).unwrap();
        prop_assert_eq!(back, left);
    }

    #[test]
    fn metrics_partials_merge_counts_exactly(
        outcomes in prop::collection::vec((0u8..3, 0u8..3, any::<bool>()), 0..200),
        split in 0usize..200,
        values in values(),
    ) {
        let classes = ["a", "b", "c"];
        let partial = |range: &[(u8, u8, bool)]| {
            let mut m = MetricsPartial::default();
            for (p, a, regression) in range {
                let scored = if *regression {
                    Scored::Numbers { predicted: f64::from(*p), actual: f64::from(*a) }
                } else {
                    Scored::Classes { predicted: classes[*p as usize], actual: classes[*a as usize] }
                };
                m.add_outcome(scored, &Limits::default(), &mut Capped::default());
                m.predictions += 1;
            }
            m.features.insert("x".into(), FeatureSketch::Numeric(numeric(&values)));
            m
        };
        let split = split.min(outcomes.len());
        let (a, b) = (partial(&outcomes[..split]), partial(&outcomes[split..]));
        let whole = partial(&outcomes);
        let merge = |x: &mut MetricsPartial, y: &MetricsPartial| x.merge(y);
        let ab = merged(&a, &[&b], merge);
        let ba = merged(&b, &[&a], merge);
        for m in [&ab, &ba] {
            prop_assert_eq!((m.predictions, m.labeled, m.correct), (whole.predictions, whole.labeled, whole.correct));
            prop_assert_eq!(&m.confusion, &whole.confusion);
            prop_assert_eq!(m.regression.count, whole.regression.count);
        }
        let back: MetricsPartial = serde_json::from_str(&serde_json::to_string(&ab).unwrap()).unwrap();
        prop_assert_eq!(back, ab);
    }

    #[test]
    fn t_digests_merge_with_exact_counts_and_close_quantiles(a in values(), b in values()) {
        let digest = |v: &[Option<f64>]| TDigest::from_values(v.iter().flatten().copied());
        let (da, db) = (digest(&a), digest(&b));
        let ab = merged(&da, &[&db], |x, y| x.merge(y));
        let ba = merged(&db, &[&da], |x, y| x.merge(y));
        prop_assert_eq!((ab.count(), ab.min(), ab.max()), (ba.count(), ba.min(), ba.max()));
        let back: TDigest = serde_json::from_str(&serde_json::to_string(&ab).unwrap()).unwrap();
        prop_assert_eq!(back, ab);
    }
}
