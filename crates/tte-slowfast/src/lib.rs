//! The SlowFast video network (Burn), its presets, and the model file that binds weights to labels.
//!
//! The caller chooses the device; nothing in this crate picks a backend.

pub mod config;
pub mod direct;
pub mod file;
pub mod model;
pub mod q8;
pub mod soup;

pub use config::{Cost, SlowFastConfig};
pub use file::{ModelFileError, ModelMeta, TrainedModel};
pub use model::SlowFast;
