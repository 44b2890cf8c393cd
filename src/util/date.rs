//! The one date module: UTC timestamps (RFC 3339, to the second), ISO dates (`2026-05-01`) and
//! their French form (`01/05/2026`), without a time-zone database.
//!
//! ```
//! use maillage::util::date::{french, iso_date, rfc3339};
//! assert_eq!(rfc3339(1_740_817_800), "2025-03-01T08:30:00Z");
//! assert_eq!(iso_date(1_740_817_800), "2025-03-01");
//! assert_eq!(french("2025-03-01"), "01/03/2025");
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's algorithm; negative
/// counts are days before 1970).
///
/// ```
/// use maillage::util::date::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(19_782), (2024, 2, 29));
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Formats Unix seconds as `2025-03-01T08:30:00Z`.
///
/// ```
/// assert_eq!(maillage::util::date::rfc3339(0), "1970-01-01T00:00:00Z");
/// ```
pub fn rfc3339(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The UTC date of Unix seconds as `YYYY-MM-DD`.
pub fn iso_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The current time as RFC 3339.
pub fn now() -> String {
    rfc3339(unix_now())
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    iso_date(unix_now())
}

/// An ISO date (`2026-05-01`, or the date part of an RFC 3339 time) in French form
/// (`01/05/2026`); any other text is returned unchanged.
///
/// ```
/// use maillage::util::date::french;
/// assert_eq!(french("2026-05-01T08:00:00Z"), "01/05/2026");
/// assert_eq!(french("mai 2026"), "mai 2026");
/// ```
pub fn french(iso: &str) -> String {
    let date = iso.get(..10).filter(|_| {
        let b = iso.as_bytes();
        iso.len() == 10 || b.get(10) == Some(&b'T')
    });
    let parts: Option<Vec<&str>> = date.map(|d| d.split('-').collect());
    match parts.as_deref() {
        Some([y, m, d])
            if y.len() == 4
                && m.len() == 2
                && d.len() == 2
                && [y, m, d]
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            format!("{d}/{m}/{y}")
        }
        _ => iso.to_string(),
    }
}

/// Today's date (UTC) in French form (`01/05/2026`).
pub fn today_french() -> String {
    french(&today())
}

/// The date a file name states as its last run of 8 or 12 digits, `YYYYMMDD` or
/// `YYYYMMDDhhmm`, as `YYYY-MM-DD` (the Annuaire Santé extract
/// `PS_LibreAcces_Personne_activite_202501150900.txt`); `None` when there is none or it is
/// not a calendar date.
///
/// ```
/// use maillage::util::date::from_file_name;
/// assert_eq!(from_file_name("PS_LibreAcces_Personne_activite_202501150900.txt").as_deref(), Some("2025-01-15"));
/// assert_eq!(from_file_name("dossier/extrait_20240229.csv").as_deref(), Some("2024-02-29"));
/// assert_eq!(from_file_name("PS_LibreAcces_202513010900.txt"), None);
/// assert_eq!(from_file_name("sae2021_ID_occitanie.csv"), None);
/// ```
pub fn from_file_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let digits = base
        .split(|c: char| !c.is_ascii_digit())
        .rfind(|run| run.len() == 8 || run.len() == 12)?;
    let num = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid_time = digits.len() == 8 || (num(8..10)? < 24 && num(10..12)? < 60);
    ((1900..2200).contains(&y)
        && (1..=12).contains(&m)
        && d >= 1
        && d <= days[m as usize - 1]
        && valid_time)
        .then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// The date (UTC) a file was last modified, as `YYYY-MM-DD`.
pub fn modified(path: &std::path::Path) -> Option<String> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(iso_date(secs))
}

/// A source's date as maps, reports and the command line show it: an ISO date in French form,
/// a millésime or package version as stated (« COG 2026 »), else « date inconnue ».
///
/// ```
/// use maillage::util::date::source_date_text;
/// assert_eq!(source_date_text(Some("2026-05-12")), "12/05/2026");
/// assert_eq!(source_date_text(Some("COG 2026")), "COG 2026");
/// assert_eq!(source_date_text(None), "date inconnue");
/// ```
pub fn source_date_text(date: Option<&str>) -> String {
    date.map_or_else(|| "date inconnue".to_string(), french)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_against_day_arithmetic() {
        // Every day from 1900 to 2100 follows the previous one.
        let mut prev = civil_from_days(-25_567);
        assert_eq!(prev, (1900, 1, 1));
        for days in -25_566..47_482 {
            let cur = civil_from_days(days);
            let next_day = (prev.0, prev.1, prev.2 + 1) == cur;
            let next_month = cur.2 == 1 && (cur.0, cur.1) == (prev.0, prev.1 + 1);
            let next_year = (cur.1, cur.2) == (1, 1) && cur.0 == prev.0 + 1 && prev.1 == 12;
            assert!(next_day || next_month || next_year, "{prev:?} -> {cur:?}");
            prev = cur;
        }
        assert_eq!(prev, (2099, 12, 31));
        assert_eq!(civil_from_days(20_574), (2026, 5, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn formats() {
        assert_eq!(iso_date(19_723 * 86_400), "2024-01-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(french("2024-02-29"), "29/02/2024");
        assert_eq!(french("2024-2-29"), "2024-2-29");
        assert_eq!(french("2024-02-29 12:00"), "2024-02-29 12:00");
        assert_eq!(today().len(), 10);
        assert_eq!(today_french().len(), 10);
    }
}
