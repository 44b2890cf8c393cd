//! `maillage routage preparer`: builds a region's road graph for the Valhalla engine; and the
//! `--routage` options shared by `servir` and `diagnostic`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};

use maillage::routing::{Engine, EngineOptions, RoutingSetup, SETUP_FILE};

#[derive(Debug, Args)]
pub struct RoutageArgs {
    #[command(subcommand)]
    command: RoutageCommand,
}

#[derive(Debug, Subcommand)]
enum RoutageCommand {
    /// Construit le graphe routier d'une région (valhalla_build_tiles) et la configuration du
    /// moteur, et dit comment le démarrer.
    #[command(name = "preparer", alias = "prepare")]
    Prepare(PrepareArgs),
}

#[derive(Debug, Args)]
struct PrepareArgs {
    /// Extrait OpenStreetMap de la région (.osm.pbf, voir « maillage telecharger --osm ») ;
    /// répétable (l'Occitanie tient en deux extraits).
    #[arg(long = "osm", value_name = "FICHIER", required = true)]
    osm: Vec<PathBuf>,
    /// Dossier du graphe routier (créé au besoin).
    #[arg(long = "dans", value_name = "DOSSIER")]
    dir: PathBuf,
    /// Dossier des programmes Valhalla (sinon $MAILLAGE_VALHALLA_BIN, puis le PATH).
    #[arg(long = "valhalla-bin", value_name = "DOSSIER")]
    bin: Option<PathBuf>,
    /// Port d'écoute du moteur sur 127.0.0.1.
    #[arg(long = "port", default_value_t = 8002)]
    port: u16,
}

pub fn run(args: RoutageArgs) -> Result<ExitCode> {
    match args.command {
        RoutageCommand::Prepare(a) => {
            eprintln!(
                "Construction du graphe routier de {} dans {}…",
                a.osm
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                a.dir.display()
            );
            let p = maillage::routing::prepare(&a.osm, &a.dir, a.bin.as_deref(), a.port)?;
            let dir = p
                .setup
                .configuration
                .parent()
                .map_or_else(|| a.dir.clone(), PathBuf::from);
            println!("Graphe routier prêt : {}", p.setup.tuiles.display());
            println!(
                "Extrait OpenStreetMap du {} (date lue dans : {}).",
                maillage::util::date::french(&p.setup.extrait),
                p.setup.date_source
            );
            println!(
                "Configuration du moteur : {}",
                p.setup.configuration.display()
            );
            println!();
            println!("Démarrer le moteur (il écoute sur {}) :", p.setup.url);
            println!("  {}", p.start_command());
            println!("Puis servir la carte avec les temps routiers :");
            println!(
                "  maillage servir --data MES_DONNEES --routage {}",
                dir.display()
            );
            println!(
                "Les temps calculés sont gardés dans {} (pour cet extrait).",
                p.setup.cache.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--routage` and its companions, flattened into `servir` and `diagnostic`.
#[derive(Debug, Clone, Default, Args)]
pub struct RoutageArg {
    /// Moteur de routage Valhalla : dossier préparé par « maillage routage preparer » ou URL
    /// d'un moteur démarré (http://127.0.0.1:8002). Sans lui, les temps sont estimés (vol
    /// d'oiseau × détour).
    #[arg(long = "routage", value_name = "DOSSIER_OU_URL")]
    pub routage: Option<String>,
    /// Date de l'extrait OpenStreetMap du moteur (AAAA-MM-JJ), quand --routage est une URL.
    #[arg(long = "routage-extrait", value_name = "DATE")]
    pub extract: Option<String>,
    /// Délai accordé au moteur par requête, en secondes.
    #[arg(long = "routage-delai", value_name = "SECONDES", default_value_t = 60)]
    pub timeout: u64,
    /// Moteur injoignable : revenir aux temps estimés (signalés comme tels) au lieu d'échouer.
    #[arg(long = "routage-repli")]
    pub fallback: bool,
}

impl RoutageArg {
    /// The engine, checked with `/status`; `None` without `--routage`, or when it is down and
    /// `--routage-repli` was given (said on stderr).
    pub fn engine(&self) -> Result<Option<Arc<Engine>>> {
        let Some(r) = self.routage.as_deref() else {
            return Ok(None);
        };
        let mut opts = if r.starts_with("http://") || r.starts_with("https://") {
            let mut o = EngineOptions::new(r);
            o.extract_date = self.extract.clone();
            o
        } else {
            let dir = PathBuf::from(r);
            if !dir.join(SETUP_FILE).is_file() {
                bail!(
                    "--routage {r} : ni une URL (http://…), ni un dossier préparé par « maillage routage preparer » (pas de {SETUP_FILE})"
                );
            }
            let mut o = RoutingSetup::load(&dir)?.engine_options();
            if self.extract.is_some() {
                o.extract_date = self.extract.clone();
            }
            o
        };
        opts.timeout = Duration::from_secs(self.timeout.max(1));
        let engine = Engine::new(opts)?;
        match engine.status() {
            Ok(v) => {
                eprintln!("Moteur de routage Valhalla {v} : {}", engine.label());
                Ok(Some(Arc::new(engine)))
            }
            Err(e) if self.fallback => {
                eprintln!("avertissement : {e} ; repli sur les temps estimés (vol d'oiseau × détour), signalé dans chaque réponse");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}
