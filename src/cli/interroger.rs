//! `maillage interroger` (`query`): the directory's queries, as the API answers them.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};

use maillage::export::{write_actors_csv, CsvOptions};
use maillage::index::Directory;
use maillage::model::LonLat;

use super::{BaseArg, DataArg};

#[derive(Debug, Args)]
pub struct InterrogerArgs {
    #[command(subcommand)]
    query: Query,
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    base: BaseArg,
    /// Format de sortie.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    format: Format,
    /// Séparateur du CSV : « ; » (UTF-8 avec BOM, virgule décimale, pour les tableurs
    /// français) ou « , » (point décimal).
    #[arg(
        long = "separateur",
        value_name = "SEPARATEUR",
        default_value = ";",
        global = true
    )]
    separator: String,
    /// Fichier écrit (obligatoire avec « --format gpkg » : un GeoPackage ne s'écrit pas sur la
    /// sortie standard).
    #[arg(long = "sortie", value_name = "FICHIER", global = true)]
    out: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Query {
    /// Les k acteurs les plus proches d'un point.
    #[command(name = "proches", alias = "nearest")]
    Nearest {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Types séparés par des virgules (ex. ehpad,ssiad).
        #[arg(long = "type", alias = "kind")]
        kind: Option<String>,
        #[arg(short, long, default_value_t = 10)]
        k: usize,
    },
    /// Les acteurs dans un rayon autour d'un point.
    #[command(name = "rayon", alias = "within")]
    Within {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Rayon en mètres.
        #[arg(long = "rayon-m", alias = "radius-m")]
        radius_m: f64,
        #[arg(long = "type", alias = "kind")]
        kind: Option<String>,
    },
    /// Recherche textuelle (noms, communes, types).
    #[command(name = "recherche", alias = "search")]
    Search {
        texte: String,
        #[arg(long = "limite", alias = "limit", default_value_t = 10)]
        limit: usize,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Table,
    Json,
    Geojson,
    Csv,
    /// GeoPackage pour QGIS (colonnes typées, même vides), écrit dans « --sortie ».
    Gpkg,
}

pub fn run(args: InterrogerArgs) -> Result<ExitCode> {
    let csv = CsvOptions::parse(&args.separator).ok_or_else(|| {
        anyhow::anyhow!(
            "--separateur : {} attendu, trouvé « {} »",
            CsvOptions::EXPECTED,
            args.separator
        )
    })?;
    if args.format == Format::Gpkg && args.out.is_none() {
        bail!("--format gpkg écrit un fichier : indiquez-le avec « --sortie FICHIER.gpkg »");
    }
    let dir = args.data.load_served(&args.base)?;
    query_cmd(&dir, args.query, args.format, csv, args.out.as_deref())?;
    Ok(ExitCode::SUCCESS)
}

fn parse_kinds(
    dir: &Directory,
    kind: Option<&str>,
) -> Result<Option<Vec<maillage::model::KindId>>> {
    let Some(kind) = kind else { return Ok(None) };
    let mut out = Vec::new();
    for k in kind.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match dir.kinds().by_id(k) {
            Some(id) => out.push(id),
            None => bail!(
                "type inconnu « {k} » ; types valides : {}",
                dir.kinds()
                    .iter()
                    .map(|(_, k)| k.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(Some(out))
}

fn check_point(lat: f64, lon: f64) -> Result<LonLat> {
    let p = LonLat::new(lon, lat);
    if !p.is_valid() {
        bail!("coordonnées hors des plages WGS84 : latitude entre -90 et 90, longitude entre -180 et 180");
    }
    Ok(p)
}

fn query_cmd(
    dir: &Directory,
    query: Query,
    format: Format,
    csv: CsvOptions,
    file: Option<&std::path::Path>,
) -> Result<()> {
    let rows: Vec<(u32, Option<f64>)> = match query {
        Query::Nearest { lat, lon, kind, k } => {
            if !(1..=1000).contains(&k) {
                bail!("k doit être entre 1 et 1000");
            }
            let kinds = parse_kinds(dir, kind.as_deref())?;
            dir.nearest(check_point(lat, lon)?, k, kinds.as_deref())
                .into_iter()
                .map(|(i, d)| (i, Some(d)))
                .collect()
        }
        Query::Within {
            lat,
            lon,
            radius_m,
            kind,
        } => {
            if !(0.0..=100_000.0).contains(&radius_m) {
                bail!("le rayon doit être entre 0 et 100 000 mètres");
            }
            let kinds = parse_kinds(dir, kind.as_deref())?;
            dir.within(check_point(lat, lon)?, radius_m, kinds.as_deref())
                .into_iter()
                .map(|(i, d)| (i, Some(d)))
                .collect()
        }
        Query::Search { texte, limit } => {
            let hits = dir.search(&texte, limit);
            if format == Format::Table {
                for h in &hits {
                    println!("{:<10} {:<40} {}", category(h.category), h.label, h.detail);
                }
            } else {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            }
            return Ok(());
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => {
            writeln!(
                out,
                "{:>9}  {:<28} {:<22} {:<40} {:<22} téléphone",
                "distance", "id", "type", "nom", "commune"
            )?;
            for (i, d) in &rows {
                let a = dir.actor(*i);
                let commune = a
                    .commune()
                    .and_then(|c| dir.commune(c))
                    .map(|c| c.name.as_str())
                    .or(a.city())
                    .unwrap_or("");
                writeln!(
                    out,
                    "{:>9}  {:<28} {:<22} {:<40} {:<22} {}",
                    d.map(|d| format!("{:.2} km", d / 1000.0))
                        .unwrap_or_default(),
                    a.id(),
                    dir.kinds().get(a.kind()).id,
                    truncate(a.name(), 40),
                    truncate(commune, 22),
                    a.phone().unwrap_or("")
                )?;
            }
            writeln!(out, "{} résultat(s)", rows.len())?;
        }
        Format::Json | Format::Geojson => {
            let fc = maillage::export::features::collection(dir, rows.into_iter(), None);
            serde_json::to_writer_pretty(&mut out, &fc)?;
            writeln!(out)?;
        }
        Format::Csv => write_actors_csv(dir, rows.into_iter(), csv, &mut out)?,
        Format::Gpkg => {
            let path = file.expect("checked by run");
            let n = rows.len();
            let bytes = maillage::export::features::collection(dir, rows.into_iter(), None)
                .gpkg("Acteurs")?;
            maillage::util::fs::write_atomic(path, &bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{} : écriture impossible : {}",
                    path.display(),
                    maillage::util::os_error::describe(&e)
                )
            })?;
            writeln!(out, "{n} acteur(s) écrit(s) dans {}", path.display())?;
        }
    }
    Ok(())
}

fn category(c: maillage::index::HitCategory) -> &'static str {
    use maillage::index::HitCategory::*;
    match c {
        Actor => "acteur",
        Commune => "commune",
        Territory => "territoire",
        Kind => "type",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}
