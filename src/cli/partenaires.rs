//! `maillage partenaires` (`partners`): the local partner directory, imported from a CSV file
//! or exported.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};

use maillage::store::cli::{self as lib, ExportFormat};
use maillage::store::Store;

use super::{BaseArg, DataArg};

#[derive(Debug, Args)]
pub struct PartenairesArgs {
    #[command(subcommand)]
    cmd: PartenairesCmd,
}

#[derive(Debug, Subcommand)]
enum PartenairesCmd {
    /// Importe un fichier CSV de partenaires dans la base (une seule transaction).
    #[command(alias = "import")]
    Importer {
        /// Fichier CSV (même format que data/partenaires-modele.csv).
        fichier: PathBuf,
        /// Montre ce qui serait ajouté, modifié, inchangé ou rejeté, sans rien écrire.
        #[arg(long)]
        apercu: bool,
        #[command(flatten)]
        base: BaseArg,
        #[command(flatten)]
        data: DataArg,
    },
    /// Exporte l'annuaire des partenaires.
    #[command(alias = "export")]
    Exporter {
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Fichier de sortie (par défaut : la sortie standard ; obligatoire avec
        /// « --format gpkg »).
        #[arg(long)]
        sortie: Option<PathBuf>,
        /// Inclut les champs privés (ligne directe, notes internes).
        #[arg(long)]
        prive: bool,
        /// Inclut les partenaires archivés.
        #[arg(long)]
        archives: bool,
        #[command(flatten)]
        base: BaseArg,
        #[command(flatten)]
        data: DataArg,
    },
}

/// `--format` of `partenaires exporter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Geojson,
    /// GeoPackage pour QGIS (colonnes typées, même vides), écrit dans « --sortie ».
    Gpkg,
    Hsds,
}

/// `partenaires exporter --format gpkg`: the GeoPackage of the directory, written atomically.
/// It is built by `export` (above the store), hence here rather than in `store::cli`.
fn export_gpkg(
    sortie: Option<PathBuf>,
    prive: bool,
    archives: bool,
    base: &Path,
    data: Option<&Path>,
) -> Result<()> {
    let Some(sortie) = sortie else {
        bail!("--format gpkg écrit un fichier : indiquez-le avec « --sortie FICHIER.gpkg »");
    };
    let partners = Store::open(base)?.partners(archives)?;
    let v = lib::validator(data)?;
    let bytes = maillage::export::partners::gpkg(&partners, &v, prive)?;
    lib::deliver_export(
        Some(&sortie),
        &bytes,
        partners.len(),
        &mut std::io::stdout(),
    )?;
    Ok(())
}

pub fn run(args: PartenairesArgs) -> Result<ExitCode> {
    let cmd = match args.cmd {
        PartenairesCmd::Importer {
            fichier,
            apercu,
            base,
            data,
        } => lib::PartnersCmd::Importer {
            fichier,
            apercu,
            base: base.base,
            data: data.data,
        },
        PartenairesCmd::Exporter {
            format,
            sortie,
            prive,
            archives,
            base,
            data,
        } => lib::PartnersCmd::Exporter {
            format: match format {
                Format::Csv => ExportFormat::Csv,
                Format::Geojson => ExportFormat::Geojson,
                Format::Hsds => ExportFormat::Hsds,
                Format::Gpkg => {
                    export_gpkg(sortie, prive, archives, &base.base, data.data.as_deref())?;
                    return Ok(ExitCode::SUCCESS);
                }
            },
            sortie,
            prive,
            archives,
            base: base.base,
            data: data.data,
        },
    };
    Ok(ExitCode::from(lib::run_partners(
        cmd,
        &mut std::io::stdout(),
    )?))
}
