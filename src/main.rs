use std::io::Write;
use std::process::ExitCode;

use layerlab::cmd::args::Command;

fn main() -> ExitCode {
    layerlab::tui::terminal::mark_start();
    let cli = layerlab::cmd::help::parse();
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
            None => layerlab::cmd::tui::lessons(&global).await,
            Some(Command::Lessons) => layerlab::cmd::lessons::list(&global),
            Some(Command::Validate(args)) if args.prove => {
                layerlab::cmd::prove::prove(&global, &args).await
            }
            Some(Command::Validate(args)) => {
                layerlab::cmd::lessons::validate(args.dir.as_deref().or(global.lessons.as_deref()))
            }
            Some(Command::Doctor) => layerlab::cmd::docker::doctor(&global).await,
            Some(Command::Clean(args)) => layerlab::cmd::docker::clean(&global, &args).await,
            Some(Command::Load { archive }) => layerlab::cmd::docker::load(&global, &archive).await,
            Some(Command::Layers(args))
                if !args.json
                    && !args.ci
                    && std::io::IsTerminal::is_terminal(&std::io::stdout()) =>
            {
                layerlab::cmd::tui::explorer(&global, &args).await
            }
            Some(Command::Layers(args)) => layerlab::cmd::layers::layers(&global, &args).await,
            Some(Command::Lab { image }) => layerlab::cmd::tui::lab(&global, image).await,
            Some(Command::Open { target }) => layerlab::cmd::open::open(&global, &target).await,
            Some(Command::Run(args)) => layerlab::cmd::run::run_headless(&global, &args).await,
            Some(Command::Watch(args)) => layerlab::cmd::watch::watch(&global, &args).await,
            Some(Command::Quiz { list }) => layerlab::cmd::quiz::quiz(&global, list).await,
            Some(Command::Check(args)) => layerlab::cmd::check::check(&global, &args).await,
            Some(Command::Report(args)) => layerlab::cmd::report::report(&global, &args).await,
            Some(Command::Verify { report }) => {
                layerlab::cmd::verify::verify(&global, &report).await
            }
            Some(Command::Grade(args)) => layerlab::cmd::grade::grade(&global, &args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            // Errors quote inputs (a pack, an archive, the daemon): escaped.
            // Not eprintln!: it panics when stderr is gone (a closed terminal).
            let _ = writeln!(
                std::io::stderr(),
                "layerlab: {}",
                layerlab::sanitize::clean_text(&format!("{e:#}"))
            );
            ExitCode::FAILURE
        }
    }
}
