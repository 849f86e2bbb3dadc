//! Files sent in messages. A file is checked and stored first (images re-encoded as covers
//! are), under a random id, and recorded as its uploader's to send in that room; sending a
//! message with it moves its facts into the message's event. Only the room's two people fetch
//! it (and staff while a stated reason lets them read the chat), and only while its message
//! stands: deleting the message deletes the file. Files never sent go after a day.

use std::time::Duration;

use axum::body::{Body, Bytes};
use domain::chat::Attachment;
use projections::chat::{messages, staff_reads};
use projections::users::UserRow;
use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

use super::{ChatFailure, Chats, invalid};
use crate::media::{ImageError, ImageKind, Media, process_upload};
use crate::services::limits;
use crate::services::pools::Admission;

/// The largest file accepted: what an image may weigh before it is re-encoded.
pub const MAX_BYTES: usize = crate::media::MAX_BYTES;
/// How long a file may wait to be sent.
pub const KEPT_UNSENT: Duration = Duration::from_secs(24 * 3600);
/// The longest file name kept (characters).
const MAX_NAME: usize = 120;
const ACCEPTED: &str = "must be an image (PNG, JPEG, WebP or GIF), a PDF, a text file or a ZIP archive";

/// A file as it arrived, with its place in the `images` pool (where images are re-encoded).
pub struct Upload {
    pub name: String,
    pub bytes: Bytes,
    pub admission: Admission,
}

impl Chats {
    /// Checks and stores a file `user` chose to send in `room`; returns it, to be named by the
    /// message that sends it.
    pub async fn upload(
        &self,
        user: &UserRow,
        room: Uuid,
        upload: Upload,
    ) -> Result<Attachment, ChatFailure> {
        self.member_of(user, room).await?;
        self.limits
            .reserve(&[(limits::CHAT_FILES_PER_USER, &user.id.to_string())])
            .await
            .map(drop)
            .map_err(|wait| ChatFailure::Throttled {
                message: format!("too many files; wait {} s", wait.0),
                wait,
            })?;
        let (bytes, attachment) = checked(upload).await?;
        sqlx::query!(
            "insert into chat_uploads (id, room_id, uploader_id, attachment) values ($1, $2, $3, $4)",
            attachment.id,
            room,
            user.id,
            Json(&attachment) as _,
        )
        .execute(self.db())
        .await?;
        self.media
            .put_chat_file(attachment.id, bytes)
            .await
            .map_err(|err| ChatFailure::Internal(err.into()))?;
        Ok(attachment)
    }

    /// Takes `id`, uploaded by `user` to `room` and not sent yet, for a message.
    pub(super) async fn claim(
        &self,
        user: &UserRow,
        room: Uuid,
        id: Uuid,
    ) -> Result<Attachment, ChatFailure> {
        let claimed = sqlx::query_scalar!(
            r#"update chat_uploads set sent = true
                where id = $1 and uploader_id = $2 and room_id = $3 and not sent
            returning attachment as "attachment: Json<Attachment>""#,
            id,
            user.id,
            room,
        )
        .fetch_optional(self.db())
        .await?;
        claimed.map(|attachment| attachment.0).ok_or_else(|| {
            invalid(
                "attachment_id",
                "is not a file you uploaded here, or it was sent already",
            )
        })
    }

    /// Gives back a file whose message was refused, to be sent again.
    pub(super) async fn unclaim(&self, id: Uuid) {
        if let Err(err) = sqlx::query!("update chat_uploads set sent = false where id = $1", id)
            .execute(self.db())
            .await
        {
            tracing::warn!(error = %err, "a refused message's file stays taken until it is swept");
        }
    }

    /// Deletes the file of a deleted message.
    pub(super) async fn forget(&self, id: Uuid) {
        if let Err(err) = self.media.delete_chat_file(id).await {
            tracing::error!(file = %id, error = %err, "a deleted message's file was not deleted");
            return;
        }
        let _ = sqlx::query!("delete from chat_uploads where id = $1", id)
            .execute(self.db())
            .await;
    }

    /// The file `id` of `room`, for `viewer`: one of the room's two people, or staff whose
    /// stated reason lets them read the chat now. `NotFound` for anyone else, and once its
    /// message is deleted.
    pub async fn attachment(
        &self,
        viewer: &UserRow,
        room: Uuid,
        id: Uuid,
    ) -> Result<(Attachment, u64, Body), ChatFailure> {
        let member = projections::chat::rooms::peer(self.db(), room, viewer.id)
            .await?
            .is_some();
        let reading = !member
            && domain::permissions::may_read_private_chat(viewer.actor())
            && staff_reads::granted(
                self.db(),
                room,
                viewer.id,
                chrono::Utc::now() - crate::usecases::history::STAFF_READING,
            )
            .await?;
        if !member && !reading {
            return Err(ChatFailure::NotFound);
        }
        let attachment = messages::attachment(self.db(), room, id)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        let (size, body) = self
            .media
            .open_chat_file(id)
            .await
            .map_err(|err| ChatFailure::Internal(err.into()))?
            .ok_or(ChatFailure::NotFound)?;
        Ok((attachment, size, body))
    }
}

/// The file as it will be stored, and what the message says of it.
async fn checked(upload: Upload) -> Result<(Bytes, Attachment), ChatFailure> {
    let Upload {
        name,
        bytes,
        admission,
    } = upload;
    if bytes.is_empty() {
        return Err(invalid("file", "is empty"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(invalid("file", too_large()));
    }
    let name = clean_name(&name);
    let id = Uuid::new_v4();
    let plain = |content_type: &str, bytes: Bytes| {
        let attachment = Attachment {
            id,
            name: name.clone(),
            content_type: content_type.to_owned(),
            size: bytes.len() as u64,
            width: None,
            height: None,
        };
        Ok((bytes, attachment))
    };
    match kind_of(&bytes) {
        Kind::Image => {
            let image =
                process_upload(admission, bytes, ImageKind::Cover)
                    .await
                    .map_err(|err| match err {
                        ImageError::Busy(busy) => ChatFailure::Busy(busy),
                        ImageError::Internal(err) => ChatFailure::Internal(err),
                        other => invalid("file", other.to_string()),
                    })?;
            let stored = image.bytes().clone();
            let attachment = Attachment {
                id,
                name: with_extension(&name, image.format().extension()),
                content_type: image.format().content_type().to_owned(),
                size: stored.len() as u64,
                width: Some(image.width()),
                height: Some(image.height()),
            };
            Ok((stored, attachment))
        }
        Kind::Pdf => plain("application/pdf", bytes),
        Kind::Zip => plain("application/zip", bytes),
        Kind::Text => plain("text/plain; charset=utf-8", bytes),
        Kind::Other => Err(invalid("file", ACCEPTED)),
    }
}

fn too_large() -> String {
    format!("must be at most {} MB", MAX_BYTES / (1024 * 1024))
}

enum Kind {
    Image,
    Pdf,
    Zip,
    Text,
    Other,
}

/// What the bytes are, by their content; the name and the declared type are never trusted.
fn kind_of(bytes: &[u8]) -> Kind {
    if image::guess_format(bytes).is_ok() {
        // An image format we do not accept is refused by the image checks, saying so.
        Kind::Image
    } else if bytes.starts_with(b"%PDF-") {
        Kind::Pdf
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if std::str::from_utf8(bytes).is_ok_and(|text| !text.contains('\0')) {
        Kind::Text
    } else {
        Kind::Other
    }
}

/// A name fit to show and to offer as a download's name: its last path part, without control
/// characters, at most [`MAX_NAME`] characters; "file" when nothing is left.
fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(MAX_NAME)
        .collect();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// `name` with the extension of what it was re-encoded as.
fn with_extension(name: &str, extension: &str) -> String {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    format!("{stem}.{extension}")
}

/// Deletes the files uploaded to chats and never sent, after [`KEPT_UNSENT`]; returns how many.
pub async fn sweep(db: &PgPool, media: &Media) -> Result<u64, crate::media::pending::SweepError> {
    let ids = sqlx::query_scalar!(
        "delete from chat_uploads where not sent and created_at < now() - make_interval(secs => $1) returning id",
        KEPT_UNSENT.as_secs_f64(),
    )
    .fetch_all(db)
    .await?;
    for id in &ids {
        media.delete_chat_file(*id).await?;
    }
    Ok(ids.len() as u64)
}

/// Deletes every file `user` uploaded to chats (their account is deleted); returns how many.
pub async fn erase_files_of(
    db: &PgPool,
    media: &Media,
    user: Uuid,
) -> Result<u64, crate::media::pending::SweepError> {
    let ids = sqlx::query_scalar!("select id from chat_uploads where uploader_id = $1", user)
        .fetch_all(db)
        .await?;
    for id in &ids {
        media.delete_chat_file(*id).await?;
        sqlx::query!("delete from chat_uploads where id = $1", id)
            .execute(db)
            .await?;
    }
    Ok(ids.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_shown_never_used_as_a_path() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\ann\\plan.pdf"), "plan.pdf");
        assert_eq!(clean_name(".hidden"), "hidden");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name("   "), "file");
        assert_eq!(clean_name(&"x".repeat(300)).chars().count(), MAX_NAME);
        assert_eq!(with_extension("holiday.webp", "jpg"), "holiday.jpg");
        assert_eq!(with_extension("scan", "png"), "scan.png");
    }

    #[test]
    fn files_are_known_by_their_content() {
        assert!(matches!(kind_of(b"%PDF-1.7 ..."), Kind::Pdf));
        assert!(matches!(kind_of(b"PK\x03\x04rest"), Kind::Zip));
        assert!(matches!(kind_of("notes, ünïcode".as_bytes()), Kind::Text));
        assert!(matches!(kind_of(b"\x7fELF\x02\x01\x01\x00"), Kind::Other));
        assert!(matches!(kind_of(b"MZ\x90\x00\x03\x00\xff\xfe"), Kind::Other));
    }
}
