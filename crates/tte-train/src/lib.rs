//! Training and evaluation: balanced sampling, echo augmentation, checkpoints, honest metrics.

pub mod augment;
pub mod calibrate;
pub mod config;
pub mod data;
pub mod metrics;
pub mod train;

pub use config::TrainConfig;
