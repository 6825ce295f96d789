//! A categorical column held as it is read: each distinct label once and a
//! small code per row. A million rows of five labels are 4 MB of codes
//! instead of a million `String`s, and counting them is one pass over
//! integers.

use std::collections::BTreeMap;

use crate::intern::Interner;

/// The labels of one categorical column, interned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels {
    names: Interner,
    codes: Vec<u32>,
}

impl Labels {
    /// The code of a missing cell.
    pub const MISSING: u32 = u32::MAX;

    /// A column from its distinct labels and one code per row (an id in
    /// `names`, or [`Labels::MISSING`]). Readers that intern on their own
    /// (one dictionary per chunk, merged) build columns this way.
    pub fn from_codes(names: Interner, codes: Vec<u32>) -> Self {
        debug_assert!(codes
            .iter()
            .all(|&c| c == Self::MISSING || (c as usize) < names.len()));
        Labels { names, codes }
    }

    /// Appends one row.
    pub fn push(&mut self, label: Option<&str>) {
        let code = label.map_or(Self::MISSING, |l| self.names.intern(l));
        self.codes.push(code);
    }

    /// Rows, missing ones included.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Every row's label, `None` where missing.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.codes
            .iter()
            .map(|&c| (c != Self::MISSING).then(|| self.names.name(c)))
    }

    /// Rows per label (labels that occur), and the missing rows.
    pub fn counts(&self) -> (BTreeMap<&str, u64>, u64) {
        let mut per_code = vec![0u64; self.names.len()];
        let mut missing = 0;
        for &code in &self.codes {
            match per_code.get_mut(code as usize) {
                Some(n) => *n += 1,
                None => missing += 1,
            }
        }
        let counts = per_code
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(code, n)| (self.names.name(code as u32), *n))
            .collect();
        (counts, missing)
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for Labels {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(rows: I) -> Self {
        let mut labels = Labels::default();
        for row in rows {
            labels.push(row.as_ref().map(AsRef::as_ref));
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rows_survive_interning() {
        let labels: Labels = [Some("b"), None, Some("a"), Some("b")]
            .into_iter()
            .collect();
        assert_eq!(labels.len(), 4);
        let (counts, missing) = labels.counts();
        assert_eq!(counts, BTreeMap::from([("a", 1), ("b", 2)]));
        assert_eq!(missing, 1);
        let rows: Vec<Option<&str>> = labels.iter().collect();
        assert_eq!(rows, [Some("b"), None, Some("a"), Some("b")]);
    }

    #[test]
    fn codes_from_a_reader_mean_the_same_rows() {
        let names = vec!["x".to_string(), "y".to_string()].into();
        let labels = Labels::from_codes(names, vec![1, Labels::MISSING, 0]);
        let pushed: Labels = [Some("y"), None, Some("x")].into_iter().collect();
        assert_eq!(
            labels.iter().collect::<Vec<_>>(),
            pushed.iter().collect::<Vec<_>>()
        );
        assert_eq!(labels.counts(), pushed.counts());
    }
}
