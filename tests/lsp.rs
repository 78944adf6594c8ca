//! `caseshare lsp` over plain JSON-RPC: the server runs on a thread over an
//! in-memory connection (as ruff's and rust-analyzer's tests do it), a client
//! here does the handshake, opens and edits files, asks, and checks what it is
//! told: project-wide diagnostics with related information, clearing, definition,
//! references, completion, hover, quick fixes, rename, malformed input, shutdown.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use caseshare::lsp::{path_to_uri, spawn_in_memory};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

struct Client {
    conn: Connection,
    server: Option<std::thread::JoinHandle<Result<(), String>>>,
    next: i32,
    /// Notifications received while waiting for something else.
    inbox: Vec<Notification>,
    /// Requests from the server.
    asked: Vec<Request>,
}

impl Client {
    fn start(root: &Path) -> Client {
        Client::start_with(root, json!({}))
    }

    fn start_with(root: &Path, capabilities: Value) -> Client {
        Client::start_with_options(root, capabilities, Value::Null)
    }

    fn start_with_options(root: &Path, capabilities: Value, options: Value) -> Client {
        let (conn, server) = spawn_in_memory();
        let mut c = Client { conn, server: Some(server), next: 1, inbox: Vec::new(), asked: Vec::new() };
        let init = c.request(
            "initialize",
            json!({"processId": null, "rootUri": path_to_uri(root), "capabilities": capabilities, "initializationOptions": options}),
        );
        assert!(init["capabilities"]["definitionProvider"].as_bool().unwrap_or(false), "{init}");
        c.notify("initialized", json!({}));
        c
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn.sender.send(Message::Notification(Notification::new(method.into(), params))).expect("sent");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.conn
            .sender
            .send(Message::Request(Request::new(RequestId::from(id), method.into(), params)))
            .expect("sent");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let msg = self.conn.receiver.recv_deadline(deadline).expect("a response in time");
            match msg {
                Message::Response(r) if r.id == RequestId::from(id) => {
                    return match r.response_result {
                        Ok(v) => v,
                        Err(e) => json!({"error": {"code": e.code, "message": e.message}}),
                    };
                }
                Message::Notification(n) => self.inbox.push(n),
                Message::Request(r) => self.asked.push(r),
                _ => {}
            }
        }
    }

    /// The next diagnostics published for `path` that satisfy `ok`.
    fn diagnostics(&mut self, path: &Path, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let uri = path_to_uri(path);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(i) = self
                .inbox
                .iter()
                .position(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri.as_str())
            {
                let n = self.inbox.remove(i);
                let list = n.params["diagnostics"].as_array().cloned().unwrap_or_default();
                if ok(&list) {
                    return list;
                }
                continue;
            }
            match self.conn.receiver.recv_deadline(deadline) {
                Ok(Message::Notification(n)) => self.inbox.push(n),
                Ok(Message::Request(r)) => self.asked.push(r),
                Ok(_) => {}
                Err(_) => panic!("no diagnostics for {uri} in time; inbox: {:#?}", self.inbox),
            }
        }
    }

    fn open(&self, path: &Path) {
        self.open_text(path, &std::fs::read_to_string(path).expect("read"));
    }

    /// Opens a file with a buffer of this text.
    fn open_text(&self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": path_to_uri(path), "languageId": "yaml", "version": 1, "text": text}}),
        );
    }

    fn change(&self, path: &Path, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": path_to_uri(path), "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn at(&mut self, method: &str, path: &Path, line: u32, character: u32, extra: Value) -> Value {
        let mut params =
            json!({"textDocument": {"uri": path_to_uri(path)}, "position": {"line": line, "character": character}});
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }

    fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let server = self.server.take().expect("running");
        assert_eq!(server.join().expect("no panic"), Ok(()));
    }
}

/// The rule fixtures' base project on disk: a CHW app that registers cases with
/// an automatic owner, David in Village A and Maria in Village B.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caseshare-lsp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_tree(&common::fixtures().join("rules/base"), &dir);
    std::fs::canonicalize(&dir).expect("exists")
}

fn line_of(path: &Path, needle: &str) -> (u32, u32) {
    let text = std::fs::read_to_string(path).expect("read");
    for (i, l) in text.lines().enumerate() {
        if let Some(c) = l.find(needle) {
            return (i as u32, c as u32);
        }
    }
    panic!("`{needle}` not in {}", path.display());
}

#[test]
fn a_second_group_raises_g002_on_both_memberships_and_undo_clears_it() {
    let root = project("g002");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    let clean = c.diagnostics(&groups, |_| true);
    assert!(clean.is_empty(), "{clean:#?}");
    let original = std::fs::read_to_string(&groups).expect("read");
    // David joins Village B too, without saving.
    let edited = original.replace("members: [maria]", "members: [maria, david]");
    assert_ne!(edited, original);
    c.change(&groups, 2, &edited);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    // G002 stands on both membership lines, each pointing at the other and at the form.
    let g002: Vec<&Value> = found.iter().filter(|d| d["code"] == "G002").collect();
    assert_eq!(g002.len(), 2, "{found:#?}");
    let lines: Vec<u64> = g002.iter().map(|d| d["range"]["start"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3], "{found:#?}");
    for d in g002 {
        assert_eq!(d["source"], "caseshare");
        assert!(d["message"].as_str().unwrap().contains("user `david` has 2 case owners"), "{d}");
        // The link opens the rules reference this binary was built with.
        let href = d["codeDescription"]["href"].as_str().expect("a link");
        let (file, anchor) = href.split_once('#').expect("an anchor");
        assert_eq!(anchor, "g002-creator-in-multiple-owners");
        let written = caseshare::lsp::uri_to_path(file).expect("a file");
        // In the tests' cache, not the user's.
        assert!(written.starts_with(caseshare::lsp::test_cache()), "{}", written.display());
        let reference = std::fs::read_to_string(written).expect("written");
        assert_eq!(reference, caseshare::rules::reference_markdown());
        assert!(reference.contains("\n## G002 `creator-in-multiple-owners`\n"));
        let related = d["relatedInformation"].as_array().expect("related information");
        let other = 5 - d["range"]["start"]["line"].as_u64().unwrap(); // the other membership line
        let in_groups = |r: &&Value| r["location"]["uri"] == path_to_uri(&groups).as_str();
        assert!(
            related.iter().filter(in_groups).any(|r| r["location"]["range"]["start"]["line"].as_u64() == Some(other)),
            "{related:#?}"
        );
        assert!(
            related.iter().any(|r| r["location"]["uri"].as_str().unwrap().ends_with("apps/chw.yaml")),
            "{related:#?}"
        );
    }
    // Undo: the diagnostics are cleared.
    c.change(&groups, 3, &original);
    let cleared = c.diagnostics(&groups, |d| d.is_empty());
    assert!(cleared.is_empty());
    c.shutdown();
}

/// A team's own copy of the rules reference (`initializationOptions.rulesUrl`)
/// is where each diagnostic's code links.
#[test]
fn the_rules_url_a_client_gives_is_where_codes_link() {
    let root = project("rules-url");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start_with_options(
        &root,
        json!({}),
        json!({"rulesUrl": "https://docs.example.net/caseshare/rules.md"}),
    );
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    let edited = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, david]");
    c.change(&groups, 2, &edited);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    let g002 = found.iter().find(|d| d["code"] == "G002").expect("G002");
    assert_eq!(
        g002["codeDescription"]["href"],
        "https://docs.example.net/caseshare/rules.md#g002-creator-in-multiple-owners"
    );
    c.shutdown();
}

/// A bug in caseshare that panics in an analysis: the user is told once, the
/// project is read again and analysed at once (a bug that does not come back
/// heals); a bug that does is tried again at each change, silently, and
/// requests are answered without waiting for an analysis that will not come.
/// When even the reading panics, the project is let go until a file of it is
/// opened.
#[test]
fn an_analysis_that_panics_is_told_and_tried_again() {
    let root = project("panic");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    assert!(c.diagnostics(&groups, |_| true).is_empty());
    let original = std::fs::read_to_string(&groups).expect("read");
    let edited = original.replace("members: [maria]", "members: [maria, david]");
    assert_ne!(edited, original);
    let (line, character) = line_of(&groups, "david");
    let shown = |c: &Client| -> Vec<String> {
        let shown = c.inbox.iter().filter(|n| n.method == "window/showMessage");
        shown.map(|n| format!("{} {}", n.params["type"], n.params["message"].as_str().unwrap_or_default())).collect()
    };
    let answered_at_once = |c: &mut Client| {
        let asked = Instant::now();
        let hover = c.at("textDocument/hover", &groups, line, character + 1, json!({}));
        assert!(hover.get("error").is_none(), "{hover}");
        assert!(asked.elapsed() < Duration::from_secs(5), "the request waited {:?}", asked.elapsed());
        hover
    };
    use caseshare::lsp::testing::{Step, left, panic_in};
    // Waits until the panics asked for are spent down to `to`: a change sent
    // while the analysis after a panic has yet to start is taken in by it,
    // and would spend one panic fewer.
    let spent = |step: Step, to: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while left(&root, step) > to {
            assert!(Instant::now() < deadline, "{step:?}: {} panics left, not {to}", left(&root, step));
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    // Once: told, and healed by the analysis that follows.
    panic_in(&root, Step::Analysis, 1);
    c.change(&groups, 2, &edited);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    let lines: Vec<u64> =
        found.iter().filter(|d| d["code"] == "G002").map(|d| d["range"]["start"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3], "{found:#?}");
    let told = shown(&c);
    assert_eq!(told.len(), 1, "{told:#?}");
    assert!(told[0].starts_with("1 caseshare: analysing `"), "an error: {told:#?}");
    assert!(told[0].contains("failed on a bug in caseshare (`a panic the test asked for`"), "{told:#?}");
    assert!(told[0].contains(root.to_str().unwrap()) && told[0].ends_with(": it is analysed again"), "{told:#?}");
    assert!(answered_at_once(&mut c)["contents"].is_object(), "the index is back");
    // Each time: told once more (the last analysis had succeeded), then silently.
    panic_in(&root, Step::Analysis, 3);
    c.change(&groups, 3, &original);
    answered_at_once(&mut c);
    spent(Step::Analysis, 1);
    c.change(&groups, 4, &original);
    answered_at_once(&mut c);
    spent(Step::Analysis, 0);
    assert_eq!(shown(&c).len(), 2, "{:#?}", shown(&c));
    c.change(&groups, 5, &original);
    assert!(c.diagnostics(&groups, |d| d.is_empty()).is_empty());
    // The reading panics too: let go, and read again when a file is opened.
    panic_in(&root, Step::Analysis, 1);
    panic_in(&root, Step::Load, 1);
    c.change(&groups, 6, &edited);
    answered_at_once(&mut c);
    spent(Step::Load, 0);
    c.change(&groups, 7, &edited);
    answered_at_once(&mut c);
    let told = shown(&c);
    assert_eq!(told.len(), 3, "{told:#?}");
    assert!(told[2].ends_with(": it is read again when one of its files is opened"), "{told:#?}");
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": path_to_uri(&groups)}}));
    c.open_text(&groups, &edited);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().filter(|d| d["code"] == "G002").count(), 2, "{found:#?}");
    assert_eq!(shown(&c).len(), 3, "{:#?}", shown(&c));
    // Sending the diagnostics panics, each time: told once, tried once more,
    // then at each change (an analysis that succeeds is not yet a success).
    panic_in(&root, Step::Publish, 50);
    c.change(&groups, 8, &original);
    answered_at_once(&mut c);
    spent(Step::Publish, 48);
    c.change(&groups, 9, &original);
    answered_at_once(&mut c);
    spent(Step::Publish, 47);
    assert_eq!(shown(&c).len(), 4, "{:#?}", shown(&c));
    panic_in(&root, Step::Publish, 0);
    c.change(&groups, 10, &original);
    assert!(c.diagnostics(&groups, |d| d.is_empty()).is_empty());
    assert_eq!(shown(&c).len(), 4, "{:#?}", shown(&c));
    c.shutdown();
}

/// Names are any strings YAML holds. In the editor's messages a zero-width
/// space is an escape (`da\u{200b}vid` does not read as `david`); in hover's
/// markdown a name is a code span whatever backticks it holds.
#[test]
fn names_are_shown_as_they_are_in_messages_and_hover() {
    let root = project("invisible");
    let groups = root.join("groups/villages.yaml");
    let text = "format_version: 2\ngroups:\n  - {name: \"Village `A` [x](http://example.org)\", case_sharing: true, members: [david]}\n  - {name: Village B, case_sharing: true, members: [maria, \"da\\u200bvid\"]}\n";
    std::fs::write(&groups, text).expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    let r001: Vec<&str> = found.iter().filter(|d| d["code"] == "R001").filter_map(|d| d["message"].as_str()).collect();
    assert_eq!(r001, ["unknown user `da\\u{200b}vid`\nhelp: did you mean `david`?"], "{found:#?}");
    let (line, col) = line_of(&groups, "david");
    let hover = c.at("textDocument/hover", &groups, line, col + 1, json!({}));
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    assert!(shown.contains("case owners (1): group ``Village `A` [x](http://example.org)``"), "{shown}");
    c.shutdown();
}

/// A rename that trips on a bug is answered with the error, once: the user is
/// not told of it a second time as an analysis that failed, the project is
/// analysed again, and the next rename works.
#[test]
fn a_rename_that_panics_is_told_once_in_its_answer() {
    use caseshare::lsp::testing::{Step, panic_in};
    let root = project("rename-panic");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    assert!(c.diagnostics(&groups, |_| true).is_empty());
    let (line, col) = line_of(&groups, "david");
    panic_in(&root, Step::Rename, 1);
    let failed = c.at("textDocument/rename", &groups, line, col + 1, json!({"newName": "dawit"}));
    let message = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("caseshare failed to rename: a panic the test asked for"), "{failed}");
    // Analysed again: an edit's diagnostics come, and nothing else was said.
    let original = std::fs::read_to_string(&groups).expect("read");
    c.change(&groups, 2, &original.replace("members: [maria]", "members: [maria, david]"));
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().filter(|d| d["code"] == "G002").count(), 2, "{found:#?}");
    c.change(&groups, 3, &original);
    assert!(c.diagnostics(&groups, |d| d.is_empty()).is_empty());
    let renamed = c.at("textDocument/rename", &groups, line, col + 1, json!({"newName": "dawit"}));
    assert!(renamed["changes"].as_object().is_some_and(|m| m.len() == 2), "{renamed}");
    let shown: Vec<&Notification> = c.inbox.iter().filter(|n| n.method == "window/showMessage").collect();
    assert!(shown.is_empty(), "{shown:#?}");
    c.shutdown();
}

#[test]
fn definition_references_completion_and_hover() {
    let root = project("nav");
    let groups = root.join("groups/villages.yaml");
    let users = root.join("users/chws.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    // From the member `david` to the user.
    let (line, col) = line_of(&groups, "david");
    let def = c.at("textDocument/definition", &groups, line, col + 1, json!({}));
    let defs = def.as_array().expect("locations");
    assert_eq!(defs.len(), 1, "{def}");
    assert_eq!(defs[0]["uri"], path_to_uri(&users).as_str());
    assert_eq!(defs[0]["range"]["start"]["line"].as_u64().unwrap() as u32, line_of(&users, "david").0);
    // References of the user: the definition and the membership.
    let refs =
        c.at("textDocument/references", &groups, line, col + 1, json!({"context": {"includeDeclaration": true}}));
    assert_eq!(refs.as_array().map(Vec::len), Some(2), "{refs}");
    // Hover on a member: the user's case owners and the apps the role reaches.
    let hover = c.at("textDocument/hover", &groups, line, col + 1, json!({}));
    let shown = hover["contents"]["value"].as_str().expect("markdown");
    assert!(shown.contains("**user `david`**"), "{shown}");
    assert!(shown.contains("case owners (1): group `Village A`"), "{shown}");
    assert!(shown.contains("reaches apps: `chw`"), "{shown}");
    // Completion inside `members:` offers the usernames, but those the list holds.
    let text = std::fs::read_to_string(&groups).expect("read");
    let edited = text.replace("members: [maria]", "members: [maria, ]");
    c.change(&groups, 2, &edited);
    c.diagnostics(&groups, |_| true);
    let (l, col) = {
        let (i, line) = edited.lines().enumerate().find(|(_, l)| l.contains("[maria, ]")).expect("line");
        (i as u32, (line.find("[maria, ]").unwrap() + "[maria, ".len()) as u32)
    };
    let items = c.at("textDocument/completion", &groups, l, col, json!({}));
    let labels: Vec<&str> =
        items["items"].as_array().expect("items").iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["david"], "{labels:?}");
    c.shutdown();
}

#[test]
fn a_quick_fix_repairs_y004_and_allow_inserts_a_comment() {
    let root = project("fix");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replacen("case_sharing: true", "case_sharing: on", 1);
    std::fs::write(&groups, &text).expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(found.iter().any(|d| d["code"] == "Y004"), "{found:#?}");
    let (line, col) = line_of(&groups, "case_sharing: on");
    let range = json!({"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 16}});
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": path_to_uri(&groups)}, "range": range, "context": {"diagnostics": []}}),
    );
    let actions = actions.as_array().expect("actions");
    let fix = actions.iter().find(|a| a["title"].as_str().unwrap().starts_with("fix Y004")).expect("a Y004 fix");
    let edits = fix["edit"]["changes"][path_to_uri(&groups)].as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], "true");
    let allow = actions.iter().find(|a| a["title"] == "allow Y004 here").expect("an allow action");
    let insert = &allow["edit"]["changes"][path_to_uri(&groups)][0];
    assert!(insert["newText"].as_str().unwrap().contains("# caseshare: allow Y004 -- reason"), "{insert}");
    assert_eq!(insert["range"]["start"]["line"].as_u64().unwrap() as u32, line);
    c.shutdown();
}

#[test]
fn rename_a_case_type_edits_every_app_that_uses_it() {
    let root = project("rename");
    let app = root.join("apps/chw.yaml");
    let mut c = Client::start(&root);
    c.open(&app);
    c.diagnostics(&app, |_| true);
    let (line, col) = line_of(&app, "case_type: referral");
    let col = col + "case_type: ".len() as u32 + 1;
    let prepare = c.at("textDocument/prepareRename", &app, line, col, json!({}));
    assert_eq!(prepare["placeholder"], "referral", "{prepare}");
    let edit = c.at("textDocument/rename", &app, line, col, json!({"newName": "referral_case"}));
    let changes = edit["changes"].as_object().expect("changes");
    let edits = changes[&path_to_uri(&app)].as_array().expect("edits in the app");
    let text = std::fs::read_to_string(&app).expect("read");
    // Two modules' and forms' uses: `case_type: referral` twice and `updates: [referral]`.
    let uses = text.matches("case_type: referral").count() + text.matches("[referral]").count();
    assert_eq!(uses, 3);
    assert_eq!(edits.len(), uses, "every use: {edits:#?}");
    assert!(edits.iter().all(|e| e["newText"] == "referral_case"));
    assert_eq!(changes.len(), 1, "nothing else changes: {changes:#?}");
    c.shutdown();
}

#[test]
fn malformed_requests_and_broken_files_leave_the_server_serving() {
    let root = project("robust");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    // A file that does not parse: Y001, and the server goes on.
    c.change(&groups, 2, "format_version: 2\ngroups: [\n");
    let broken = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(broken.iter().any(|d| d["code"] == "Y001"), "{broken:#?}");
    // Requests with bad parameters, unknown methods, positions past the end.
    let bad = c.request("textDocument/definition", json!({"nonsense": true}));
    assert!(bad["error"].is_object(), "{bad}");
    let unknown = c.request("caseshare/nothing", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    // A second `initialize`: an invalid request now, not an unknown one.
    let again = c.request("initialize", json!({"processId": null, "capabilities": {}}));
    assert_eq!(again["error"]["code"], -32600, "{again}");
    let past = c.at("textDocument/hover", &groups, 999, 999, json!({}));
    assert!(past.is_null() || past.is_object());
    // A request on a file that is not open: nothing to say of it.
    let not_open = c.at("textDocument/definition", &root.join("users/chws.yaml"), 0, 0, json!({}));
    assert!(not_open.is_null(), "{not_open}");
    // Still serving: the fix clears Y001.
    let text = std::fs::read_to_string(&groups).expect("read");
    c.change(&groups, 3, &text);
    c.diagnostics(&groups, |d| d.is_empty());
    c.shutdown();
}

#[test]
fn malformed_json_rpc_on_stdio_is_answered_and_skipped() {
    let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
    let input = format!("Content-Length: 9\r\n\r\n{{not json\r\nContent-Length: {}\r\n\r\n{good}", good.len());
    let (messages, replies) = caseshare::lsp::transport::read_all(input.as_bytes());
    assert_eq!(messages.len(), 1);
    assert_eq!(replies.len(), 1);
    let Message::Response(r) = &replies[0] else { panic!("a response") };
    assert_eq!(r.response_result.as_ref().err().map(|e| e.code), Some(-32700));
}

/// A username defined twice before another user: the server's table of
/// usernames, kept between edits, still places every later user's memberships
/// (a group edit reuses it), and once the second definition goes, the table is
/// built again with every user a first definition.
#[test]
fn a_username_defined_twice_keeps_the_memberships_of_the_users_after_it() {
    let root = project("twice");
    let users = root.join("users/chws.yaml");
    let groups = root.join("groups/villages.yaml");
    let users_text = std::fs::read_to_string(&users).expect("read");
    let groups_text = std::fs::read_to_string(&groups).expect("read");
    let mut c = Client::start(&root);
    c.open(&users);
    c.open(&groups);
    assert!(c.diagnostics(&users, |_| true).is_empty());
    let codes = |d: &[Value]| d.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();

    // `David` folds to `david`: D001 on it, and Maria, after it, is still in Village B.
    let twice = users_text.replace(
        "  - {username: maria, role: chw}",
        "  - {username: David, role: chw}\n  - {username: maria, role: chw}",
    );
    assert_ne!(twice, users_text);
    c.change(&users, 2, &twice);
    let found = c.diagnostics(&users, |d| !d.is_empty());
    // At both definitions, the places it labels.
    assert_eq!(codes(&found), ["D001", "D001"], "{found:#?}");
    let mut lines: Vec<u64> = found.iter().map(|d| d["range"]["start"]["line"].as_u64().unwrap()).collect();
    lines.sort_unstable();
    assert_eq!(lines, [2, 3], "{found:#?}");

    // A groups edit reuses the table: Maria joins Village A too, and has two owners.
    let both = groups_text.replace("members: [david]", "members: [david, maria]");
    assert_ne!(both, groups_text);
    c.change(&groups, 2, &both);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(found.iter().all(|d| d["code"] == "G002"), "{found:#?}");
    assert!(found.iter().all(|d| d["message"].as_str().unwrap().contains("`maria`")), "{found:#?}");
    // Back to one group each: nothing in the groups file, and no G001 for anyone.
    c.change(&groups, 3, &groups_text);
    assert!(c.diagnostics(&groups, |d| d.is_empty()).is_empty());

    // The second definition goes: D001 clears, and the memberships still hold.
    c.change(&users, 3, &users_text);
    assert!(c.diagnostics(&users, |d| d.is_empty()).is_empty());
    c.change(&groups, 4, &both);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(
        found.iter().all(|d| d["code"] == "G002" && d["message"].as_str().unwrap().contains("`maria`")),
        "{found:#?}"
    );
    c.shutdown();
}

/// A closed file's diagnostics are sent again only when they change: an edit in
/// another file leaves them as the client holds them, and a fix clears them.
#[test]
fn a_closed_files_list_follows_the_lines_of_the_open_file_it_points_into() {
    // David in Village A (open) and in Village C, in a groups file not open:
    // G002 in both files, each pointing at the other membership.
    let root = project("follows");
    let groups = root.join("groups/villages.yaml");
    let extra = root.join("groups/extra.yaml");
    std::fs::write(&extra, "format_version: 2\ngroups:\n  - {name: Village C, case_sharing: true, members: [david]}\n")
        .expect("write");
    let text = std::fs::read_to_string(&groups).expect("read");
    let related_line = |list: &[Value]| -> Vec<u64> {
        let d = list.iter().find(|d| d["code"] == "G002").unwrap_or_else(|| panic!("G002: {list:#?}"));
        let related = d["relatedInformation"].as_array().expect("related information");
        related
            .iter()
            .filter(|r| r["location"]["uri"] == path_to_uri(&groups).as_str())
            .map(|r| r["location"]["range"]["start"]["line"].as_u64().unwrap())
            .collect()
    };
    let mut c = Client::start(&root);
    c.open(&groups);
    assert_eq!(c.diagnostics(&groups, |d| !d.is_empty()).len(), 1);
    assert_eq!(related_line(&c.diagnostics(&extra, |d| !d.is_empty())), [2]);
    // A line above Village A: the closed file's list points a line lower.
    c.change(&groups, 2, &format!("# Villages #north\n{text}"));
    assert_eq!(c.diagnostics(&groups, |d| !d.is_empty()).len(), 1);
    assert_eq!(related_line(&c.diagnostics(&extra, |_| true)), [3]);
    // That line split in two, the bytes where they were: a line lower again.
    c.change(&groups, 3, &format!("# Villages\n#north\n{text}"));
    assert_eq!(c.diagnostics(&groups, |d| !d.is_empty()).len(), 1);
    assert_eq!(related_line(&c.diagnostics(&extra, |_| true)), [4]);
    // A line below it: nothing the closed file's list shows moved, and it is
    // not sent again; one more line above, and it is. (Messages arrive in
    // order: the next list of the closed file is the one after that edit.)
    c.change(&groups, 4, &format!("# Villages\n#north\n{text}# end\n"));
    assert_eq!(c.diagnostics(&groups, |d| !d.is_empty()).len(), 1);
    c.change(&groups, 5, &format!("# Villages\n#north\n# and the east\n{text}# end\n"));
    assert_eq!(related_line(&c.diagnostics(&extra, |_| true)), [5], "the unchanged list was sent again");
    c.shutdown();
}

#[test]
fn a_closed_file_is_published_again_only_when_its_diagnostics_change() {
    let root = project("unchanged");
    let users = root.join("users/chws.yaml");
    let groups = root.join("groups/villages.yaml");
    let users_text = std::fs::read_to_string(&users).expect("read");
    std::fs::write(&users, users_text.replace("{username: maria, role: chw}", "{username: maria, role: nurse}"))
        .expect("write");
    let groups_text = std::fs::read_to_string(&groups).expect("read");
    let mut c = Client::start(&root);
    c.open(&groups);
    // The first analysis: the users file's list, then the open groups file's (empty).
    let found = c.diagnostics(&users, |d| !d.is_empty());
    assert!(found.iter().any(|d| d["message"].as_str().unwrap().contains("`nurse`")), "{found:#?}");
    assert!(c.diagnostics(&groups, |_| true).is_empty());

    // An edit in the groups file: the groups file (open) is published, and the
    // users file, whose list would come before it, is not.
    c.change(&groups, 2, &format!("{groups_text}# a comment\n"));
    assert!(c.diagnostics(&groups, |_| true).is_empty());
    let again: Vec<&Notification> =
        c.inbox.iter().filter(|n| n.params["uri"] == path_to_uri(&users).as_str()).collect();
    assert!(again.is_empty(), "the users file's unchanged list was sent again: {again:#?}");

    // The users file is fixed on disk and the client says so: its list is cleared.
    std::fs::write(&users, &users_text).expect("write");
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": path_to_uri(&users), "type": 2}]}));
    assert!(c.diagnostics(&users, |_| true).is_empty());
    c.shutdown();
}

/// The edits of a workspace edit for one file, applied to its text (LSP
/// positions in UTF-16 code units; the fixtures are ASCII).
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let (line, ch) = (p["line"].as_u64().unwrap() as usize, p["character"].as_u64().unwrap() as usize);
        text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + ch
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    spans.sort();
    let mut out = text.to_string();
    for (start, end, new) in spans.into_iter().rev() {
        out.replace_range(start..end, new);
    }
    out
}

#[test]
fn a_rename_right_after_a_keystroke_edits_the_text_as_it_is_now() {
    let root = project("stale");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    // A line added at the top, and the rename asked at once (clients send
    // pending changes just before a request): the edits are at the new lines.
    let text = format!("# the villages\n{}", std::fs::read_to_string(&groups).expect("read"));
    c.change(&groups, 2, &text);
    let (line, col) = text.lines().enumerate().find_map(|(i, l)| l.find("[david]").map(|c| (i, c))).expect("david");
    let edit = c.at("textDocument/rename", &groups, line as u32, col as u32 + 2, json!({"newName": "dave"}));
    let edits = edit["changes"][path_to_uri(&groups)].as_array().expect("edits in the groups file");
    assert_eq!(apply(&text, edits), text.replace("[david]", "[dave]"), "{edit}");
    // References too.
    let refs = c.at(
        "textDocument/references",
        &groups,
        line as u32,
        col as u32 + 2,
        json!({"context": {"includeDeclaration": false}}),
    );
    let refs = refs.as_array().expect("locations");
    assert_eq!(refs.len(), 1, "{refs:#?}");
    assert_eq!(refs[0]["range"]["start"]["line"], line as u64);
    c.shutdown();
}

#[test]
fn references_with_and_without_the_declaration() {
    let root = project("refs");
    let groups = root.join("groups/villages.yaml");
    let users = root.join("users/chws.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    let (line, col) = line_of(&groups, "david");
    let ask = |c: &mut Client, include: bool| {
        let refs = c.at(
            "textDocument/references",
            &groups,
            line,
            col + 1,
            json!({"context": {"includeDeclaration": include}}),
        );
        let mut uris: Vec<String> =
            refs.as_array().expect("locations").iter().map(|l| l["uri"].as_str().unwrap().to_string()).collect();
        uris.sort();
        uris
    };
    assert_eq!(ask(&mut c, false), [path_to_uri(&groups)]);
    assert_eq!(ask(&mut c, true), [path_to_uri(&groups), path_to_uri(&users)]);
    // A case type no module lists (only a form opens it): each use once.
    let app = root.join("apps/chw.yaml");
    let text = std::fs::read_to_string(&app).expect("read");
    let text = text.replace("opens: [{case_type: referral}]", "opens: [{case_type: visit}]");
    std::fs::write(&app, &text).expect("write");
    c.open(&app);
    c.diagnostics(&app, |_| true);
    let (line, col) = line_of(&app, "case_type: visit");
    let refs = c.at(
        "textDocument/references",
        &app,
        line,
        col + "case_type: ".len() as u32 + 1,
        json!({"context": {"includeDeclaration": true}}),
    );
    assert_eq!(refs.as_array().map(Vec::len), Some(1), "{refs}");
    c.shutdown();
}

#[test]
fn a_new_buffer_not_saved_yet_and_a_file_deleted_on_disk() {
    let root = project("files");
    let groups = root.join("groups/villages.yaml");
    let original = std::fs::read_to_string(&groups).expect("read");
    std::fs::write(&groups, original.replace("members: [maria]", "members: [maria, zoe]")).expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(found.iter().any(|d| d["code"] == "R001"), "{found:#?}");
    // Zoe in a users file that is only a buffer: she is known.
    let more = root.join("users/more.yaml");
    c.open_text(&more, "format_version: 2\nusers:\n  - {username: zoe, role: chw}\n");
    c.diagnostics(&groups, |d| d.is_empty());
    let (line, col) = line_of(&groups, "zoe");
    let def = c.at("textDocument/definition", &groups, line, col + 1, json!({}));
    assert_eq!(def[0]["uri"], path_to_uri(&more).as_str(), "{def}");
    // Saved, then closed, then deleted on disk: she is unknown again.
    std::fs::write(&more, "format_version: 2\nusers:\n  - {username: zoe, role: chw}\n").expect("write");
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": path_to_uri(&more)}}));
    std::fs::remove_file(&more).expect("remove");
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": path_to_uri(&more), "type": 3}]}));
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(found.iter().any(|d| d["code"] == "R001"), "{found:#?}");
    let def = c.at("textDocument/definition", &groups, line, col + 1, json!({}));
    assert_eq!(def, json!([]), "{def}");
    c.shutdown();
}

#[test]
fn the_server_asks_to_watch_files_when_the_client_can() {
    let root = project("watch");
    let caps = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    let mut c = Client::start_with(&root, caps);
    let groups = root.join("groups/villages.yaml");
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    let asked = c.asked.iter().find(|r| r.method == "client/registerCapability").expect("a registration");
    let registration = &asked.params["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .expect("watchers")
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert!(globs.contains(&"**/*.yaml") && globs.contains(&"**/caseshare.toml"), "{globs:?}");
    c.shutdown();
    // Not asked of a client that cannot.
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    assert!(c.asked.is_empty(), "{:?}", c.asked);
    c.shutdown();
}

/// A client that does not watch files (Neovim on Linux), or that watches but
/// tells only of its own saves (Helix), is not left with what the disk held at
/// start-up: the server looks itself, and takes in files changed on disk, a
/// write's journal and its removal.
#[test]
fn changes_on_disk_are_seen_whether_or_not_the_client_watches() {
    let root = project("poll");
    let users = root.join("users/chws.yaml");
    let groups = root.join("groups/villages.yaml");
    let before = std::fs::read_to_string(&groups).expect("read");
    let mut c = Client::start(&root);
    c.open(&users);
    assert_eq!(c.diagnostics(&users, |_| true), Vec::<Value>::new());
    // `git checkout` puts David in a second group: G002, in the closed file.
    std::fs::write(&groups, before.replace("members: [maria]", "members: [maria, david]")).expect("write");
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().filter(|d| d["code"] == "G002").count(), 2, "{found:#?}");
    // A write interrupted in a terminal: F006 and nothing else, in the open file too.
    let journal = root.join(".caseshare/journal");
    std::fs::create_dir_all(journal.parent().unwrap()).expect("mkdir");
    std::fs::write(&journal, "caseshare journal 1\n").expect("write");
    let found = c.diagnostics(&users, |d| !d.is_empty());
    assert_eq!(found.iter().map(|d| d["code"].as_str().unwrap()).collect::<Vec<_>>(), ["F006"], "{found:#?}");
    // Recovered, then the groups file as it was: every diagnostic clears.
    std::fs::remove_file(&journal).expect("remove");
    let found = c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "G002"));
    assert!(!found.iter().any(|d| d["code"] == "F006"), "{found:#?}");
    std::fs::write(&groups, &before).expect("write");
    assert_eq!(c.diagnostics(&groups, |d| d.is_empty()), Vec::<Value>::new());
    c.shutdown();

    // A client that registers the watcher, or refuses it, and tells of no
    // change made outside it: the server looks itself too.
    for refused in [false, true] {
        std::fs::write(&groups, &before).expect("write");
        let caps = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
        let mut c = Client::start_with(&root, caps);
        c.open(&users);
        c.diagnostics(&users, |_| true);
        let asked = c.asked.iter().find(|r| r.method == "client/registerCapability").expect("a registration");
        let answer = if refused {
            lsp_server::Response::new_err(asked.id.clone(), -32601, "no watching here".into())
        } else {
            lsp_server::Response::new_ok(asked.id.clone(), Value::Null)
        };
        c.conn.sender.send(Message::Response(answer)).expect("sent");
        std::fs::write(&groups, before.replace("members: [maria]", "members: [maria, david]")).expect("write");
        let found = c.diagnostics(&groups, |d| !d.is_empty());
        assert_eq!(found.iter().filter(|d| d["code"] == "G002").count(), 2, "{found:#?}");
        c.shutdown();
    }
}

/// A file opened before its folder is a project (`project.yaml` came later: a
/// checkout, a new project made around open files) is served once it is one.
#[test]
fn a_file_opened_before_its_folder_is_a_project_is_served_once_it_is() {
    let base = project("late");
    let root = std::env::temp_dir().join(format!("caseshare-lsp-{}-late-project", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("groups")).expect("mkdir");
    let root = std::fs::canonicalize(&root).expect("exists");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(base.join("groups/villages.yaml")).expect("read");
    std::fs::write(&groups, &text).expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    let (line, col) = line_of(&groups, "david");
    assert!(c.at("textDocument/definition", &groups, line, col + 1, json!({})).is_null());
    // The rest of the project is made, and `project.yaml` opened; then the
    // buffer is edited: it is checked with the project.
    common::copy_tree(&base, &root);
    std::fs::write(&groups, &text).expect("write");
    c.open(&root.join("project.yaml"));
    c.change(&groups, 2, &text.replace("members: [maria]", "members: [maria, ghost]"));
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().map(|d| d["code"].as_str().unwrap()).collect::<Vec<_>>(), ["R001"], "{found:#?}");
    let def = c.at("textDocument/definition", &groups, line, col + 1, json!({}));
    assert!(def[0]["uri"].as_str().is_some_and(|u| u.ends_with("users/chws.yaml")), "{def}");
    c.shutdown();
}

fn actions(c: &mut Client, path: &Path, line: u32) -> Vec<Value> {
    let range = json!({"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}});
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": path_to_uri(path)}, "range": range, "context": {"diagnostics": []}}),
    );
    actions.as_array().cloned().unwrap_or_default()
}

#[test]
fn actions_and_hover_at_every_place_a_diagnostic_labels() {
    let root = project("places");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, david]");
    std::fs::write(&groups, &text).expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().filter(|d| d["code"] == "G002").count(), 2, "{found:#?}");
    // G002 at both membership lines: allowed above either.
    for line in [2, 3] {
        let offered = actions(&mut c, &groups, line);
        let allow = offered.iter().find(|a| a["title"] == "allow G002 here").expect("allow G002");
        let edits = allow["edit"]["changes"][path_to_uri(&groups)].as_array().expect("edits").clone();
        let after = apply(&text, &edits);
        let inserted = after.lines().nth(line as usize).unwrap();
        assert_eq!(inserted, "  # caseshare: allow G002 -- reason", "{after}");
        let col = text.lines().nth(line as usize).and_then(|l| l.find("david")).expect("david") as u32;
        let hover = c.at("textDocument/hover", &groups, line, col + 1, json!({}));
        assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("**G002"), "line {line}: {hover}");
    }
    // Beside an allow comment that is there already, the code joins it: a
    // second comment would leave the first one allowing nothing.
    let allowed = text.replace(
        "  - {name: Village B",
        "  # caseshare: allow G003 -- the supervisor covers both\n  - {name: Village B",
    );
    c.change(&groups, 2, &allowed);
    c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "X001"));
    let line = allowed.lines().position(|l| l.contains("Village B")).unwrap() as u32;
    let offered = actions(&mut c, &groups, line);
    let allow = offered.iter().find(|a| a["title"] == "allow G002 here").expect("allow G002");
    let edits = allow["edit"]["changes"][path_to_uri(&groups)].as_array().expect("edits").clone();
    let after = apply(&allowed, &edits);
    assert!(after.contains("  # caseshare: allow G003, G002 -- the supervisor covers both\n"), "{after}");
    c.change(&groups, 3, &after);
    // G002 is allowed (one diagnostic, allowed at any line it labels); the
    // G003 of the comment still allows nothing.
    let left = c.diagnostics(&groups, |d| !d.iter().any(|d| d["code"] == "G002"));
    let x001: Vec<&str> = left.iter().filter(|d| d["code"] == "X001").map(|d| d["message"].as_str().unwrap()).collect();
    assert_eq!(x001.len(), 1, "{left:#?}");
    assert!(x001[0].starts_with("`allow G003` suppresses nothing"), "{left:#?}");
    c.shutdown();
}

/// A D001 labels both definitions: "allow D001 here" is offered at both, as
/// an `allow` at either suppresses it, and the one at the first clears it.
#[test]
fn allow_is_offered_at_each_place_an_allow_counts_at() {
    let root = project("allow-related");
    let users = root.join("users/chws.yaml");
    let text = std::fs::read_to_string(&users).expect("read") + "  - {username: maria, role: chw}\n";
    std::fs::write(&users, &text).expect("write");
    let mut c = Client::start(&root);
    c.open(&users);
    let found = c.diagnostics(&users, |d| d.iter().any(|d| d["code"] == "D001"));
    let d001: Vec<&Value> = found.iter().filter(|d| d["code"] == "D001").collect();
    let (first, again) = (text.lines().position(|l| l.contains("maria")).unwrap(), text.lines().count() - 1);
    let mut lines: Vec<u64> = d001.iter().map(|d| d["range"]["start"]["line"].as_u64().unwrap()).collect();
    lines.sort_unstable();
    assert_eq!(lines, [first as u64, again as u64], "{found:#?}");
    for line in [first, again] {
        let offered = actions(&mut c, &users, line as u32);
        assert!(offered.iter().any(|a| a["title"] == "allow D001 here"), "line {line}: {offered:#?}");
    }
    let offered = actions(&mut c, &users, first as u32);
    let allow = offered.iter().find(|a| a["title"] == "allow D001 here").expect("allow D001");
    let after = apply(&text, allow["edit"]["changes"][path_to_uri(&users)].as_array().expect("edits"));
    assert_eq!(after.lines().nth(first), Some("  # caseshare: allow D001 -- reason"), "{after}");
    c.change(&users, 2, &after);
    let left = c.diagnostics(&users, |d| !d.iter().any(|d| d["code"] == "D001"));
    assert!(!left.iter().any(|d| d["code"] == "X001"), "{left:#?}");
    c.shutdown();
}

/// A line that many diagnostics of one code note (the form each G002 notes)
/// is none of their places: no "allow" is offered there, as an `allow` there
/// would silence every user's G002 (and does not count).
#[test]
fn no_allow_is_offered_at_a_note_many_diagnostics_share() {
    let root = project("allow-once");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups)
        .expect("read")
        .replace("members: [david]", "members: [david, maria]")
        .replace("members: [maria]", "members: [maria, david]");
    std::fs::write(&groups, &text).expect("write");
    let app = root.join("apps/chw.yaml");
    let mut c = Client::start(&root);
    c.open(&app);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| d.iter().filter(|d| d["code"] == "G002").count() == 4);
    assert_eq!(found.iter().filter(|d| d["code"] == "G002").count(), 4, "{found:#?}");
    let line =
        std::fs::read_to_string(&app).expect("read").lines().position(|l| l.contains("Register pregnancy")).unwrap();
    let offered = actions(&mut c, &app, line as u32);
    let titles: Vec<&str> = offered.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert!(!titles.contains(&"allow G002 here"), "{offered:#?}");
    c.shutdown();
}

#[test]
fn completion_replaces_what_is_typed_and_not_in_comments() {
    let root = project("complete");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, da]");
    c.change(&groups, 2, &text);
    c.diagnostics(&groups, |_| true);
    let (line, col) = line_of_text(&text, "[maria, da]");
    let col = col + "[maria, da".len() as u32;
    let items = c.at("textDocument/completion", &groups, line, col, json!({}));
    let items = items["items"].as_array().expect("items");
    let david = items.iter().find(|i| i["label"] == "david").expect("david");
    assert_eq!(david["textEdit"]["newText"], "david");
    assert_eq!(david["textEdit"]["range"]["start"]["character"], col - 2);
    assert_eq!(david["textEdit"]["range"]["end"]["character"], col);
    // In a flow list that goes over lines.
    let wrapped = text.replace("members: [maria, da]", "members: [maria,\n      da]");
    c.change(&groups, 3, &wrapped);
    c.diagnostics(&groups, |_| true);
    let (line, col) = line_of_text(&wrapped, "      da]");
    let items = c.at("textDocument/completion", &groups, line, col + 8, json!({}));
    let labels: Vec<&str> =
        items["items"].as_array().expect("items").iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["david"], "{items}");
    // In a comment: nothing.
    let commented = format!("{text}# members: [da");
    c.change(&groups, 4, &commented);
    c.diagnostics(&groups, |_| true);
    let last = commented.lines().count() as u32 - 1;
    let items = c.at("textDocument/completion", &groups, last, "# members: [da".len() as u32, json!({}));
    assert!(items.is_null(), "{items}");
    c.shutdown();
}

/// A name with spaces is completed from where its scalar starts, plain or in
/// quotes: it once took only the last word as typed, and `role: community
/// hea` became `role: community community health worker`.
#[test]
fn completion_of_a_name_with_spaces_replaces_all_of_it() {
    let root = project("complete-spaces");
    let roles = "roles:\n  chw: {apps: [chw]}\n  community health worker: {apps: [chw]}\n  \"it's \\\"ours\\\"\": {apps: [chw]}\n";
    let project_yaml = std::fs::read_to_string(root.join("project.yaml")).expect("read");
    std::fs::write(root.join("project.yaml"), project_yaml.replace("roles:\n  chw: {apps: [chw]}\n", roles))
        .expect("write");
    let users = root.join("users/chws.yaml");
    let mut c = Client::start(&root);
    c.open(&users);
    c.diagnostics(&users, |_| true);
    let head = "format_version: 2\nusers:\n";
    // (the line, the text before the cursor on it, the new text of `community health worker`)
    let cases = [
        ("  - username: david\n    role: community hea", "    role: community hea", "community health worker"),
        (
            "  - {username: david, role: community hea",
            "  - {username: david, role: community hea",
            "community health worker",
        ),
        (
            "  - {username: david, role: \"community hea",
            "  - {username: david, role: \"community hea",
            "community health worker",
        ),
        (
            "  - {username: david, role: 'community hea",
            "  - {username: david, role: 'community hea",
            "community health worker",
        ),
    ];
    for (version, (body, before, new_text)) in cases.iter().enumerate() {
        let text = format!("{head}{body}");
        c.change(&users, version as i32 + 2, &text);
        c.diagnostics(&users, |_| true);
        let line = text.lines().count() as u32 - 1;
        let col = before.len() as u32;
        let items = c.at("textDocument/completion", &users, line, col, json!({}));
        let items = items["items"].as_array().unwrap_or_else(|| panic!("{body:?}: {items}"));
        let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
        assert_eq!(labels, ["community health worker"], "{body:?}");
        let edit = &items[0]["textEdit"];
        assert_eq!(edit["newText"], *new_text, "{body:?}");
        assert_eq!(edit["range"]["start"]["character"], col - "community hea".len() as u32, "{body:?}");
        assert_eq!(edit["range"]["end"]["character"], col, "{body:?}");
    }
    // A name with quotes in it, in each kind of quotes and in none.
    for (version, (open, new_text)) in
        [("\"", "it's \\\"ours\\\""), ("'", "it''s \"ours\""), ("", "\"it's \\\"ours\\\"\"")].iter().enumerate()
    {
        let text = format!("{head}  - username: david\n    role: {open}it");
        c.change(&users, version as i32 + 10, &text);
        c.diagnostics(&users, |_| true);
        let col = format!("    role: {open}it").len() as u32;
        let items = c.at("textDocument/completion", &users, 3, col, json!({}));
        let items = items["items"].as_array().unwrap_or_else(|| panic!("{open}: {items}"));
        assert_eq!(items.len(), 1, "{open}: {items:?}");
        assert_eq!(items[0]["label"], "it's \"ours\"", "{open}");
        assert_eq!(items[0]["textEdit"]["newText"], *new_text, "{open}");
    }
    c.shutdown();
}

/// The completion items after the last `before` in `text`, once the buffer at
/// `path` holds `text` (as `version`) and is analysed.
fn completed(c: &mut Client, path: &Path, version: i32, text: &str, before: &str) -> Vec<Value> {
    c.change(path, version, text);
    c.diagnostics(path, |_| true);
    let at = text.rfind(before).expect("in the text") + before.len();
    let line = text[..at].matches('\n').count() as u32;
    let col = (at - text[..at].rfind('\n').map_or(0, |i| i + 1)) as u32;
    let items = c.at("textDocument/completion", path, line, col, json!({}));
    items["items"].as_array().cloned().unwrap_or_default()
}

/// What a completion inserts reads as meant: after `key:` with no space yet
/// (clients ask as `:` is typed) a space comes first, and a list where the key
/// holds one; names the list holds already are not offered; the word being
/// typed is not offered as a case type "used elsewhere", and case types match
/// without their letters' case; format 1's `groups:` on a user offers groups.
#[test]
fn completion_inserts_what_reads_as_meant() {
    let root = project("complete-meant");
    let groups = root.join("groups/villages.yaml");
    let users = root.join("users/chws.yaml");
    let app = root.join("apps/chw.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    let mut version = 1;
    let mut ask = |c: &mut Client, path: &Path, text: &str, before: &str| -> Vec<(String, String)> {
        version += 1;
        completed(c, path, version, text, before)
            .iter()
            .map(|i| (i["label"].as_str().unwrap().to_string(), i["textEdit"]["newText"].as_str().unwrap().to_string()))
            .collect()
    };
    let pair = |l: &str, t: &str| (l.to_string(), t.to_string());
    let head = "format_version: 2\ngroups:\n  - name: A\n    case_sharing: true\n";
    // Right after the colon, and after its space.
    let text = format!("{head}    members:");
    assert_eq!(ask(&mut c, &groups, &text, "    members:"), [pair("david", " [david]"), pair("maria", " [maria]")]);
    let text = format!("{head}    members: ");
    assert_eq!(ask(&mut c, &groups, &text, "    members: "), [pair("david", "[david]"), pair("maria", "[maria]")]);
    // In a list: what it holds is left out, in a flow list and in a block list.
    let text = format!("{head}    members: [david, ]");
    assert_eq!(ask(&mut c, &groups, &text, "[david, "), [pair("maria", "maria")]);
    let text = format!("{head}    members:\n      - maria   # the nurse\n      - \n      - \"david\"\n");
    assert_eq!(ask(&mut c, &groups, &text, "the nurse\n      - "), Vec::<(String, String)>::new());
    let text = format!("{head}    members:\n      - maria\n      - \n");
    assert_eq!(ask(&mut c, &groups, &text, "- maria\n      - "), [pair("david", "david")]);
    // A flow list over lines: items below the cursor count, and in quotes too.
    let text = format!("{head}    members: [\n      ,\n      maria\n    ]\n");
    assert_eq!(ask(&mut c, &groups, &text, "members: [\n      "), [pair("david", "david")]);
    let text = format!("{head}    members: [\"\", \"maria\",\n      x]\n");
    assert_eq!(ask(&mut c, &groups, &text, "members: [\""), [pair("david", "david")]);
    // A comment in a flow list over lines is no part of the item after it.
    let text = format!("{head}    members: [\n      ,  # the nurse, below\n      maria\n    ]\n");
    assert_eq!(ask(&mut c, &groups, &text, "members: [\n      "), [pair("david", "david")]);
    // A colon in the key's comment is not a key.
    let text = format!("{head}    members:  # team: north\n      - maria\n      - \n");
    assert_eq!(ask(&mut c, &groups, &text, "- maria\n      - "), [pair("david", "david")]);
    // A scalar key: a space, no list.
    c.open(&users);
    let text = "format_version: 2\nusers:\n  - username: david\n    role:";
    assert_eq!(ask(&mut c, &users, text, "    role:"), [pair("chw", " chw")]);
    // Format 1's memberships on users name groups (the open buffer's one group).
    let text = "format_version: 2\nusers:\n  - username: david\n    groups: [";
    assert_eq!(ask(&mut c, &users, text, "groups: ["), [pair("A", "A")]);
    let text = "format_version: 2\nusers:\n  - username: david\n    groups:";
    assert_eq!(ask(&mut c, &users, text, "groups:"), [pair("A", " [A]")]);
    // Case types: not the word being typed; letters matched without their case.
    c.open(&app);
    let original = std::fs::read_to_string(&app).expect("read");
    let text = original.replace("    case_type: referral\n", "    case_type: pre\n");
    assert_eq!(ask(&mut c, &app, &text, "    case_type: pre"), [pair("pregnancy", "pregnancy")]);
    let text = original.replace("    case_type: referral\n", "    case_type: Preg\n");
    assert_eq!(ask(&mut c, &app, &text, "    case_type: Preg"), [pair("pregnancy", "pregnancy")]);
    let text = original.replace("    case_type: referral\n", "    case_type: \"pre\"\n");
    assert_eq!(ask(&mut c, &app, &text, "    case_type: \"pre"), [pair("pregnancy", "pregnancy")]);
    c.shutdown();
}

/// Completion in the middle of a name replaces all of it; in quotes it writes
/// no list and escapes what the quotes need (a line separator cannot stand in
/// single quotes: no item there); a block entry's `-` with nothing after it
/// gets a space; a quoted entry of a block list sees the entries in its column.
#[test]
fn completion_mid_word_in_quotes_and_after_a_dash() {
    let root = project("complete-quotes");
    let project_yaml = std::fs::read_to_string(root.join("project.yaml")).expect("read");
    let roles = "roles:\n  chw: {apps: [chw]}\n  \"x\\u2028y\": {apps: [chw]}\n";
    std::fs::write(root.join("project.yaml"), project_yaml.replace("roles:\n  chw: {apps: [chw]}\n", roles))
        .expect("write");
    let groups = root.join("groups/villages.yaml");
    let users = root.join("users/chws.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.open(&users);
    c.diagnostics(&groups, |_| true);
    let mut version = 1;
    // (label, newText, start and end character) of each item.
    let mut ask = |c: &mut Client, path: &Path, text: &str, before: &str| -> Vec<(String, String, u64, u64)> {
        version += 1;
        completed(c, path, version, text, before)
            .iter()
            .map(|i| {
                let e = &i["textEdit"];
                (
                    i["label"].as_str().unwrap().to_string(),
                    e["newText"].as_str().unwrap().to_string(),
                    e["range"]["start"]["character"].as_u64().unwrap(),
                    e["range"]["end"]["character"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let head = "format_version: 2\ngroups:\n  - name: A\n    case_sharing: true\n";
    // In the middle of a name: all of it is replaced.
    let text = format!("{head}    members: [maria, da]\n");
    let start = "    members: [maria, ".len() as u64;
    assert_eq!(ask(&mut c, &groups, &text, "[maria, d"), [("david".into(), "david".into(), start, start + 2)]);
    // Right before a comment: it stays.
    let text = format!("{head}    members: # note\n");
    let at = "    members: ".len() as u64;
    assert_eq!(ask(&mut c, &groups, &text, "members: ").first(), Some(&("david".into(), "[david]".into(), at, at)));
    // In quotes after `key:`: no list.
    let text = format!("{head}    members: \"");
    assert_eq!(
        ask(&mut c, &groups, &text, "members: \"").iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
        ["david", "maria"]
    );
    // After a bare dash: a space.
    let text = format!("{head}    members:\n      -");
    assert_eq!(
        ask(&mut c, &groups, &text, "      -").iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
        [" david", " maria"]
    );
    // A quoted block entry sees the entries in its column.
    let text = format!("{head}    members:\n      - maria\n      - \"");
    assert_eq!(ask(&mut c, &groups, &text, "      - \"").iter().map(|i| i.0.as_str()).collect::<Vec<_>>(), ["david"]);
    // A line separator is an escape in double quotes; single quotes cannot hold it.
    let head = "format_version: 2\nusers:\n  - username: david\n";
    let text = format!("{head}    role: \"x");
    assert_eq!(ask(&mut c, &users, &text, "role: \"x").iter().map(|i| i.1.as_str()).collect::<Vec<_>>(), ["x\\u2028y"]);
    let text = format!("{head}    role: 'x");
    assert_eq!(ask(&mut c, &users, &text, "role: 'x"), Vec::new());
    c.shutdown();
}

/// The cursor right after a character of several bytes (in a block list, a
/// flow list over lines, after a byte order mark) is answered, and the server
/// goes on: it once stepped back one byte into the character, and panicked.
#[test]
fn completion_after_a_character_of_several_bytes_is_answered() {
    let root = project("complete-utf8");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    let head = "format_version: 2\ngroups:\n  - name: A\n    case_sharing: true\n";
    let cases = [
        (format!("{head}    members:\n      - é"), 5, "      - é"),
        (format!("{head}    members: [maria,\n      é]"), 5, "      é"),
        (format!("{head}    members:\n      - 😀"), 5, "      - 😀"),
        (format!("\u{feff}{head}    members: [maria]\n"), 0, ""),
    ];
    for (version, (text, line, before)) in cases.iter().enumerate() {
        c.change(&groups, version as i32 + 2, text);
        c.diagnostics(&groups, |_| true);
        let col = before.encode_utf16().count() as u32;
        let items = c.at("textDocument/completion", &groups, *line, col, json!({}));
        assert!(items.is_null() || items["items"].is_array(), "{text:?}: {items}");
    }
    // Still serving: names are completed after an ASCII prefix.
    let text = format!("{head}    members: [maria, da]\n");
    c.change(&groups, 9, &text);
    c.diagnostics(&groups, |_| true);
    let (line, col) = line_of_text(&text, "[maria, da]");
    let items = c.at("textDocument/completion", &groups, line, col + "[maria, da".len() as u32, json!({}));
    let labels: Vec<&str> =
        items["items"].as_array().expect("items").iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["david"], "{items}");
    c.shutdown();
}

fn line_of_text(text: &str, needle: &str) -> (u32, u32) {
    text.lines().enumerate().find_map(|(i, l)| l.find(needle).map(|c| (i as u32, c as u32))).expect("in the text")
}

#[test]
fn rename_in_the_editor_is_stopped_by_what_stops_the_command() {
    let root = project("blocked");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read");
    std::fs::write(&groups, format!("{text}  - name: Village C\n    memebers: [david]\n")).expect("write");
    let users = root.join("users/chws.yaml");
    let mut c = Client::start(&root);
    c.open(&users);
    c.diagnostics(&users, |_| true);
    let (line, col) = line_of(&users, "david");
    let refused = c.at("textDocument/rename", &users, line, col + 1, json!({"newName": "dave"}));
    let message = refused["error"]["message"].as_str().expect("refused");
    assert!(message.contains("S001") && message.contains("groups/villages.yaml"), "{message}");
    // Maria is not named there: her rename goes ahead.
    let (line, col) = line_of(&users, "maria");
    let edit = c.at("textDocument/rename", &users, line, col + 1, json!({"newName": "mary"}));
    assert!(edit["changes"].is_object(), "{edit}");
    // An app id is not renamed: nothing to prepare.
    let app = root.join("apps/chw.yaml");
    let project_file = root.join("project.yaml");
    c.open(&project_file);
    c.diagnostics(&project_file, |_| true);
    let (line, col) = line_of(&project_file, "[chw]");
    let prepared = c.at("textDocument/prepareRename", &project_file, line, col + 1, json!({}));
    assert!(prepared.is_null(), "{prepared}");
    let _ = app;
    c.shutdown();
}

/// What `caseshare rename` makes of renaming `old` to `new` in the project
/// at `root`, with its `caseshare.toml`.
fn command_rename(
    root: &Path,
    kind: caseshare::rename::NameKind,
    old: &str,
    new: &str,
) -> Result<caseshare::rename::Renamed, caseshare::rename::RenameError> {
    let config = caseshare::config::Config::load(root).expect("caseshare.toml");
    let sources = caseshare::read::read_project(root, root, &config);
    caseshare::rename::rename(&sources, kind, old, new)
}

/// Why `caseshare rename` refuses to rename `old` to `new` in the project at `root`.
fn command_refusal(root: &Path, kind: caseshare::rename::NameKind, old: &str, new: &str) -> String {
    command_rename(root, kind, old, new).expect_err("the command refuses it").to_string()
}

const CLINIC: &str = "format_version: 2\nname: Clinic App\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules:\n  - name: Visits\n    case_type: visit\n    forms:\n      - {name: Record visit, requires: case}\n";

/// The base project with a clinic app ([`CLINIC`]) beside the CHW app: the
/// app's path, and the position inside its module's case type `visit`.
fn with_clinic(name: &str) -> (PathBuf, PathBuf, (u32, u32)) {
    let root = project(name);
    let clinic = root.join("apps/clinic.yaml");
    std::fs::write(&clinic, CLINIC).expect("write");
    let (line, col) = line_of(&clinic, "case_type: visit");
    (root, clinic, (line, col + "case_type: ".len() as u32 + 1))
}

#[test]
fn rename_in_the_editor_is_refused_when_it_would_add_an_error_as_the_command_is() {
    // A clinic app beside the CHW app, and C002 (a case type spelt two ways
    // across apps) raised to an error.
    let (root, clinic, (line, col)) = with_clinic("new-errors");
    let text = CLINIC;
    std::fs::write(root.join("caseshare.toml"), "[rules]\nC002 = \"error\"\n").expect("write");
    let refusal = command_refusal(&root, caseshare::rename::NameKind::CaseType, "visit", "Referral");
    assert!(refusal.contains("would add 1 error: C002"), "{refusal}");

    let mut c = Client::start(&root);
    c.open(&clinic);
    assert_eq!(c.diagnostics(&clinic, |_| true), Vec::<Value>::new());
    // `Referral` beside the CHW app's `referral`: the same refusal, and no edit.
    let refused = c.at("textDocument/rename", &clinic, line, col, json!({"newName": "Referral"}));
    let message = refused["error"]["message"].as_str().unwrap_or_else(|| panic!("refused: {refused}"));
    assert_eq!(message, refusal);
    // A name no other app spells otherwise goes ahead.
    let edit = c.at("textDocument/rename", &clinic, line, col, json!({"newName": "consult"}));
    let edits = edit["changes"][path_to_uri(&clinic)].as_array().unwrap_or_else(|| panic!("an edit: {edit}"));
    assert_eq!(edits.len(), 1, "{edit}");
    // The question asked of the project left nothing behind: the refused name
    // typed by hand is the error the rename would have brought out.
    c.change(&clinic, 2, &text.replace("case_type: visit", "case_type: Referral"));
    let list = c.diagnostics(&clinic, |l| !l.is_empty());
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!((list[0]["code"].as_str(), list[0]["severity"].as_i64()), (Some("C002"), Some(1)), "{list:#?}");
    c.change(&clinic, 3, text);
    assert_eq!(c.diagnostics(&clinic, |_| true), Vec::<Value>::new());
    c.shutdown();
}

/// A rename that brings out a warning is made, as the command makes it, and
/// the warning is told with the command's words: as a change annotation the
/// user confirms, to a client that takes them, or as a message with the edits.
#[test]
fn a_rename_that_brings_out_a_warning_says_so_with_the_commands_note() {
    // A clinic app beside the CHW app: `Referral` in it beside the CHW app's
    // `referral` is a C002 warning.
    let (root, clinic, (line, col)) = with_clinic("new-warnings");
    let notes = command_rename(&root, caseshare::rename::NameKind::CaseType, "visit", "Referral")
        .expect("the command renames")
        .notes;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("new warning: C002 "), "{notes:?}");
    let uri = path_to_uri(&clinic);

    // A client that confirms annotated edits: the edit is the same, annotated.
    let annotations = json!({"workspace": {"workspaceEdit": {
        "documentChanges": true,
        "changeAnnotationSupport": {"groupsOnLabel": true},
    }}});
    let mut c = Client::start_with(&root, annotations);
    c.open(&clinic);
    c.diagnostics(&clinic, |_| true);
    c.change(&clinic, 7, CLINIC);
    c.diagnostics(&clinic, |_| true);
    let edit = c.at("textDocument/rename", &clinic, line, col, json!({"newName": "Referral"}));
    assert!(edit.get("changes").is_none(), "{edit}");
    let files = edit["documentChanges"].as_array().unwrap_or_else(|| panic!("document changes: {edit}"));
    assert_eq!(files.len(), 1, "{edit}");
    // The open buffer's edits are for the version the rename saw.
    assert_eq!(files[0]["textDocument"], json!({"uri": uri.as_str(), "version": 7}), "{edit}");
    let edits = files[0]["edits"].as_array().expect("edits");
    assert_eq!(edits.len(), 1, "{edit}");
    assert_eq!(edits[0]["newText"], "Referral");
    let id = edits[0]["annotationId"].as_str().unwrap_or_else(|| panic!("annotated: {edit}"));
    let annotation = &edit["changeAnnotations"][id];
    assert_eq!(annotation["needsConfirmation"], true, "{edit}");
    assert_eq!(annotation["label"], "this rename brings out a new warning", "{edit}");
    assert_eq!(annotation["description"].as_str(), Some(notes[0].as_str()), "{edit}");
    // Nothing to confirm for a name no other app spells otherwise.
    let plain = c.at("textDocument/rename", &clinic, line, col, json!({"newName": "consult"}));
    assert_eq!(plain["changes"][uri.as_str()].as_array().map(Vec::len), Some(1), "{plain}");
    assert!(plain.get("changeAnnotations").is_none(), "{plain}");
    assert!(!c.inbox.iter().any(|n| n.method == "window/showMessage"), "{:#?}", c.inbox);
    c.shutdown();

    // A client without them: the plain edits, and the note as a warning message.
    let mut c = Client::start(&root);
    c.open(&clinic);
    c.diagnostics(&clinic, |_| true);
    let edit = c.at("textDocument/rename", &clinic, line, col, json!({"newName": "Referral"}));
    let edits = edit["changes"][uri.as_str()].as_array().unwrap_or_else(|| panic!("changes: {edit}"));
    assert_eq!((edits.len(), &edits[0]["newText"]), (1, &json!("Referral")), "{edit}");
    assert!(edit.get("changeAnnotations").is_none(), "{edit}");
    let shown: Vec<&Value> = c.inbox.iter().filter(|n| n.method == "window/showMessage").map(|n| &n.params).collect();
    assert_eq!(shown, [&json!({"type": 2, "message": notes[0]})], "{:#?}", c.inbox);
    c.shutdown();
}

/// The server makes a rename's edits after letting go of the project's index:
/// when the edits themselves are refused (a YAML alias repeats the renamed
/// token), the refusal is the command's, and the index is built again for the
/// requests after it.
#[test]
fn a_rename_refused_for_an_alias_is_the_commands_refusal_and_the_server_goes_on() {
    let root = project("alias");
    let groups = root.join("groups/villages.yaml");
    let text = "format_version: 2\ngroups:\n  - {name: Village A, case_sharing: true, members: [&d david]}\n  - {name: Village B, case_sharing: true, members: [maria]}\n  - {name: Reporting, members: [*d]}\n";
    std::fs::write(&groups, text).expect("write");
    let refusal = command_refusal(&root, caseshare::rename::NameKind::User, "david", "dave");
    assert!(refusal.contains("anchor"), "{refusal}");

    let users = root.join("users/chws.yaml");
    let mut c = Client::start(&root);
    c.open(&users);
    c.diagnostics(&users, |_| true);
    let (line, col) = line_of(&users, "david");
    let refused = c.at("textDocument/rename", &users, line, col + 1, json!({"newName": "dave"}));
    assert_eq!(refused["error"]["message"].as_str(), Some(refusal.as_str()), "{refused}");
    // The next rename waits for the project's index, built again after the
    // refused one let it go: Maria's goes ahead, in both files.
    let (line, col) = line_of(&users, "maria");
    let edit = c.at("textDocument/rename", &users, line, col + 1, json!({"newName": "mary"}));
    let changes = edit["changes"].as_object().unwrap_or_else(|| panic!("an edit: {edit}"));
    assert_eq!(changes.len(), 2, "{edit}");
    c.shutdown();
}

#[test]
fn an_interrupted_write_is_f006_and_nothing_else_until_recovered() {
    let root = project("journal");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, david]");
    std::fs::write(&groups, &text).expect("write");
    let journal = root.join(".caseshare/journal");
    std::fs::create_dir_all(journal.parent().unwrap()).expect("mkdir");
    std::fs::write(&journal, "caseshare journal 1\n").expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["F006"], "{found:#?}");
    assert!(found[0]["relatedInformation"][0]["location"]["uri"].as_str().unwrap().ends_with(".caseshare/journal"));
    c.diagnostics(&journal, |d| d.iter().any(|d| d["code"] == "F006"));
    // No rename on a half-written tree.
    let (line, col) = line_of_text(&text, "[david]");
    let refused = c.at("textDocument/rename", &groups, line, col + 2, json!({"newName": "dave"}));
    assert!(refused["error"]["message"].as_str().unwrap_or("").contains("caseshare recover"), "{refused}");
    // Recovered: the project is checked again.
    std::fs::remove_file(&journal).expect("remove");
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": path_to_uri(&journal), "type": 3}]}));
    let found = c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "G002"));
    assert!(!found.iter().any(|d| d["code"] == "F006"), "{found:#?}");
    c.diagnostics(&journal, |d| d.is_empty());
    c.shutdown();
}

#[test]
fn caseshare_toml_excludes_files_and_sets_levels_live() {
    let root = project("config");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, david]");
    std::fs::write(&groups, &text).expect("write");
    std::fs::write(root.join("caseshare.toml"), "[files]\nexclude = [\"apps/drafts/**\"]\n").expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "G002"));
    // An excluded file opened in the editor is not part of the project.
    let draft = root.join("apps/drafts/new.yaml");
    c.open_text(&draft, "format_version: 2\nname: [broken\n");
    let hover = c.at("textDocument/hover", &draft, 1, 3, json!({}));
    assert!(hover.is_null(), "{hover}");
    assert!(
        !c.inbox.iter().any(|n| n.params["uri"] == path_to_uri(&draft).as_str()),
        "nothing published for an excluded file: {:#?}",
        c.inbox
    );
    // G002 turned off: cleared once caseshare.toml changes.
    std::fs::write(root.join("caseshare.toml"), "[rules]\nG002 = \"off\"\n[files]\nexclude = [\"apps/drafts/**\"]\n")
        .expect("write");
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": path_to_uri(&root.join("caseshare.toml")), "type": 2}]}),
    );
    c.diagnostics(&groups, |d| !d.iter().any(|d| d["code"] == "G002"));
    // caseshare.toml open in the editor: typing in it changes nothing, saving
    // it applies it; the draft it no longer excludes counts as its buffer.
    let toml = root.join("caseshare.toml");
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": path_to_uri(&toml), "languageId": "toml", "version": 1,
            "text": std::fs::read_to_string(&toml).expect("read")}}),
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": path_to_uri(&toml), "version": 2}, "contentChanges": [{"text": "[rules]\nG0"}]}),
    );
    std::fs::write(&toml, "").expect("write");
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": path_to_uri(&toml)}}));
    c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "G002"));
    let draft_found = c.diagnostics(&draft, |d| !d.is_empty());
    assert!(draft_found.iter().any(|d| d["code"] == "Y001"), "the buffer, not the disk: {draft_found:#?}");
    // A saved caseshare.toml that cannot be used is told once, however the
    // save is told (as `didSave` and as a change on disk).
    std::fs::write(&toml, "[rules]\nG002 = \"loud\"\n").expect("write");
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": path_to_uri(&toml)}}));
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": path_to_uri(&toml), "type": 2}]}));
    c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "G002"));
    let _ = c.request("shutdown", Value::Null); // every message before it has arrived
    let shown = c.inbox.iter().filter(|n| n.method == "window/showMessage").count();
    assert_eq!(shown, 1, "{:#?}", c.inbox.iter().filter(|n| n.method == "window/showMessage").collect::<Vec<_>>());
    c.notify("exit", Value::Null);
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let frame = |body: &str| format!("Content-Length: {}\r\n\r\n{body}", body.len());
    let init = frame(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#);
    let initialized = frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
    let shutdown = frame(r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#);
    let exit = frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
    let run = |input: String| {
        assert_cmd::Command::cargo_bin("caseshare")
            .expect("binary")
            .arg("lsp")
            .env("XDG_CACHE_HOME", caseshare::lsp::test_cache())
            .write_stdin(input)
            .output()
            .expect("ran")
    };
    let clean = run(format!("{init}{initialized}{shutdown}{exit}"));
    assert_eq!(clean.status.code(), Some(0), "{clean:?}");
    let abrupt = run(format!("{init}{initialized}{exit}"));
    assert_eq!(abrupt.status.code(), Some(1), "{abrupt:?}");
}

#[test]
fn a_project_opened_through_a_symbolic_link_is_answered_in_its_paths() {
    let root = project("link-target");
    let link = root.with_file_name(format!("{}-link", root.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&root, &link).expect("a link");
    let groups = link.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, david]");
    let mut c = Client::start(&link);
    c.open_text(&groups, &text);
    // Published for the buffer's own URI.
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert!(found.iter().any(|d| d["code"] == "G002"), "{found:#?}");
    let (line, col) = line_of_text(&text, "[david]");
    let def = c.at("textDocument/definition", &groups, line, col + 2, json!({}));
    assert_eq!(def[0]["uri"], path_to_uri(&link.join("users/chws.yaml")).as_str(), "{def}");
    c.shutdown();
    let _ = std::fs::remove_file(&link);
}

#[test]
fn files_opened_under_two_names_and_a_file_that_is_a_link() {
    let root = project("names");
    let link = root.with_file_name(format!("{}-link", root.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&root, &link).expect("a link");
    // The groups file is a link to a file elsewhere in the project, as `check` reads it.
    std::fs::create_dir_all(root.join("kept")).expect("mkdir");
    std::fs::rename(root.join("groups/villages.yaml"), root.join("kept/villages.yaml")).expect("move");
    std::os::unix::fs::symlink("../kept/villages.yaml", root.join("groups/villages.yaml")).expect("a link");
    let users = root.join("users/chws.yaml");
    let users_text = std::fs::read_to_string(&users).expect("read").replace("role: chw}", "role: chw, is_active: yes}");
    let groups = link.join("groups/villages.yaml");
    let groups_text = std::fs::read_to_string(&groups).expect("read").replace("[maria]", "[maria, zoe]");
    let mut c = Client::start(&link);
    c.open_text(&groups, &groups_text);
    // The buffer of the linked groups file counts: zoe is unknown.
    let found = c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "R001"));
    assert!(!found.is_empty());
    // The users file opened by its real path is told of under that path.
    c.open_text(&users, &users_text);
    let found = c.diagnostics(&users, |d| d.iter().any(|d| d["code"] == "Y004"));
    assert!(!found.is_empty());
    // A change on disk told under the other name: the buffer still wins.
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": path_to_uri(&link.join("users/chws.yaml")), "type": 2}]}),
    );
    c.change(&groups, 2, &groups_text);
    c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "R001"));
    assert!(c.at("textDocument/hover", &users, 2, 15, json!({}))["contents"].is_object());
    // Closed: its list is cleared under the name it was told by.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": path_to_uri(&users)}}));
    c.diagnostics(&users, |d| d.is_empty());
    // Completion after a quoted value that holds ` #`, and an escaped quote.
    let quoted =
        groups_text.replace("{name: Village B,", "{name: \"Ward \\\" #3\",").replace("[maria, zoe]", "[maria, da]");
    c.change(&groups, 3, &quoted);
    c.diagnostics(&groups, |_| true);
    let (line, col) = line_of_text(&quoted, "[maria, da]");
    let items = c.at("textDocument/completion", &groups, line, col + "[maria, da".len() as u32, json!({}));
    let labels: Vec<&str> =
        items["items"].as_array().expect("items").iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["david"], "{items}");
    c.shutdown();
    let _ = std::fs::remove_file(&link);
}

#[test]
fn a_link_out_of_the_project_is_not_read_when_opened() {
    let root = project("outside");
    let outside = root.with_file_name(format!("{}-outside", root.file_name().unwrap().to_string_lossy()));
    std::fs::create_dir_all(&outside).expect("mkdir");
    let secret = "format_version: 2\nusers:\n  - {username: zoe, role: chw, is_active: maybe}\n";
    std::fs::write(outside.join("ext.yaml"), secret).expect("write");
    let ext = root.join("users/ext.yaml");
    std::os::unix::fs::symlink(outside.join("ext.yaml"), &ext).expect("a link");
    let groups = root.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replace("[maria]", "[maria, zoe]");
    std::fs::write(&groups, &text).expect("write");
    let mut c = Client::start(&root);
    c.open(&groups);
    c.diagnostics(&groups, |_| true);
    c.diagnostics(&ext, |d| d.iter().any(|d| d["code"] == "F005"));
    // Opened in the editor, the link still is not read: F005 alone, and zoe
    // is no user (as for `check`).
    c.open(&ext);
    c.change(&groups, 2, &text.replace("[maria, zoe]", "[zoe, maria]"));
    c.diagnostics(&groups, |_| true);
    let (line, col) = line_of_text(&text.replace("[maria, zoe]", "[zoe, maria]"), "[zoe");
    assert_eq!(c.at("textDocument/definition", &groups, line, col + 2, json!({})), json!([]));
    assert!(
        !c.inbox.iter().any(|n| n.params["uri"] == path_to_uri(&ext).as_str()
            && n.params["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] != "F005"))),
        "{:#?}",
        c.inbox
    );
    c.shutdown();
    let _ = std::fs::remove_dir_all(&outside);
}

/// After an edit, a groups file's members are looked up again where they
/// changed; a group whose members read as before keeps what was found for it.
/// Members swapped between two groups of the same size follow their names.
#[test]
fn members_changed_in_place_are_looked_up_again() {
    let root = project("members");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    assert!(c.diagnostics(&groups, |_| true).is_empty());
    let original = std::fs::read_to_string(&groups).expect("read");
    let owners_of = |c: &mut Client, text: &str, name: &str| {
        let (line, l) = text.lines().enumerate().find(|(_, l)| l.contains(&format!("[{name}]"))).expect("member");
        let col = l.find(&format!("[{name}]")).unwrap() as u32 + 2;
        let hover = c.at("textDocument/hover", &groups, line as u32, col, json!({}));
        hover["contents"]["value"].as_str().expect("markdown").to_string()
    };
    // The two villages swap their members: each keeps one member.
    let swapped = original.replace("[david]", "[@]").replace("[maria]", "[david]").replace("[@]", "[maria]");
    c.change(&groups, 2, &swapped);
    assert!(c.diagnostics(&groups, |_| true).is_empty());
    assert!(owners_of(&mut c, &swapped, "david").contains("case owners (1): group `Village B`"));
    assert!(owners_of(&mut c, &swapped, "maria").contains("case owners (1): group `Village A`"));
    // A member no user has, then an edit elsewhere in the file: still unknown.
    let unknown = swapped.replace("[maria]", "[mario]");
    c.change(&groups, 3, &unknown);
    let found = c.diagnostics(&groups, |d| d.iter().any(|d| d["code"] == "R001"));
    assert!(found.iter().any(|d| d["message"].as_str().unwrap().contains("`mario`")), "{found:#?}");
    let renamed = unknown.replace("Village B", "Village Z");
    c.change(&groups, 4, &renamed);
    let found = c.diagnostics(&groups, |_| true);
    assert!(
        found.iter().any(|d| d["code"] == "R001" && d["message"].as_str().unwrap().contains("`mario`")),
        "{found:#?}"
    );
    assert!(owners_of(&mut c, &renamed, "david").contains("case owners (1): group `Village Z`"));
    // Back as it was: nothing to report.
    c.change(&groups, 5, &original);
    assert!(c.diagnostics(&groups, |d| d.is_empty()).is_empty());
    assert!(owners_of(&mut c, &original, "david").contains("case owners (1): group `Village A`"));
    c.shutdown();
}

/// A users file that is a link to nothing, opened with a groups file naming a
/// member no user has. The file cannot be read, so users are not all known and
/// the member is not reported, whether it was open when the project was
/// loaded or opened after.
#[test]
fn an_unreadable_file_counts_as_unreadable_whenever_it_is_opened() {
    let run = |name: &str, together: bool| {
        let root = project(name);
        std::os::unix::fs::symlink(root.join("nowhere.yaml"), root.join("users/d.yaml")).expect("a link");
        let groups = root.join("groups/villages.yaml");
        let text = std::fs::read_to_string(&groups).expect("read").replace("[maria]", "[maria, ghost]");
        let linked = root.join("users/d.yaml");
        let users = "format_version: 2\nusers:\n  - {username: zoe, role: chw}\n";
        let mut c = Client::start(&root);
        if together {
            c.open_text(&linked, users);
            c.open_text(&groups, &text);
        } else {
            c.open_text(&groups, &text);
            c.diagnostics(&groups, |_| true);
            c.open_text(&linked, users);
            c.diagnostics(&linked, |_| true);
            c.change(&groups, 2, &text);
        }
        let found = c.diagnostics(&groups, |_| true);
        c.shutdown();
        found
    };
    for together in [true, false] {
        let found = run(if together { "unreadable-together" } else { "unreadable-after" }, together);
        assert!(!found.iter().any(|d| d["message"].as_str().unwrap().contains("`ghost`")), "{together}: {found:#?}");
    }
}

/// A project in a folder of another (its own `project.yaml`): its files are
/// told of by it, the nearest, even when the outer project is served too (for
/// which they are files outside the known folders, F003).
#[test]
fn a_project_inside_another_keeps_its_own_diagnostics() {
    let outer = project("nested");
    let inner = outer.join("sub");
    common::copy_tree(&common::fixtures().join("rules/base"), &inner);
    let groups = inner.join("groups/villages.yaml");
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, nobody]");
    std::fs::write(&groups, &text).expect("write");
    let mut c = Client::start(&outer);
    c.open(&groups);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().map(|d| d["code"].as_str().unwrap()).collect::<Vec<_>>(), ["R001"], "{found:#?}");
    // The outer project is served too, and analysed twice (its file edited):
    // nothing it finds of the inner file reaches the client.
    let outer_file = outer.join("project.yaml");
    let outer_text = std::fs::read_to_string(&outer_file).expect("read");
    c.open(&outer_file);
    c.diagnostics(&outer_file, |_| true);
    c.change(&outer_file, 2, &format!("{outer_text}# edited\n"));
    c.diagnostics(&outer_file, |_| true);
    let told: Vec<&Value> = c
        .inbox
        .iter()
        .filter(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == path_to_uri(&groups).as_str())
        .map(|n| &n.params)
        .collect();
    assert!(told.is_empty(), "{told:#?}");
    c.shutdown();
}

/// A kind folder that is a link inside the project (`groups -> realgroups`):
/// its files are the project's groups files, as `check` reads them, opened by
/// either path; a file made at run time as a link out of the project is F005,
/// and nothing of what it points at is shown.
#[cfg(unix)]
#[test]
fn linked_folders_and_links_out_are_taken_as_check_takes_them() {
    let root = project("linked-kind");
    std::fs::rename(root.join("groups"), root.join("realgroups")).expect("move");
    std::os::unix::fs::symlink("realgroups", root.join("groups")).expect("link");
    let groups = root.join("groups/villages.yaml");
    let mut c = Client::start(&root);
    c.open(&groups);
    assert_eq!(c.diagnostics(&groups, |_| true), Vec::<Value>::new());
    let text = std::fs::read_to_string(&groups).expect("read").replace("members: [maria]", "members: [maria, nobody]");
    c.change(&groups, 2, &text);
    let found = c.diagnostics(&groups, |d| !d.is_empty());
    assert_eq!(found.iter().map(|d| d["code"].as_str().unwrap()).collect::<Vec<_>>(), ["R001"], "{found:#?}");
    // A link out of the project, made while the server runs: F005 at it.
    let secret = root.parent().unwrap().join(format!("caseshare-lsp-{}-secret.yaml", std::process::id()));
    std::fs::write(&secret, "TOKEN: SECRET-outside\n").expect("write");
    let evil = root.join("realgroups/evil.yaml");
    std::os::unix::fs::symlink(&secret, &evil).expect("link");
    let found = c.diagnostics(&root.join("groups/evil.yaml"), |d| !d.is_empty());
    assert_eq!(found.iter().map(|d| d["code"].as_str().unwrap()).collect::<Vec<_>>(), ["F005"], "{found:#?}");
    assert!(!format!("{found:?}").contains("SECRET"), "{found:#?}");
    c.shutdown();
    let _ = std::fs::remove_file(&secret);
}
