//! The command line. Every subcommand's `--help` is generated from here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::i18n::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "layerlab",
    version,
    about = "Learn Docker images and containers by doing the homework on your own Docker Engine",
    long_about = "Learn Docker images and containers by doing the homework on your own Docker Engine.\n\n\
        Without a subcommand layerlab opens the lessons in the terminal UI."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Use the lesson pack in DIR (a folder with pack.yaml) instead of the embedded one.
    #[arg(long, global = true, value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// Language of everything shown (default: from LC_ALL, LC_MESSAGES, LANG; else en).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    /// The base image the lessons build FROM (default: the pack's pinned Alpine).
    #[arg(long, global = true, value_name = "REF")]
    pub base_image: Option<String>,
    /// Plain text for screen readers and dumb terminals: numbered menus on stdout, answers typed on the line (also when TERM=dumb).
    #[arg(long, global = true)]
    pub plain: bool,
    /// Log level for the log file in the data dir (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
}

impl GlobalArgs {
    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::from_env)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the lessons: id, title, number of steps and your progress.
    Lessons,
    /// Check a lesson pack and print every problem as FILE:LINE:COL: message; with --prove, also run it against Docker.
    Validate(ValidateArgs),
    /// Check the Docker connection and what the lessons need.
    Doctor,
    /// Remove the containers and images layerlab created (from its records in the data dir), nothing else.
    Clean(CleanArgs),
    /// Load images from a `docker save` tarball (like `docker load`), e.g. a base image in an offline classroom.
    Load {
        /// The tarball.
        archive: PathBuf,
    },
    /// Explore an image's layers, file trees and wasted space.
    Layers(LayersArgs),
    /// The live lab: an image's read-only layers next to a container's writable layer.
    Lab {
        /// The image (default: your lesson image).
        image: Option<String>,
    },
    /// Open the lessons at LESSON or LESSON/STEP (ids as in `layerlab lessons`), e.g. `dockerfile/instructions`.
    Open {
        /// LESSON or LESSON/STEP.
        target: String,
    },
    /// Run a lesson's actions and checks without the UI, one line per step.
    Run(RunArgs),
    /// Watch a lesson while you type the docker commands in another terminal:
    /// one line per step as it is reached, one per hint; exit 0 when all are.
    Watch(WatchArgs),
    /// The self-check quiz.
    Quiz {
        /// Print the questions, one per line with their kind, and exit.
        #[arg(long)]
        list: bool,
    },
    /// Grade the homework on this machine.
    Check(CheckArgs),
    /// Write the homework README (Markdown) with figures measured now.
    Report(ReportArgs),
    /// Check a report against its evidence block and the registry.
    Verify {
        /// The report (Markdown written by `layerlab report`).
        report: PathBuf,
    },
    /// Grade a whole class from the registry: no Docker daemon, nothing pulled or run (docs/teachers.md).
    Grade(GradeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Where to write it (default: README.md in the workspace; `-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The image the report is about (default: the one you built in the lessons).
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// The pushed reference (default: the one the push lesson recorded).
    #[arg(long, value_name = "REF")]
    pub pushed: Option<String>,
    /// Accept this base image in place of Alpine (the offline stand-in).
    #[arg(long, value_name = "REF")]
    pub accept_base: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// Also remove the base images layerlab pulled or loaded.
    #[arg(long)]
    pub all: bool,
    /// Only list what would be removed and what is kept.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LayersArgs {
    /// The image (name, name:tag or id) to read from the daemon.
    #[arg(required_unless_present = "archive", conflicts_with = "archive")]
    pub image: Option<String>,
    /// Read a `docker save` tarball instead, with no daemon.
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
    /// With --archive holding several images: the one tagged REF (default: the first in manifest.json).
    #[arg(long = "image", id = "pick", value_name = "REF", requires = "archive")]
    pub pick: Option<String>,
    /// Print the analysis as JSON instead of opening the explorer.
    #[arg(long)]
    pub json: bool,
    /// Check the rules below and exit 1 when one fails (for pipelines).
    #[arg(long)]
    pub ci: bool,
    /// --ci rule: at most this many wasted bytes.
    #[arg(long, value_name = "N", requires = "ci")]
    pub max_wasted_bytes: Option<u64>,
    /// --ci rule: efficiency at least X (0..1).
    #[arg(long, value_name = "X", requires = "ci")]
    pub min_efficiency: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// A lesson id, or `all`.
    pub lesson: String,
    /// Where to push, e.g. docker.io/USER or 127.0.0.1:5000/USER.
    #[arg(long, value_name = "REF")]
    pub registry: Option<String>,
    /// Run steps that ask for confirmation without asking.
    #[arg(long)]
    pub yes: bool,
    /// The name your lesson image gets (default: `image` in DATA_DIR/config.json, else layerlab/nginx-alpine:latest).
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The pack folder (default: the embedded pack).
    pub dir: Option<PathBuf>,
    /// Self-test against the Docker daemon: each lesson once doing nothing (no watched step may tick) and once along the reference path (`run`), which must tick every required step; in a throwaway data folder, with names of its own, removed afterwards.
    #[arg(long)]
    pub prove: bool,
    /// With --prove: a registry to push to (HOST:PORT or HOST/USER; a path of the self-test's own is added). Without it the lessons that push are skipped.
    #[arg(long, value_name = "REF", requires = "prove")]
    pub registry: Option<String>,
    /// With --prove: also run the steps that ask first (a privileged container, a push to a public registry).
    #[arg(long, requires = "prove")]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// The lesson to watch (its id, as `layerlab lessons` lists it).
    pub lesson: String,
    /// Give up after this many seconds: exit 1 and list what is still missing.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Where you push, e.g. docker.io/USER or 127.0.0.1:5000/USER.
    #[arg(long, value_name = "REF")]
    pub registry: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The homework image (default: your lesson image).
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Also check that this pushed reference pulls and matches the local image.
    #[arg(long, value_name = "REF")]
    pub pushed: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Accept this base image in place of Alpine (the offline stand-in).
    #[arg(long, value_name = "REF")]
    pub accept_base: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct GradeArgs {
    /// The roster: CSV with the header student,image[,report].
    pub roster: PathBuf,
    /// Print CSV instead of the Markdown table.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Print JSON: a list of rows {student, image, passed, criteria: [{id, passed, reason}], digest}.
    #[arg(long)]
    pub json: bool,
    /// Students graded at the same time.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// The platform a multi-platform image (manifest list) is graded for.
    #[arg(long, default_value = "linux/amd64", value_name = "OS/ARCH[/VARIANT]", value_parser = platform)]
    pub platform: String,
    /// Accept layerlab's offline stand-in (a test double) as the Alpine base.
    #[arg(long)]
    pub accept_base: bool,
    /// Print the time and request counts to stderr (and each row's in --json).
    #[arg(long)]
    pub stats: bool,
}

/// A wrong `--platform` is a usage error (exit 2), said before any work.
fn platform(text: &str) -> Result<String, String> {
    crate::registry::Platform::parse(text).map(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
