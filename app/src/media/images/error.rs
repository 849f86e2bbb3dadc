//! Why an upload was refused, and what the refusal tells the form or the client.

use axum::http::StatusCode;

use crate::services::limits::RetryAfter;
use crate::services::pools::Busy;

/// Why an upload was refused. The messages are shown beside the form field, so they are written
/// for the person who chose the file.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("Choose an image to upload")]
    Empty,
    #[error("Images must be 5 MB or smaller")]
    TooLarge,
    #[error("Images may be at most 40 megapixels")]
    TooManyPixels,
    /// Beyond what is decoded whole (see `decode::MAX_WHOLE_PIXELS`).
    #[error("Images over 16 megapixels must be a standard JPEG photo or a PNG")]
    TooLargeToDecodeWhole,
    #[error("This file is not a PNG, JPEG, WebP or GIF image")]
    NotAnImage,
    /// Truncated or corrupt files, and valid ones in an encoding the decoders do not handle.
    #[error("This image could not be read. Try saving it again as a PNG or JPEG")]
    Unreadable(#[source] image::ImageError),
    /// The multipart body broke off or was malformed.
    #[error("The upload did not arrive whole; please try again")]
    Interrupted(#[source] axum::extract::multipart::MultipartError),
    /// Too many images are being processed right now.
    #[error("The site is busy processing images; please try again in a few seconds")]
    Busy(#[from] Busy),
    /// This person or address has uploaded as many images as allowed for now.
    #[error("You have uploaded many images in a short time; please try again in {}", .0.in_words())]
    Throttled(RetryAfter),
    /// Our failure, not the file's: logged, never explained.
    #[error("This image could not be processed; please try again")]
    Internal(#[source] anyhow::Error),
}

impl ImageError {
    /// Whether this is the site's fault rather than the file's (a 500, not a form message).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Internal(_))
    }

    /// For a refusal because of load rather than the file: the status to answer with (503 or
    /// 429) and the seconds to wait.
    pub fn deferral(&self) -> Option<(StatusCode, u64)> {
        match self {
            Self::Busy(busy) => Some((StatusCode::SERVICE_UNAVAILABLE, busy.retry_after)),
            Self::Throttled(wait) => Some((StatusCode::TOO_MANY_REQUESTS, wait.0)),
            _ => None,
        }
    }
}
