use std::process::ExitCode;

use clap::Parser;
use layerlab::cli::{Cli, Command};

fn main() -> ExitCode {
    layerlab::tui::mark_start();
    let cli = Cli::parse();
    let _log_guard = layerlab::logging::init(&cli.global.log_level);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("layerlab: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let global = cli.global;
    let result = runtime.block_on(async move {
        match cli.command {
            None => layerlab::app::run_tui(&global).await,
            Some(Command::Lessons) => layerlab::lesson::commands::list(&global),
            Some(Command::Validate { dir }) => {
                layerlab::lesson::commands::validate(dir.as_deref().or(global.lessons.as_deref()))
            }
            Some(Command::Doctor) => layerlab::docker::commands::doctor(&global).await,
            Some(Command::Clean) => layerlab::docker::commands::clean(&global).await,
            Some(Command::Load { archive }) => {
                layerlab::docker::commands::load(&global, &archive).await
            }
            Some(Command::Layers(args))
                if !args.json
                    && !args.ci
                    && std::io::IsTerminal::is_terminal(&std::io::stdout()) =>
            {
                layerlab::app::run_explorer(&global, &args).await
            }
            Some(Command::Layers(args)) => layerlab::layers::commands::layers(&global, &args).await,
            Some(Command::Lab { image }) => layerlab::app::run_lab(&global, image).await,
            Some(Command::Run(args)) => {
                layerlab::lesson::runner::run_headless(&global, &args).await
            }
            Some(Command::Quiz { list }) => layerlab::quiz::commands::quiz(&global, list).await,
            Some(Command::Check(args)) => layerlab::quiz::grader::check(&global, &args).await,
            Some(Command::Report { out, image, pushed }) => {
                layerlab::quiz::report::report(&global, out.as_deref(), image, pushed).await
            }
            Some(Command::Grade(args)) => layerlab::cmd::grade::grade(&global, &args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("layerlab: {e:#}");
            ExitCode::FAILURE
        }
    }
}
