//! The integration tests, one binary: 23 binaries each linking the whole
//! crate and its dependencies cost CI more time to link than to run.
//! nextest still runs every test in its own process, so tests stay as
//! isolated as they were. Filter by module: `cargo nextest run tmux_lab::`.

// Shared helpers.
mod common;
mod homework;
mod layers_support;
mod support;
mod walkthrough;

// The tests, a module per area.
mod clean_output;
mod clean_ownership;
mod docker_client;
mod engine_current;
mod fuzz_inputs;
mod grade;
mod grader;
mod handin;
mod harness_registry;
mod lab;
mod layers_archive;
mod layers_cli;
mod layers_daemon;
mod layers_docker_load;
mod layers_malformed;
mod layers_memory;
mod lesson_fixtures;
mod lesson_pack_content;
mod nginx_lesson_image;
mod pack_trust;
mod plain_mode;
mod prove_pack;
mod quiz_cli;
mod report;
mod run_faults;
mod snapshots;
mod snapshots_explorer;
mod standin_base;
mod tmux_answers;
mod tmux_explorer;
mod tmux_journey;
mod tmux_lab;
mod tmux_lost_daemon;
mod tmux_terminal;
mod tmux_typing;
mod tmux_walkthrough;
mod tmux_watch;
mod walkthrough_errors;
mod walkthrough_run_all;
mod watch_learner;
mod watch_learner_more;
