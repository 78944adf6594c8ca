//! Generates valid, deterministic format-2 projects for benchmarks:
//!
//! ```sh
//! cargo run --release --example gen -- large   /tmp/bench/large    # 100 apps, 1,000 groups, 50,000 users, one per file (51,101 files)
//! cargo run --release --example gen -- batched /tmp/bench/batched  # the same, users in 50 files of 1,000
//! cargo run --release --example gen -- huge    /tmp/bench/huge     # 500,000 users and 50,000 groups in files of 1,000
//! cargo run --release --example gen -- users=N /tmp/bench/n        # N users, N/50 groups, batched
//! ```
//! An optional third argument is the seed (default 1). Every user is in exactly
//! one case sharing group, so the projects check clean.

use std::fmt::Write as _;
use std::path::Path;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Shape {
    apps: usize,
    groups: usize,
    users: usize,
    users_per_file: usize,
    groups_per_file: usize,
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create folder");
    }
    std::fs::write(path, text).expect("write file");
}

const CASE_TYPES: [&str; 8] =
    ["pregnancy", "household", "referral", "child", "visit", "patient", "delivery", "immunization"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (size, out) = match (args.first(), args.get(1)) {
        (Some(s), Some(o)) => (s.as_str(), Path::new(o)),
        _ => {
            eprintln!("usage: gen large|batched|huge|users=N OUT_DIR [SEED]");
            std::process::exit(2);
        }
    };
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let shape = match size {
        "large" => Shape { apps: 100, groups: 1_000, users: 50_000, users_per_file: 1, groups_per_file: 1 },
        "batched" => Shape { apps: 100, groups: 1_000, users: 50_000, users_per_file: 1_000, groups_per_file: 1 },
        "huge" => Shape { apps: 100, groups: 50_000, users: 500_000, users_per_file: 1_000, groups_per_file: 1_000 },
        other => match other.strip_prefix("users=").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => {
                Shape { apps: 20, groups: (n / 50).max(1), users: n, users_per_file: 1_000, groups_per_file: 1_000 }
            }
            None => {
                eprintln!("unknown size `{other}`");
                std::process::exit(2);
            }
        },
    };
    let _ = std::fs::remove_dir_all(out);
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);

    let app_ids: Vec<String> = (0..shape.apps).map(|i| format!("app{i:03}")).collect();
    let mut project = String::from("format_version: 2\ndomain: bench\ncase_sharing: true\nroles:\n");
    let _ = writeln!(project, "  chw: {{apps: [{}]}}", app_ids.join(", "));
    project.push_str("  supervisor: {apps: all}\nlocation_types:\n  - {name: district, view_descendants: true}\n  - {name: village, parent: district, shares_cases: true}\n");
    write(&out.join("project.yaml"), &project);

    for (i, id) in app_ids.iter().enumerate() {
        // Parents from the first half, children from the second: no cycles.
        let main = CASE_TYPES[i % 4];
        let child = CASE_TYPES[4 + rng.below(4)];
        let mut app = format!(
            "format_version: 2\nname: \"App {i}\"\ncommcare_version: \"2.{}.0\"\ncase_sharing: true\nmodules:\n",
            40 + rng.below(14)
        );
        let _ = write!(
            app,
            "  - name: Register\n    case_type: {main}\n    forms:\n      - name: Register {main}\n        opens: [{{}}]\n      - name: Follow up\n        requires: case\n        updates: [{main}]\n      - name: Refer\n        requires: case\n        opens: [{{case_type: {child}}}]\n  - name: Children\n    case_type: {child}\n    forms:\n      - name: Visit {child}\n        requires: case\n"
        );
        write(&out.join("apps").join(format!("{id}.yaml")), &app);
    }

    // Users are dealt to groups in runs, so every group has members.
    let group_of = |u: usize| u * shape.groups / shape.users;
    let mut members: Vec<Vec<String>> = vec![Vec::new(); shape.groups];
    for u in 0..shape.users {
        members[group_of(u)].push(format!("user{u:06}"));
    }
    let mut text = String::new();
    for (g, list) in members.iter().enumerate() {
        if g % shape.groups_per_file == 0 {
            text = String::from("format_version: 2\ngroups:\n");
        }
        let _ = writeln!(
            text,
            "  - name: \"Village {g}\"\n    id: g{g:06}\n    case_sharing: true\n    members: [{}]",
            list.join(", ")
        );
        if g % shape.groups_per_file == shape.groups_per_file - 1 || g == shape.groups - 1 {
            write(&out.join("groups").join(format!("groups{:06}.yaml", g / shape.groups_per_file)), &text);
        }
    }
    let mut text = String::new();
    for u in 0..shape.users {
        if u % shape.users_per_file == 0 {
            text = String::from("format_version: 2\nusers:\n");
        }
        let _ = writeln!(text, "  - {{username: user{u:06}, role: chw}}");
        if u % shape.users_per_file == shape.users_per_file - 1 || u == shape.users - 1 {
            write(&out.join("users").join(format!("users{:06}.yaml", u / shape.users_per_file)), &text);
        }
    }
    let files =
        1 + shape.apps + shape.groups.div_ceil(shape.groups_per_file) + shape.users.div_ceil(shape.users_per_file);
    eprintln!("wrote {files} files to `{}`", out.display());
}
