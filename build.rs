//! Links hb-write as a position-dependent executable on Linux.
//!
//! hb-write runs after every cron job on every host, so its start-up is the
//! product's price. As a PIE, the dynamic loader must patch about 34,000
//! relative relocations (1.1 MB of `.data.rel.ro`: the vtables and tables
//! of every crate linked in) before `main`: 389 page faults and a million
//! instructions for a run that then makes one small write. Linked as a
//! position-dependent executable (`--no-pie`) those addresses are fixed at
//! link time: 121 page faults and 582,000 instructions (measured again
//! once reqwest and tokio had left; see BENCHMARKS.md). hb-check and
//! night-watch, which read files and answers from other users and servers
//! and run a few times an hour, stay PIE.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    // A static build through RUSTFLAGS (`-C target-feature=+crt-static`) is
    // a static PIE, left as it is. Given on `cargo rustc` instead, where this
    // script cannot see it, the link fails (undefined `_DYNAMIC`) rather than
    // make a binary that crashes; `-C relocation-model=static` beside it
    // makes a plain static executable.
    let static_build = features.split(',').any(|f| f == "crt-static");
    if os == "linux" && !static_build {
        println!("cargo::rustc-link-arg-bin=hb-write=-Wl,--no-pie");
    }
}
