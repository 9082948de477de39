//! Editors' save patterns, each scripted as the editor's own system calls,
//! and with the real program where it is installed.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;

use crate::support::{TempDir, have, one_window, run, settle_script, summary};

#[test]
fn vim_writebackup_save_settles_to_one_replacement() {
    let dir = TempDir::new("vim-calls");
    fs::write(dir.join("f.txt"), b"old\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        // vim 9's `:w` with 'writebackup' (and 'backupcopy' auto on a
        // plain file), as strace shows it: the swap files, the 4913 probe,
        // rename to the backup, write a new file, copy the mode, delete
        // the backup, then the swap file on quit.
        fs::File::create(d.join(".f.txt.swp")).unwrap();
        fs::File::create(d.join(".f.txt.swx")).unwrap();
        fs::remove_file(d.join(".f.txt.swx")).unwrap();
        fs::write(d.join(".f.txt.swp"), b"b0VIM 9.0").unwrap();
        fs::File::create(d.join("4913")).unwrap();
        fs::remove_file(d.join("4913")).unwrap();
        fs::rename(d.join("f.txt"), d.join("f.txt~")).unwrap();
        let mut f = fs::File::create(d.join("f.txt")).unwrap();
        f.write_all(b"new\n").unwrap();
        f.sync_all().unwrap();
        drop(f);
        fs::set_permissions(d.join("f.txt"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::remove_file(d.join("f.txt~")).unwrap();
        fs::remove_file(d.join(".f.txt.swp")).unwrap();
    });
    assert_eq!(summary(dir.path(), &changes), ["M! f.txt"]);
}

#[test]
fn vim_backup_save_keeps_the_backup_as_created() {
    let dir = TempDir::new("vim-backup-calls");
    fs::write(dir.join("f.txt"), b"old\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        // With 'backup' the renamed original stays as f.txt~.
        fs::rename(d.join("f.txt"), d.join("f.txt~")).unwrap();
        fs::write(d.join("f.txt"), b"new\n").unwrap();
    });
    assert_eq!(summary(dir.path(), &changes), ["M! f.txt", "A f.txt~"]);
}

#[test]
fn real_vim_save_settles_to_one_change() {
    if !have("vim") {
        eprintln!("skipped: vim is not installed");
        return;
    }
    let dir = TempDir::new("vim-real");
    fs::write(dir.join("f.txt"), b"old\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        run(
            d,
            "vim",
            &[
                "-u",
                "NONE",
                "-i",
                "NONE",
                "-N",
                "-es",
                "-c",
                "set backup writebackup backupskip=",
                "-c",
                "normal! Anew",
                "-c",
                "wq",
                "f.txt",
            ],
        );
    });
    // (`backupskip=`: its default skips backups under /tmp.) The edited
    // file was replaced, its backup f.txt~ is a new file that stays; the
    // swap files and the 4913 probe leave nothing.
    assert_eq!(summary(dir.path(), &changes), ["M! f.txt", "A f.txt~"]);
    assert_eq!(fs::read(dir.join("f.txt")).unwrap(), b"oldnew\n");
}

#[test]
fn real_vim_without_backup_settles_to_one_change() {
    if !have("vim") {
        eprintln!("skipped: vim is not installed");
        return;
    }
    let dir = TempDir::new("vim-real-wb");
    fs::write(dir.join("f.txt"), b"old\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        run(
            d,
            "vim",
            &[
                "-u",
                "NONE",
                "-i",
                "NONE",
                "-N",
                "-es",
                "-c",
                "set nobackup writebackup backupskip=",
                "-c",
                "normal! Anew",
                "-c",
                "wq",
                "f.txt",
            ],
        );
    });
    assert_eq!(summary(dir.path(), &changes), ["M! f.txt"]);
}

#[test]
fn sed_in_place_settles_to_one_replacement() {
    let dir = TempDir::new("sed");
    fs::write(dir.join("f.txt"), b"aaa\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        run(d, "sed", &["-i", "s/a/b/", "f.txt"]);
    });
    assert_eq!(summary(dir.path(), &changes), ["M! f.txt"]);
}

#[test]
fn atomic_write_then_rename_over_settles_to_one_replacement() {
    let dir = TempDir::new("atomic");
    fs::write(dir.join("config.toml"), b"a = 1\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        let tmp = d.join(".config.toml.tmp.1234");
        let mut f = fs::File::create(&tmp).unwrap();
        f.write_all(b"a = 2\n").unwrap();
        f.sync_all().unwrap();
        drop(f);
        fs::rename(&tmp, d.join("config.toml")).unwrap();
    });
    assert_eq!(summary(dir.path(), &changes), ["M! config.toml"]);
}

#[test]
fn emacs_save_with_lock_and_backup_settles() {
    let dir = TempDir::new("emacs");
    fs::write(dir.join("notes.org"), b"old\n").unwrap();
    let changes = settle_script(dir.path(), one_window(), |d| {
        // Emacs: the lock symlink .#notes.org on the first change, the
        // first save renames the original to notes.org~ and writes a new
        // file, then the lock goes.
        std::os::unix::fs::symlink("user@host.1234:1", d.join(".#notes.org")).unwrap();
        fs::rename(d.join("notes.org"), d.join("notes.org~")).unwrap();
        fs::write(d.join("notes.org"), b"new\n").unwrap();
        fs::remove_file(d.join(".#notes.org")).unwrap();
        // A second save in the same window writes in place (the backup is
        // made once per session).
        fs::write(d.join("notes.org"), b"newer\n").unwrap();
    });
    assert_eq!(
        summary(dir.path(), &changes),
        ["M! notes.org", "A notes.org~"]
    );
}
