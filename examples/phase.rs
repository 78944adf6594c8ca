#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let config = caseshare::config::Config::load(&root).unwrap();
    let (project, diags, _) = caseshare::load::load_listing(caseshare::read::list(&root, &root, &config));
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let index = caseshare::index::Index::build(&project);
        let a = t.elapsed();
        let mut d = diags.clone();
        caseshare::rules::run(&index, &mut d);
        let b = t.elapsed();
        let _ = caseshare::check::diagnose(&project, Some(&index), d, &config);
        eprintln!("index {:?} rules {:?} diagnose {:?}", a, b - a, t.elapsed() - b);
    }
}
