//! The mlobs agent: what an on-call engineer does when an alert fires, as
//! code.
//!
//! - [`tools`]: the diagnosis tools (the seed's five and what a diagnosis
//!   needs besides), one file each, reading ClickHouse (history),
//!   Prometheus (live series) and MLflow (registry). The agent and the MCP
//!   server share them.
//! - [`mcp`]: the same tools served over MCP (`mlobs mcp serve`), on
//!   stdio and on streamable HTTP behind a bearer token, with the write
//!   tools that ask for and approve actions.
//! - [`reason`]: pure code from the evidence the tools gathered to ranked
//!   root-cause hypotheses and remedies; no I/O, no LLM needed.
//! - [`investigate`]: the Investigate node: calls the tools, maps their
//!   answers onto the evidence, and runs the reasoning
//!   (`mlobs agent investigate`).
//! - [`graph`]: the incident graph's nodes (monitor, act, verify) and
//!   the approval policy, pure; [`worker`] runs them against Kafka,
//!   ClickHouse and MLflow (`mlobs agent run`); [`approval`] is the
//!   people's side (`mlobs agent approve|reject`, MCP); [`narrator`]
//!   optionally has a chat model put a diagnosis into words, checked
//!   against the evidence.

pub mod approval;
pub mod graph;
pub mod investigate;
pub mod mcp;
pub mod narrator;
pub mod reason;
pub mod tools;
pub mod worker;
