//! Command-line parts of orientation: `maillage procedures check`, `maillage orientation`, and
//! the procedures loaded by `maillage serve`. Output and messages are in French.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::procedure::Problem;
use super::set::{ProcedureSet, SetError};
use super::sheet::{self, SheetError};
use crate::index::Directory;
use crate::model::InseeCode;

/// `maillage procedures …`
#[derive(Debug, Subcommand)]
pub enum ProceduresCmd {
    /// Vérifie les procédures : erreurs « fichier:ligne: … », code de sortie 1 en cas d'erreur.
    Check {
        /// Fichiers .toml à vérifier (par défaut : le dossier --procedures, ou les procédures
        /// d'exemple intégrées).
        fichiers: Vec<PathBuf>,
        /// Dossier des procédures.
        #[arg(long)]
        procedures: Option<PathBuf>,
        /// Dossier de données (par défaut : démonstration).
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

impl ProceduresCmd {
    /// The data folder to load the directory from.
    pub fn data(&self) -> Option<&PathBuf> {
        match self {
            ProceduresCmd::Check { data, .. } => data.as_ref(),
        }
    }
}

/// `maillage orientation …`: printable sheets.
#[derive(Debug, Args)]
pub struct OrientationArgs {
    /// Identifiant de la procédure.
    #[arg(long)]
    pub procedure: String,
    /// Code INSEE de la commune du patient (une fiche).
    #[arg(
        long,
        conflicts_with = "territoire",
        required_unless_present = "territoire"
    )]
    pub commune: Option<String>,
    /// Identifiant d'un territoire (mode lot : une fiche par commune, ex. cpts:…, epci:…).
    #[arg(long)]
    pub territoire: Option<String>,
    /// Fichier HTML à écrire (une fiche) ou dossier (mode lot).
    #[arg(long)]
    pub sortie: PathBuf,
    /// Dossier des procédures (par défaut : procédures d'exemple intégrées).
    #[arg(long)]
    pub procedures: Option<PathBuf>,
    /// Dossier de données (par défaut : démonstration).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Adresse du serveur pour le lien et le QR code vers la version en ligne.
    #[arg(long, default_value = "http://localhost:8080")]
    pub url: String,
}

/// Failures of the orientation commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Set(#[from] SetError),
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error("écriture impossible : {0}")]
    Output(#[from] std::io::Error),
    #[error("procédure inconnue « {id} » ; procédures disponibles : {available}")]
    UnknownProcedure { id: String, available: String },
    #[error("--commune : {0}")]
    BadCommune(String),
}

fn load_set(
    folder: Option<&Path>,
    dir: &Directory,
) -> Result<(ProcedureSet, Vec<Problem>), SetError> {
    match folder {
        Some(f) => ProcedureSet::load_folder(f, dir, None),
        None => Ok(ProcedureSet::demo(dir)),
    }
}

/// Runs `procedures check`; returns the exit code (1 when any error).
pub fn run_procedures(
    cmd: ProceduresCmd,
    dir: &Directory,
    out: &mut impl Write,
) -> Result<u8, CliError> {
    match cmd {
        ProceduresCmd::Check {
            fichiers,
            procedures,
            ..
        } => {
            let (set, problems) = if fichiers.is_empty() {
                load_set(procedures.as_deref(), dir)?
            } else {
                ProcedureSet::load_files(&fichiers, dir)?
            };
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            let errors = problems.iter().filter(|p| p.is_error()).count();
            let warnings = problems.len() - errors;
            for p in set.iter() {
                writeln!(
                    out,
                    "ok : {} – {} (version {} du {}, {} étape(s)){}",
                    p.id,
                    p.title,
                    p.version,
                    p.date,
                    p.steps.iter().filter(|s| !s.is_fallback).count(),
                    if p.sample { " – EXEMPLE" } else { "" }
                )?;
            }
            writeln!(
                out,
                "{} procédure(s) valide(s), {errors} erreur(s), {warnings} avertissement(s)",
                set.len()
            )?;
            Ok(if errors > 0 { 1 } else { 0 })
        }
    }
}

/// Runs `orientation`: one sheet, or one per commune of a territory.
pub fn run_orientation(
    args: OrientationArgs,
    dir: &Directory,
    out: &mut impl Write,
) -> Result<u8, CliError> {
    let (set, problems) = load_set(args.procedures.as_deref(), dir)?;
    for p in problems.iter().filter(|p| p.is_error()) {
        writeln!(out, "{p}")?;
    }
    let p = set
        .get(&args.procedure)
        .ok_or_else(|| CliError::UnknownProcedure {
            id: args.procedure.clone(),
            available: set
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    if let Some(t) = &args.territoire {
        let written = sheet::write_territory(dir, p, t, &args.url, &args.sortie)?;
        writeln!(
            out,
            "{} fiche(s) écrite(s) dans {} (sommaire : index.html)",
            written.len(),
            args.sortie.display()
        )?;
        return Ok(0);
    }
    let code: InseeCode =
        args.commune.as_deref().unwrap_or("").parse().map_err(
            |e: crate::model::commune::BadInseeCode| CliError::BadCommune(e.to_string()),
        )?;
    let html = sheet::render(dir, p, code, &args.url)?;
    sheet::write_atomic(&args.sortie, html.as_bytes())?;
    writeln!(out, "fiche écrite : {}", args.sortie.display())?;
    Ok(0)
}

/// The procedures of `maillage serve`: the folder given, else the demo ones when serving the
/// demo data, else none. Problems are written to `log`.
pub fn serve_procedures(
    folder: Option<&Path>,
    demo_data: bool,
    dir: &Directory,
    log: &mut impl Write,
) -> Result<ProcedureSet, CliError> {
    let (set, problems) = match (folder, demo_data) {
        (Some(f), _) => ProcedureSet::load_folder(f, dir, None)?,
        (None, true) => ProcedureSet::demo(dir),
        (None, false) => (ProcedureSet::empty(), Vec::new()),
    };
    for p in &problems {
        writeln!(log, "  {p}")?;
    }
    writeln!(log, "{} procédure(s) d'orientation chargée(s)", set.len())?;
    Ok(set)
}
