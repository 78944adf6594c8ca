#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let t = std::time::Instant::now();
    let mut state = caseshare::lsp::state::ProjectState::load(&root);
    let _ = state.analyze(&|| false);
    eprintln!("load+first {:?}", t.elapsed());
    let groups = std::fs::read_dir(root.join("groups")).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    let rel = format!("groups/{}", groups.file_name().unwrap().to_string_lossy());
    let text = std::fs::read_to_string(&groups).unwrap();
    let at = text.find("Village").unwrap() + 1;
    for i in 0..20 {
        let new = format!("{}{}{}", &text[..at], if i % 2 == 0 { "I" } else { "i" }, &text[at + 1..]);
        let t = std::time::Instant::now();
        state.set_text(&rel, Some(new.into()));
        let snap = state.analyze(&|| false).unwrap();
        eprintln!("edit {:?} ({} diags)", t.elapsed(), snap.diagnostics.len());
    }
}
