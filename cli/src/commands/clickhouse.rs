//! `mlobs clickhouse migrate`.

use clap::Subcommand;
use mlobs_pipeline::sinks::clickhouse::{migrate, ClickHouse};
use mlobs_pipeline::Config;

use crate::{bad_input, out};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create the database (clickhouse.database) and its tables where missing (safe to repeat).
    Migrate,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Migrate => {
            let clickhouse = ClickHouse::from_config(&config.clickhouse)?.ok_or_else(|| {
                bad_input!("clickhouse.url is empty (the history is off); set it to migrate")
            })?;
            let statements = migrate::migrate(&clickhouse)?;
            out!(
                "applied {statements} statements to {}: database {}, tables {}",
                clickhouse.url(),
                clickhouse.database(),
                migrate::TABLES.join(", ")
            );
            Ok(())
        }
    }
}
