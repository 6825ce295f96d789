//! `mlobs run`: the pipeline's consumer groups, until SIGINT or SIGTERM.

use clap::ValueEnum;
use mlobs_pipeline::baselines;
use mlobs_pipeline::shutdown::Shutdown;
use mlobs_pipeline::sinks::Sinks;
use mlobs_pipeline::{health, stage1, stage2, Config};

#[derive(clap::Args)]
pub struct Args {
    /// Which stage this process runs; run as many processes per stage as you like.
    #[arg(long, value_enum, default_value_t = Stage::All)]
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Stage {
    /// Stage 1: join predictions with labels, emit per-window partials.
    Join,
    /// Stage 2: merge partials into window results with drift.
    Evaluate,
    /// Both, in one process.
    All,
}

pub fn execute(config: &Config, args: Args) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    let stages: &[health::Stage] = match args.stage {
        Stage::Join => &[health::Stage::Join],
        Stage::Evaluate => &[health::Stage::Evaluate],
        Stage::All => &[health::Stage::Join, health::Stage::Evaluate],
    };
    let sinks = Sinks::start(config, stages, &shutdown)?;
    let baselines = baselines::open(config, Some(&shutdown), Some(&sinks))?;
    let evaluate = (args.stage != Stage::Join).then(|| {
        let (config, baselines, shutdown) = (config.clone(), baselines.clone(), shutdown.clone());
        let sinks = sinks.clone();
        std::thread::spawn(move || {
            let outcome = stage2::runner::run(&config, baselines, &sinks, &shutdown);
            shutdown.trigger();
            outcome
        })
    });
    let joined = if args.stage == Stage::Evaluate {
        Ok(())
    } else {
        let outcome = stage1::runner::run(config, baselines, &sinks, &shutdown);
        shutdown.trigger();
        outcome
    };
    let evaluated = match evaluate {
        Some(thread) => thread.join().unwrap_or_else(|_| {
            Err(mlobs_pipeline::PipelineError::Stopped(
                "stage 2 panicked".into(),
            ))
        }),
        None => Ok(()),
    };
    joined?;
    evaluated?;
    Ok(())
}
