//! A global allocator that refuses any single allocation above a budget, so a lying file header
//! cannot make a program reserve gigabytes.
//!
//! Container parsers (dicom-rs, the mp4 crate) reserve an element's declared length before they
//! read it. `tte-media` checks the lengths it can follow, but a parser that misreads a hostile
//! file can still ask for gigabytes (the fuzzers found several ways). Behind this allocator such a
//! request fails: a fallible reservation (`try_reserve`, which those parsers use) returns an
//! error and the file is reported as damaged; an infallible one aborts instead of taking the
//! machine's memory. Binaries opt in:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: tte_alloc::Capped = tte_alloc::Capped::new(tte_alloc::DEFAULT_MAX);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};

/// 2 GiB: above every legitimate single allocation in this project (the largest are decoded-frame
/// budgets of 1 GiB and r50 activations of a few hundred MB), below the lies fuzzing produced.
pub const DEFAULT_MAX: usize = 2 << 30;

/// The system allocator with a ceiling on any one allocation.
pub struct Capped {
    max: usize,
}

impl Capped {
    pub const fn new(max: usize) -> Self {
        Self { max }
    }

    /// The ceiling, in bytes.
    pub const fn max(&self) -> usize {
        self.max
    }
}

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > self.max {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > self.max {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > self.max {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_above_the_ceiling_and_serves_below_it() {
        let a = Capped::new(1 << 20);
        unsafe {
            let big = Layout::from_size_align(2 << 20, 8).unwrap();
            assert!(a.alloc(big).is_null());
            assert!(a.alloc_zeroed(big).is_null());
            let small = Layout::from_size_align(1 << 10, 8).unwrap();
            let p = a.alloc_zeroed(small);
            assert!(!p.is_null() && *p == 0);
            assert!(
                a.realloc(p, small, 4 << 20).is_null(),
                "growing past the ceiling fails"
            );
            let q = a.realloc(p, small, 1 << 19);
            assert!(!q.is_null());
            a.dealloc(q, Layout::from_size_align(1 << 19, 8).unwrap());
        }
    }
}
