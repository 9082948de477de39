//! `inotifywait`: waits for filesystem events and prints them (see
//! `inotify_cli::inotifywait`).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(inotify_cli::inotifywait(std::env::args_os().skip(1)));
}
