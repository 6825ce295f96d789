//! One module per subcommand: its arguments and what it does.

pub mod agent;
pub mod alerts;
pub mod baseline;
pub mod clickhouse;
mod columns;
pub mod dashboards;
pub mod drift;
pub mod mcp;
pub mod model;
pub mod replay;
pub mod report;
pub mod retrain;
pub mod run;
pub mod simulate;
pub mod topics;
pub mod windows;
