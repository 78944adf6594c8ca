//! A small project: the input is cut at 0xFF bytes into project.yaml, an app,
//! groups, users, locations and a second app, so the cross-file rules (owners,
//! case types, cycles, references) see arbitrary combinations.
#![no_main]

use caseshare::report::{self, Format, Style};
use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 6] = ["project.yaml", "apps/a.yaml", "groups/g.yaml", "users/u.yaml", "locations/l.yaml", "apps/b.yaml"];

fuzz_target!(|data: &[u8]| {
    let files: Vec<(&str, &[u8])> = data.split(|b| *b == 0xFF).zip(PATHS).map(|(content, path)| (path, content)).collect();
    let result = caseshare::check_bytes(&files);
    for format in [Format::Human, Format::Concise, Format::Json, Format::Sarif, Format::Github] {
        let _ = report::render(&result, format, Style::default());
    }
    let _ = caseshare::fix::plan(&result);
});
