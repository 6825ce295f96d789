//! Small integer ids for repeated strings (model versions, class labels), so
//! that per-prediction state stays a few bytes.

use hashbrown::HashMap;

use serde::{Deserialize, Serialize};

/// Maps strings to dense ids, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Interner {
    names: Vec<String>,
    /// hashbrown's default hasher (foldhash): a lookup per prediction (its
    /// series) and per cell of a categorical CSV column, where std's SipHash
    /// showed in profiles.
    ids: HashMap<String, u32>,
}

impl Interner {
    /// The id of `name`, assigning the next one if it is new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The id of `name`, if it is known.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The string of `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// How many strings are known.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no string is known.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl From<Vec<String>> for Interner {
    fn from(names: Vec<String>) -> Self {
        let ids = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        Interner { names, ids }
    }
}

impl From<Interner> for Vec<String> {
    fn from(interner: Interner) -> Self {
        interner.names
    }
}
