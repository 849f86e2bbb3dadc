//! Files in messages: uploading one to a room before sending it, and fetching one.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::chat::Attachment;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::id;
use crate::api::error::ErrorBody;
use crate::api::{ApiError, ApiPath, ApiUser};
use crate::media::{ImageError, UPLOAD_BODY_LIMIT, read_image_field};
use crate::state::AppState;
use crate::usecases::chat::attachments::Upload;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_attachment))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        .routes(routes!(fetch_attachment))
}

#[derive(Serialize, ToSchema)]
pub struct UploadedResponse {
    attachment: Uploaded,
}

/// A file waiting to be sent: name its `id` as a message's `attachment_id` within a day.
#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    id: Uuid,
    name: String,
    content_type: String,
    size: u64,
    width: Option<u32>,
    height: Option<u32>,
}

impl From<Attachment> for Uploaded {
    fn from(a: Attachment) -> Self {
        Self {
            id: a.id,
            name: a.name,
            content_type: a.content_type,
            size: a.size,
            width: a.width,
            height: a.height,
        }
    }
}

/// The multipart form of an upload (described for the document; the handler reads the parts).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FileForm {
    /// An image (PNG, JPEG, WebP, GIF: re-encoded, without its metadata, at most 1600 px), a
    /// PDF, a text file or a ZIP archive; at most 5 MB. Its file name is shown, never trusted.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A file's bytes, as it was stored.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct FileBytes(Vec<u8>);

/// Upload a file to send
///
/// Checks and stores a file for a message of this room; send it by naming the returned `id`
/// as the message's `attachment_id`. What is sent is judged by its content, never its name.
/// A file not sent within a day is deleted.
#[utoipa::path(
    post,
    path = "/api/chat/rooms/{id}/attachments",
    tag = "Chat",
    params(("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID))),
    request_body(content = FileForm, content_type = "multipart/form-data",
        example = json!({ "file": "map.png" })),
    security(("token" = [])),
    responses(
        (status = 201, description = "The file, ready to send", body = UploadedResponse,
            example = json!(crate::api::examples::chat::uploaded())),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such room of yours", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
        (status = 422, description = "No file, an empty or too large one, or a kind not accepted", body = ErrorBody,
            example = json!({"errors": {"file": ["must be at most 5 MB"]}})),
        (status = 429, description = "Too many files; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"chat": ["too many files; wait 60 s"]}})),
        (status = 503, description = "Images are being processed at capacity; see `Retry-After`", body = ErrorBody,
            example = json!({"errors": {"server": ["busy; try again shortly"]}})),
    )
)]
async fn upload_attachment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(raw): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let room = id(&raw)?;
    let mut form = form.map_err(|err| ApiError::invalid("file", err.body_text()))?;
    let upload = loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(ApiError::invalid("file", "is missing")),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::invalid("file", too_large()));
            }
            Err(err) => return Err(ApiError::invalid("file", err.body_text())),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_owned();
        let admission = state.pools.images.admit()?;
        let bytes = read_image_field(field).await.map_err(|err| match err {
            ImageError::TooLarge => ApiError::invalid("file", too_large()),
            other => ApiError::invalid("file", other.to_string()),
        })?;
        break Upload {
            name,
            bytes,
            admission,
        };
    };
    let attachment = state.chats.upload(&user, room, upload).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadedResponse {
            attachment: attachment.into(),
        }),
    )
        .into_response())
}

fn too_large() -> String {
    format!(
        "must be at most {} MB",
        crate::usecases::chat::attachments::MAX_BYTES / (1024 * 1024)
    )
}

/// Fetch a file sent in a message
///
/// The message's `attachment.url`. Only the room's two people may (staff too, for an hour
/// after stating why they read the chat); anyone else, and everyone once the message is
/// deleted, gets 404. Images are shown in place, other files downloaded.
#[utoipa::path(
    get,
    path = "/api/chat/rooms/{id}/attachments/{attachment}",
    tag = "Chat",
    params(
        ("id" = Uuid, Path, description = "The room's id", example = json!(crate::api::examples::ROOM_ID)),
        ("attachment" = Uuid, Path, description = "The file's id", example = json!(crate::api::examples::ATTACHMENT_ID)),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The file, with its own `Content-Type`", body = FileBytes,
            content_type = "application/octet-stream", example = json!("(the file's bytes)")),
        (status = 401, description = "No token, or not a valid one", body = ErrorBody,
            example = json!({"errors": {"token": ["is missing"]}})),
        (status = 404, description = "No such file in a room of yours (or its message was deleted)", body = ErrorBody,
            example = json!({"errors": {"chat": ["not found"]}})),
    )
)]
async fn fetch_attachment(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath((raw, raw_file)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let room = id(&raw)?;
    let file: Uuid = raw_file.parse().map_err(|_| ApiError::not_found("chat"))?;
    let (attachment, size, body) = state.chats.attachment(&user, room, file).await?;
    let disposition = if attachment.is_image() {
        "inline"
    } else {
        "attachment"
    };
    let mut response = Body::new(body).into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&attachment.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{disposition}; filename*=UTF-8''{}",
        percent_encoded(&attachment.name)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Private, and gone when its message is: the browser asks again each time.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    // A file is never a page of this site: nothing in it runs here.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// `name` for a `filename*` parameter (RFC 8187): unreserved characters as they are, every
/// other byte percent-encoded.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
