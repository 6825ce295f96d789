//! Environment overrides: every config key can be set from `MLOBS_<PATH>`.

use super::ConfigError;

/// `kafka.topics.dlq` -> `MLOBS_KAFKA_TOPICS_DLQ`.
pub fn env_name(key: &str) -> String {
    format!("MLOBS_{}", key.replace(['.', '-'], "_").to_uppercase())
}

pub(super) fn leaf_keys(value: &toml::Value, prefix: String, out: &mut Vec<String>) {
    match value {
        toml::Value::Table(table) => {
            for (name, child) in table {
                let key = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                leaf_keys(child, key, out);
            }
        }
        _ => out.push(prefix),
    }
}

/// Replaces the leaf at `key` with `raw`, parsed as the type the leaf has.
pub(super) fn set_leaf(
    tree: &mut toml::Value,
    key: &str,
    raw: &str,
    var: &str,
) -> Result<(), ConfigError> {
    let mut node = tree;
    for part in key.split('.') {
        node = node.get_mut(part).expect("key paths come from this tree");
    }
    let wrong = |kind: &str| ConfigError::Invalid {
        key: format!("{key} (from {var})"),
        value: raw.into(),
        allowed: format!("must be {kind}"),
    };
    *node = match node {
        toml::Value::Integer(_) => {
            toml::Value::Integer(raw.parse().map_err(|_| wrong("an integer"))?)
        }
        toml::Value::Float(_) => toml::Value::Float(raw.parse().map_err(|_| wrong("a number"))?),
        toml::Value::Boolean(_) => {
            toml::Value::Boolean(raw.parse().map_err(|_| wrong("true or false"))?)
        }
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.into()))
                .collect(),
        ),
        _ => toml::Value::String(raw.into()),
    };
    Ok(())
}
