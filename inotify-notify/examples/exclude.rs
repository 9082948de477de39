//! pyinotify's `exclude.py`: an `ExcludeFilter` from regular expressions
//! keeps directories out of a recursive watch.
//!
//! `cargo run -p inotify-notify --example exclude [-- DIR]`

#[path = "support/demo_dir.rs"]
mod demo_dir;

use inotify_notify::{ExcludeFilter, WatchManager, WatchMask, WatchOptions};

fn main() -> Result<(), inotify_notify::Error> {
    let dir = demo_dir::DemoDir::from_args("exclude")?;
    if dir.is_demo() {
        std::fs::create_dir_all(dir.join("src/module"))?;
        std::fs::create_dir_all(dir.join("target/debug"))?;
        std::fs::create_dir_all(dir.join(".git/objects"))?;
    }
    let filter = ExcludeFilter::from_patterns([r"/target$", r"/\.git$"])?;
    let wm = WatchManager::new()?;
    let options = WatchOptions {
        rec: true,
        auto_add: true,
        exclude_filter: Some(filter),
        ..WatchOptions::default()
    };
    let added = wm.add_watch(dir.path(), WatchMask::CREATE | WatchMask::MODIFY, &options)?;
    for (path, wd) in &added {
        match wd {
            Ok(wd) => println!("watching {} (wd {wd})", path.display()),
            Err(err) => println!("failed {}: {err}", path.display()),
        }
    }
    dir.remove()?;
    Ok(())
}
