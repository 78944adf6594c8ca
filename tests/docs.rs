//! The documentation that is generated from the code stays in step with it: the
//! rules reference (`docs/rules.md`) and the README's rules table come from the
//! rules' own documentation. `CASESHARE_BLESS=1` rewrites them for review.

use std::path::Path;

use caseshare::rules::{reference_markdown, table_markdown};

fn bless() -> bool {
    std::env::var_os("CASESHARE_BLESS").is_some()
}

#[test]
fn the_rules_reference_is_generated_from_the_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = reference_markdown();
    if bless() {
        std::fs::write(&path, &want).expect("write");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/rules.md is stale: run `CASESHARE_BLESS=1 cargo test --test docs`");
}

#[test]
fn the_readme_rules_table_is_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let start = readme.find("<!-- rules table:").expect("start marker");
    let body = readme[start..].find("-->\n").map(|i| start + i + 4).expect("end of the start marker");
    let end = readme.find("<!-- end of rules table -->").expect("end marker");
    if bless() {
        let new = format!("{}{}{}", &readme[..body], table_markdown(), &readme[end..]);
        std::fs::write(&path, new).expect("write");
        return;
    }
    assert!(
        readme[body..end] == table_markdown(),
        "README's rules table is stale: run `CASESHARE_BLESS=1 cargo test --test docs`"
    );
}
