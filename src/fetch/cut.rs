//! Cutting national files to an area, streaming, in the same format as the original (same
//! header, same bytes per kept line, same encoding: lines are handled as bytes, never
//! re-encoded).
//!
//! ```
//! use maillage::fetch::area::Area;
//! use maillage::fetch::cut::cut_bpe;
//! let input = "DEP;DEPCOM;TYPEQU\n81;81004;D201\n31;31555;D201\n";
//! let mut out = Vec::new();
//! let area = Area::new(&["81".into()], &[], false).unwrap();
//! let stats = cut_bpe(input.as_bytes(), &mut out, &area).unwrap();
//! assert_eq!(String::from_utf8(out).unwrap(), "DEP;DEPCOM;TYPEQU\n81;81004;D201\n");
//! assert_eq!((stats.read, stats.kept), (2, 1));
//! ```

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};

use super::area::Area;

/// Rows (or JSON elements) read and kept, header excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CutStats {
    pub read: u64,
    pub kept: u64,
}

/// A cut failure: reading, writing, or a file that is not of the expected format.
#[derive(Debug)]
pub enum CutError {
    Io(std::io::Error),
    /// What was expected, in French.
    Format(String),
}

impl From<std::io::Error> for CutError {
    fn from(e: std::io::Error) -> Self {
        CutError::Io(e)
    }
}

/// Splits a line on `sep`, honouring `"` quotes when `quotes` is set. Fields keep their quotes.
fn split(line: &[u8], sep: u8, quotes: bool) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    for (i, &b) in line.iter().enumerate() {
        if quotes && b == b'"' {
            in_quotes = !in_quotes;
        } else if b == sep && !in_quotes {
            out.push(&line[start..i]);
            start = i + 1;
        }
    }
    out.push(&line[start..]);
    out
}

/// A field without surrounding quotes, spaces or line end.
fn clean(field: &[u8]) -> &str {
    let s = std::str::from_utf8(field).unwrap_or("");
    s.trim_matches(|c: char| c == '"' || c.is_whitespace())
}

fn strip_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(line)
}

fn without_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads lines as bytes (any encoding), each with its line end.
fn lines<R: Read>(input: R) -> impl Iterator<Item = std::io::Result<Vec<u8>>> {
    let mut r = BufReader::with_capacity(1 << 20, input);
    std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => Some(Ok(buf)),
            Err(e) => Some(Err(e)),
        }
    })
}

/// FINESS `etalab-cs1100507`: keeps the manifest line, the `structureet` rows whose
/// `departement` (field 14) is in the area and the `geolocalisation` rows of those
/// establishments (in any order).
pub fn cut_finess<R: Read, W: Write>(
    input: R,
    out: &mut W,
    area: &Area,
) -> Result<CutStats, CutError> {
    let mut stats = CutStats::default();
    let mut kept_ids: HashSet<Vec<u8>> = HashSet::new();
    // Geolocation rows met before their establishment: (id, line).
    let mut pending: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut seen_structure = false;
    for (i, line) in lines(input).enumerate() {
        let line = line?;
        let body = without_eol(strip_bom(&line));
        if body.is_empty() {
            continue;
        }
        let fields = split(body, b';', true);
        let section = clean(fields[0]).to_ascii_lowercase();
        match section.as_str() {
            "finess" if i == 0 => out.write_all(&line)?,
            "structureet" => {
                seen_structure = true;
                stats.read += 1;
                let dep = fields.get(13).map(|f| clean(f)).unwrap_or("");
                if area.has_finess_departement(dep) {
                    kept_ids.insert(
                        clean(fields.get(1).copied().unwrap_or(b""))
                            .as_bytes()
                            .to_vec(),
                    );
                    out.write_all(&line)?;
                    stats.kept += 1;
                }
            }
            "geolocalisation" => {
                stats.read += 1;
                let id = clean(fields.get(1).copied().unwrap_or(b""))
                    .as_bytes()
                    .to_vec();
                if kept_ids.contains(&id) {
                    out.write_all(&line)?;
                    stats.kept += 1;
                } else {
                    pending.push((id, line));
                }
            }
            _ => stats.read += 1,
        }
    }
    if !seen_structure {
        return Err(CutError::Format(
            "des lignes « structureet;… » (extraction FINESS etalab-cs1100507)".into(),
        ));
    }
    for (id, line) in pending {
        if kept_ids.contains(&id) {
            out.write_all(&line)?;
            stats.kept += 1;
        }
    }
    Ok(stats)
}

fn norm_header(name: &str) -> String {
    crate::model::text::compact(name)
}

/// Annuaire Santé `PS_LibreAcces_Personne_activite` (`|`, no quoting): keeps the header and the
/// activity lines whose `Code commune (coord. structure)` is in the area, or, when it is
/// empty, whose `Code postal (coord. structure)` is. Lines with neither (no activity site)
/// are not kept.
pub fn cut_rpps<R: Read, W: Write>(
    input: R,
    out: &mut W,
    area: &Area,
) -> Result<CutStats, CutError> {
    let mut stats = CutStats::default();
    let mut it = lines(input);
    let header = it
        .next()
        .transpose()?
        .ok_or_else(|| CutError::Format("un en-tête « Identifiant PP|… »".into()))?;
    let names: Vec<String> = split(without_eol(strip_bom(&header)), b'|', false)
        .iter()
        .map(|f| norm_header(&String::from_utf8_lossy(f)))
        .collect();
    let find = |n: &str| names.iter().position(|h| *h == norm_header(n));
    let (Some(_), commune, postcode) = (
        find("Identifiant PP"),
        find("Code commune (coord. structure)"),
        find("Code postal (coord. structure)"),
    ) else {
        return Err(CutError::Format(
            "un en-tête Annuaire Santé avec la colonne « Identifiant PP »".into(),
        ));
    };
    if commune.is_none() && postcode.is_none() {
        return Err(CutError::Format(
            "la colonne « Code commune (coord. structure) » ou « Code postal (coord. structure) »"
                .into(),
        ));
    }
    out.write_all(&header)?;
    for line in it {
        let line = line?;
        let body = without_eol(&line);
        if body.is_empty() {
            continue;
        }
        stats.read += 1;
        let f = split(body, b'|', false);
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|v| clean(v)).unwrap_or("");
        let c = get(commune);
        let keep = if !c.is_empty() {
            area.has_commune(c)
        } else {
            area.has_postcode(get(postcode))
        };
        if keep {
            out.write_all(&line)?;
            stats.kept += 1;
        }
    }
    Ok(stats)
}

/// INSEE BPE (geolocated points, `ensemble` counts, or SDMX `DS_BPE` data): keeps the header
/// and the rows whose `DEPCOM` (else `DEP`, else `GEO` with `GEO_OBJECT` `COM`/`ARM`) is in the
/// area.
pub fn cut_bpe<R: Read, W: Write>(
    input: R,
    out: &mut W,
    area: &Area,
) -> Result<CutStats, CutError> {
    let mut stats = CutStats::default();
    let mut it = lines(input);
    let header = it
        .next()
        .transpose()?
        .ok_or_else(|| CutError::Format("un en-tête BPE (DEP, DEPCOM ou GEO)".into()))?;
    let names: Vec<String> = split(without_eol(strip_bom(&header)), b';', true)
        .iter()
        .map(|f| clean(f).to_ascii_uppercase())
        .collect();
    let find = |n: &str| names.iter().position(|h| h == n);
    let (depcom, dep, geo, geo_object) =
        (find("DEPCOM"), find("DEP"), find("GEO"), find("GEO_OBJECT"));
    if depcom.is_none() && dep.is_none() && geo.is_none() {
        return Err(CutError::Format(
            "un en-tête BPE avec une colonne DEPCOM, DEP ou GEO".into(),
        ));
    }
    out.write_all(&header)?;
    for line in it {
        let line = line?;
        let body = without_eol(&line);
        if body.is_empty() {
            continue;
        }
        stats.read += 1;
        let f = split(body, b';', true);
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|v| clean(v)).unwrap_or("");
        let keep = if !get(depcom).is_empty() {
            area.has_commune(get(depcom))
        } else if !get(dep).is_empty() {
            area.has_departement(get(dep))
        } else if geo.is_some() {
            matches!(get(geo_object), "COM" | "ARM") && area.has_commune(get(geo))
        } else {
            false
        };
        if keep {
            out.write_all(&line)?;
            stats.kept += 1;
        }
    }
    Ok(stats)
}

/// A GeoJSON FeatureCollection of communes: keeps the features whose `properties.code` is in
/// the area. Streams feature by feature.
pub fn cut_communes_geojson<R: Read, W: Write>(
    input: R,
    out: &mut W,
    area: &Area,
) -> Result<CutStats, CutError> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let stats = cut_json_elements(input, out, 2, |v| {
        v.get("properties")
            .and_then(|p| p.get("code"))
            .and_then(|c| c.as_str())
            .is_some_and(|c| area.has_commune(c))
    })?;
    out.write_all(b"\n]}\n")?;
    Ok(stats)
}

/// A JSON array of communes (`@etalab/decoupage-administratif` `communes.json`): keeps the
/// elements whose `code` is in the area.
pub fn cut_communes_json<R: Read, W: Write>(
    input: R,
    out: &mut W,
    area: &Area,
) -> Result<CutStats, CutError> {
    out.write_all(b"[\n")?;
    let stats = cut_json_elements(input, out, 1, |v| {
        v.get("code")
            .and_then(|c| c.as_str())
            .is_some_and(|c| area.has_commune(c))
    })?;
    out.write_all(b"\n]\n")?;
    Ok(stats)
}

/// Streams the objects that are elements of an array at nesting depth `depth` (1: the root
/// array; 2: an array member of the root object, e.g. `features`), writing the kept ones
/// joined by `,\n`.
fn cut_json_elements<R: Read, W: Write>(
    input: R,
    out: &mut W,
    depth: usize,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> Result<CutStats, CutError> {
    let mut stats = CutStats::default();
    let mut r = BufReader::with_capacity(1 << 20, input);
    // Stack of open containers: true for an array.
    let mut stack: Vec<bool> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut element: Option<Vec<u8>> = None;
    let mut element_depth = 0;
    let mut first = true;
    let mut saw_root = false;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        let mut start_copy = 0;
        for (i, &b) in buf.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    if element.is_none()
                        && b == b'{'
                        && stack.len() == depth
                        && stack.last() == Some(&true)
                    {
                        element = Some(Vec::new());
                        element_depth = stack.len();
                        start_copy = i;
                    }
                    saw_root = true;
                    stack.push(b == b'[');
                }
                b'}' | b']' => {
                    stack.pop();
                    if b == b'}' && stack.len() == element_depth {
                        if let Some(mut el) = element.take() {
                            el.extend_from_slice(&buf[start_copy..=i]);
                            stats.read += 1;
                            let v: serde_json::Value =
                                serde_json::from_slice(&el).map_err(|e| {
                                    CutError::Format(format!("un élément JSON valide ({e})"))
                                })?;
                            if keep(&v) {
                                if !first {
                                    out.write_all(b",\n")?;
                                }
                                out.write_all(&el)?;
                                first = false;
                                stats.kept += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(el) = element.as_mut() {
            el.extend_from_slice(&buf[start_copy..n]);
        }
        r.consume(n);
    }
    if !saw_root {
        return Err(CutError::Format("un document JSON".into()));
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(d: &str) -> Area {
        Area::new(&[d.to_string()], &[], false).unwrap()
    }

    #[test]
    fn finess_keeps_manifest_structures_and_their_geolocation_in_any_order() {
        let input = b"finess;etalab;98;2026-05-12\n\
geolocalisation;810000505;1;2;x;2026-01-01\n\
structureet;810000505;810000000;CH ALBI;;;;;;;;;004;81;TARN;81000 ALBI;\n\
structureet;310000001;310000000;\"CH \"\"X\"\";Y\";;;;;;;;;555;31;HAUTE GARONNE;31000 TOULOUSE;\n\
geolocalisation;310000001;1;2;x;2026-01-01\n";
        let mut out = Vec::new();
        let s = cut_finess(&input[..], &mut out, &area("81")).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("finess;etalab;98;2026-05-12\nstructureet;810000505"));
        assert!(text.contains("geolocalisation;810000505"));
        assert!(!text.contains("310000001"));
        assert_eq!((s.read, s.kept), (4, 2));
    }

    #[test]
    fn finess_latin1_bytes_are_kept_as_is() {
        let input = b"finess;etalab;1;2026-05-12\nstructureet;810000505;8;H\xd4PITAL;;;;;;;;;004;81;TARN;81000 ALBI;\n";
        let mut out = Vec::new();
        cut_finess(&input[..], &mut out, &area("81")).unwrap();
        assert_eq!(out, input.to_vec());
    }

    #[test]
    fn not_finess_is_refused() {
        let mut out = Vec::new();
        assert!(matches!(
            cut_finess(&b"a;b\n"[..], &mut out, &area("81")),
            Err(CutError::Format(_))
        ));
    }

    #[test]
    fn rpps_by_commune_then_postcode() {
        let input =
            "Identifiant PP|Code postal (coord. structure)|Code commune (coord. structure)|\n\
1|81000|81004|\n2|81100||\n3|31000|31555|\n4|||\n5|\"12000|12202|\n";
        let mut out = Vec::new();
        let s = cut_rpps(input.as_bytes(), &mut out, &area("81")).unwrap();
        let text = String::from_utf8(out).unwrap();
        let ids: Vec<&str> = text.lines().skip(1).map(|l| &l[..1]).collect();
        assert_eq!(ids, ["1", "2"]);
        assert_eq!((s.read, s.kept), (5, 2));
    }

    #[test]
    fn bpe_sdmx_keeps_commune_rows() {
        let input = "\u{feff}\"GEO\";\"GEO_OBJECT\";\"FACILITY_TYPE\";\"OBS_VALUE\"\n\
\"81004\";\"COM\";\"D265\";12\n\"81\";\"DEP\";\"D265\";370\n\"31555\";\"COM\";\"D265\";900\n";
        let mut out = Vec::new();
        let s = cut_bpe(input.as_bytes(), &mut out, &area("81")).unwrap();
        assert_eq!(s.kept, 1);
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("\"81004\";\"COM\""));
    }

    #[test]
    fn geojson_features_streamed_and_filtered() {
        let input = r#"{"type":"FeatureCollection","bbox":[0,1],"features":[
{"type":"Feature","properties":{"code":"81004","nom":"Albi \"centre\" {x}"},"geometry":{"type":"Point","coordinates":[2.1,43.9]}},
{"type":"Feature","properties":{"code":"31555","nom":"Toulouse"},"geometry":null}]}"#;
        let mut out = Vec::new();
        let s = cut_communes_geojson(input.as_bytes(), &mut out, &area("81")).unwrap();
        assert_eq!((s.read, s.kept), (2, 1));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["features"][0]["properties"]["nom"], "Albi \"centre\" {x}");
        assert_eq!(v["features"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn json_array_filtered_with_tiny_buffer_boundaries() {
        // Elements longer than nothing special; BufReader boundaries are exercised by a
        // reader that returns one byte at a time.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let input = br#"[{"code":"81004","nom":"Albi","codesPostaux":["81000"]},{"code":"12202","nom":"Rodez"},{"code":"81065","nom":"Castres"}]"#;
        let mut out = Vec::new();
        let s = cut_communes_json(OneByte(input), &mut out, &area("81")).unwrap();
        assert_eq!((s.read, s.kept), (3, 2));
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[1]["nom"], "Castres");
    }
}
