//! Why a clip could not be read, in words a user can act on.

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("not a video clip: {0}")]
    Unrecognised(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("damaged file: {0}")]
    Corrupt(String),
    #[error("file is truncated: {0}")]
    Truncated(String),
    #[error("too large to decode: {0}")]
    TooLarge(String),
}
