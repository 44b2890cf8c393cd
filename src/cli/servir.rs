//! `maillage servir` (`serve`, the default): the API and the map.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use maillage::server::{self, AppState, ServerConfig};

use super::routage::RoutageArg;
use super::{BaseArg, DataArg};

#[derive(Debug, Args)]
pub struct ServirArgs {
    #[command(flatten)]
    data: DataArg,
    /// Adresse d'écoute.
    #[arg(long = "adresse", alias = "addr", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Modèle d'URL des tuiles raster ({z}/{x}/{y}) affichées sous les contours.
    #[arg(long = "tuiles")]
    tiles: Option<String>,
    /// N'affiche aucune tuile raster (contours des communes seulement).
    #[arg(long = "sans-tuiles")]
    no_tiles: bool,
    #[command(flatten)]
    base: BaseArg,
    /// Exige un jeton même pour lire l'API.
    #[arg(long = "lecture-authentifiee")]
    read_auth: bool,
    /// Dossier des procédures d'orientation (*.toml) ; rechargé sur SIGHUP ou
    /// POST /api/admin/recharger. Par défaut : les exemples, avec les données de démonstration.
    #[arg(long)]
    procedures: Option<PathBuf>,
    #[command(flatten)]
    routage: RoutageArg,
}

impl Default for ServirArgs {
    fn default() -> ServirArgs {
        ServirArgs {
            data: DataArg::default(),
            addr: "127.0.0.1:8080".parse().expect("valid address"),
            tiles: None,
            no_tiles: false,
            base: BaseArg::default(),
            read_auth: false,
            procedures: None,
            routage: RoutageArg::default(),
        }
    }
}

pub fn run(args: ServirArgs) -> Result<ExitCode> {
    let dir = args.data.load()?;
    let mut config = ServerConfig {
        addr: args.addr,
        routing: args.routage.engine()?,
        routing_fallback: args.routage.fallback,
        ..ServerConfig::default()
    };
    if args.no_tiles {
        config.tiles = None;
    } else if let Some(t) = args.tiles {
        config.tiles = Some(t);
    }
    let rt = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    eprintln!(
        "Carte et API : http://{}/  (Ctrl-C pour arrêter)",
        args.addr
    );
    let store = maillage::store::Store::open(&args.base.base)?;
    eprintln!(
        "Annuaire local des partenaires : {}",
        args.base.base.display()
    );
    let demo_data = args.data.data.is_none();
    let state = AppState::with_store(dir, config, store, args.read_auth)?;
    let set = maillage::orientation::cli::serve_procedures(
        args.procedures.as_deref(),
        demo_data,
        &state.directory(),
        &mut std::io::stderr(),
    )?;
    let state = state.with_procedures(set);
    rt.block_on(server::serve(state))?;
    Ok(ExitCode::SUCCESS)
}
