//! Turning an uploaded file into an image fit to publish: recognised by its content, bounded in
//! size before anything is decoded, turned upright, resized, and re-encoded without metadata.
//!
//! [`process`] is synchronous and CPU-heavy; request handlers call [`process_upload`], which runs
//! it on the bounded `images` pool, one image at a time, so a large photo never stalls the async
//! workers and a burst of them waits in a short line or is turned away.
//!
//! Memory: large photos are shrunk while they are decoded (see `decode`), and everything is
//! turned upright and re-encoded at its final size, so no full-size copy of a big upload is made.

use std::io::Cursor;

use axum::body::Bytes;
use axum::http::StatusCode;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbaImage};

use super::decode;
use crate::services::limits::RetryAfter;
use crate::services::pools::{Admission, Busy, WorkError};

/// The largest file accepted, in bytes (5 MB).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The most pixels accepted (40 megapixels), read from the header before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;

/// What a decoder may allocate: 40 MP at 4 bytes a pixel (8-bit RGBA) and room for the decoders'
/// own buffers. A 16-bit image needs twice that per pixel, so it may have half the pixels.
const MAX_DECODER_ALLOC: u64 = MAX_PIXELS * 4 + 16 * 1024 * 1024;

const COVER_MAX_SIDE: u32 = 1600;
const AVATAR_SIDE: u32 = 256;
const JPEG_QUALITY: u8 = 85;

/// For enlarging a small avatar (shrinking averages areas instead, see [`shrink`]).
const FILTER: FilterType = FilterType::CatmullRom;

/// What an image is for, which decides its final size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// A post's cover: fits within 1600×1600 with its aspect ratio kept, never enlarged.
    Cover,
    /// A profile picture: the centre square, scaled to 256×256.
    Avatar,
}

impl ImageKind {
    /// The size an image of `width` × `height` is scaled to before any cropping: a cover to fit
    /// within 1600 × 1600 (never enlarged), an avatar to a short side of 256 (the centre square
    /// is then kept).
    fn scaled_size(self, width: u32, height: u32) -> (u32, u32) {
        let scale = |side: u32, by: u32, of: u32| {
            u32::try_from(u64::from(side) * u64::from(by) / u64::from(of.max(1)))
                .unwrap_or(by)
                .max(1)
        };
        match self {
            Self::Cover if width.max(height) > COVER_MAX_SIDE => {
                let long = width.max(height);
                (
                    scale(width, COVER_MAX_SIDE, long),
                    scale(height, COVER_MAX_SIDE, long),
                )
            }
            Self::Cover => (width, height),
            Self::Avatar => {
                let short = width.min(height);
                let side = |n| scale(n, AVATAR_SIDE, short).max(AVATAR_SIDE);
                (side(width), side(height))
            }
        }
    }

    /// The smallest size the image may be decoded at: its scaled size, or its own when smaller.
    fn needed(self, width: u32, height: u32) -> (u32, u32) {
        let (w, h) = self.scaled_size(width, height);
        (w.min(width), h.min(height))
    }
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

/// The image at its final size. Shrinking averages the source pixels falling into each target
/// pixel (a box filter, as good as any for large reductions of photos) straight into a buffer of
/// the target size; the usual two-pass filters keep an intermediate image in 32-bit floats that
/// is as large as the source for big reductions.
fn shrink(image: DynamicImage, kind: ImageKind) -> DynamicImage {
    let (width, height) = (image.width(), image.height());
    let (w, h) = kind.scaled_size(width, height);
    let scaled = if (w, h) == (width, height) {
        image
    } else if w <= width && h <= height {
        image.thumbnail_exact(w, h)
    } else {
        // Only a small avatar is enlarged.
        image.resize_exact(w, h, FILTER)
    };
    match kind {
        ImageKind::Cover => scaled,
        // Scaled first, then the centre square kept: cropping first would copy the (possibly
        // huge) square of the original.
        ImageKind::Avatar => scaled.crop_imm(
            (w - AVATAR_SIDE) / 2,
            (h - AVATAR_SIDE) / 2,
            AVATAR_SIDE,
            AVATAR_SIDE,
        ),
    }
}

/// JPEG unless the image really uses transparency, then PNG. The encoders write pixels and no
/// metadata, which is how EXIF (GPS position, camera serial), XMP and comments are dropped.
fn encode(image: DynamicImage) -> Result<ProcessedImage, ImageError> {
    let (width, height) = (image.width(), image.height());
    let image = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        image
    };
    // An alpha channel that is opaque everywhere (common in screenshots and GIFs) is dropped.
    let transparent = image.as_rgba8().is_some_and(uses_transparency);
    let mut out = Vec::new();
    let (written, format) = if transparent {
        let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Default, PngFilter::Adaptive);
        (image.write_with_encoder(encoder), StoredFormat::Png)
    } else {
        let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
        let rgb = DynamicImage::ImageRgb8(image.into_rgb8());
        (rgb.write_with_encoder(encoder), StoredFormat::Jpeg)
    };
    written.map_err(|err| ImageError::Internal(err.into()))?;
    Ok(ProcessedImage {
        bytes: Bytes::from(out),
        format,
        width,
        height,
    })
}

fn uses_transparency(image: &RgbaImage) -> bool {
    image.pixels().any(|pixel| pixel[3] < u8::MAX)
}

#[cfg(test)]
mod tests;
