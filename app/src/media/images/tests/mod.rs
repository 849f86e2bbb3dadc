//! Real files made with the `image` crate (and by hand where a file must lie), through
//! [`process`].
//!
//! What is refused, and why, is in `checks`; the pictures that come out, in `output`.

mod checks;
mod output;

use std::io::Cursor;

use axum::body::Bytes;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

use super::*;

fn photo(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    }))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn decoded(image: &ProcessedImage) -> DynamicImage {
    image::load_from_memory(image.bytes()).unwrap()
}

fn is_close(actual: Rgb<u8>, expected: [u8; 3]) -> bool {
    actual.0.iter().zip(expected).all(|(a, e)| a.abs_diff(e) < 16)
}

#[tokio::test]
async fn processing_runs_off_the_async_workers() {
    let bytes = Bytes::from(encoded(&photo(2000, 1000), ImageFormat::Jpeg));
    let pool = crate::services::pools::Pool::new("images", 1, 0);
    let image = process_upload(pool.admit().unwrap(), bytes, ImageKind::Cover)
        .await
        .unwrap();
    assert_eq!((image.width(), image.height()), (1600, 800));
    assert_eq!(pool.started(), 1);
    let too_large = Bytes::from(vec![0; MAX_BYTES + 1]);
    assert!(matches!(
        process_upload(pool.admit().unwrap(), too_large, ImageKind::Avatar).await,
        Err(ImageError::TooLarge)
    ));
}
