//! Multipart forms (the ones with a file input), CSRF-checked like every other form.
//!
//! Text fields are collected by name; file fields are read with a hard cap, so an oversized
//! file becomes a message beside its field rather than a failed request. Forms put the file
//! input last: if the body limit cuts the upload short, every text field has arrived already.
//!
//! A file is read only once it has a place in the `images` pool's line: when the line is full,
//! the file is skipped unread (and its field says to try again), so a crowd of uploads never
//! holds more than the line's worth of files in memory.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Multipart, Request};

use crate::media::{ImageError, read_image_field};
use crate::services::pools::Admission;
use crate::state::AppState;
use crate::web::csrf::{self, CsrfToken};
use crate::web::error::AppError;

/// Longest text field accepted (a 100,000-character post body in any script fits).
const MAX_TEXT_BYTES: usize = 512 * 1024;

#[derive(Default)]
pub struct UploadForm {
    text: HashMap<String, String>,
    files: HashMap<String, Result<Upload, ImageError>>,
}

/// A file as it arrived, with its place in the `images` pool.
pub struct Upload {
    pub bytes: Bytes,
    pub admission: Admission,
}

impl UploadForm {
    /// A text field; missing fields read as empty.
    pub fn text(&self, name: &str) -> &str {
        self.text.get(name).map_or("", String::as_str)
    }

    /// A file field: `None` when no file was chosen.
    pub fn take_file(&mut self, name: &str) -> Option<Result<Upload, ImageError>> {
        self.files.remove(name)
    }
}

impl<S> FromRequest<S> for UploadForm
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let expected = CsrfToken::from_request_parts(&mut parts, state).await?;
        let images = AppState::from_ref(state).pools.images.clone();
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|err| AppError::BadRequest(err.body_text()))?;
        let mut form = UploadForm::default();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                // The body limit ended the request inside a file: that file was too large.
                Err(err) if err.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => break,
                Err(err) => return Err(AppError::BadRequest(err.body_text())),
            };
            let Some(name) = field.name().map(str::to_owned) else {
                continue;
            };
            if let Some(file_name) = field.file_name() {
                // An empty file input still sends a part, with an empty name and no bytes.
                if file_name.is_empty() {
                    continue;
                }
                let admission = match images.admit() {
                    Ok(admission) => admission,
                    Err(busy) => {
                        form.files.insert(name, Err(ImageError::Busy(busy)));
                        continue;
                    }
                };
                match read_image_field(field).await {
                    Err(ImageError::TooLarge) => {
                        form.files.insert(name, Err(ImageError::TooLarge));
                        break;
                    }
                    read => {
                        form.files
                            .insert(name, read.map(|bytes| Upload { bytes, admission }));
                    }
                }
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|err| AppError::BadRequest(err.body_text()))?;
                if text.len() > MAX_TEXT_BYTES {
                    return Err(AppError::PayloadTooLarge);
                }
                if text.contains('\0') {
                    return Err(AppError::BadRequest(
                        "The form contains a character that is not allowed.".to_owned(),
                    ));
                }
                form.text.insert(name, text);
            }
        }
        csrf::verify_token(&expected, form.text(csrf::FIELD))?;
        Ok(form)
    }
}
