//! Decoding of source files: UTF-8 or Latin-1 (Windows-1252), detected, BOM removed.

use std::borrow::Cow;

/// The encoding a file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// ISO-8859-1 / Windows-1252 (older FINESS and BPE extracts).
    Windows1252,
}

/// Decodes a file: UTF-8 when the bytes are valid UTF-8 (a BOM is removed), Windows-1252
/// otherwise. Borrows when no conversion is needed.
///
/// ```
/// use maillage::sources::text::{decode, Encoding};
/// let (s, e) = decode(b"CH d'ALBI;\xc9TABLISSEMENT");
/// assert_eq!(s, "CH d'ALBI;ÉTABLISSEMENT");
/// assert_eq!(e, Encoding::Windows1252);
/// let (s, e) = decode("\u{feff}Évreux".as_bytes());
/// assert_eq!((s.as_ref(), e), ("Évreux", Encoding::Utf8));
/// ```
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), Encoding::Utf8),
        Err(_) => {
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (s, Encoding::Windows1252)
        }
    }
}
