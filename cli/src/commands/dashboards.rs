//! `mlobs dashboards --output DIR`: writes the Grafana dashboards (one JSON
//! file each) for a Grafana of your own; infra/grafana/dashboards holds the
//! same files, and infra/grafana/provisioning the datasources they use.

use std::path::PathBuf;

use anyhow::Context;

use crate::out;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to write the dashboards to (created if missing; files of the
    /// same names are replaced).
    #[arg(long)]
    output: PathBuf,
}

pub fn execute(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.output).with_context(|| {
        format!(
            "cannot create {}; give --output a folder you can write to",
            args.output.display()
        )
    })?;
    for dashboard in mlobs_dashboards::all() {
        let path = args.output.join(dashboard.file_name());
        std::fs::write(&path, mlobs_dashboards::file_text(&dashboard))
            .with_context(|| format!("cannot write {}", path.display()))?;
        out!("wrote {} ({})", path.display(), dashboard.title);
    }
    Ok(())
}
