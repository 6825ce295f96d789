//! Root-cause reasoning: evidence in, ranked hypotheses and remedies out.
//!
//! Pure code (no I/O, no async, no LLM): the Investigate node fills an
//! [`Evidence`] from the tools' answers, [`diagnose`] scores every
//! category of the seed's section 4 and names one with a confidence, the
//! evidence lines and the reason each alternative was rejected, and
//! [`propose`] ranks the remedies of issue 11's table. [`InvestigationReport`]
//! is the JSON contract of `mlobs agent investigate`.
//!
//! - [`evidence`]: the input, plain serde structs with units.
//! - [`hypotheses`]: the rules, one file per family (data, model, infra,
//!   labels), each explained where it is written.
//! - [`diagnosis`]: picking one cause, or `none` when support is weak or
//!   two causes fit equally.
//! - [`remedies`]: the table from cause to ranked actions.
//! - [`report`]: the contract and its text rendering.

pub mod category;
pub mod diagnosis;
pub mod evidence;
pub mod hypotheses;
pub mod hypothesis;
pub mod remedies;
pub mod report;

#[cfg(test)]
mod tests;

pub use category::Category;
pub use diagnosis::{diagnose, Diagnosis, Rejection};
pub use evidence::Evidence;
pub use hypothesis::{EvidenceLine, Hypothesis};
pub use remedies::{propose, Action, Remedy};
pub use report::InvestigationReport;

/// Runs the Reason node and the proposal of the Act node on `ev`: the
/// report `mlobs agent investigate` prints.
pub fn investigate(ev: &Evidence) -> InvestigationReport {
    let d = diagnose(ev);
    let remedies = propose(&d, ev);
    InvestigationReport::new(ev, &d, remedies)
}
