//! `maillage telecharger` (`fetch`): official open data downloaded and cut to an area.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::fetch::cli as lib;

use super::exit;

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
    /// Télécharge seulement les extraits OpenStreetMap de la zone (graphe routier pour
    /// « maillage routage preparer »), dans DOSSIER/osm/.
    #[arg(long)]
    osm: bool,
}

pub fn run(a: TelechargerArgs) -> Result<ExitCode> {
    let args = lib::FetchArgs {
        departements: a.departements,
        regions: a.regions,
        france: a.france,
        dir: a.dir,
        config: a.config,
        geocoder: a.geocoder,
        no_progress: a.no_progress,
        osm: a.osm,
    };
    exit(lib::run_fetch(&args, &mut std::io::stdout()))
}
