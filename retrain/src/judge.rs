//! Judging a new model against the champion on the same holdout, and the
//! promotion policy: `auto` promotes only a model that is better by the
//! margin and significantly so (McNemar's test on the paired answers: the
//! two models saw the same rows, so only the rows where they disagree
//! carry information).

use mlobs_operators::stats::pvalues::chi2_sf;
use mlobs_pipeline::config::Promote;

/// Two models' answers on the same rows: whether each was right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paired {
    /// Rows judged.
    pub rows: u64,
    /// Rows the new model got right.
    pub new_right: u64,
    /// Rows the champion got right.
    pub champion_right: u64,
    /// Right by the new model only.
    pub only_new: u64,
    /// Right by the champion only.
    pub only_champion: u64,
}

impl Paired {
    /// Counts the pairs (new right, champion right) of each row.
    pub fn count(pairs: impl IntoIterator<Item = (bool, bool)>) -> Paired {
        let mut p = Paired::default();
        for (new, champion) in pairs {
            p.rows += 1;
            p.new_right += u64::from(new);
            p.champion_right += u64::from(champion);
            p.only_new += u64::from(new && !champion);
            p.only_champion += u64::from(champion && !new);
        }
        p
    }

    /// The new model's accuracy.
    pub fn new_accuracy(&self) -> f64 {
        ratio(self.new_right, self.rows)
    }

    /// The champion's accuracy.
    pub fn champion_accuracy(&self) -> f64 {
        ratio(self.champion_right, self.rows)
    }

    /// McNemar's two-sided p-value with continuity correction (statsmodels'
    /// `mcnemar(exact=False, correction=True)`); 1 when they never disagree.
    pub fn p_value(&self) -> f64 {
        let (b, c) = (self.only_new as f64, self.only_champion as f64);
        if b + c == 0.0 {
            return 1.0;
        }
        let statistic = ((b - c).abs() - 1.0).max(0.0).powi(2) / (b + c);
        chi2_sf(statistic, 1.0)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// What the policy decided, and why in words.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Promote now.
    Promote(String),
    /// Leave it as challenger for a person.
    Wait(String),
}

/// The promotion policy on `paired`.
pub fn decide(paired: &Paired, promote: Promote, margin: f64, significance: f64) -> Decision {
    let gain = paired.new_accuracy() - paired.champion_accuracy();
    let p = paired.p_value();
    let numbers = format!(
        "{:.1}% vs the champion's {:.1}% on {} holdout rows ({:+.1} points, McNemar p = {p:.3})",
        100.0 * paired.new_accuracy(),
        100.0 * paired.champion_accuracy(),
        paired.rows,
        100.0 * gain
    );
    if promote == Promote::Approval {
        return Decision::Wait(format!("{numbers}; the policy is approval"));
    }
    if gain < margin {
        return Decision::Wait(format!(
            "{numbers}; not better by the margin of {:.1} points",
            100.0 * margin
        ));
    }
    if p >= significance {
        return Decision::Wait(format!("{numbers}; not significant at {significance}"));
    }
    Decision::Promote(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paired(rows: u64, only_new: u64, only_champion: u64, both: u64) -> Paired {
        Paired {
            rows,
            new_right: both + only_new,
            champion_right: both + only_champion,
            only_new,
            only_champion,
        }
    }

    #[test]
    fn mcnemar_matches_the_textbook_statistic() {
        // b = 25, c = 10: (|25 - 10| - 1)^2 / 35 = 5.6, chi2(1) tail 0.01797.
        let p = paired(1000, 25, 10, 940).p_value();
        assert!((p - 0.017_97).abs() < 1e-4, "{p}");
        assert_eq!(paired(100, 0, 0, 90).p_value(), 1.0);
        assert_eq!(
            paired(100, 1, 0, 90).p_value(),
            1.0,
            "one disagreement proves nothing"
        );
    }

    #[test]
    fn auto_promotes_only_a_significant_win_by_the_margin() {
        let win = paired(1000, 40, 10, 930);
        assert!(matches!(
            decide(&win, Promote::Auto, 0.01, 0.05),
            Decision::Promote(_)
        ));
        let Decision::Wait(why) = decide(&win, Promote::Approval, 0.01, 0.05) else {
            panic!("approval always waits")
        };
        assert!(why.contains("policy is approval"), "{why}");
        let worse = paired(1000, 10, 40, 930);
        let Decision::Wait(why) = decide(&worse, Promote::Auto, 0.01, 0.05) else {
            panic!("a worse model is not promoted")
        };
        assert!(
            why.contains("-3.0 points") && why.contains("margin"),
            "{why}"
        );
        let lucky = paired(100, 3, 1, 90);
        let Decision::Wait(why) = decide(&lucky, Promote::Auto, 0.01, 0.05) else {
            panic!("a small win is not significant")
        };
        assert!(why.contains("not significant"), "{why}");
    }
}
