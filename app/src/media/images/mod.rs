//! Turning an uploaded file into an image fit to publish: recognised by its content, bounded in
//! size before anything is decoded, turned upright, resized, and re-encoded without metadata.
//!
//! [`process`] is synchronous and CPU-heavy; request handlers call [`process_upload`], which runs
//! it on the bounded `images` pool, one image at a time, so a large photo never stalls the async
//! workers and a burst of them waits in a short line or is turned away.
//!
//! Memory: large photos are shrunk while they are decoded (see `decode`), and everything is
//! turned upright and re-encoded at its final size, so no full-size copy of a big upload is made.
//!
//! The checks are here; the final size is decided in `sizing`, the output written in `encode`,
//! and the reasons for a refusal are in `error`.

mod encode;
mod error;
mod sizing;

use std::io::Cursor;

use axum::body::Bytes;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::decode;
use crate::services::pools::{Admission, WorkError};
use encode::encode;
use sizing::shrink;

pub use error::ImageError;

/// The largest file accepted, in bytes (5 MB).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The most pixels accepted (40 megapixels), read from the header before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;

/// What a decoder may allocate: 40 MP at 4 bytes a pixel (8-bit RGBA) and room for the decoders'
/// own buffers. A 16-bit image needs twice that per pixel, so it may have half the pixels.
const MAX_DECODER_ALLOC: u64 = MAX_PIXELS * 4 + 16 * 1024 * 1024;

/// What an image is for, which decides its final size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// A post's cover: fits within 1600×1600 with its aspect ratio kept, never enlarged.
    Cover,
    /// A profile picture: the centre square, scaled to 256×256.
    Avatar,
}

/// How a processed image is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredFormat {
    Jpeg,
    Png,
}

impl StoredFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }
}

/// An image that passed every check, re-encoded and resized. Only [`process`] makes one, so
/// whatever is stored has been through it.
#[derive(Debug, Clone)]
pub struct ProcessedImage {
    bytes: Bytes,
    format: StoredFormat,
    width: u32,
    height: u32,
}

impl ProcessedImage {
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn format(&self) -> StoredFormat {
        self.format
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }
}

/// Checks, decodes, resizes and re-encodes `bytes`. CPU-heavy: from async code use
/// [`process_upload`].
pub fn process(bytes: &[u8], kind: ImageKind) -> Result<ProcessedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooLarge);
    }
    let format = accepted_format(bytes)?;

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    // Building the decoder parses the header only, so the pixel count is known (and a 40 MP
    // bomb refused) before a single pixel buffer is allocated.
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels);
    }
    // Read from the EXIF data, which re-encoding drops: a phone photo would otherwise end up
    // on its side. An unreadable tag is not worth refusing the image over.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = match decode::shrinking(bytes, format, kind.needed(width, height))? {
        Some(image) => image,
        None if u64::from(width) * u64::from(height) > decode::MAX_WHOLE_PIXELS => {
            return Err(ImageError::TooLargeToDecodeWhole);
        }
        // For an animated GIF or WebP this is the first frame: covers and avatars are still images.
        None => DynamicImage::from_decoder(decoder).map_err(unreadable)?,
    };
    // Both final shapes are square bounds, so shrinking before turning upright gives the same
    // picture, and the turn then copies a small image instead of a full-size one.
    let mut image = shrink(image, kind);
    image.apply_orientation(orientation);
    encode(image)
}

/// A copy of a stored image `width` pixels wide, its proportions kept; `None` when the image is
/// no wider (it then serves as its own copy). CPU-heavy: run it on the `images` pool.
pub fn narrower(stored: &[u8], width: u32) -> Result<Option<ProcessedImage>, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(stored), accepted_format(stored)?);
    reader.limits(limits());
    let image = reader.decode().map_err(unreadable)?;
    if image.width() <= width {
        return Ok(None);
    }
    // Averages areas, as shrinking an upload does: sharper than resampling at this ratio.
    encode(image.thumbnail(width, u32::MAX)).map(Some)
}

/// The WebP copy of a stored image, or of its copy `width` pixels wide (as [`narrower`] makes it):
/// lossy from a JPEG, lossless from a PNG. `None` when it is no smaller than what it would stand
/// in for, which is then sent instead. CPU-heavy: run it on the `images` pool.
pub fn webp_copy(stored: &[u8], width: Option<u32>) -> Result<Option<Bytes>, ImageError> {
    let format = accepted_format(stored)?;
    let mut reader = ImageReader::with_format(Cursor::new(stored), format);
    reader.limits(limits());
    let mut image = reader.decode().map_err(unreadable)?;
    let mut rival = stored.len();
    if let Some(width) = width.filter(|width| image.width() > *width) {
        image = image.thumbnail(width, u32::MAX);
        rival = encode(image.clone())?.bytes.len();
    }
    let copy = encode::encode_webp(&image, format == ImageFormat::Png)?;
    Ok((copy.len() < rival).then_some(copy))
}

/// [`process`] on the `images` pool, in the place `admission` holds.
pub async fn process_upload(
    admission: Admission,
    bytes: Bytes,
    kind: ImageKind,
) -> Result<ProcessedImage, ImageError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooLarge);
    }
    match admission.run(move || process(&bytes, kind)).await {
        Ok(processed) => processed,
        Err(WorkError::Busy(busy)) => Err(ImageError::Busy(busy)),
        Err(WorkError::Failed(err)) => Err(ImageError::Internal(err.into())),
    }
}

/// The format named by the file's first bytes; its name and declared type are never trusted.
fn accepted_format(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif)) => {
            Ok(format)
        }
        _ => Err(ImageError::NotAnImage),
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODER_ALLOC);
    limits
}

fn unreadable(err: image::ImageError) -> ImageError {
    match err {
        // Sizes pass the pixel check, so only an image whose decoding needs unreasonable memory
        // (a lying header, a huge GIF frame) gets here.
        image::ImageError::Limits(_) => ImageError::TooManyPixels,
        other => ImageError::Unreadable(other),
    }
}

#[cfg(test)]
mod tests;
