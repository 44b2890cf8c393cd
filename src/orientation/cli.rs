//! Command-line parts of orientation (the parsing itself is on the binary side): `maillage procedures check`, `maillage orientation`, and
//! the procedures loaded by `maillage serve`. Output and messages are in French.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::procedure::Problem;
use super::set::{ProcedureSet, SetError};
use super::sheet::{self, SheetError};
use crate::index::Directory;
use crate::model::InseeCode;

/// What `maillage orientation` writes: one sheet for a commune, or one per commune of a
/// territory (the command-line parsing is on the binary side).
#[derive(Debug, Clone)]
pub struct OrientationArgs {
    /// Procedure id.
    pub procedure: String,
    /// INSEE code of the patient's commune (one sheet).
    pub commune: Option<String>,
    /// Territory id (batch mode: one sheet per commune, `cpts:…`, `epci:…`).
    pub territoire: Option<String>,
    /// HTML file to write (one sheet) or folder (batch mode).
    pub sortie: PathBuf,
    /// Procedures folder (the embedded examples when `None`).
    pub procedures: Option<PathBuf>,
    /// Server address for the link and QR code to the online version.
    pub url: String,
    /// The patient's age, when the sheet is for an age (steps and criteria by age).
    pub age: Option<u32>,
}

/// Failures of the orientation commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Set(#[from] SetError),
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error("écriture impossible : {}", crate::util::os_error::describe(.0))]
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

/// Runs `procedures check` on `fichiers`, or on the `procedures` folder (the embedded examples
/// when `None`) when no file is given; returns the exit code (1 when any error).
pub fn run_procedures(
    fichiers: &[PathBuf],
    procedures: Option<&Path>,
    dir: &Directory,
    out: &mut impl Write,
) -> Result<u8, CliError> {
    let (set, problems) = if fichiers.is_empty() {
        load_set(procedures, dir)?
    } else {
        ProcedureSet::load_files(fichiers, dir)?
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
        let written = sheet::write_territory_for_age(dir, p, t, &args.url, args.age, &args.sortie)?;
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
    let html = sheet::render_for_age(dir, p, code, &args.url, args.age)?;
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
