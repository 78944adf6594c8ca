//! A hook between the pipeline's stages for the binary's allocator.
//!
//! The per-file stage runs on every thread, and what a file's tree took is
//! freed on the thread that parsed it; an allocator with per-thread heaps
//! (mimalloc, the binary's) keeps those pages for that thread, so the index and
//! the rules, built next, take fresh ones. The binary sets [`after_load`] to give
//! them back; the library has no allocator of its own and calls the hook only.

use std::sync::OnceLock;

static AFTER_LOAD: OnceLock<fn()> = OnceLock::new();

/// Sets what runs once a project's files are loaded, and in the language
/// server after each analysis is published and after it looks at the disk
/// itself (the first setting stays).
pub fn set_after_load(hook: fn()) {
    let _ = AFTER_LOAD.set(hook);
}

/// Runs the hook, if one is set.
pub(crate) fn after_load() {
    if let Some(hook) = AFTER_LOAD.get() {
        hook();
    }
}
