//! The language server's project, kept up to date file by file (buffers given
//! when it is loaded, edits, closed buffers, reloads), reports what `check`
//! reports on the same texts: random small projects, 40 random edits each
//! (users, groups renamed, members swapped or added, new groups files).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use caseshare::lsp::state::ProjectState;

/// Random projects tried (a reviewer ran 1,800 before this was kept).
const SEEDS: u64 = 120;

/// xorshift: the same projects on every run.
struct Rng(u64);
impl Rng {
    fn n(&mut self, m: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % m
    }
    fn f(&mut self) -> f64 {
        self.n(1_000_000) as f64 / 1e6
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.n(v.len() as u64) as usize]
    }
}

const PROJECT: &str = "format_version: 2\ndomain: fz\ncase_sharing: true\nroles:\n  chw: {apps: [a0]}\n  sup: {apps: [a1]}\nlocation_types:\n  - {name: district, view_descendants: true}\n  - {name: village, parent: district, shares_cases: true}\n";

fn app(i: usize) -> String {
    format!(
        "format_version: 2\nname: App {i}\ncommcare_version: \"2.53.0\"\ncase_sharing: true\nmodules:\n  - name: M\n    case_type: pregnancy\n    forms:\n      - {{name: Register, opens: [{{}}]}}\n"
    )
}

fn users_file(r: &mut Rng, names: &[String]) -> String {
    let k = *r.pick(&[0u64, 1, 1, 2, 3, 6, 12]);
    let mut s = String::from(if k == 0 { "format_version: 2\nusers: []\n" } else { "format_version: 2\nusers:\n" });
    for _ in 0..k {
        let mut n = r.pick(names).clone();
        if r.f() < 0.2 {
            n = n.to_uppercase();
        }
        let mut parts = vec![format!("username: {n}")];
        let x = r.f();
        if x < 0.7 {
            parts.push(format!("role: {}", r.pick(&["chw", "sup", "nurse"])));
        } else if x < 0.75 {
            parts.push("role: [x]".into());
        }
        if r.f() < 0.3 {
            parts.push(format!("locations: [{}]", r.pick(&["v0", "v1", "d0", "zz"])));
        }
        let y = r.f();
        if y < 0.15 {
            parts.push("is_active: false".into());
        } else if y < 0.2 {
            parts.push("is_active: maybe".into());
        }
        s.push_str(&format!("  - {{{}}}\n", parts.join(", ")));
    }
    s
}

fn groups_file(r: &mut Rng, names: &[String], ng: usize) -> String {
    let mut s = String::from("format_version: 2\ngroups:\n");
    for g in 0..ng {
        let k = r.n(4);
        let mem: Vec<String> =
            (0..k).map(|_| if r.f() < 0.1 { "ghost".to_string() } else { r.pick(names).clone() }).collect();
        let cs = r.pick(&["true", "true", "false", "maybe"]);
        let memtxt = if r.f() > 0.05 { format!("[{}]", mem.join(", ")) } else { "{a: 1}".into() };
        s.push_str(&format!("  - {{name: G{g}, case_sharing: {cs}, members: {memtxt}}}\n"));
    }
    s
}

fn key(project: &caseshare::Project, ds: &[caseshare::diagnostic::Diagnostic]) -> Vec<String> {
    let mut v: Vec<String> = ds
        .iter()
        .map(|d| format!("{}:{}:{} {}", project.files[d.file].rel, d.span.start, d.code(), d.message))
        .collect();
    v.sort();
    v
}

#[test]
fn the_kept_project_reports_what_check_reports() {
    for seed in 1..=SEEDS {
        let mut r = Rng(seed * 7919 + 1);
        let root = std::env::temp_dir().join(format!("caseshare-lsp-state-{}-{seed}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["apps", "groups", "users", "locations"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let names: Vec<String> = (0..(1 + r.n(12))).map(|i| format!("u{i}")).collect();
        let mut files: std::collections::BTreeMap<String, String> = Default::default();
        files.insert("project.yaml".into(), PROJECT.into());
        files.insert("apps/a0.yaml".into(), app(0));
        files.insert("apps/a1.yaml".into(), app(1));
        files.insert("locations/l.yaml".into(), "format_version: 2\nlocations:\n  - {code: d0, name: D0, type: district}\n  - {code: v0, name: V0, type: village, parent: d0}\n  - {code: v1, name: V1, type: village, parent: d0}\n".into());
        let nu = 1 + r.n(4) as usize;
        for i in 0..nu {
            files.insert(format!("users/f{i}.yaml"), users_file(&mut r, &names));
        }
        let ngf = 1 + r.n(2) as usize;
        for i in 0..ngf {
            let ng = r.n(5) as usize;
            files.insert(format!("groups/g{i}.yaml"), groups_file(&mut r, &names, ng));
        }
        for (rel, text) in &files {
            std::fs::write(root.join(rel), text).unwrap();
        }
        let disk = files.clone();
        let root = std::fs::canonicalize(&root).unwrap();
        // buffers open at load, differing from disk
        let mut open: HashMap<String, (Arc<str>, PathBuf)> = HashMap::new();
        for rel in files.keys().cloned().collect::<Vec<_>>() {
            if (rel.starts_with("users") || rel.starts_with("groups")) && r.n(3) == 0 {
                let t =
                    if rel.starts_with("users") { users_file(&mut r, &names) } else { groups_file(&mut r, &names, 3) };
                open.insert(rel.clone(), (Arc::from(t.as_str()), root.join(&rel)));
                files.insert(rel, t);
            }
        }
        if r.n(3) == 0 {
            let t = users_file(&mut r, &names);
            open.insert("users/new.yaml".into(), (Arc::from(t.as_str()), root.join("users/new.yaml")));
            files.insert("users/new.yaml".into(), t);
        }
        let mut state = ProjectState::load(&root, &open);
        for (rel, t) in &open {
            state.set_text(rel, Some(t.clone()));
        }
        {
            let snap = state.analyze(&|| false, &mut |_| {}).expect("analysed");
            let lsp = key(snap.project(), &snap.diagnostics);
            let mem: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let cli = caseshare::check_memory(&mem);
            assert_eq!(lsp, key(&cli.project, &cli.diagnostics), "seed {seed} initial");
        }
        let mut groups_sizes: HashMap<String, usize> = HashMap::new();
        for step in 0..40 {
            // an edit
            let x = r.n(10);
            let rel = if x < 3 {
                format!("users/f{}.yaml", r.n(nu as u64 + 1))
            } else if x < 4 {
                format!("groups/a{}.yaml", r.n(2))
            } else {
                format!("groups/g{}.yaml", r.n(ngf as u64))
            };
            let text = if rel.starts_with("users") {
                let cur = files.get(&rel).cloned().unwrap_or_default();
                let y = r.f();
                if y < 0.4 && cur.contains("username") {
                    // The same users, but for a role, an activity or a location.
                    let edits =
                        [("role: chw", "role: sup"), ("role: sup", "role: nurse"), ("role: nurse", "role: chw")];
                    let (from, to) = *r.pick(&edits);
                    if cur.contains(from) {
                        cur.replacen(from, to, 1)
                    } else if cur.contains("is_active: false") {
                        cur.replacen("is_active: false", "is_active: true", 1)
                    } else {
                        cur.replacen("username: ", "locations: [v1], username: ", 1)
                    }
                } else {
                    users_file(&mut r, &names)
                }
            } else {
                let ng = *groups_sizes.entry(rel.clone()).or_insert(r.n(5) as usize);
                let cur = files.get(&rel).cloned().unwrap_or_default();
                let y = r.f();
                if y < 0.3 && !cur.is_empty() {
                    // rename a group only: members stay
                    cur.replacen("name: G", "name: H", 1)
                } else if y < 0.6 && !cur.is_empty() {
                    // swap two groups' member lists, or change one
                    let mut lines: Vec<String> = cur.lines().map(String::from).collect();
                    let gl: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains("members: [")).collect();
                    if gl.len() >= 2 && r.n(2) == 0 {
                        let (a, b) = (gl[0], gl[gl.len() - 1]);
                        let ma = lines[a][lines[a].find("members:").unwrap()..].to_string();
                        let mb = lines[b][lines[b].find("members:").unwrap()..].to_string();
                        let la = lines[a].replace(&ma, &mb);
                        let lb = lines[b].replace(&mb, &ma);
                        lines[a] = la;
                        lines[b] = lb;
                    } else if let Some(&a) = gl.first() {
                        let n = r.pick(&names).clone();
                        lines[a] = lines[a].replacen("members: [", &format!("members: [{n}, "), 1).replace(", ]", "]");
                    }
                    lines.join("\n") + "\n"
                } else {
                    groups_file(&mut r, &names, ng)
                }
            };
            if r.n(10) == 0 {
                // Levels alone, or other excluded files (none of them here):
                // kept as they are, or loaded again.
                if r.n(2) == 0 {
                    let toml = format!("[files]\nexclude = [\"nothing{step}/**\"]\n");
                    std::fs::write(root.join("caseshare.toml"), toml).unwrap();
                }
                state.reload();
            }
            // Asked first what the edit of a file it has would bring (as a
            // rename asks): what `check` reports on those texts, and the
            // project stays as it was.
            if r.n(4) == 0 && files.contains_key(&rel) {
                let mut asked = files.clone();
                asked.insert(rel.clone(), text.clone());
                let after = state.what_if(&[(rel.clone(), Arc::from(text.as_str()))]);
                let mem: Vec<(&str, &str)> = asked.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                let cli = caseshare::check_memory(&mem);
                // Diagnostics name files by id: those of the files as kept.
                let snap = state.analyze(&|| false, &mut |_| {}).expect("analysed");
                let (lsp, cli_k) = (key(snap.project(), &after), key(&cli.project, &cli.diagnostics));
                assert_eq!(lsp, cli_k, "seed {seed} step {step}: what {rel} would bring\n{asked:#?}");
            }
            if r.n(8) == 0 && disk.contains_key(&rel) {
                state.set_text(&rel, None);
                files.insert(rel.clone(), disk[&rel].clone());
            } else {
                state.set_text(&rel, Some((Arc::from(text.as_str()), root.join(&rel))));
                files.insert(rel.clone(), text);
            }
            let snap = state.analyze(&|| false, &mut |_| {}).expect("analysed");
            let lsp = key(snap.project(), &snap.diagnostics);
            let mem: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let cli = caseshare::check_memory(&mem);
            let cli_k = key(&cli.project, &cli.diagnostics);
            assert_eq!(lsp, cli_k, "seed {seed} step {step}\n{files:#?}");
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// `caseshare.toml` read again: with only the levels changed, the files stay as
/// the server keeps them (a users file changed on disk, of which the server was
/// not told, is not read); with other files excluded, the project is loaded
/// again (and that file is read).
#[test]
fn levels_alone_keep_the_files_and_excludes_load_them_again() {
    let root = std::env::temp_dir().join(format!("caseshare-lsp-state-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for d in ["apps", "groups", "users"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("project.yaml"), PROJECT).unwrap();
    std::fs::write(root.join("apps/a0.yaml"), app(0)).unwrap();
    std::fs::write(root.join("apps/a1.yaml"), app(1)).unwrap();
    std::fs::write(
        root.join("groups/g.yaml"),
        "format_version: 2\ngroups:\n  - {name: G, case_sharing: true, members: [u0]}\n",
    )
    .unwrap();
    std::fs::write(root.join("users/u.yaml"), "format_version: 2\nusers:\n  - {username: u0, role: chw}\n").unwrap();
    let root = std::fs::canonicalize(&root).unwrap();
    let mut state = ProjectState::load(&root, &HashMap::new());
    let codes = |state: &mut ProjectState| {
        let snap = state.analyze(&|| false, &mut |_| {}).expect("analysed");
        snap.diagnostics.iter().map(|d| d.code().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(codes(&mut state), Vec::<String>::new());
    // On disk only: u0 leaves for u1, and the group's member is unknown (R001).
    std::fs::write(root.join("users/u.yaml"), "format_version: 2\nusers:\n  - {username: u1, role: chw}\n").unwrap();
    std::fs::write(root.join("caseshare.toml"), "[rules]\nG003 = \"off\"\n").unwrap();
    assert_eq!(state.reload(), None);
    assert_eq!(codes(&mut state), Vec::<String>::new());
    std::fs::write(root.join("caseshare.toml"), "[rules]\nG003 = \"off\"\n[files]\nexclude = [\"apps/old/**\"]\n")
        .unwrap();
    assert_eq!(state.reload(), None);
    assert!(codes(&mut state).contains(&"R001".to_string()));
    let _ = std::fs::remove_dir_all(&root);
}
