//! The options that decide what a recursive watch covers, beyond
//! inotify-tools: ignore rules applied before a directory is watched
//! (`--gitignore`, `--exclude-dir`, `--include-glob`, `--exclude-glob`)
//! and what to do when the watch limit is reached
//! (`--continue-on-limit`, `--fanotify-fallback`). Both programs accept
//! them.

use clap::{Arg, ArgAction, ArgMatches, Command};

/// The rule options (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one independent command-line flag each"
)]
pub struct WatchRules {
    /// `--gitignore`: honour `.gitignore`/`.ignore` files under each root;
    /// `.git` is ignored.
    pub gitignore: bool,
    /// `--exclude-dir GLOB` (repeatable).
    pub exclude_dirs: Vec<String>,
    /// `--include-glob GLOB` (repeatable).
    pub include_globs: Vec<String>,
    /// `--exclude-glob GLOB` (repeatable).
    pub exclude_globs: Vec<String>,
    /// `--continue-on-limit`: keep the watches that landed when the watch
    /// limit is reached, and go on.
    pub continue_on_limit: bool,
    /// `--count-first`: with `-r`, count the directories before watching
    /// and warn when they will not fit in the watch budget.
    pub count_first: bool,
    /// `--fanotify-fallback`: watch what the inotify watch limit leaves
    /// out with fanotify inode marks instead.
    pub fanotify_fallback: bool,
}

impl WatchRules {
    /// Whether any ignore rule was given.
    pub fn any(&self) -> bool {
        self.gitignore
            || !self.exclude_dirs.is_empty()
            || !self.include_globs.is_empty()
            || !self.exclude_globs.is_empty()
    }
}

/// The `--help` lines of these options (both programs).
pub(crate) const HELP: &str =
    "\t--gitignore   \tDo not watch (nor report) what .gitignore and .ignore
\t              \tfiles under each path ignore, nor .git; edits to
\t              \tthem take effect while watching.
\t--exclude-dir <glob>
\t              \tDo not watch directories whose name (or path, if
\t              \t<glob> has a /) matches <glob>. Repeatable.
\t--include-glob <glob>
\t              \tReport only files whose name (or path) matches
\t              \t<glob>. Repeatable.
\t--exclude-glob <glob>
\t              \tDo not watch or report files and directories whose
\t              \tname (or path) matches <glob>. Repeatable.
\t--continue-on-limit
\t              \tWhen the watch limit is reached, list what is left
\t              \tunwatched and who holds the watches, and go on with
\t              \tthe watches that landed (default: exit 1).
\t--count-first \tWith -r, count the directories first and warn when
\t              \tthey will not fit in the watch limit.
\t--fanotify-fallback
\t              \tWhen the inotify watch limit is reached, watch the
\t              \tsubtrees left out with fanotify inode marks instead
\t              \t(their own limit, fs.fanotify.max_user_marks; Linux
\t              \t5.13+ unprivileged) and say which went there.
";

fn glob_arg(id: &'static str) -> Arg {
    Arg::new(id).long(id).action(ArgAction::Append).num_args(1)
}

/// Adds the options to `cmd`.
pub(crate) fn rule_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("gitignore")
            .long("gitignore")
            .action(ArgAction::SetTrue),
    )
    .arg(glob_arg("exclude-dir"))
    .arg(glob_arg("include-glob"))
    .arg(glob_arg("exclude-glob"))
    .arg(
        Arg::new("count-first")
            .long("count-first")
            .action(ArgAction::SetTrue),
    )
    .arg(
        Arg::new("continue-on-limit")
            .long("continue-on-limit")
            .action(ArgAction::SetTrue),
    )
    .arg(
        Arg::new("fanotify-fallback")
            .long("fanotify-fallback")
            .action(ArgAction::SetTrue),
    )
}

fn all(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

/// Reads the options from `m`.
pub(crate) fn parse_rules(m: &ArgMatches) -> WatchRules {
    WatchRules {
        gitignore: m.get_flag("gitignore"),
        exclude_dirs: all(m, "exclude-dir"),
        include_globs: all(m, "include-glob"),
        exclude_globs: all(m, "exclude-glob"),
        continue_on_limit: m.get_flag("continue-on-limit"),
        count_first: m.get_flag("count-first"),
        fanotify_fallback: m.get_flag("fanotify-fallback"),
    }
}
