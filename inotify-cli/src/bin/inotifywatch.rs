//! `inotifywatch`: counts filesystem events and prints a table (see
//! `inotify_cli::watch`).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(inotify_cli::watch::main(std::env::args_os().skip(1)));
}
