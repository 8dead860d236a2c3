//! The classifier compiled to WebAssembly: a thin wasm-bindgen wrapper over the same crates.
//!
//! JavaScript decodes what the browser decodes best (WebCodecs for MP4/WebM, ImageDecoder for
//! MJPEG and GIF); this module demuxes containers, decodes DICOM, prepares clips and runs the
//! network on WebGPU (burn-wgpu) or, where WebGPU is missing, on the CPU (Flex). Every entry
//! point returns a `Result`, so errors reach JavaScript as exceptions, never as panics.

#[cfg(target_family = "wasm")]
mod libc_shim;
#[cfg(target_family = "wasm")]
mod web;
#[cfg(target_family = "wasm")]
pub use web::*;
// `initThreadPool(n)`: starts n Web Workers sharing this module's memory as rayon's pool (the
// threaded CPU build only; the page calls it before the first inference).
#[cfg(all(target_family = "wasm", feature = "threads"))]
pub use wasm_bindgen_rayon::init_thread_pool;
