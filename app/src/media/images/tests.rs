//! Real files made with the `image` crate (and by hand where a file must lie), through
//! [`process`].

use std::io::Cursor;

use axum::body::Bytes;
use image::codecs::gif::GifEncoder;
use image::metadata::Orientation;
use image::{
    DynamicImage, Frame, ImageDecoder, ImageFormat, ImageReader, Luma, Rgb, RgbImage, Rgba, RgbaImage,
};

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

/// A JPEG with an EXIF block that says "rotate 90° clockwise" and names the camera.
fn jpeg_with_exif(image: &DynamicImage) -> Vec<u8> {
    let jpeg = encoded(image, ImageFormat::Jpeg);
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08\x00\x02".to_vec();
    tiff.extend([0x01, 0x0f, 0, 2, 0, 0, 0, 4]); // Make, ASCII, 4 bytes inline
    tiff.extend(b"Cam\0");
    tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation = 6
    tiff.extend([0, 0, 0, 0]);
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend(tiff);
    let length = u16::try_from(segment.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend([0xff, 0xe1]);
    out.extend(length.to_be_bytes());
    out.extend(segment);
    out.extend(&jpeg[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn exif_is_applied_then_dropped() {
    let jpeg = jpeg_with_exif(&photo(40, 20));
    // The fixture says what it should.
    let mut decoder = ImageReader::new(Cursor::new(&jpeg))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
    assert!(contains(&jpeg, b"Exif") && contains(&jpeg, b"Cam\0"));

    let image = process(&jpeg, ImageKind::Cover).unwrap();
    assert_eq!((image.width(), image.height()), (20, 40), "turned upright");
    assert!(!contains(image.bytes(), b"Exif"), "no EXIF segment left");
    assert!(!contains(image.bytes(), b"Cam\0"));
    assert!(!contains(image.bytes(), &[0xff, 0xe1]), "no APP1 segment at all");
}

#[test]
fn covers_wider_than_1600_are_shrunk_to_1600_keeping_their_shape() {
    let image = process(&encoded(&photo(3200, 1000), ImageFormat::Png), ImageKind::Cover).unwrap();
    assert_eq!((image.width(), image.height()), (1600, 500));
    assert_eq!(decoded(&image).width(), 1600);

    let tall = process(&encoded(&photo(900, 2400), ImageFormat::Jpeg), ImageKind::Cover).unwrap();
    assert_eq!((tall.width(), tall.height()), (600, 1600));
}

#[test]
fn small_covers_are_not_enlarged() {
    let image = process(&encoded(&photo(300, 200), ImageFormat::Png), ImageKind::Cover).unwrap();
    assert_eq!((image.width(), image.height()), (300, 200));
}

#[test]
fn avatars_are_the_centre_square_at_256() {
    // Red, green and blue thirds: only the green middle should remain.
    let thirds = RgbImage::from_fn(900, 300, |x, _| match x / 300 {
        0 => Rgb([255, 0, 0]),
        1 => Rgb([0, 255, 0]),
        _ => Rgb([0, 0, 255]),
    });
    let png = encoded(&DynamicImage::ImageRgb8(thirds), ImageFormat::Png);
    let image = process(&png, ImageKind::Avatar).unwrap();
    assert_eq!((image.width(), image.height()), (256, 256));
    let pixels = decoded(&image).into_rgb8();
    for (x, y) in [(2, 2), (253, 2), (128, 128), (2, 253), (253, 253)] {
        assert!(
            is_close(*pixels.get_pixel(x, y), [0, 255, 0]),
            "({x}, {y}) is {:?}",
            pixels.get_pixel(x, y)
        );
    }

    let small = process(&encoded(&photo(50, 80), ImageFormat::Png), ImageKind::Avatar).unwrap();
    assert_eq!((small.width(), small.height()), (256, 256));
}

#[test]
fn transparency_is_kept_as_png_and_an_unused_alpha_channel_is_dropped() {
    let mut rgba = RgbaImage::from_pixel(40, 40, Rgba([10, 20, 30, 255]));
    rgba.put_pixel(5, 5, Rgba([0, 0, 0, 0]));
    let image = process(
        &encoded(&DynamicImage::ImageRgba8(rgba.clone()), ImageFormat::Png),
        ImageKind::Cover,
    )
    .unwrap();
    assert_eq!(image.format(), StoredFormat::Png);
    assert_eq!(decoded(&image).into_rgba8().get_pixel(5, 5)[3], 0);

    rgba.put_pixel(5, 5, Rgba([0, 0, 0, 255]));
    let opaque = process(
        &encoded(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
        ImageKind::Cover,
    )
    .unwrap();
    assert_eq!(opaque.format(), StoredFormat::Jpeg);
}

#[test]
fn an_animated_gif_becomes_its_first_frame() {
    let red = RgbaImage::from_pixel(32, 32, Rgba([255, 0, 0, 255]));
    let blue = RgbaImage::from_pixel(32, 32, Rgba([0, 0, 255, 255]));
    let mut gif = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut gif);
        encoder
            .encode_frames([Frame::new(red), Frame::new(blue)])
            .unwrap();
    }
    let image = process(&gif, ImageKind::Cover).unwrap();
    let pixel = *decoded(&image).into_rgb8().get_pixel(16, 16);
    assert!(is_close(pixel, [255, 0, 0]), "{pixel:?}");
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

/// Four quadrants of flat colour: whatever the filter, the middle of each stays its colour.
fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| match (x * 2 / width, y * 2 / height) {
        (0, 0) => Rgb([200, 30, 30]),
        (1, 0) => Rgb([30, 200, 30]),
        (0, _) => Rgb([30, 30, 200]),
        _ => Rgb([220, 220, 220]),
    })
}

#[test]
fn large_jpegs_and_pngs_are_shrunk_while_decoded_to_the_same_picture() {
    let source = DynamicImage::ImageRgb8(quadrants(4000, 2000));
    for format in [ImageFormat::Jpeg, ImageFormat::Png] {
        let bytes = encoded(&source, format);
        // The shrinking decoders really ran: a cover asks for 1600 × 800 or more.
        let early = crate::media::decode::shrinking(&bytes, format, (1600, 800))
            .unwrap()
            .unwrap_or_else(|| panic!("{format:?} was decoded whole"));
        assert!(
            early.width() >= 1600 && early.width() <= 2000,
            "{format:?}: {}",
            early.width()
        );

        let cover = process(&bytes, ImageKind::Cover).unwrap();
        assert_eq!((cover.width(), cover.height()), (1600, 800), "{format:?}");
        let pixels = decoded(&cover).into_rgb8();
        for ((x, y), colour) in [
            ((400, 200), [200, 30, 30]),
            ((1200, 200), [30, 200, 30]),
            ((400, 600), [30, 30, 200]),
            ((1200, 600), [220, 220, 220]),
        ] {
            let pixel = *pixels.get_pixel(x, y);
            assert!(is_close(pixel, colour), "{format:?} ({x}, {y}) is {pixel:?}");
        }
        let avatar = process(&bytes, ImageKind::Avatar).unwrap();
        assert_eq!((avatar.width(), avatar.height()), (256, 256), "{format:?}");
    }
}

#[test]
fn what_must_be_decoded_whole_may_have_16_megapixels() {
    // WebP cannot be shrunk while decoding.
    let over = DynamicImage::ImageRgb8(RgbImage::from_pixel(4100, 4000, Rgb([9, 9, 9])));
    let err = process(&encoded(&over, ImageFormat::WebP), ImageKind::Cover).unwrap_err();
    assert!(matches!(err, ImageError::TooLargeToDecodeWhole), "{err:?}");
}
