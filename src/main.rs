//! `maillage`: the command-line entry point. Each command is one file of [`cli`] returning
//! `Result<ExitCode>`; clap lives on the binary side only (the library takes plain options).
//! French names, with English ones as aliases (`servir`/`serve`, `verifier`/`check`,
//! `interroger`/`query`, `statistiques`/`stats`, `instantane`/`build-index`,
//! `telecharger`/`fetch`, `partenaires`/`partners`, `jetons`/`tokens`, `sauvegarde`/`backup`,
//! `restaurer`/`restore`, `geocoder`/`geocode`, `doublons`/`duplicates`).

mod cli;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use cli::{
    diagnostic, doublons, geocoder, instantane, interroger, jetons, orientation, partenaires,
    procedures, restaurer, routage, sauvegarde, servir, statistiques, telecharger, verifier,
};

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
    /// instantané binaire que « servir --data FICHIER » projette en mémoire et sert en une seconde environ.
    #[command(name = "instantane", alias = "build-index")]
    BuildIndex(instantane::InstantaneArgs),
    /// Procédures d'orientation : vérifier les fichiers.
    #[command(name = "procedures")]
    Procedures(procedures::ProceduresArgs),
    /// Fiche d'orientation imprimable (HTML A4) pour une commune, ou une par commune d'un
    /// territoire.
    #[command(name = "orientation")]
    Orientation(orientation::OrientationArgs),
    /// Annuaire local des partenaires : importer un CSV, exporter.
    #[command(name = "partenaires", alias = "partners")]
    Partners(partenaires::PartenairesArgs),
    /// Jetons d'accès : créer, lister, révoquer.
    #[command(name = "jetons", alias = "tokens")]
    Tokens(jetons::JetonsArgs),
    /// Sauvegarde la base des partenaires, même pendant que le serveur tourne.
    #[command(name = "sauvegarde", alias = "backup")]
    Backup(sauvegarde::SauvegardeArgs),
    /// Restaure une sauvegarde dans la base (arrêtez le serveur avant).
    #[command(name = "restaurer", alias = "restore")]
    Restore(restaurer::RestaurerArgs),
    /// Diagnostic territorial : indicateurs, couverture, accessibilité, cartes et rapport HTML.
    #[command(name = "diagnostic")]
    Diagnostic(diagnostic::DiagnosticArgs),
    /// Télécharge les données ouvertes officielles (FINESS, Annuaire Santé, BPE, communes),
    /// les découpe à la zone demandée et écrit un dossier de données avec manifest.json.
    #[command(name = "telecharger", alias = "fetch")]
    Fetch(telecharger::TelechargerArgs),
    /// Géocode les adresses sans coordonnées (Base adresse nationale), avec un cache local.
    #[command(name = "geocoder", alias = "geocode")]
    Geocode(geocoder::GeocoderArgs),
    /// Temps de trajet par la route (moteur Valhalla) : préparer le graphe routier d'une région.
    #[command(name = "routage", alias = "routing")]
    Routing(routage::RoutageArgs),
    /// Fiches reliées entre sources (fusionnées) et cas proches à vérifier.
    #[command(name = "doublons", alias = "duplicates")]
    Duplicates(doublons::DoublonsArgs),
}

/// mimalloc: loading millions of records allocates and frees many small strings, where it is
/// markedly faster than the system allocator. Built without transparent huge pages
/// (`no_thp`): a national load touches about 2 GB of fresh memory, and a huge page the kernel
/// must first compact and zero made that cost vary from under 1 s to over 5 s of system time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives back to the system the memory freed so far: mimalloc keeps freed pages a while for
/// reuse, and on all of France what loading a snapshot allocates on the way (its small parts
/// read and decoded, the service areas resolved) would stay resident in a server that then
/// waits for requests (about 55 MiB), and loading the files leaves far more (measured once on
/// all of France: 648 MiB of private memory once ready, where 1.4 to 1.7 GiB were reported).
/// Called once the data is loaded, so that the memory of a ready server is what it holds; it
/// takes a few milliseconds after a snapshot, about 0.15 s after the files (`force` is needed:
/// without it nothing is given back).
pub fn release_freed_memory() {
    extern "C" {
        // Part of the mimalloc linked as the global allocator above (`mimalloc.h`).
        fn mi_collect(force: bool);
    }
    // SAFETY: a plain C call without arguments to free; it returns to the system only pages
    // that hold no live allocation.
    unsafe { mi_collect(true) }
}

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
            eprintln!("erreur : {}", cli::error_message(&e));
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
        Command::Partners(args) => partenaires::run(args),
        Command::Tokens(args) => jetons::run(args),
        Command::Backup(args) => sauvegarde::run(args),
        Command::Restore(args) => restaurer::run(args),
        Command::Diagnostic(args) => diagnostic::run(args),
        Command::Fetch(args) => telecharger::run(args),
        Command::Geocode(args) => geocoder::run(args),
        Command::Duplicates(args) => doublons::run(args),
        Command::Routing(args) => routage::run(args),
    }
}
