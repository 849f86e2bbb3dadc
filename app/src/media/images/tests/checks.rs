//! What is refused before anything is kept: files by their content, their size and their pixels.

use image::{DynamicImage, ImageFormat, Luma, Rgb, RgbImage};

use super::*;

#[test]
fn png_jpeg_gif_and_webp_are_recognised_by_their_content() {
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::WebP,
    ] {
        let bytes = encoded(&photo(64, 48), format);
        let image = process(&bytes, ImageKind::Cover).unwrap_or_else(|err| panic!("{format:?}: {err}"));
        assert_eq!((image.width(), image.height()), (64, 48), "{format:?}");
        assert_eq!(image.format(), StoredFormat::Jpeg, "{format:?} is opaque");
        assert_eq!(decoded(&image).width(), 64, "{format:?} output decodes");
    }
}

#[test]
fn a_text_file_named_like_an_image_is_refused() {
    // There is no file name to go by: the first bytes decide.
    let text = b"This is a text file, whatever its name says (holiday.png).\n";
    assert!(matches!(
        process(text, ImageKind::Cover),
        Err(ImageError::NotAnImage)
    ));
    // A real format that is not on the list.
    let bmp = b"BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00";
    assert!(matches!(
        process(bmp, ImageKind::Cover),
        Err(ImageError::NotAnImage)
    ));
    assert!(matches!(process(b"", ImageKind::Cover), Err(ImageError::Empty)));
    assert_eq!(
        ImageError::NotAnImage.to_string(),
        "This file is not a PNG, JPEG, WebP or GIF image"
    );
}

#[test]
fn a_damaged_image_is_refused_with_a_message() {
    let mut png = encoded(&photo(64, 48), ImageFormat::Png);
    png.truncate(png.len() / 2);
    let err = process(&png, ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::Unreadable(_)), "{err:?}");
    assert!(!err.is_internal());
}

#[test]
fn files_over_5_mb_are_refused() {
    let mut png = encoded(&photo(64, 48), ImageFormat::Png);
    png.resize(MAX_BYTES + 1, 0);
    let err = process(&png, ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::TooLarge), "{err:?}");
    assert_eq!(err.to_string(), "Images must be 5 MB or smaller");

    // Exactly 5 MB is allowed (PNG readers ignore what follows the end of the image).
    png.truncate(MAX_BYTES);
    assert!(process(&png, ImageKind::Cover).is_ok());
}

/// A one-colour PNG: it compresses to almost nothing, so the file is small whatever its size.
fn flat_png(width: u32, height: u32) -> Vec<u8> {
    let flat = image::GrayImage::from_pixel(width, height, Luma([200]));
    encoded(&DynamicImage::ImageLuma8(flat), ImageFormat::Png)
}

/// `png` cut off a few bytes into its pixel data: the header is whole, the pixels are not.
fn without_pixels(png: &[u8]) -> &[u8] {
    let idat = png.windows(4).position(|window| window == b"IDAT").unwrap();
    &png[..idat + 4 + 16]
}

#[test]
fn more_than_40_megapixels_are_refused_from_the_header() {
    let bomb = flat_png(8000, 5001);
    assert!(bomb.len() < MAX_BYTES, "the bomb is {} bytes", bomb.len());
    let err = process(&bomb, ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::TooManyPixels), "{err:?}");
    assert_eq!(err.to_string(), "Images may be at most 40 megapixels");

    // The same file without its pixels gets the same answer, so the refusal came from the
    // header, before any decoding...
    let err = process(without_pixels(&bomb), ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::TooManyPixels), "{err:?}");
    // ...whereas exactly 40 megapixels passes the check and goes on to decoding, which then
    // finds the pixels missing.
    let limit = flat_png(8000, 5000);
    let err = process(without_pixels(&limit), ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::Unreadable(_)), "{err:?}");
}

#[test]
fn what_must_be_decoded_whole_may_have_16_megapixels() {
    // WebP cannot be shrunk while decoding.
    let over = DynamicImage::ImageRgb8(RgbImage::from_pixel(4100, 4000, Rgb([9, 9, 9])));
    let err = process(&encoded(&over, ImageFormat::WebP), ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::TooLargeToDecodeWhole), "{err:?}");
}
