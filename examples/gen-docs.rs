//! Writes the man pages and the bash, zsh and fish completions of the
//! binaries, generated from their clap definitions, for the Debian package:
//!
//! ```sh
//! cargo run --example gen-docs -- target/assets
//! ```
//!
//! makes `target/assets/man/man1/*.1` and `target/assets/completions/{bash,zsh,fish}/*`,
//! the paths `[package.metadata.deb]` in Cargo.toml packages. An example, so
//! that nothing of it is built into, or installed with, the tools.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

/// Every binary's command line, as its `--help` shows it.
pub fn commands() -> Vec<clap::Command> {
    vec![
        cron_heartbeat::check::Args::command(),
        cron_heartbeat::watch::Args::command(),
        cron_heartbeat::write::Args::command(),
    ]
}

/// Writes every man page and completion below `out`; returns the files.
pub fn generate(out: &Path) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man = out.join("man").join("man1");
    fs::create_dir_all(&man)?;
    for command in commands() {
        let name = command.get_name().to_owned();
        let path = man.join(format!("{name}.1"));
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone())
            .section("1")
            .source(format!("cron-heartbeat {}", env!("CARGO_PKG_VERSION")))
            .manual("cron-heartbeat")
            .render(&mut page)?;
        fs::write(&path, page)?;
        written.push(path);
        // Named as each shell's loader looks them up: bash-completion by
        // the command's name, zsh as `_NAME`, fish as `NAME.fish`.
        for (shell, file) in [
            (Shell::Bash, name.clone()),
            (Shell::Zsh, format!("_{name}")),
            (Shell::Fish, format!("{name}.fish")),
        ] {
            let dir = out.join("completions").join(shell.to_string());
            fs::create_dir_all(&dir)?;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command.clone(), &name, &mut script);
            let path = dir.join(file);
            fs::write(&path, script)?;
            written.push(path);
        }
    }
    Ok(written)
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("gen-docs: give the output directory, such as target/assets");
        return ExitCode::from(2);
    };
    match generate(Path::new(&out)) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!(
                "gen-docs: cannot write to {}: {err}",
                Path::new(&out).display()
            );
            ExitCode::FAILURE
        }
    }
}
