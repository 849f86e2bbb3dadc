//! Decoding an upload at the size it will be shown, not the size it was taken.
//!
//! A 40-megapixel photo decoded whole is 120 to 160 MB, for a cover of at most 1600 pixels.
//! Two encodings can be shrunk while they are decoded, which is what nearly every large upload
//! is: a baseline JPEG (a camera's photo) is decoded at 1/2, 1/4 or 1/8 of its size in the DCT
//! itself, and a non-interlaced PNG (a screenshot) is read a row at a time into a box filter of
//! the final size. Anything else (progressive or CMYK JPEGs, interlaced PNGs, WebP, GIF) is
//! decoded whole, and so may have at most [`MAX_WHOLE_PIXELS`].

use std::io::Cursor;

use image::error::{DecodingError, ImageFormatHint};
use image::{DynamicImage, ImageBuffer, ImageFormat};
use jpeg_decoder::{CodingProcess, PixelFormat};

use super::images::ImageError;

/// The most pixels an image decoded whole may have: 16 megapixels are 64 MB at 4 bytes a pixel.
pub const MAX_WHOLE_PIXELS: u64 = 16_000_000;

/// The image at no less than `needed` (width, height), when its encoding allows shrinking it
/// while decoding; `None` when it must be decoded whole.
pub fn shrinking(
    bytes: &[u8],
    format: ImageFormat,
    needed: (u32, u32),
) -> Result<Option<DynamicImage>, ImageError> {
    match format {
        ImageFormat::Jpeg => jpeg(bytes, needed),
        ImageFormat::Png => png(bytes, needed),
        _ => Ok(None),
    }
}

fn unreadable(format: ImageFormat, err: impl std::error::Error + Send + Sync + 'static) -> ImageError {
    ImageError::Unreadable(image::ImageError::Decoding(DecodingError::new(
        ImageFormatHint::Exact(format),
        err,
    )))
}

fn side(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn jpeg(bytes: &[u8], needed: (u32, u32)) -> Result<Option<DynamicImage>, ImageError> {
    let failed = |err| unreadable(ImageFormat::Jpeg, err);
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(failed)?;
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    // A progressive JPEG keeps every coefficient of the whole image until its last scan, and
    // CMYK needs the colour conversion of the general decoder.
    let colour = matches!(info.pixel_format, PixelFormat::L8 | PixelFormat::RGB24);
    if info.coding_process != CodingProcess::DctSequential || !colour {
        return Ok(None);
    }
    let (width, height) = decoder.scale(side(needed.0), side(needed.1)).map_err(failed)?;
    let pixels = decoder.decode().map_err(failed)?;
    let (width, height) = (u32::from(width), u32::from(height));
    let image = match info.pixel_format {
        PixelFormat::L8 => ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8),
        _ => ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8),
    };
    Ok(image)
}

fn png(bytes: &[u8], needed: (u32, u32)) -> Result<Option<DynamicImage>, ImageError> {
    let failed = |err| unreadable(ImageFormat::Png, err);
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(failed)?;
    let info = reader.info();
    if info.interlaced {
        return Ok(None);
    }
    let (width, height) = (info.width, info.height);
    let (colour, _) = reader.output_color_type();
    let channels = colour.samples();
    let target = (needed.0.clamp(1, width), needed.1.clamp(1, height));
    let mut shrinker = BoxShrinker::new((width, height), target, channels);
    while let Some(row) = reader.next_row().map_err(failed)? {
        shrinker.push(row.data());
    }
    let (w, h) = target;
    let pixels = shrinker.finish();
    Ok(match colour {
        png::ColorType::Grayscale => ImageBuffer::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8),
        png::ColorType::GrayscaleAlpha => ImageBuffer::from_raw(w, h, pixels).map(DynamicImage::ImageLumaA8),
        png::ColorType::Rgb => ImageBuffer::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8),
        png::ColorType::Rgba => ImageBuffer::from_raw(w, h, pixels).map(DynamicImage::ImageRgba8),
        // `EXPAND` turns palettes into RGB(A); nothing else is left.
        png::ColorType::Indexed => None,
    })
}

/// Averages the source pixels that fall into each target pixel, fed one source row at a time:
/// it holds one row of sums and the finished target rows, never the source image.
struct BoxShrinker {
    source: (u32, u32),
    target: (u32, u32),
    channels: usize,
    /// The target column of each source column.
    column: Vec<usize>,
    /// How many source columns each target column averages.
    per_column: Vec<u32>,
    sums: Vec<u32>,
    rows_in_sums: u32,
    next_row: u32,
    out: Vec<u8>,
}

impl BoxShrinker {
    fn new(source: (u32, u32), target: (u32, u32), channels: usize) -> Self {
        let column: Vec<usize> = (0..source.0)
            .map(|x| (u64::from(x) * u64::from(target.0) / u64::from(source.0)) as usize)
            .collect();
        let mut per_column = vec![0; target.0 as usize];
        for &c in &column {
            per_column[c] += 1;
        }
        Self {
            source,
            target,
            channels,
            column,
            per_column,
            sums: vec![0; target.0 as usize * channels],
            rows_in_sums: 0,
            next_row: 0,
            out: Vec::with_capacity(target.0 as usize * target.1 as usize * channels),
        }
    }

    fn target_row(&self, y: u32) -> u32 {
        (u64::from(y) * u64::from(self.target.1) / u64::from(self.source.1)) as u32
    }

    fn push(&mut self, row: &[u8]) {
        let y = self.next_row;
        self.next_row += 1;
        for (x, pixel) in row
            .chunks_exact(self.channels)
            .enumerate()
            .take(self.column.len())
        {
            let at = self.column[x] * self.channels;
            for (sum, value) in self.sums[at..at + self.channels].iter_mut().zip(pixel) {
                *sum += u32::from(*value);
            }
        }
        self.rows_in_sums += 1;
        let last_of_band = y + 1 == self.source.1 || self.target_row(y + 1) != self.target_row(y);
        if last_of_band {
            self.emit();
        }
    }

    fn emit(&mut self) {
        for (i, sum) in self.sums.iter_mut().enumerate() {
            let count = self.per_column[i / self.channels] * self.rows_in_sums;
            self.out.push(((*sum + count / 2) / count.max(1)) as u8);
            *sum = 0;
        }
        self.rows_in_sums = 0;
    }

    fn finish(mut self) -> Vec<u8> {
        // A truncated file ends early: the rows it lacks are left black, as other decoders do.
        self.out
            .resize(self.target.0 as usize * self.target.1 as usize * self.channels, 0);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_filter_averages_each_block_of_pixels() {
        // 4×2 grey pixels into 2×1: each target pixel is the mean of a 2×2 block.
        let mut shrinker = BoxShrinker::new((4, 2), (2, 1), 1);
        shrinker.push(&[0, 100, 200, 200]);
        shrinker.push(&[100, 200, 0, 0]);
        assert_eq!(shrinker.finish(), vec![100, 100]);
    }

    #[test]
    fn uneven_blocks_are_averaged_over_their_own_size() {
        // 3 columns into 2: the first target column takes two source columns, the second one.
        let mut shrinker = BoxShrinker::new((3, 1), (2, 1), 1);
        shrinker.push(&[10, 20, 40]);
        assert_eq!(shrinker.finish(), vec![15, 40]);
    }
}
