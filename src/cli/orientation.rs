//! `maillage orientation`: printable orientation sheets (HTML A4), for one commune or one per
//! commune of a territory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::orientation::cli as lib;

use super::{BaseArg, DataArg};

#[derive(Debug, Args)]
pub struct OrientationArgs {
    /// Identifiant de la procédure.
    #[arg(long)]
    procedure: String,
    /// Code INSEE de la commune du patient (une fiche).
    #[arg(
        long,
        conflicts_with = "territoire",
        required_unless_present = "territoire"
    )]
    commune: Option<String>,
    /// Identifiant d'un territoire (mode lot : une fiche par commune, ex. cpts:…, epci:…).
    #[arg(long)]
    territoire: Option<String>,
    /// Fichier HTML à écrire (une fiche) ou dossier (mode lot).
    #[arg(long)]
    sortie: PathBuf,
    /// Dossier des procédures (par défaut : procédures d'exemple intégrées).
    #[arg(long)]
    procedures: Option<PathBuf>,
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    base: BaseArg,
    /// Adresse du serveur pour le lien et le QR code vers la version en ligne.
    #[arg(long, default_value = "http://localhost:8080")]
    url: String,
    /// Âge du patient en années : la fiche l'imprime et applique les étapes et critères selon l'âge.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=130))]
    age: Option<u32>,
}

pub fn run(args: OrientationArgs) -> Result<ExitCode> {
    let dir = args.data.load_served(&args.base)?;
    let options = lib::OrientationArgs {
        procedure: args.procedure,
        commune: args.commune,
        territoire: args.territoire,
        sortie: args.sortie,
        procedures: args.procedures,
        url: args.url,
        age: args.age,
    };
    let code = lib::run_orientation(options, &dir, &mut std::io::stdout())?;
    Ok(ExitCode::from(code))
}
