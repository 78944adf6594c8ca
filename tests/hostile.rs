//! Hostile input: each case gives a clear diagnostic (or I/O error), in bounded
//! time (the binary is killed after a generous timeout), without a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

const PROJECT: &str = "format_version: 2\ndomain: hostile\ncase_sharing: true\n";

struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Tree {
        let dir = std::env::temp_dir().join(format!("caseshare-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for d in ["apps", "groups", "users", "locations"] {
            std::fs::create_dir_all(dir.join(d)).expect("mkdir");
        }
        std::fs::write(dir.join("project.yaml"), PROJECT).expect("write");
        Tree(dir)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> &Tree {
        std::fs::write(self.0.join(rel), bytes).expect("write");
        self
    }

    /// Exit code, concise stdout and stderr of `caseshare check`.
    fn check(&self) -> (i32, String, String) {
        let out = Command::cargo_bin("caseshare")
            .expect("binary")
            .args(["check", "--format", "concise"])
            .arg(&self.0)
            .timeout(Duration::from_secs(30))
            .output()
            .expect("runs");
        let code = out.status.code().expect("exited by itself, not killed after the timeout");
        (code, String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn billion_laughs() {
    let mut text = String::from(
        "format_version: 2\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        text.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], vec![format!("*{}", w[0]); 9].join(",")));
    }
    let (code, out, _) = Tree::new("laughs").write("users/u.yaml", text).check();
    assert_eq!(code, 1);
    assert!(out.contains("error[Y003]") && out.contains("billion laughs"), "{out}");
}

#[test]
fn nesting_100_000_deep() {
    let text = format!("format_version: 2\nusers: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let (code, out, _) = Tree::new("deep").write("users/u.yaml", text).check();
    assert_eq!(code, 1);
    assert!(out.contains("error[Y003]"), "{out}");
}

#[test]
fn a_100_mb_file_is_not_read() {
    let tree = Tree::new("big");
    let file = std::fs::File::create(tree.0.join("users/big.yaml")).expect("create");
    file.set_len(100 * 1024 * 1024).expect("sparse 100 MB");
    let (code, out, _) = tree.check();
    assert_eq!(code, 1);
    assert!(out.contains("error[Y003]") && out.contains("over the limit"), "{out}");
}

#[test]
fn a_1_mb_single_line() {
    let members: Vec<String> = (0..150_000).map(|i| format!("u{i}")).collect();
    let line =
        format!("format_version: 2\ngroups: [{{name: A, case_sharing: true, members: [{}]}}]\n", members.join(", "));
    assert!(line.len() > 1_000_000);
    let (code, out, _) = Tree::new("line").write("groups/g.yaml", line).check();
    // Every member is unknown: R001 for each, with positions on the one line.
    assert_eq!(code, 1);
    assert!(
        out.contains("groups/g.yaml:2:") && out.contains("error[R001] unknown user `u149999`"),
        "{}",
        &out[..300.min(out.len())]
    );
}

#[test]
fn not_utf8_and_binary_files() {
    let tree = Tree::new("binary");
    tree.write("users/latin1.yaml", b"format_version: 2\nusers:\n  - {username: jos\xe9}\n");
    tree.write("groups/binary.yaml", (0..=255u8).cycle().take(4096).collect::<Vec<u8>>());
    let (code, out, _) = tree.check();
    assert_eq!(code, 1);
    assert!(out.contains("users/latin1.yaml:3:19: error[F004]"), "{out}");
    // Bytes 0 to 127 are ASCII, with two line ends (10, `\n`, and 13, a `\r`
    // alone): 128 is the first that is not UTF-8, the 115th byte after 13.
    assert!(out.contains("groups/binary.yaml:3:115: error[F004]"), "{out}");
}

#[test]
fn a_bom_and_crlf_line_ends_keep_spans_right() {
    let app =
        "\u{feff}format_version: 2\r\nname: A\r\ncommcare_version: \"2.53.0\"\r\ncase_sharing: on\r\nmodules: []\r\n";
    let (_, out, _) = Tree::new("crlf").write("apps/a.yaml", app).check();
    assert!(out.contains("apps/a.yaml:4:15: error[Y004]"), "{out}");
}

#[test]
fn symlink_loops_dangling_links_and_fifos_are_reported_and_the_rest_checked() {
    let tree = Tree::new("links");
    std::os::unix::fs::symlink(tree.0.join("users/loop.yaml"), tree.0.join("users/loop.yaml")).expect("loop");
    std::os::unix::fs::symlink(tree.0.join("nowhere.yaml"), tree.0.join("users/dangling.yaml")).expect("dangling");
    let fifo = tree.0.join("users/fifo.yaml");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    tree.write("groups/g.yaml", "format_version: 2\ngroups:\n  - {name: A, case_sharing: true}\n");
    let (code, out, err) = tree.check();
    assert_eq!(code, 2, "{out}{err}");
    for name in ["loop.yaml", "dangling.yaml", "fifo.yaml"] {
        assert!(err.contains(name), "{name}: {err}");
    }
    assert!(out.contains("warning[G005]"), "the other files are still checked: {out}");
    let _ = path(&fifo);
}

/// A kind folder kept elsewhere and linked in (`users -> src/users`), or linked
/// to from elsewhere (`alias/people -> ../users`): its files are users, however
/// the other path sorts. The folder was walked once, under the path that came
/// first in byte order, as files of no kind (F003), and its users were unknown.
#[cfg(unix)]
#[test]
fn a_kind_folder_reached_through_a_link_is_read_under_its_own_name() {
    for layout in ["moved", "aliased"] {
        let tree = Tree::new(layout);
        tree.write("groups/g.yaml", "format_version: 2\ngroups:\n  - {name: A, members: [david]}\n");
        if layout == "moved" {
            std::fs::create_dir_all(tree.0.join("src")).expect("mkdir");
            std::fs::rename(tree.0.join("users"), tree.0.join("src/users")).expect("move");
            std::os::unix::fs::symlink("src/users", tree.0.join("users")).expect("link");
        } else {
            std::fs::create_dir_all(tree.0.join("alias")).expect("mkdir");
            std::os::unix::fs::symlink("../users", tree.0.join("alias/people")).expect("link");
        }
        tree.write("users/u.yaml", "format_version: 2\nusers:\n  - {username: david}\n");
        // David is known (no R001), read from `users/u.yaml`; no sharing group holds him.
        let (code, out, err) = tree.check();
        assert_eq!(code, 0, "{layout}: {out}{err}");
        let folder = format!("caseshare-hostile-{layout}-{}/", std::process::id());
        let found: Vec<&str> = out.lines().map(|l| l.split_once(&folder).map_or(l, |(_, l)| l)).collect();
        assert_eq!(
            found,
            [
                "users/u.yaml:3:16: warning[G003] user `david` has no case owner; the project expects exactly one",
                "checked 3 files: 0 errors, 1 warning (G003: 1)"
            ],
            "{layout}: {out}{err}"
        );
    }
}

/// In a file with a `\r` alone for its line ends, a diagnostic about the file
/// itself labels its first line, as with `\n`, not the whole file.
#[test]
fn a_file_level_diagnostic_labels_the_first_line_with_carriage_return_line_ends() {
    let tree = Tree::new("cr-head");
    tree.write("users/u.yaml", "users:\r  - {username: a}\r");
    let out = Command::cargo_bin("caseshare")
        .expect("binary")
        .args(["check", "--format", "json"])
        .arg(&tree.0)
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f002: Vec<&serde_json::Value> =
        doc["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"] == "F002").collect();
    assert_eq!(f002.len(), 1, "{doc:#}");
    assert_eq!((&f002[0]["line"], &f002[0]["column"]), (&serde_json::json!(1), &serde_json::json!(1)));
    assert_eq!(f002[0]["end"], serde_json::json!({"line": 1, "column": 7}), "{doc:#}");
}

#[test]
fn an_empty_file() {
    let (code, out, _) = Tree::new("empty").write("users/empty.yaml", "").check();
    assert_eq!(code, 1);
    assert!(out.contains("users/empty.yaml:1:1: error[F002] the file is empty"), "{out}");
}

#[test]
fn a_10_000_member_group() {
    let users: String = (0..10_000).map(|i| format!("  - {{username: u{i}}}\n")).collect();
    let members: Vec<String> = (0..10_000).map(|i| format!("u{i}")).collect();
    let tree = Tree::new("members");
    tree.write("users/u.yaml", format!("format_version: 2\nusers:\n{users}"));
    tree.write(
        "groups/g.yaml",
        format!("format_version: 2\ngroups:\n  - {{name: A, case_sharing: true, members: [{}]}}\n", members.join(", ")),
    );
    tree.write(
        "apps/a.yaml",
        "format_version: 2\nname: A\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules: [{name: M, case_type: t, forms: [{name: R, opens: [{}]}]}]\n",
    );
    let (code, out, _) = tree.check();
    assert_eq!((code, out.trim()), (0, "checked 4 files: no problems found"));
}

/// A pull request can add links; a link out of the project is F005, and nothing
/// of its target (a line, a file name inside a linked folder) is printed in any
/// format. Links inside the project keep working.
#[cfg(unix)]
#[test]
fn links_out_of_the_project_show_nothing_of_their_target() {
    let tree = Tree::new("outside");
    let secret_dir = std::env::temp_dir().join(format!("caseshare-secret-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&secret_dir);
    std::fs::create_dir_all(secret_dir.join("zq-private")).expect("mkdir");
    std::fs::write(secret_dir.join("token.yaml"), "secret-token-XYZ: 1\n").expect("write");
    std::fs::write(secret_dir.join("zq-private/leaked-name.yaml"), "secret-token-XYZ: 2\n").expect("write");
    std::os::unix::fs::symlink(secret_dir.join("token.yaml"), tree.0.join("groups/x.yaml")).expect("link");
    std::os::unix::fs::symlink(secret_dir.join("zq-private"), tree.0.join("locations/remote")).expect("link");
    // A link inside the project, to a file under a dot-folder caseshare does not read itself.
    std::fs::create_dir_all(tree.0.join(".common")).expect("mkdir");
    tree.write(".common/users.yaml", "format_version: 2\nusers:\n  - {username: david}\n");
    std::os::unix::fs::symlink("../.common/users.yaml", tree.0.join("users/linked.yaml")).expect("link");
    for format in ["human", "concise", "json", "sarif", "github"] {
        let out = Command::cargo_bin("caseshare")
            .expect("binary")
            .args(["check", "--format", format])
            .arg(&tree.0)
            .env("NO_COLOR", "1")
            .output()
            .expect("runs");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(text.contains("F005"), "{format}: {text}");
        for leak in ["secret-token", "XYZ", "leaked-name", "zq-private", "caseshare-secret"] {
            assert!(!text.contains(leak), "{format} shows `{leak}`:\n{text}");
        }
    }
    let (_, out, _) = tree.check();
    assert!(
        out.contains("groups/x.yaml:1:1: error[F005] `groups/x.yaml` is a symbolic link to a file outside"),
        "{out}"
    );
    assert!(
        out.contains("locations/remote:1:1: error[F005] `locations/remote` is a symbolic link to a folder"),
        "{out}"
    );
    assert_eq!(out.matches("error[").count(), 2, "the link inside the project loads: {out}");
    let _ = std::fs::remove_dir_all(&secret_dir);
}

/// Every user with a role of their own, more roles than the index keeps in a
/// column: each undefined one is still reported (the users are read then).
#[test]
fn more_distinct_roles_than_fit_in_a_column() {
    let n = 65_536;
    let mut users = String::from("format_version: 2\nusers:\n");
    for i in 0..n {
        users.push_str(&format!("  - {{username: u{i}, role: r{i}}}\n"));
    }
    let tree = Tree::new("roles");
    tree.write("project.yaml", format!("{PROJECT}roles:\n  r7: {{apps: all}}\n")).write("users/u.yaml", users);
    let (code, out, err) = tree.check();
    assert_eq!(code, 1, "{err}");
    let unknown_roles: Vec<&str> = out.lines().filter(|l| l.contains("R001") && l.contains("unknown role")).collect();
    assert_eq!(unknown_roles.len(), n - 1, "{}", &out[..out.len().min(2000)]);
    assert!(unknown_roles.iter().any(|l| l.contains("`r65535`")));
    assert!(!unknown_roles.iter().any(|l| l.contains("`r7`")));
}
