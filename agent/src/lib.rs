//! The mlobs agent (issue 11, in progress): what an on-call engineer does
//! when an alert fires, as code.
//!
//! - [`tools`]: the diagnosis tools (the seed's five and what a diagnosis
//!   needs besides), one file each, reading ClickHouse (history),
//!   Prometheus (live series) and MLflow (registry). The agent and the MCP
//!   server share them.
//! - [`mcp`]: the same tools served over MCP (`mlobs mcp serve`), on
//!   stdio and on streamable HTTP behind a bearer token.
//! - [`reason`]: pure code from the evidence the tools gathered to ranked
//!   root-cause hypotheses and remedies; no I/O, no LLM needed.
//! - [`investigate`]: the Investigate node: calls the tools, maps their
//!   answers onto the evidence, and runs the reasoning
//!   (`mlobs agent investigate`).

pub mod approval;
pub mod graph;
pub mod investigate;
pub mod mcp;
pub mod reason;
pub mod tools;
pub mod worker;
