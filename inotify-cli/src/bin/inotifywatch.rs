//! `inotifywatch`: counts filesystem events and prints a table (see
//! `inotify_cli::inotifywatch`).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(inotify_cli::inotifywatch(std::env::args_os().skip(1)));
}
