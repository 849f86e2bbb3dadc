//! The image as stored: JPEG, or PNG when it uses transparency, with no metadata; and its WebP
//! copy.

use axum::body::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::{DynamicImage, RgbaImage};

use super::{ImageError, ProcessedImage, StoredFormat};

const JPEG_QUALITY: u8 = 85;

/// Looks like [`JPEG_QUALITY`] in JPEG, at about two thirds of the bytes.
const WEBP_QUALITY: f32 = 80.0;

/// JPEG unless the image really uses transparency, then PNG. The encoders write pixels and no
/// metadata, which is how EXIF (GPS position, camera serial), XMP and comments are dropped.
pub(super) fn encode(image: DynamicImage) -> Result<ProcessedImage, ImageError> {
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

/// `image` as WebP: lossy, or lossless for pictures stored as PNG (sharp edges and transparency,
/// which lossy WebP would blur). No metadata, as above.
pub(super) fn encode_webp(image: &DynamicImage, lossless: bool) -> Result<Bytes, ImageError> {
    let (width, height) = (image.width(), image.height());
    let encoded = if image.color().has_alpha() {
        let pixels = image.to_rgba8();
        webp::Encoder::from_rgba(&pixels, width, height).encode_simple(lossless, WEBP_QUALITY)
    } else {
        let pixels = image.to_rgb8();
        webp::Encoder::from_rgb(&pixels, width, height).encode_simple(lossless, WEBP_QUALITY)
    };
    encoded
        .map(|memory| Bytes::copy_from_slice(&memory))
        .map_err(|code| ImageError::Internal(anyhow::anyhow!("libwebp refused the image: {code:?}")))
}
