//! `inotifywait`: waits for filesystem events and prints them (see
//! `inotify_cli::wait`).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(inotify_cli::wait::main(std::env::args_os().skip(1)));
}
