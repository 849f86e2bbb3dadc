//! Turning an uploaded file into an image fit to publish: recognised by its content, bounded in
//! size before anything is decoded, turned upright, resized, and re-encoded without metadata.
//!
//! [`process`] is synchronous and CPU-heavy; request handlers call [`process_upload`], which runs
//! it on tokio's blocking pool so a large photo never stalls the async workers.

use std::io::Cursor;

use axum::body::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbaImage};
use tokio::sync::Semaphore;

/// The largest file accepted, in bytes (5 MB).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// The most pixels accepted (40 megapixels), read from the header before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;

/// What a decoder may allocate. 40 MP at 8 bytes a pixel (16-bit RGBA, the widest these formats
/// decode to) is 320 MB; the rest is room for the decoders' own buffers.
const MAX_DECODER_ALLOC: u64 = MAX_PIXELS * 8 + 64 * 1024 * 1024;

const COVER_MAX_SIDE: u32 = 1600;
const AVATAR_SIDE: u32 = 256;
const JPEG_QUALITY: u8 = 85;

/// Catmull-Rom is as sharp as Lanczos3 to the eye when shrinking photos and a third cheaper,
/// which matters on a 40 MP upload.
const FILTER: FilterType = FilterType::CatmullRom;

/// A 40 MP image takes a few hundred MB while it is decoded and resized. Capping how many are
/// processed at once makes a burst of large uploads wait in line instead of exhausting memory.
static PROCESSING: Semaphore = Semaphore::const_new(2);

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
    #[error("This file is not a PNG, JPEG, WebP or GIF image")]
    NotAnImage,
    /// Truncated or corrupt files, and valid ones in an encoding the decoders do not handle.
    #[error("This image could not be read. Try saving it again as a PNG or JPEG")]
    Unreadable(#[source] image::ImageError),
    /// The multipart body broke off or was malformed.
    #[error("The upload did not arrive whole; please try again")]
    Interrupted(#[source] axum::extract::multipart::MultipartError),
    /// Our failure, not the file's: logged, never explained.
    #[error("This image could not be processed; please try again")]
    Internal(#[source] anyhow::Error),
}

impl ImageError {
    /// Whether this is the site's fault rather than the file's (a 500, not a form message).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Internal(_))
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
    // For an animated GIF or WebP this is the first frame: covers and avatars are still images.
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);

    encode(resize(image, kind))
}

/// [`process`] on the blocking thread pool, a few images at a time.
pub async fn process_upload(bytes: Bytes, kind: ImageKind) -> Result<ProcessedImage, ImageError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooLarge);
    }
    let slot = PROCESSING
        .acquire()
        .await
        .map_err(|err| ImageError::Internal(err.into()))?;
    tokio::task::spawn_blocking(move || {
        // Held by the work, not the request: if the client goes away mid-way, the slot stays
        // taken until the decoding it stands for has really finished.
        let _slot = slot;
        process(&bytes, kind)
    })
    .await
    .map_err(|err| ImageError::Internal(err.into()))?
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

fn resize(image: DynamicImage, kind: ImageKind) -> DynamicImage {
    match kind {
        ImageKind::Cover if image.width() > COVER_MAX_SIDE || image.height() > COVER_MAX_SIDE => {
            image.resize(COVER_MAX_SIDE, COVER_MAX_SIDE, FILTER)
        }
        ImageKind::Cover => image,
        ImageKind::Avatar => {
            // Crop first, then scale: scaling to fill first would blow a long thin image up to
            // an enormous size before cropping it.
            let side = image.width().min(image.height());
            let x = (image.width() - side) / 2;
            let y = (image.height() - side) / 2;
            image
                .crop_imm(x, y, side, side)
                .resize_exact(AVATAR_SIDE, AVATAR_SIDE, FILTER)
        }
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
