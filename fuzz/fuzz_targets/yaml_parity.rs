//! Any text: when the fast YAML path accepts it, serde-saphyr must read the same
//! tree, spans included (see `src/yaml/fast.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(fast) = caseshare::yaml::parse_fast(text) {
        assert_eq!(caseshare::yaml::parse_general(text), Ok(fast), "{text:?}");
    }
});
