//! The binary's allocator: mimalloc for the many small values, and the system's
//! `mmap` for every block of 64 KiB or more.
//!
//! Loading a project frees large blocks all the time: each file's text, the
//! vectors a file's values grew through, the parse tree's lists. In mimalloc
//! such a block's pages stay resident after it is freed and are carved up for
//! the small values allocated next, so resident memory keeps the high-water
//! mark of every thread's transient blocks. A block mapped on its own is
//! unmapped when freed (glibc with a fixed mmap threshold; elsewhere the
//! system allocator decides). A `check`'s peak went from 133 to 124 MB on the
//! `huge` benchmark project and from 61 to 56 MB on `large`, at the same speed;
//! a one-app project took 0.3 MB more (README, Performance).

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks of this size and more go to the system allocator.
const LARGE: usize = 64 * 1024;

pub struct Split;

// SAFETY: a block is freed or grown by the allocator that made it: both are
// chosen by the size in its layout, the same on allocation and deallocation; a
// reallocation across the threshold moves the block between the two.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE { unsafe { System.alloc(layout) } } else { unsafe { MiMalloc.alloc(layout) } }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE {
            unsafe { System.alloc_zeroed(layout) }
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE {
            unsafe { System.dealloc(ptr, layout) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (layout.size() >= LARGE, new_size >= LARGE) {
            (true, true) => unsafe { System.realloc(ptr, layout, new_size) },
            (false, false) => unsafe { MiMalloc.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: the caller guarantees a valid size for the layout's alignment.
                let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

/// Sets glibc to map every block it is given on its own (its default threshold
/// moves up to 32 MiB as blocks are freed, keeping them in its heap instead).
/// Call before anything large is allocated.
pub fn init() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's malloc.h.
        const M_MMAP_THRESHOLD: i32 = -3;
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        // SAFETY: mallopt only sets a tunable of glibc's allocator.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, LARGE as i32);
        }
    }
}

/// A long-lived server builds a new index after each edit: once the project is
/// loaded, mimalloc gives freed pages back to the system at once instead of
/// 10 ms later, so the server's resident memory stays that of one index
/// (bench/lsp on the huge project, 20 edits: 133 MB without, 127 MB with,
/// where one `check` peaks at 123 MB). From start-up it would double the time
/// to the first diagnostics, so it starts once the files are loaded.
pub fn purge_at_once() {
    // mimalloc 2's `mi_option_purge_delay` (include/mimalloc.h), which
    // libmimalloc-sys does not name.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets an allocator option, which mimalloc allows at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        libmimalloc_sys::mi_collect(true);
    }
}

/// Once the files are loaded, every thread gives the pages its parse trees
/// freed back to mimalloc's shared pool, where the index and the rules built
/// next find them (huge: 124 MB peak instead of 127, batched 25 instead of 26,
/// at the same time; `caseshare::memory`).
pub fn collect_every_thread() {
    // SAFETY: mi_collect only returns free memory; any thread may call it.
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    unsafe { libmimalloc_sys::mi_collect(true) };
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    use super::{LARGE, Split};

    /// A block keeps its bytes when it grows or shrinks across the threshold,
    /// where it moves from one allocator to the other.
    #[test]
    fn a_block_moves_between_the_allocators_with_its_bytes() {
        let small = Layout::from_size_align(1000, 8).unwrap();
        unsafe {
            let p = Split.alloc(small);
            assert!(!p.is_null());
            for i in 0..1000 {
                *p.add(i) = (i % 251) as u8;
            }
            let big = Split.realloc(p, small, LARGE * 3);
            assert!(!big.is_null());
            assert!((0..1000).all(|i| *big.add(i) == (i % 251) as u8));
            *big.add(LARGE * 3 - 1) = 7;
            let big_layout = Layout::from_size_align(LARGE * 3, 8).unwrap();
            let back = Split.realloc(big, big_layout, 500);
            assert!(!back.is_null());
            assert!((0..500).all(|i| *back.add(i) == (i % 251) as u8));
            Split.dealloc(back, Layout::from_size_align(500, 8).unwrap());
        }
    }

    /// Zeroed blocks are zero on both sides of the threshold, and an alignment
    /// larger than the system allocator's own is kept.
    #[test]
    fn zeroed_and_aligned_blocks_on_both_sides() {
        for size in [64, LARGE - 1, LARGE, LARGE * 5] {
            let layout = Layout::from_size_align(size, 4096).unwrap();
            unsafe {
                let p = Split.alloc_zeroed(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % 4096, 0, "{size} bytes");
                assert!((0..size).all(|i| *p.add(i) == 0), "{size} bytes");
                Split.dealloc(p, layout);
            }
        }
    }
}
