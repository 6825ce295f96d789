//! What serves: aliases `champion` and `challenger` name versions, and the
//! registered-model tag `mlobs.traffic.challenger` holds the challenger's
//! share of traffic (0..1). Model servers follow these; a rollback is an
//! alias move.
//!
//! Every change is audited twice: the version it names gets a fixed set of
//! last-change tags (`mlobs.audit.*`: who, why, when, what it replaced), so
//! the registry shows at a glance why a version serves; and the returned
//! [`Event`] is the full history's row (the CLI writes it to ClickHouse's
//! `registry_events`). A fixed set rather than one tag per change keeps a
//! version's tags bounded; the history lives in ClickHouse.

use crate::{Registry, RegistryError};

/// Alias of the version that takes the traffic.
pub const CHAMPION: &str = "champion";
/// Alias of the version that takes a share of it.
pub const CHALLENGER: &str = "challenger";
/// Registered-model tag: the challenger's share, a number in 0..1.
pub const TRAFFIC_TAG: &str = "mlobs.traffic.challenger";
/// Version tag: the last audited action (`promote`, `rollback`, `traffic`).
pub const AUDIT_ACTION: &str = "mlobs.audit.action";
/// Version tag: who made the last change.
pub const AUDIT_BY: &str = "mlobs.audit.by";
/// Version tag: why.
pub const AUDIT_REASON: &str = "mlobs.audit.reason";
/// Version tag: when, Unix milliseconds.
pub const AUDIT_AT_MS: &str = "mlobs.audit.at_ms";
/// Version tag: the version the change displaced in its role ("" for none).
pub const AUDIT_REPLACED: &str = "mlobs.audit.replaced";

/// Who makes a change, why, and when.
#[derive(Debug, Clone)]
pub struct Change {
    /// A person or a system (`--by`, default `$USER`).
    pub actor: String,
    /// Free text (`--reason`).
    pub reason: String,
    /// Unix milliseconds.
    pub at_ms: i64,
}

/// One audited change, the row of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Registered model.
    pub model: String,
    /// `promote`, `rollback` or `traffic`.
    pub action: &'static str,
    /// The version the change puts in its role.
    pub version: String,
    /// The version that had that role before ("" for none).
    pub previous_version: String,
    /// The challenger's share after the change.
    pub share: f64,
    /// The share before.
    pub previous_share: f64,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When, Unix milliseconds.
    pub at_ms: i64,
}

/// What serves a model now.
#[derive(Debug, Clone, PartialEq)]
pub struct Serving {
    /// The champion's version, if set.
    pub champion: Option<String>,
    /// The challenger's version, if set.
    pub challenger: Option<String>,
    /// The challenger's share (0 when unset or unreadable).
    pub share: f64,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum ServingError {
    /// The request cannot be carried out (unknown model or version, a share
    /// outside 0..1, ...): the message says what is wrong and what to do.
    #[error("{0}")]
    Invalid(String),
    /// MLflow failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// [`Serving`] of `model`, from one `registered-models/get`.
pub fn serving(registry: &Registry, model: &str) -> Result<Serving, ServingError> {
    let found = known_model(registry, model)?;
    Ok(Serving {
        champion: found.alias(CHAMPION).map(str::to_string),
        challenger: found.alias(CHALLENGER).map(str::to_string),
        share: found
            .tag(TRAFFIC_TAG)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0),
    })
}

/// Makes `version` the champion. `None` when it already is (nothing
/// changes, nothing is audited). A challenger that becomes champion stops
/// being the challenger, and its share goes to 0.
pub fn promote(
    registry: &Registry,
    model: &str,
    version: &str,
    change: &Change,
) -> Result<Option<Event>, ServingError> {
    move_champion(registry, "promote", model, version, change)
}

/// Serves `version` alone again: the champion moves back to it and a
/// challenger stops taking traffic (its alias goes, its share is 0), since
/// rolling back means returning to the version known to be good, canary
/// included. The model must have a champion. `None` when `version` is the
/// champion already and no challenger takes traffic.
pub fn rollback(
    registry: &Registry,
    model: &str,
    version: &str,
    change: &Change,
) -> Result<Option<Event>, ServingError> {
    if serving(registry, model)?.champion.is_none() {
        return Err(ServingError::Invalid(format!(
            "model {model} has no champion to roll back from; make one with `mlobs model promote {model} --version V`"
        )));
    }
    move_champion(registry, "rollback", model, version, change)
}

/// Names `challenger` (or keeps the current one when `None`) and gives it
/// `share` of the traffic.
pub fn traffic(
    registry: &Registry,
    model: &str,
    challenger: Option<&str>,
    share: f64,
    change: &Change,
) -> Result<Event, ServingError> {
    if !(0.0..=1.0).contains(&share) {
        return Err(ServingError::Invalid(format!(
            "share {share} is outside 0..1; give the challenger's fraction of traffic, e.g. --share 0.1"
        )));
    }
    let now = serving(registry, model)?;
    let version = match (challenger, now.challenger.as_deref()) {
        (Some(v), _) | (None, Some(v)) => v.to_string(),
        (None, None) => {
            return Err(ServingError::Invalid(format!(
                "model {model} has no challenger; name one with --challenger V"
            )))
        }
    };
    known_version(registry, model, &version)?;
    if now.champion.as_deref() == Some(version.as_str()) {
        return Err(ServingError::Invalid(format!(
            "version {version} is the champion of {model}; a challenger is another version (or promote a challenger with `mlobs model promote`)"
        )));
    }
    let event = Event {
        model: model.to_string(),
        action: "traffic",
        previous_version: now.challenger.clone().unwrap_or_default(),
        share,
        previous_share: now.share,
        ..event_of(model, &version, change)
    };
    if now.challenger.as_deref() != Some(version.as_str()) {
        registry.set_alias(model, CHALLENGER, &version)?;
    }
    registry.set_model_tag(model, TRAFFIC_TAG, &share.to_string())?;
    audit(registry, &event)?;
    Ok(event)
}

fn move_champion(
    registry: &Registry,
    action: &'static str,
    model: &str,
    version: &str,
    change: &Change,
) -> Result<Option<Event>, ServingError> {
    let now = serving(registry, model)?;
    known_version(registry, model, version)?;
    let drops_challenger = action == "rollback" && now.challenger.is_some();
    if now.champion.as_deref() == Some(version) && !drops_challenger {
        return Ok(None);
    }
    let mut event = Event {
        action,
        previous_version: now.champion.clone().unwrap_or_default(),
        share: now.share,
        previous_share: now.share,
        ..event_of(model, version, change)
    };
    if now.champion.as_deref() != Some(version) {
        registry.set_alias(model, CHAMPION, version)?;
    }
    if drops_challenger || now.challenger.as_deref() == Some(version) {
        registry.delete_alias(model, CHALLENGER)?;
        registry.set_model_tag(model, TRAFFIC_TAG, "0")?;
        event.share = 0.0;
    }
    audit(registry, &event)?;
    Ok(Some(event))
}

fn event_of(model: &str, version: &str, change: &Change) -> Event {
    Event {
        model: model.to_string(),
        action: "",
        version: version.to_string(),
        previous_version: String::new(),
        share: 0.0,
        previous_share: 0.0,
        actor: change.actor.clone(),
        reason: change.reason.clone(),
        at_ms: change.at_ms,
    }
}

/// The last-change tags on the version the event names.
fn audit(registry: &Registry, event: &Event) -> Result<(), RegistryError> {
    let at = event.at_ms.to_string();
    for (key, value) in [
        (AUDIT_ACTION, event.action),
        (AUDIT_BY, event.actor.as_str()),
        (AUDIT_REASON, event.reason.as_str()),
        (AUDIT_REPLACED, event.previous_version.as_str()),
        (AUDIT_AT_MS, at.as_str()),
    ] {
        registry.set_version_tag(&event.model, &event.version, key, value)?;
    }
    tracing::info!(
        model = %event.model, action = event.action, version = %event.version,
        previous = %event.previous_version, share = event.share, actor = %event.actor,
        "registry changed"
    );
    Ok(())
}

fn known_model(registry: &Registry, model: &str) -> Result<crate::RegisteredModel, ServingError> {
    registry.model(model).map_err(|e| match e {
        RegistryError::NotFound { .. } => ServingError::Invalid(format!(
            "MLflow at {} has no registered model {model:?}; check the name (the registry lists models at {}/#/models)",
            registry.url(),
            registry.url()
        )),
        other => other.into(),
    })
}

fn known_version(registry: &Registry, model: &str, version: &str) -> Result<(), ServingError> {
    if version.parse::<u64>().is_err() {
        return Err(ServingError::Invalid(format!(
            "version {version:?} is not a version number; MLflow numbers versions 1, 2, 3, ..."
        )));
    }
    registry.version(model, version).map(drop).map_err(|e| match e {
        RegistryError::NotFound { .. } => ServingError::Invalid(format!(
            "model {model} has no version {version:?}; its versions are listed at {}/#/models/{model}",
            registry.url()
        )),
        other => other.into(),
    })
}
