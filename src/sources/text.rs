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
    match detect(bytes) {
        Text::Utf8(s) => (Cow::Borrowed(s), Encoding::Utf8),
        Text::Windows1252(bytes) => {
            let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (s, Encoding::Windows1252)
        }
    }
}

/// Invalid bytes in a file that is otherwise UTF-8: where they are. A file whose non-ASCII
/// bytes are mostly not UTF-8 is Latin-1 (Windows-1252) and read as such; one whose accents
/// are mostly valid UTF-8 but that holds a few invalid bytes is damaged UTF-8 (a badly
/// merged or truncated export): reading it as Latin-1 would turn every `é` into `Ã©`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// 1-based line and character column of the first invalid bytes.
    pub line: usize,
    pub column: usize,
    /// The first invalid byte.
    pub byte: u8,
    /// Lines holding invalid bytes (the first ten), and how many in all.
    pub lines: Vec<usize>,
    pub count: usize,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.lines.iter().map(usize::to_string).collect();
        let more = if self.count > self.lines.len() {
            ", …"
        } else {
            ""
        };
        write!(
            f,
            "fichier en UTF-8 contenant des octets invalides : ligne {}, colonne {} (octet 0x{:02X}) ;              {} ligne(s) concernée(s) : {}{more}. Le fichier est refusé plutôt que lu de travers :              corrigez ces lignes ou réenregistrez le fichier en UTF-8 (un fichier entièrement en              Latin-1 est accepté)",
            self.line,
            self.column,
            self.byte,
            self.count,
            list.join(", ")
        )
    }
}

/// The invalid bytes of a file that is UTF-8 everywhere else (see [`Damage`]); `None` for a
/// valid UTF-8 file and for a Latin-1 file.
///
/// ```
/// use maillage::sources::text::damaged_utf8;
/// assert_eq!(damaged_utf8("été\nhiver".as_bytes()), None);
/// assert_eq!(damaged_utf8(b"\xE9t\xE9\nhiver"), None); // Latin-1
/// let d = damaged_utf8(b"nom;ville\n\xC3\xA9t\xC3\xA9;Albi\nab\xFFc;\xC3\x89vreux\n").unwrap();
/// assert_eq!((d.line, d.column, d.byte, d.count), (3, 3, 0xFF, 1));
/// ```
pub fn damaged_utf8(bytes: &[u8]) -> Option<Damage> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let mut valid_multibyte = 0usize;
    let mut invalid = 0usize;
    let mut first: Option<(usize, usize, u8)> = None;
    let mut lines = Vec::new();
    let mut count = 0usize;
    let (mut line, mut line_start) = (1usize, 0usize);
    let mut last_bad_line = 0usize;
    let mut rest = bytes;
    let mut offset = 0usize;
    while !rest.is_empty() {
        let (good, bad_len) = match std::str::from_utf8(rest) {
            Ok(s) => (s, 0),
            Err(e) => {
                let good = std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or("");
                (good, e.error_len().unwrap_or(rest.len() - e.valid_up_to()))
            }
        };
        for (i, c) in good.char_indices() {
            if c == '\n' {
                line += 1;
                line_start = offset + i + 1;
            } else if c.len_utf8() > 1 {
                valid_multibyte += 1;
            }
        }
        offset += good.len();
        if bad_len == 0 {
            break;
        }
        invalid += 1;
        if first.is_none() {
            let before = std::str::from_utf8(&bytes[line_start..offset])
                .map_or(offset - line_start, |s| s.chars().count());
            first = Some((line, before + 1, bytes[offset]));
        }
        if last_bad_line != line {
            last_bad_line = line;
            count += 1;
            if lines.len() < 10 {
                lines.push(line);
            }
        }
        offset += bad_len;
        rest = &bytes[offset..];
    }
    let (line, column, byte) = first?;
    (valid_multibyte > invalid).then_some(Damage {
        line,
        column,
        byte,
        lines,
        count,
    })
}

/// Size of the blocks a Windows-1252 file is decoded in by the line-based importers.
pub const BLOCK_BYTES: usize = 1 << 20;

/// A file's content once its encoding is known, still unconverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text<'a> {
    /// Valid UTF-8 (BOM removed).
    Utf8(&'a str),
    /// Anything else, read as Windows-1252.
    Windows1252(&'a [u8]),
}

/// Removes a UTF-8 BOM and tells the encoding of the rest, without copying it: UTF-8 when the
/// bytes are valid UTF-8, Windows-1252 otherwise (as [`decode`] does).
///
/// ```
/// use maillage::sources::text::{detect, Encoding, Text};
/// assert_eq!(detect(b"\xEF\xBB\xBFabc"), Text::Utf8("abc"));
/// assert_eq!(detect(b"\xC9vreux").encoding(), Encoding::Windows1252);
/// ```
pub fn detect(bytes: &[u8]) -> Text<'_> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Text::Utf8(s),
        Err(_) => Text::Windows1252(bytes),
    }
}

impl<'a> Text<'a> {
    /// The encoding detected.
    pub fn encoding(&self) -> Encoding {
        match self {
            Text::Utf8(_) => Encoding::Utf8,
            Text::Windows1252(_) => Encoding::Windows1252,
        }
    }

    /// The raw bytes (BOM removed).
    pub fn bytes(&self) -> &'a [u8] {
        match self {
            Text::Utf8(s) => s.as_bytes(),
            Text::Windows1252(b) => b,
        }
    }

    /// The first line (up to its `\n`, a `\r` kept) and the text after it.
    ///
    /// ```
    /// use maillage::sources::text::{detect, Text};
    /// let (head, rest) = detect(b"A|B|\r\n1|2|\n").first_line();
    /// assert_eq!((head.as_ref(), rest), ("A|B|\r", Text::Utf8("1|2|\n")));
    /// ```
    pub fn first_line(&self) -> (Cow<'a, str>, Text<'a>) {
        let bytes = self.bytes();
        let (end, next) = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or((bytes.len(), bytes.len()), |p| (p, p + 1));
        match *self {
            Text::Utf8(s) => (Cow::Borrowed(&s[..end]), Text::Utf8(&s[next..])),
            Text::Windows1252(b) => (windows_1252(&b[..end]), Text::Windows1252(&b[next..])),
        }
    }

    /// The text in blocks of whole lines: the whole text when it is UTF-8 (borrowed), blocks
    /// of about `block` bytes, each ending after a `\n` (or at the end), when it is
    /// Windows-1252. For parsers that borrow fields from a line: their buffers live for one
    /// block.
    ///
    /// ```
    /// use maillage::sources::text::detect;
    /// let b: Vec<String> = detect(b"a;\xC9\nb;c\nd").blocks(2).map(|b| b.into_owned()).collect();
    /// assert_eq!(b, ["a;\u{c9}\n", "b;c\n", "d"]);
    /// ```
    pub fn blocks(&self, block: usize) -> Blocks<'a> {
        Blocks {
            text: *self,
            block: block.max(1),
        }
    }

    /// The text cut into at most `parts` pieces of about the same size, each made of whole
    /// lines (every piece but the last ends after a `\n`), in order: for parsers that read the
    /// pieces of one large file on several cores. Empty pieces are left out.
    ///
    /// ```
    /// use maillage::sources::text::{detect, Text};
    /// let parts = detect(b"a\nbb\nccc\nd").split_at_lines(2);
    /// assert_eq!(parts, [Text::Utf8("a\nbb\nccc\n"), Text::Utf8("d")]);
    /// ```
    pub fn split_at_lines(&self, parts: usize) -> Vec<Text<'a>> {
        let bytes = self.bytes();
        let parts = parts.max(1);
        let mut cuts = vec![0];
        for k in 1..parts {
            let from = (bytes.len() * k / parts).max(*cuts.last().expect("starts with 0"));
            let end = bytes[from..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |p| from + p + 1);
            cuts.push(end);
        }
        cuts.push(bytes.len());
        cuts.windows(2)
            .filter(|w| w[0] < w[1])
            .map(|w| match *self {
                // A cut is after a `\n`, an ASCII byte: always a character boundary.
                Text::Utf8(s) => Text::Utf8(&s[w[0]..w[1]]),
                Text::Windows1252(b) => Text::Windows1252(&b[w[0]..w[1]]),
            })
            .collect()
    }
}

/// Decodes one Windows-1252 piece (a line, a field).
fn windows_1252(bytes: &[u8]) -> Cow<'_, str> {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
}

/// Iterator returned by [`Text::blocks`].
pub struct Blocks<'a> {
    text: Text<'a>,
    block: usize,
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        match self.text {
            Text::Utf8("") | Text::Windows1252([]) => None,
            Text::Utf8(s) => {
                self.text = Text::Utf8("");
                Some(Cow::Borrowed(s))
            }
            Text::Windows1252(rest) => {
                let from = self.block.min(rest.len()) - 1;
                let end = rest[from..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(rest.len(), |p| from + p + 1);
                let (block, rest) = rest.split_at(end);
                self.text = Text::Windows1252(rest);
                Some(windows_1252(block))
            }
        }
    }
}

/// An estimate, from its first 256 KiB, of the number of lines in a file, slightly above the
/// truth for files whose lines are alike: importers reserve that many records at once instead
/// of growing (and copying) their vectors as they go.
///
/// ```
/// use maillage::sources::text::estimated_lines;
/// let file = "ligne de données\n".repeat(100_000);
/// let n = estimated_lines(file.as_bytes());
/// assert!((100_000..=115_000).contains(&n), "{n}");
/// assert_eq!(estimated_lines(b""), 0);
/// ```
pub fn estimated_lines(bytes: &[u8]) -> usize {
    const SAMPLE: usize = 256 * 1024;
    let sample = &bytes[..bytes.len().min(SAMPLE)];
    let newlines = sample.iter().filter(|b| **b == b'\n').count().max(1);
    if sample.len() == bytes.len() {
        return if bytes.is_empty() { 0 } else { newlines + 1 };
    }
    let per_line = sample.len() as f64 / newlines as f64;
    (bytes.len() as f64 / per_line * 1.05) as usize + 16
}

/// Reads the next CSV record of a file in `encoding` into `rec`: directly for UTF-8, through
/// the raw bytes and a per-field conversion for Windows-1252 (so the file is never converted
/// whole). The record keeps its position in the raw bytes.
pub fn read_record<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    encoding: Encoding,
    raw: &mut csv::ByteRecord,
    rec: &mut csv::StringRecord,
) -> csv::Result<bool> {
    match encoding {
        Encoding::Utf8 => rdr.read_record(rec),
        Encoding::Windows1252 => {
            if !rdr.read_byte_record(raw)? {
                return Ok(false);
            }
            rec.clear();
            for field in raw.iter() {
                rec.push_field(&windows_1252(field));
            }
            rec.set_position(raw.position().cloned());
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Decoding block by block gives the lines that decoding the whole file gives.
        #[test]
        fn blocks_equal_whole_file_decoding(bytes in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(b'\n'),
                proptest::strategy::Just(b'\r'),
                proptest::strategy::Just(0xC9u8),
                proptest::strategy::Just(0xE2u8),
                proptest::strategy::Just(0x82u8),
                proptest::strategy::Just(0xACu8),
                b'a'..=b'z',
            ],
            0..60,
        ), block in 1usize..80) {
            let whole = decode(&bytes).0.into_owned();
            let want: Vec<&str> = whole.split_terminator('\n').collect();
            let blocks: Vec<String> = detect(&bytes).blocks(block).map(Cow::into_owned).collect();
            let got: Vec<&str> = blocks.iter().flat_map(|b| b.split_terminator('\n')).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn parts_cut_at_line_ends_and_cover_the_file() {
        let texts: [&[u8]; 4] = [
            b"un;\xC9\r\ndeux\n\ntrois;\x80\nquatre",
            b"a\nb\n",
            b"",
            b"x",
        ];
        for text in texts {
            for parts in 1..text.len() + 3 {
                let got = detect(text).split_at_lines(parts);
                assert!(got.len() <= parts);
                let bytes: Vec<&[u8]> = got.iter().map(|t| t.bytes()).collect();
                assert!(bytes[..bytes.len().saturating_sub(1)]
                    .iter()
                    .all(|b| b.ends_with(b"\n")));
                assert!(bytes.iter().all(|b| !b.is_empty()));
                assert_eq!(bytes.concat(), detect(text).bytes());
                assert!(got.iter().all(|t| t.encoding() == detect(text).encoding()));
            }
        }
    }

    #[test]
    fn blocks_cut_at_line_ends_and_cover_the_file() {
        let text = b"un;\xC9\r\ndeux\n\ntrois;\x80\nquatre";
        let whole = decode(text).0.into_owned();
        for size in 1..text.len() + 2 {
            let b: Vec<String> = detect(text).blocks(size).map(Cow::into_owned).collect();
            assert!(b[..b.len() - 1].iter().all(|b| b.ends_with('\n')), "{b:?}");
            assert_eq!(b.concat(), whole);
        }
        let utf8: Vec<_> = detect(b"a\nb").blocks(1).collect();
        assert_eq!(utf8, ["a\nb"]);
    }

    #[test]
    fn windows_1252_records_are_decoded_field_by_field() {
        let bytes = b"NOM;VILLE\n\"CH \xC9\";Albi\nx;\x80\n";
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(&bytes[..]);
        let (mut raw, mut rec) = (csv::ByteRecord::new(), csv::StringRecord::new());
        let mut got = Vec::new();
        while read_record(&mut rdr, Encoding::Windows1252, &mut raw, &mut rec).unwrap() {
            got.push((
                rec.iter().collect::<Vec<_>>().join("|"),
                rec.position().unwrap().byte(),
            ));
        }
        assert_eq!(
            got,
            [
                ("NOM|VILLE".to_string(), 0),
                ("CH É|Albi".to_string(), 10),
                ("x|€".to_string(), 22)
            ]
        );
    }
}
