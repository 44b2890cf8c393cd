//! Command-line entry points of `maillage fetch`, `maillage geocoder` and `maillage doublons`,
//! and the preparation of a loaded data directory (geocoding cache, merging of duplicates).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::area::Area;
use super::config::SourcesConfig;
use super::{fetch, FetchOptions};
use crate::dedup::{self, DedupReport};
use crate::geocode::{self, ban::BanClient, cache::GeocodeCache};

/// Why `maillage telecharger`, `geocoder` or `doublons` stopped.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Fetch(#[from] super::FetchError),
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    #[error(transparent)]
    Geocode(#[from] crate::geocode::GeocodeError),
    #[error("écriture de la sortie : {}", crate::util::os_error::describe(.0))]
    Output(#[from] std::io::Error),
}

/// What `maillage telecharger` (`fetch`) does (the command-line parsing is on the binary side).
#[derive(Debug, Clone)]
pub struct FetchArgs {
    /// Départements to keep (`81`, `2A`, `974`).
    pub departements: Vec<String>,
    /// Regions to keep, INSEE codes (`76`).
    pub regions: Vec<String>,
    /// All of France (whole national files).
    pub france: bool,
    /// Data directory to write.
    pub dir: PathBuf,
    /// Sources configuration file (the built-in one when `None`).
    pub config: Option<PathBuf>,
    /// Geocode the addresses without coordinates afterwards.
    pub geocoder: bool,
    /// No progress bar.
    pub no_progress: bool,
    /// Only the OpenStreetMap extracts of the area (road graph), not the other sources.
    pub osm: bool,
}

/// What `maillage geocoder` does.
#[derive(Debug, Clone)]
pub struct GeocoderArgs {
    /// Data directory; the cache `geocodage.csv` is written there.
    pub data: PathBuf,
    /// CSV geocoder address (BAN or a self-hosted addok), `…/search/csv/`.
    pub url: Option<String>,
    /// Addresses per request.
    pub lot: usize,
}

/// What `maillage doublons` does.
#[derive(Debug, Clone)]
pub struct DoublonsArgs {
    /// Data directory.
    pub data: PathBuf,
    /// CSV (`;`) instead of the table.
    pub csv: bool,
}

/// Runs `maillage fetch`; returns the process exit code.
pub fn run_fetch(args: &FetchArgs, out: &mut dyn Write) -> Result<u8, CommandError> {
    let config = match &args.config {
        Some(p) => SourcesConfig::read(p)?,
        None => SourcesConfig::builtin()?,
    };
    let area = Area::new(&args.departements, &args.regions, args.france)?;
    let progress = !args.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr());
    if args.osm {
        let osm = config
            .osm
            .clone()
            .ok_or_else(|| super::FetchError::Config {
                file: args
                    .config
                    .as_ref()
                    .map_or("data/sources.toml".into(), |p| p.display().to_string()),
                detail: "section [osm] absente (url des extraits OpenStreetMap)".into(),
            })?;
        let files = super::osm::fetch_osm(&osm, &area, &args.dir, progress, out)?;
        writeln!(out, "Pour préparer le graphe routier :")?;
        let list: Vec<String> = files
            .iter()
            .map(|f| format!("--osm {}", f.display()))
            .collect();
        writeln!(
            out,
            "  maillage routage preparer {} --dans {}",
            list.join(" "),
            args.dir.join("routage").display()
        )?;
        return Ok(0);
    }
    let opts = FetchOptions {
        area,
        dir: args.dir.clone(),
        config: config.clone(),
        progress,
    };
    let manifest = fetch(&opts, out)?;
    writeln!(
        out,
        "{} fichier(s) écrit(s) dans {} ; détail dans {}",
        manifest.fichiers.len(),
        args.dir.display(),
        args.dir.join(super::manifest::MANIFEST_FILE).display()
    )?;
    if args.geocoder {
        let url = config
            .geocodeur
            .map(|g| g.url)
            .unwrap_or_else(|| "https://api-adresse.data.gouv.fr/search/csv/".into());
        geocode_dir(&args.dir, &url, geocode::BATCH, out)?;
    }
    writeln!(
        out,
        "Pour servir la carte : maillage servir --data {}",
        args.dir.display()
    )?;
    Ok(0)
}

/// Runs `maillage geocoder`.
pub fn run_geocoder(args: &GeocoderArgs, out: &mut dyn Write) -> Result<u8, CommandError> {
    let url = match &args.url {
        Some(u) => u.clone(),
        None => SourcesConfig::builtin()?
            .geocodeur
            .map(|g| g.url)
            .unwrap_or_default(),
    };
    geocode_dir(&args.data, &url, args.lot, out)?;
    Ok(0)
}

fn geocode_dir(
    dir: &Path,
    url: &str,
    batch: usize,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let ds = crate::pipeline::read_dir(dir, crate::pipeline::Stage::Files, out)?;
    let mut cache = GeocodeCache::open(&dir.join(geocode::CACHE_FILE))?;
    for (line, why) in &cache.bad_lines {
        writeln!(
            out,
            "{}:{line}: ligne ignorée : {why}",
            cache.path().display()
        )?;
    }
    let client = BanClient::new(url)?;
    writeln!(out, "Géocodage avec {url}")?;
    let s = geocode::geocode_missing(&ds, &mut cache, &client, batch)?;
    writeln!(
        out,
        "{} acteur(s) sans position précise avec une adresse ; {} adresse(s) distincte(s), \
         {} déjà en cache, {} envoyée(s) : {} à l'adresse, {} à la rue, {} non trouvée(s) \
         (restent au centre de leur commune)",
        s.candidates,
        s.addresses,
        s.from_cache,
        s.asked,
        s.found_address,
        s.found_street,
        s.not_found
    )?;
    if let Some(note) = &s.offline {
        writeln!(out, "attention : {note}")?;
    }
    writeln!(out, "Cache : {}", cache.path().display())?;
    Ok(())
}

/// Runs `maillage doublons`; exit code 0.
pub fn run_doublons(args: &DoublonsArgs, out: &mut dyn Write) -> Result<u8, CommandError> {
    let ds = crate::pipeline::read_dir(&args.data, crate::pipeline::Stage::Geocoded, out)?;
    let report = dedup::find_duplicates(&ds.actors);
    let name = |id: &str| {
        ds.actors
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let dist = |d: Option<f64>| d.map(|d| format!("{d:.0}")).unwrap_or_default();
    if args.csv {
        writeln!(out, "statut;id_a;nom_a;id_b;nom_b;raison;distance_m")?;
        for l in &report.links {
            writeln!(
                out,
                "{};{};{};{};{};{};{}",
                if l.merged { "fusionne" } else { "a_confirmer" },
                l.primary,
                csv_field(&name(&l.primary)),
                l.other,
                csv_field(&name(&l.other)),
                l.reason,
                dist(l.distance_m)
            )?;
        }
        for n in &report.near_misses {
            writeln!(
                out,
                "proche;{};{};{};{};{};{}",
                n.a,
                csv_field(&name(&n.a)),
                n.b,
                csv_field(&name(&n.b)),
                n.reason,
                dist(n.distance_m)
            )?;
        }
        return Ok(0);
    }
    print_report(&report, &name, out)?;
    Ok(0)
}

fn csv_field(s: &str) -> String {
    crate::util::escape::csv_field(s, b';').into_owned()
}

fn print_report(
    report: &DedupReport,
    name: &dyn Fn(&str) -> String,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let merged = report.links.iter().filter(|l| l.merged).count();
    writeln!(
        out,
        "{} lien(s) : {merged} fusionné(s) au chargement, {} à confirmer (partenaires locaux) ; \
         {} cas proche(s) à vérifier",
        report.links.len(),
        report.links.len() - merged,
        report.near_misses.len()
    )?;
    if !report.links.is_empty() {
        writeln!(
            out,
            "\nLiens (une seule fiche gardée, joignable par chacun des identifiants) :"
        )?;
    }
    for l in &report.links {
        writeln!(
            out,
            "  {} {} « {} » = {} « {} » : {}{}",
            if l.merged {
                "[fusionné]  "
            } else {
                "[à confirmer]"
            },
            l.primary,
            name(&l.primary),
            l.other,
            name(&l.other),
            l.reason,
            l.distance_m
                .map(|d| format!(" ({d:.0} m)"))
                .unwrap_or_default()
        )?;
    }
    if !report.near_misses.is_empty() {
        writeln!(out, "\nCas proches, non fusionnés :")?;
    }
    for n in &report.near_misses {
        writeln!(
            out,
            "  {} « {} » ~ {} « {} » : {}{}",
            n.a,
            name(&n.a),
            n.b,
            name(&n.b),
            n.reason,
            n.distance_m
                .map(|d| format!(" ({d:.0} m)"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
