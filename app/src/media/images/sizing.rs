//! The size an image ends at: a cover within 1600 × 1600, an avatar the centre square at 256.

use image::DynamicImage;
use image::imageops::FilterType;

use super::ImageKind;

const COVER_MAX_SIDE: u32 = 1600;
const AVATAR_SIDE: u32 = 256;

/// For enlarging a small avatar (shrinking averages areas instead, see [`shrink`]).
const FILTER: FilterType = FilterType::CatmullRom;

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
    pub(super) fn needed(self, width: u32, height: u32) -> (u32, u32) {
        let (w, h) = self.scaled_size(width, height);
        (w.min(width), h.min(height))
    }
}

/// The image at its final size. Shrinking averages the source pixels falling into each target
/// pixel (a box filter, as good as any for large reductions of photos) straight into a buffer of
/// the target size; the usual two-pass filters keep an intermediate image in 32-bit floats that
/// is as large as the source for big reductions.
pub(super) fn shrink(image: DynamicImage, kind: ImageKind) -> DynamicImage {
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
