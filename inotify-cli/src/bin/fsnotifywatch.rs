//! `fsnotifywatch`: `innotifywatch` watching with fanotify by default
//! (`-I` switches to inotify), as inotify-tools 4.x names it (see
//! `inotify_cli::fsnotifywatch`).
#![forbid(unsafe_code)]

fn main() {
    std::process::exit(inotify_cli::fsnotifywatch(std::env::args_os().skip(1)));
}
