//! `maillage partenaires` (`partners`): the local partner directory, imported from a CSV file
//! or exported.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use maillage::store::cli::{self as lib, ExportFormat};

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
        /// Fichier de sortie (par défaut : la sortie standard).
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
    Hsds,
}

impl From<Format> for ExportFormat {
    fn from(f: Format) -> ExportFormat {
        match f {
            Format::Csv => ExportFormat::Csv,
            Format::Geojson => ExportFormat::Geojson,
            Format::Hsds => ExportFormat::Hsds,
        }
    }
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
            format: format.into(),
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
