//! One file of any kind, any bytes: loading, the rules, every reporter and the
//! fix planner must not panic, hang or run out of memory.
#![no_main]

use caseshare::report::{self, Format, Style};
use libfuzzer_sys::fuzz_target;

const KINDS: [&str; 6] = ["project.yaml", "apps/a.yaml", "groups/g.yaml", "users/u.yaml", "locations/l.yaml", "misc/x.yaml"];
const PROJECT: &[u8] = b"format_version: 2\ndomain: fuzz\ncase_sharing: true\nroles:\n  chw: {apps: [a]}\nlocation_types:\n  - {name: d, view_descendants: true}\n  - {name: v, parent: d, shares_cases: true}\n";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, content)) = data.split_first() else { return };
    let kind = KINDS[selector as usize % KINDS.len()];
    let mut files: Vec<(&str, &[u8])> = vec![(kind, content)];
    if kind != "project.yaml" {
        files.push(("project.yaml", PROJECT));
    }
    let result = caseshare::check_bytes(&files);
    for format in [Format::Human, Format::Concise, Format::Json, Format::Sarif, Format::Github] {
        let _ = report::render(&result, format, Style::default());
    }
    let _ = caseshare::fix::plan(&result);
});
