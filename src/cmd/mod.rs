//! Front-ends of the command-line subcommands.

pub mod grade;
