//! One front-end per command of the command line. Only this tier sees
//! clap's types (`args`); it turns them into plain values for the tiers below.

pub mod args;
pub mod check;
pub mod docker;
pub mod grade;
pub mod help;
pub mod layers;
pub mod lessons;
pub mod open;
pub mod prove;
pub mod quiz;
pub mod report;
pub mod run;
pub mod tui;
pub mod verify;
pub mod watch;
