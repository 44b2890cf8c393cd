//! Actor lists as CSV with French headers.

use std::io::Write;

use crate::index::Directory;

pub use crate::util::csv::CsvOptions;

/// Column headers of the actor CSV.
pub const HEADERS: [&str; 16] = [
    "id",
    "nom",
    "type",
    "type_libelle",
    "secteur",
    "adresse",
    "code_insee",
    "commune",
    "telephone",
    "email",
    "site",
    "horaires",
    "latitude",
    "longitude",
    "precision",
    "distance_m",
];

/// Writes actors (index, optional distance) as CSV in the dialect `opts` (decimal comma with
/// `;`).
///
/// ```
/// use maillage::export::{write_actors_csv, CsvOptions};
/// use maillage::index::Directory;
/// use maillage::sources::Dataset;
/// let dir = Directory::build(Dataset::new());
/// let mut out = Vec::new();
/// write_actors_csv(&dir, std::iter::empty(), CsvOptions::COMMA, &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().starts_with("id,nom,type"));
/// ```
pub fn write_actors_csv<W: Write>(
    dir: &Directory,
    items: impl Iterator<Item = (u32, Option<f64>)>,
    opts: CsvOptions,
    out: W,
) -> std::io::Result<()> {
    let mut w = opts.writer(out)?;
    w.write_record(HEADERS)?;
    for (i, d) in items {
        let a = dir.actor(i);
        let k = dir.kinds().get(a.kind());
        let commune = a.commune();
        let commune_name = commune
            .and_then(|c| dir.commune(c))
            .map(|c| c.name.clone())
            .or_else(|| a.city().map(str::to_string))
            .unwrap_or_default();
        let pos = a.position();
        w.write_record([
            a.id(),
            a.name(),
            &k.id,
            &k.label,
            k.sector.id(),
            &a.address_line(),
            commune.as_ref().map_or("", |c| c.as_str()),
            &commune_name,
            a.phone().unwrap_or(""),
            a.email().unwrap_or(""),
            a.website().unwrap_or(""),
            a.hours().unwrap_or(""),
            &pos.map_or(String::new(), |p| opts.number(p.lat, 6)),
            &pos.map_or(String::new(), |p| opts.number(p.lon, 6)),
            a.precision().id(),
            &d.map_or(String::new(), |d| opts.number(d, 0)),
        ])?;
    }
    w.flush()?;
    Ok(())
}
