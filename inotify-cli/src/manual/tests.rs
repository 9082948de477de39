//! Unit tests of the manual: `--help` and the parser's `Command` describe
//! the same options, and every one of them reaches the documented
//! `Command` with its description.

use super::*;

fn help_longs(help: &str) -> Vec<String> {
    help_entries(help)
        .iter()
        .filter_map(|e| e.spec.split([' ', '|']).find_map(|w| w.strip_prefix("--")))
        .map(str::to_owned)
        .collect()
}

fn check_documented(cmd: &Command, help: &str) {
    let listed = help_longs(help);
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let what = arg
            .get_long()
            .map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
        let text = arg.get_help().map(ToString::to_string).unwrap_or_default();
        assert!(
            text.len() > 10,
            "{}: {what} has no description: add it to its --help text (help.rs)",
            cmd.get_name()
        );
        if let Some(long) = arg.get_long() {
            assert!(
                listed.iter().any(|l| l == long),
                "{what} missing from --help"
            );
        }
    }
    for long in &listed {
        assert!(
            cmd.get_arguments()
                .any(|a| a.get_long() == Some(long.as_str())),
            "--help lists --{long}, which {} does not parse",
            cmd.get_name()
        );
    }
}

#[test]
fn every_inotifywait_option_is_described_by_help() {
    check_documented(&wait_command(), &crate::help::wait_help());
}

#[test]
fn every_inotifywatch_option_is_described_by_help() {
    check_documented(&watch_command(), &crate::help::watch_help());
}

#[test]
fn every_fsnotify_option_is_described_by_help() {
    check_documented(&fs_wait_command(), &crate::help::wait_help_for(true));
    check_documented(&fs_watch_command(), &crate::help::watch_help_for(true));
    // The backend switches sit among inotify-tools' options there.
    let help = crate::help::wait_help_for(true);
    let beyond = help.find("Beyond inotify-tools").unwrap();
    assert!(help.find("-S|--filesystem").unwrap() < beyond);
}

#[test]
fn help_entries_attach_extensions_and_value_names() {
    let cmd = wait_command();
    let arg = |id: &str| {
        cmd.get_arguments()
            .find(|a| a.get_id() == id)
            .expect("argument")
    };
    let quiet = arg("quiet").get_help().expect("help").to_string();
    assert!(
        quiet.starts_with("Print less") && quiet.contains("-qq: Print nothing"),
        "{quiet}"
    );
    let paths = arg("paths").get_help().expect("help").to_string();
    assert!(paths.contains("@<file>: Exclude"), "{paths}");
    let names = |id: &str| {
        arg(id)
            .get_value_names()
            .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>())
    };
    assert_eq!(names("timeout"), Some(vec!["seconds".to_owned()]));
    assert_eq!(names("event"), Some(vec!["event".to_owned()]));
    let timefmt = arg("timefmt").get_help().expect("help").to_string();
    assert!(
        timefmt.starts_with("strftime-compatible format string for use with %T"),
        "{timefmt}"
    );
    assert!(arg("filename").is_hide_set() && arg("daemon-child").is_hide_set());
}

#[test]
fn event_list_joins_continued_descriptions() {
    let events = event_list();
    assert_eq!(events.len(), 15, "{events:?}");
    let (_, close_write) = events
        .iter()
        .find(|(name, _)| *name == "close_write")
        .expect("close_write");
    assert_eq!(
        close_write,
        "file or directory closed, after being opened in writable mode"
    );
    let possible: Vec<String> = wait_command()
        .get_arguments()
        .find(|a| a.get_id() == "event")
        .expect("event")
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_owned())
        .collect();
    assert_eq!(possible.len(), 15);
}

#[test]
fn sections_escape_hyphens_and_name_the_release() {
    for section in wait_sections().iter().chain(&watch_sections()) {
        assert!(
            !section.roff.contains(" -"),
            "{}: unescaped hyphen",
            section.title
        );
        assert!(section.render().starts_with(".SH \""));
    }
    let version = wait_sections().pop().expect("version");
    assert!(
        version.roff.contains("inotify\\-tools 3.22"),
        "{}",
        version.roff
    );
}
