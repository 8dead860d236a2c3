//! The pure-Rust JPEG 2000 decoder (openjp2, transpiled from C) calls `malloc`, `calloc`,
//! `realloc`, `free` and `strcpy`; wasm32-unknown-unknown has no C library, so these are provided
//! here on top of Rust's allocator (each block remembers its size in a 16-byte header).

use std::alloc::{alloc, dealloc, realloc as grow, Layout};

const HEADER: usize = 16;

unsafe fn layout(size: usize) -> Layout {
    Layout::from_size_align_unchecked(size + HEADER, HEADER)
}

#[no_mangle]
pub unsafe extern "C" fn malloc(size: usize) -> *mut u8 {
    if size > isize::MAX as usize - HEADER {
        return std::ptr::null_mut();
    }
    let base = alloc(layout(size));
    if base.is_null() {
        return base;
    }
    *(base as *mut usize) = size;
    base.add(HEADER)
}

#[no_mangle]
pub unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut u8 {
    let Some(total) = count.checked_mul(size) else {
        return std::ptr::null_mut();
    };
    let p = malloc(total);
    if !p.is_null() {
        std::ptr::write_bytes(p, 0, total);
    }
    p
}

#[no_mangle]
pub unsafe extern "C" fn free(p: *mut u8) {
    if p.is_null() {
        return;
    }
    let base = p.sub(HEADER);
    dealloc(base, layout(*(base as *mut usize)));
}

#[no_mangle]
pub unsafe extern "C" fn realloc(p: *mut u8, size: usize) -> *mut u8 {
    if p.is_null() {
        return malloc(size);
    }
    let base = p.sub(HEADER);
    let old = *(base as *mut usize);
    let moved = grow(base, layout(old), size + HEADER);
    if moved.is_null() {
        return moved;
    }
    *(moved as *mut usize) = size;
    moved.add(HEADER)
}

#[no_mangle]
pub unsafe extern "C" fn strcpy(dst: *mut u8, src: *const u8) -> *mut u8 {
    let mut i = 0;
    loop {
        let c = *src.add(i);
        *dst.add(i) = c;
        if c == 0 {
            return dst;
        }
        i += 1;
    }
}
