//! `--version` of both programs (our version and the inotify-tools release
//! followed) and `--help`'s pointer to the man pages' list of differences.

use crate::support::{TempDir, ours, run};

#[test]
fn version_names_the_release_followed_and_exits_zero() {
    let dir = TempDir::new("version");
    for program in ["inotifywait", "inotifywatch"] {
        let out = run(&ours(program), &["--version"], dir.path());
        assert_eq!(out.code(), Some(0), "{program}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with(&format!("{program} {}", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
        assert!(text.contains("follows inotify-tools 3.22"), "{text}");
        assert!(out.stderr.is_empty(), "{out:?}");
        let help = run(&ours(program), &["--help"], dir.path());
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(
            help.contains(&format!("DIFFERENCES FROM INOTIFY-TOOLS in {program}(1)")),
            "{help}"
        );
    }
}
