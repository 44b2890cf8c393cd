//! Client of the Base adresse nationale batch geocoder (`/search/csv/`, addok's CSV plugin):
//! the same endpoint runs at `api-adresse.data.gouv.fr` and in a self-hosted addok.
//!
//! Request: `POST` multipart with `data` = a CSV file, `columns` = the column(s) making the
//! query, `postcode` and `citycode` = the columns used as filters. Response: the same CSV with
//! `latitude`, `longitude`, `result_label`, `result_score`, `result_type`
//! (`housenumber`, `street`, `locality`, `municipality`), `result_citycode`… appended.

use std::time::Duration;

use reqwest::blocking::{multipart, Client};

use super::cache::CachedPlace;
use super::GeocodeError;
use crate::model::{LonLat, Precision};

/// One address to geocode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Cache key (normalised address).
    pub key: String,
    /// Number and street (`12 AVENUE DE LA REPUBLIQUE`).
    pub address: String,
    pub postcode: String,
    /// INSEE code of the commune, used as a filter.
    pub citycode: String,
}

/// A BAN (or addok) CSV geocoder.
pub struct BanClient {
    url: String,
    client: Client,
    /// Matches scored below this are treated as not found.
    pub min_score: f64,
}

/// Precision of a BAN result type.
///
/// ```
/// use maillage::geocode::ban::precision_of;
/// use maillage::model::Precision;
/// assert_eq!(precision_of("housenumber"), Precision::Address);
/// assert_eq!(precision_of("street"), Precision::Street);
/// assert_eq!(precision_of("municipality"), Precision::Commune);
/// ```
pub fn precision_of(result_type: &str) -> Precision {
    match result_type {
        "housenumber" => Precision::Address,
        "street" | "locality" => Precision::Street,
        "municipality" => Precision::Commune,
        _ => Precision::Unknown,
    }
}

impl BanClient {
    /// A client for the `/search/csv/` endpoint at `url`.
    pub fn new(url: &str) -> Result<BanClient, GeocodeError> {
        let client = Client::builder()
            .user_agent(concat!("maillage/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(600))
            .build()
            .map_err(|e| GeocodeError::Http {
                url: url.to_string(),
                detail: e.to_string(),
            })?;
        Ok(BanClient {
            url: url.to_string(),
            client,
            min_score: 0.5,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Geocodes a batch; every query gets an answer (unplaced ones with no position).
    pub fn geocode(&self, queries: &[Query]) -> Result<Vec<(String, CachedPlace)>, GeocodeError> {
        let mut csv = String::from("cle;adresse;code_postal;code_insee\n");
        for q in queries {
            let f = |s: &str| s.replace([';', '"', '\n', '\r'], " ");
            csv.push_str(&format!(
                "{};{};{};{}\n",
                f(&q.key),
                f(&q.address),
                f(&q.postcode),
                f(&q.citycode)
            ));
        }
        let part = multipart::Part::bytes(csv.into_bytes())
            .file_name("adresses.csv")
            .mime_str("text/csv")
            .expect("valid mime");
        let form = multipart::Form::new()
            .part("data", part)
            .text("columns", "adresse")
            .text("postcode", "code_postal")
            .text("citycode", "code_insee");
        let resp = self
            .client
            .post(&self.url)
            .multipart(form)
            .send()
            .map_err(|e| {
                // No answer at all: with a streamed multipart body, a refused connection can
                // surface as a body error rather than a connect error.
                if crate::fetch::is_unreachable(&e) || e.is_body() || e.is_request() {
                    GeocodeError::Offline {
                        url: self.url.clone(),
                        detail: e.to_string(),
                    }
                } else {
                    GeocodeError::Http {
                        url: self.url.clone(),
                        detail: e.to_string(),
                    }
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(GeocodeError::Status {
                url: self.url.clone(),
                status: status.as_u16(),
            });
        }
        let body = resp.bytes().map_err(|e| GeocodeError::Http {
            url: self.url.clone(),
            detail: e.to_string(),
        })?;
        self.parse(&body, queries)
    }

    /// Reads the geocoder's CSV answer.
    fn parse(
        &self,
        body: &[u8],
        queries: &[Query],
    ) -> Result<Vec<(String, CachedPlace)>, GeocodeError> {
        let text = String::from_utf8_lossy(body);
        let text = text.trim_start_matches('\u{feff}');
        let header = text.lines().next().unwrap_or("");
        let delimiter = if header.contains(';') { b';' } else { b',' };
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let bad = |detail: String| GeocodeError::Format {
            url: self.url.clone(),
            detail,
        };
        let headers = rdr
            .headers()
            .map_err(|e| bad(format!("en-tête illisible : {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(key), Some(lat), Some(lon), Some(score), Some(kind)) = (
            col("cle"),
            col("latitude"),
            col("longitude"),
            col("result_score"),
            col("result_type"),
        ) else {
            return Err(bad(format!(
                "colonnes cle, latitude, longitude, result_score et result_type attendues, en-tête « {} »",
                headers.iter().collect::<Vec<_>>().join(";")
            )));
        };
        let (label, citycode) = (col("result_label"), col("result_citycode"));
        let asked: std::collections::HashMap<&str, &Query> =
            queries.iter().map(|q| (q.key.as_str(), q)).collect();
        let mut out = Vec::with_capacity(queries.len());
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| bad(format!("ligne {} : {e}", i + 2)))?;
            let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
            let k = get(Some(key));
            let Some(q) = asked.get(k) else { continue };
            let s: f64 = get(Some(score)).parse().unwrap_or(0.0);
            let precision = precision_of(get(Some(kind)));
            let pos = match (get(Some(lon)).parse::<f64>(), get(Some(lat)).parse::<f64>()) {
                (Ok(x), Ok(y)) => Some(LonLat::new(x, y)).filter(|p| p.is_valid()),
                _ => None,
            };
            let right_commune =
                q.citycode.is_empty() || get(citycode).is_empty() || get(citycode) == q.citycode;
            let place = match pos {
                Some(p)
                    if s >= self.min_score && right_commune && precision != Precision::Unknown =>
                {
                    CachedPlace {
                        position: Some(p),
                        precision,
                        score: s,
                        label: get(label).to_string(),
                    }
                }
                _ => CachedPlace {
                    position: None,
                    precision: Precision::Unknown,
                    score: s,
                    label: get(label).to_string(),
                },
            };
            out.push((k.to_string(), place));
        }
        Ok(out)
    }
}
