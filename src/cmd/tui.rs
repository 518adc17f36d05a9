//! The TUI's three entries: the lessons (no subcommand), the layer explorer
//! (`layers` on a terminal) and the lab (`lab`).

use std::process::ExitCode;

use crate::cmd::args::{GlobalArgs, LayersArgs};
use crate::tui::boot::{self, Options};

pub fn options(global: &GlobalArgs) -> Options {
    Options {
        lang: global.lang(),
        lessons: global.lessons.clone(),
        base_image: global.base_image.clone(),
    }
}

pub async fn lessons(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if crate::tui::plain::wanted(global.plain) {
        return crate::tui::plain::run(&options(global), None).await;
    }
    boot::run_tui(&options(global)).await
}

pub async fn explorer(global: &GlobalArgs, args: &LayersArgs) -> anyhow::Result<ExitCode> {
    boot::run_explorer(&options(global), args.archive.clone(), args.image.clone()).await
}

pub async fn lab(global: &GlobalArgs, image: Option<String>) -> anyhow::Result<ExitCode> {
    boot::run_lab(&options(global), image).await
}
