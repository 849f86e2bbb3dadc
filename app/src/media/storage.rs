//! Where processed images are kept: a local directory or an S3-compatible bucket, both behind
//! `object_store`, under keys derived from the content.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::images::ProcessedImage;
use crate::config::MediaArgs;

/// Longest key served; ours are 48 characters.
const MAX_KEY_LEN: usize = 200;

/// The image store. Cheap to clone: a handle on one shared store.
#[derive(Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("could not create the media directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("object storage failed")]
    Store(#[from] object_store::Error),
}

/// A stored image, ready to send.
pub struct StoredImage {
    pub content_type: &'static str,
    pub size: u64,
    /// Streamed from the store, never held whole in memory.
    pub body: Body,
}

impl Media {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// The bucket when `S3_BUCKET` is set, else `MEDIA_DIR` (created when missing).
    pub fn from_config(args: &MediaArgs) -> Result<Self, StorageError> {
        let store: Arc<dyn ObjectStore> = match &args.s3_bucket {
            Some(bucket) => Arc::new(s3(args, bucket).build()?),
            None => {
                std::fs::create_dir_all(&args.media_dir).map_err(|source| StorageError::CreateDir {
                    path: args.media_dir.clone(),
                    source,
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(&args.media_dir)?)
            }
        };
        Ok(Self::new(store))
    }

    /// Stores `image` and returns its key. The key is derived from the bytes, so saving the same
    /// image twice keeps one copy, and a key never names different content over time (which is
    /// what lets [`super::router`] tell browsers to cache it forever).
    pub async fn save(&self, image: &ProcessedImage) -> Result<String, StorageError> {
        let key = Self::key_for(image);
        let payload = PutPayload::from_bytes(image.bytes().clone());
        self.store.put(&Path::from(key.as_str()), payload).await?;
        Ok(key)
    }

    /// Stores `image` under `key` (a copy of a stored image: see `variants`).
    pub async fn save_as(&self, key: &str, image: &ProcessedImage) -> Result<(), StorageError> {
        self.put_copy(key, image.bytes().clone()).await
    }

    /// Stores `bytes` under `key`, a copy of a stored image in another format (see `variants`).
    pub async fn put_copy(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store
            .put(&Path::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// The whole image under `key`, in memory (at most `MAX_BYTES`: we stored it).
    pub async fn read(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        let Some(path) = object_path(key) else {
            return Ok(None);
        };
        match self.store.get(&path).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The image under `key`, or `None` when there is none or the key is not one we hand out.
    pub async fn open(&self, key: &str) -> Result<Option<StoredImage>, StorageError> {
        let (Some(path), Some(content_type)) = (object_path(key), content_type(key)) else {
            return Ok(None);
        };
        match self.store.get(&path).await {
            Ok(found) => Ok(Some(StoredImage {
                content_type,
                size: found.meta.size,
                body: Body::from_stream(found.into_stream()),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes the image under `key` and its copies; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        for key in std::iter::once(key.to_owned()).chain(domain::image::variants::keys_of(key)) {
            let Some(path) = object_path(&key) else {
                continue;
            };
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// Whether an image is stored under `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        let Some(path) = object_path(key) else {
            return Ok(false);
        };
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// Stores a file sent in a chat under its random `id`. Kept apart from images (`chat/<id>`,
    /// no extension), so `/media/` never serves one: only the room's people fetch it, through
    /// the chat API.
    pub async fn put_chat_file(&self, id: Uuid, bytes: Bytes) -> Result<(), StorageError> {
        self.store
            .put(&chat_path(id), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// A chat file's size and bytes, streamed; `None` once deleted.
    pub async fn open_chat_file(&self, id: Uuid) -> Result<Option<(u64, Body)>, StorageError> {
        match self.store.get(&chat_path(id)).await {
            Ok(found) => Ok(Some((found.meta.size, Body::from_stream(found.into_stream())))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Deletes a chat file; one already gone is not an error.
    pub async fn delete_chat_file(&self, id: Uuid) -> Result<(), StorageError> {
        match self.store.delete(&chat_path(id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Where the image under `key` is served on this site.
    pub fn url(&self, key: &str) -> String {
        format!("{}{key}", super::URL_PREFIX)
    }

    /// `images/<first 32 hex digits of the SHA-256 of the bytes>.<jpg|png>`: 128 bits, no
    /// collisions in practice.
    pub fn key_for(image: &ProcessedImage) -> String {
        let digest = Sha256::digest(image.bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("images/{hex}.{}", image.format().extension())
    }
}

/// Settings not given here come from the usual `AWS_*` variables (session tokens, web identity,
/// instance credentials), so the bucket works the way other AWS tools do on the same machine.
fn s3(args: &MediaArgs, bucket: &str) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_region(&args.s3_region);
    if let Some(endpoint) = &args.s3_endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    if let Some(id) = &args.aws_access_key_id {
        builder = builder.with_access_key_id(id);
    }
    if let Some(secret) = &args.aws_secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    builder
}

/// Only keys shaped like ours: lowercase letters, digits and `/._-`, no empty, hidden, `.` or
/// `..` segments. That rules out walking out of the media directory, and also the `name#n`
/// temporary files the local store writes while an upload is in progress.
fn chat_path(id: Uuid) -> Path {
    Path::from(format!("chat/{}", id.simple()))
}

fn object_path(key: &str) -> Option<Path> {
    let allowed = |c: char| matches!(c, 'a'..='z' | '0'..='9' | '/' | '.' | '_' | '-');
    let well_formed = !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.chars().all(allowed)
        && !key.contains("..")
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && !segment.starts_with('.'));
    if !well_formed {
        return None;
    }
    Path::parse(key).ok()
}

fn content_type(key: &str) -> Option<&'static str> {
    match key.rsplit_once('.')?.1 {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_shaped_like_ours_are_looked_up() {
        assert!(object_path("images/0123456789abcdef0123456789abcdef.jpg").is_some());
        for bad in [
            "",
            "../secret.jpg",
            "images/../../etc/passwd",
            "images/..",
            "/etc/passwd",
            "images//a.jpg",
            "images/.hidden.jpg",
            "images/a.jpg/",
            "Images/A.JPG",
            "images/a.jpg#1",
            "images/a%2e.jpg",
            "images\\a.jpg",
        ] {
            assert!(object_path(bad).is_none(), "{bad:?} was accepted");
        }
        assert!(object_path(&"a".repeat(MAX_KEY_LEN + 1)).is_none());
    }

    #[test]
    fn only_the_formats_we_store_are_served() {
        assert_eq!(content_type("images/a.jpg"), Some("image/jpeg"));
        assert_eq!(content_type("images/a.png"), Some("image/png"));
        assert_eq!(content_type("images/a.webp"), Some("image/webp"));
        assert_eq!(content_type("images/a.html"), None);
        assert_eq!(content_type("images/a"), None);
    }
}
