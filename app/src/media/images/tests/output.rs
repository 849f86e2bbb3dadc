//! The pictures that come out: upright, at their final size and format, without metadata.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, Frame, ImageDecoder, ImageFormat, ImageReader, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

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
fn a_webp_copy_is_lossy_from_a_photo_lossless_from_a_png_and_smaller() {
    let photo = process(&encoded(&photo(1200, 800), ImageFormat::Png), ImageKind::Cover).unwrap();
    assert_eq!(photo.format(), StoredFormat::Jpeg);
    let copy = webp_copy(photo.bytes(), None)
        .unwrap()
        .expect("smaller than the JPEG");
    assert_eq!(image::guess_format(&copy).unwrap(), ImageFormat::WebP);
    assert!(copy.len() < photo.bytes().len());
    let shown = image::load_from_memory(&copy).unwrap();
    assert_eq!((shown.width(), shown.height()), (1200, 800));
    assert!(
        is_close(shown.to_rgb8()[(300, 200)], [44, 200, 128]),
        "looks the same"
    );

    // At a copy's width, it stands in for that copy.
    let narrow = webp_copy(photo.bytes(), Some(480)).unwrap().unwrap();
    let shown = image::load_from_memory(&narrow).unwrap();
    assert_eq!((shown.width(), shown.height()), (480, 320));

    // Transparency survives, and every visible pixel exactly (lossless; what is under a fully
    // transparent pixel may change, as nobody sees it).
    let mut rgba = RgbaImage::from_fn(300, 200, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 7, 255]));
    rgba.put_pixel(5, 5, Rgba([0, 0, 0, 0]));
    let png = process(
        &encoded(&DynamicImage::ImageRgba8(rgba.clone()), ImageFormat::Png),
        ImageKind::Cover,
    )
    .unwrap();
    assert_eq!(png.format(), StoredFormat::Png);
    let copy = webp_copy(png.bytes(), None)
        .unwrap()
        .expect("smaller than the PNG");
    let shown = image::load_from_memory(&copy).unwrap().into_rgba8();
    assert_eq!(shown.get_pixel(5, 5)[3], 0);
    let visible_differ = rgba
        .enumerate_pixels()
        .filter(|(x, y, pixel)| pixel[3] > 0 && shown.get_pixel(*x, *y) != *pixel)
        .count();
    assert_eq!(visible_differ, 0);
}

#[test]
fn no_webp_copy_is_kept_when_it_would_be_no_smaller() {
    // Noise compresses badly in any format; lossless WebP of a tiny noisy PNG is no smaller.
    let mut state = 0x2545_f491_u32;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state & 0xff) as u8
    };
    let rgba = RgbaImage::from_fn(8, 8, |_, _| Rgba([noise(), noise(), noise(), noise()]));
    let png = process(
        &encoded(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
        ImageKind::Cover,
    )
    .unwrap();
    assert_eq!(png.format(), StoredFormat::Png);
    let copy = webp_copy(png.bytes(), None).unwrap();
    assert!(
        copy.is_none(),
        "a WebP copy of {} bytes was kept",
        copy.map_or(0, |c| c.len())
    );
}
