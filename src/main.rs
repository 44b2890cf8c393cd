//! `maillage`: the command-line entry point. Each command is a module of [`commande`] (binary
//! side: the library has no command-line parsing of its own for these); French names, with the
//! former English ones as aliases (`servir`/`serve`, `verifier`/`check`, `interroger`/`query`,
//! `statistiques`/`stats`, `instantane`/`build-index`, `telecharger`/`fetch`).

mod commande;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use commande::{
    instantane, interroger, orientation, procedures, servir, statistiques, telecharger, verifier,
    DataArg,
};
use maillage::index::Directory;

#[derive(Parser)]
#[command(
    name = "maillage",
    version,
    about = "Annuaire cartographique des ressources sanitaires, médico-sociales et sociales d'un territoire de CPTS"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Sert l'API et la carte (par défaut : le territoire de démonstration, le Tarn).
    #[command(name = "servir", alias = "serve")]
    Serve(servir::ServirArgs),
    /// Vérifie des fichiers : format reconnu, lignes acceptées et rejetées, premiers rejets.
    #[command(name = "verifier", alias = "check")]
    Check(verifier::VerifierArgs),
    /// Interroge l'annuaire comme l'API.
    #[command(name = "interroger", alias = "query")]
    Query(interroger::InterrogerArgs),
    /// Comptes par secteur, par type et par commune, dates des sources.
    #[command(name = "statistiques", alias = "stats")]
    Stats(statistiques::StatistiquesArgs),
    /// Lit un dossier de données une fois (fichiers, géocodage, doublons) et écrit un
    /// instantané binaire que « servir --data FICHIER » charge en quelques secondes.
    #[command(name = "instantane", alias = "build-index")]
    BuildIndex(instantane::InstantaneArgs),
    /// Procédures d'orientation : vérifier les fichiers.
    Procedures(procedures::ProceduresArgs),
    /// Fiche d'orientation imprimable (HTML A4) pour une commune, ou une par commune d'un
    /// territoire.
    Orientation(orientation::OrientationArgs),
    /// Annuaire local des partenaires : importer un CSV, exporter.
    Partenaires {
        #[command(subcommand)]
        cmd: maillage::store::cli::PartnersCmd,
    },
    /// Jetons d'accès : créer, lister, révoquer.
    Jetons {
        #[command(subcommand)]
        cmd: maillage::store::cli::TokensCmd,
    },
    /// Sauvegarde la base des partenaires, même pendant que le serveur tourne.
    Sauvegarde {
        /// Fichier de sauvegarde à écrire.
        #[arg(long)]
        sortie: PathBuf,
        #[arg(long, default_value = maillage::store::cli::DEFAULT_BASE)]
        base: PathBuf,
    },
    /// Restaure une sauvegarde dans la base (arrêtez le serveur avant).
    Restaurer {
        /// Fichier de sauvegarde.
        fichier: PathBuf,
        #[arg(long, default_value = maillage::store::cli::DEFAULT_BASE)]
        base: PathBuf,
    },
    /// Diagnostic territorial : indicateurs, couverture, accessibilité, cartes et rapport HTML.
    Diagnostic(maillage::export::diagnostic_cli::DiagnosticArgs),
    /// Télécharge les données ouvertes officielles (FINESS, Annuaire Santé, BPE, communes),
    /// les découpe à la zone demandée et écrit un dossier de données avec manifest.json.
    #[command(name = "telecharger", alias = "fetch")]
    Fetch(telecharger::TelechargerArgs),
    /// Géocode les adresses sans coordonnées (Base adresse nationale), avec un cache local.
    Geocoder(telecharger::GeocoderArgs),
    /// Fiches reliées entre sources (fusionnées) et cas proches à vérifier.
    Doublons(telecharger::DoublonsArgs),
}

/// mimalloc: loading millions of records allocates and frees many small strings, where it is
/// markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "maillage=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli
        .command
        .unwrap_or_else(|| Command::Serve(servir::ServirArgs::default()))
    {
        Command::Serve(args) => servir::run(args),
        Command::Check(args) => verifier::run(args),
        Command::Query(args) => interroger::run(args),
        Command::Stats(args) => statistiques::run(args),
        Command::BuildIndex(args) => instantane::run(args),
        Command::Procedures(args) => procedures::run(args),
        Command::Orientation(args) => orientation::run(args),
        Command::Diagnostic(args) => {
            let dir = load(args.data.as_ref())?;
            maillage::export::diagnostic_cli::run(&args, &dir, &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch(args) => telecharger::run_fetch(args),
        Command::Geocoder(args) => telecharger::run_geocoder(args),
        Command::Doublons(args) => telecharger::run_doublons(args),
        Command::Partenaires { cmd } => Ok(ExitCode::from(maillage::store::cli::run_partners(
            cmd,
            &mut std::io::stdout(),
        )?)),
        Command::Jetons { cmd } => Ok(ExitCode::from(maillage::store::cli::run_tokens(
            cmd,
            &mut std::io::stdout(),
        )?)),
        Command::Sauvegarde { sortie, base } => Ok(ExitCode::from(
            maillage::store::cli::run_backup(&base, &sortie, &mut std::io::stdout())?,
        )),
        Command::Restaurer { fichier, base } => Ok(ExitCode::from(
            maillage::store::cli::run_restore(&fichier, &base, &mut std::io::stdout())?,
        )),
    }
}

/// Loads the `--data` of a command whose arguments live in the library.
fn load(data: Option<&PathBuf>) -> Result<Directory> {
    DataArg {
        data: data.cloned(),
    }
    .load()
}
