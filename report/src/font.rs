//! The font every chart's text is written in, read from the system at run
//! time (plotters' `ab_glyph` feature: pure Rust, no fontconfig or
//! freetype), so that the binary carries no font of its own.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::ReportError;

/// DejaVu Sans, from the Debian package fonts-dejavu-core (installed by
/// infra/build-deps.sh when missing).
pub const FONT_PATH: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// The family name charts ask for; SVG viewers use their own sans-serif.
pub const FAMILY: &str = "sans-serif";

/// Registers [`FONT_PATH`] as [`FAMILY`] once per process.
pub fn load() -> Result<(), ReportError> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let bytes = std::fs::read(FONT_PATH).map_err(|e| e.to_string())?;
            // plotters keeps fonts for the process' life: leak them once.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            register_font(FAMILY, FontStyle::Normal, bytes)
                .map_err(|_| "not a font file plotters can read".to_string())
        })
        .clone()
        .map_err(|detail| ReportError::Font {
            path: FONT_PATH.into(),
            detail,
        })
}
