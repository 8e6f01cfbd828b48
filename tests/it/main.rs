//! The integration tests: one binary, so the harness compiles once and the
//! suite links once. Each module runs the real binaries (or a real peer
//! program) over temporary directories; see [`harness`].

// A test binary exports nothing: its `pub` marks what the modules share.
#![allow(unreachable_pub)]

mod harness;

/// The man pages and completions generator, shared with `cargo run
/// --example gen-docs`.
#[path = "../../examples/gen-docs.rs"]
#[allow(dead_code)]
mod gen_docs;

/// The contract extraction, shared with `cargo run --example
/// extract-contract`.
#[path = "../../examples/extract-contract.rs"]
#[allow(dead_code)]
mod extract_contract;

mod adopt;
mod alerts;
mod anacron;
mod catalogue;
mod causes;
mod contract;
mod contrib;
mod fleet;
mod fleet_alerts;
mod fleet_groups;
mod hb_check;
mod hb_write;
mod layers;
mod mail;
mod metrics;
mod night_watch;
mod notify;
mod notify_more;
mod package;
mod pings;
mod runs;
mod schedule;
mod start;
mod timers;
mod timers_hostile;
mod torture;
mod tracker;
mod tracker_alerts;
mod tracker_guards;
mod tracker_hostile;
mod users;
mod wrapper;
