//! Uploaded images: post covers and profile pictures.
//!
//! An upload form reads its file field with [`read_image_field`], turns it into a
//! [`ProcessedImage`] with [`process_upload`] (checked by content, at most 5 MB and 40 MP,
//! upright, resized, re-encoded without metadata), stores it with [`Media::save`] and keeps the
//! returned key; pages show it at [`Media::url`]. [`router`] serves `/media/{key}` (see `serve`).

pub(crate) mod decode;
mod images;
pub mod pending;
mod serve;
mod storage;
mod upload;

use std::net::IpAddr;

use uuid::Uuid;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

pub use images::{
    ImageError, ImageKind, MAX_BYTES, MAX_PIXELS, ProcessedImage, StoredFormat, narrower, process,
    process_upload, webp_copy,
};
pub use serve::router;
pub use storage::{Media, StorageError, StoredImage};
pub use upload::{UPLOAD_BODY_LIMIT, read_image_field};

use crate::state::AppState;
use crate::web::multipart::Upload;

/// Where images are served: `/media/<key>`.
pub use domain::image::URL_PREFIX;

/// Takes an image uploaded by `user` from `address` on a form (as the form read it): counted
/// against the upload limits, checked and resized on the `images` pool, recorded as waiting to be
/// used, stored. Returns where it is and its size. The errors are for the form field, except
/// [`ImageError::Internal`].
pub async fn accept_upload(
    state: &AppState,
    user: Uuid,
    address: IpAddr,
    read: Result<Upload, ImageError>,
    kind: ImageKind,
) -> Result<Accepted, ImageError> {
    let upload = read?;
    state
        .limits
        .reserve(&[
            (crate::services::limits::UPLOADS_PER_USER, &user.to_string()),
            (crate::services::limits::UPLOADS_PER_ADDRESS, &address.to_string()),
        ])
        .await
        .map(drop)
        .map_err(ImageError::Throttled)?;
    let image = process_upload(upload.admission, upload.bytes, kind).await?;
    let key = Media::key_for(&image);
    // Recorded before it is written: see `pending::sweep`.
    pending::record(&state.db, &key, user)
        .await
        .map_err(|err| ImageError::Internal(err.into()))?;
    state
        .media
        .save(&image)
        .await
        .map_err(|err| ImageError::Internal(err.into()))?;
    Ok(Accepted {
        url: state.media.url(&key),
        width: image.width(),
        height: image.height(),
    })
}

/// An image taken by [`accept_upload`].
pub struct Accepted {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// A form shown again after an upload was refused for load (see [`ImageError::deferral`]): it
/// answers with that status and `Retry-After`, keeping what the person typed.
pub fn deferred(mut response: Response, deferral: Option<(StatusCode, u64)>) -> Response {
    if let Some((status, seconds)) = deferral {
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
