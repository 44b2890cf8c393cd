//! `maillage telecharger` (`fetch`), `maillage geocoder` and `maillage doublons`: official open
//! data downloaded and cut to an area, addresses geocoded, duplicates listed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::fetch::cli as lib;

use super::DataArg;

#[derive(Debug, Args)]
pub struct TelechargerArgs {
    /// Département à garder (répétable) : 81, 2A, 974…
    #[arg(long = "departement")]
    departements: Vec<String>,
    /// Région à garder (répétable), code INSEE : 76 pour l'Occitanie…
    #[arg(long = "region")]
    regions: Vec<String>,
    /// Toute la France (fichiers nationaux entiers).
    #[arg(long)]
    france: bool,
    /// Dossier de données à écrire (puis « maillage servir --data DOSSIER »).
    #[arg(long = "dans")]
    dir: PathBuf,
    /// Fichier de configuration des sources (par défaut : la configuration intégrée).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Géocode ensuite les adresses sans coordonnées (Base adresse nationale).
    #[arg(long)]
    geocoder: bool,
    /// N'affiche pas de barre de progression.
    #[arg(long = "sans-progression")]
    no_progress: bool,
}

#[derive(Debug, Args)]
pub struct GeocoderArgs {
    #[command(flatten)]
    data: DataArg,
    /// Adresse du géocodeur CSV (BAN ou addok auto-hébergé), …/search/csv/.
    #[arg(long)]
    url: Option<String>,
    /// Adresses par requête.
    #[arg(long, default_value_t = maillage::geocode::BATCH)]
    lot: usize,
}

#[derive(Debug, Args)]
pub struct DoublonsArgs {
    #[command(flatten)]
    data: DataArg,
    /// Écrit la liste en CSV (séparateur « ; ») au lieu du tableau.
    #[arg(long)]
    csv: bool,
}

fn exit(code: Result<u8, Box<dyn std::error::Error>>) -> Result<ExitCode> {
    Ok(ExitCode::from(code.map_err(|e| anyhow::anyhow!("{e}"))?))
}

pub fn run_fetch(a: TelechargerArgs) -> Result<ExitCode> {
    let args = lib::FetchArgs {
        departements: a.departements,
        regions: a.regions,
        france: a.france,
        dir: a.dir,
        config: a.config,
        geocoder: a.geocoder,
        no_progress: a.no_progress,
    };
    exit(lib::run_fetch(&args, &mut std::io::stdout()))
}

pub fn run_geocoder(a: GeocoderArgs) -> Result<ExitCode> {
    let args = lib::GeocoderArgs {
        data: a.data.dir()?.to_path_buf(),
        url: a.url,
        lot: a.lot,
    };
    exit(lib::run_geocoder(&args, &mut std::io::stdout()))
}

pub fn run_doublons(a: DoublonsArgs) -> Result<ExitCode> {
    let args = lib::DoublonsArgs {
        data: a.data.dir()?.to_path_buf(),
        csv: a.csv,
    };
    exit(lib::run_doublons(&args, &mut std::io::stdout()))
}
