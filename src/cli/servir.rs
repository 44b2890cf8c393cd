//! `maillage servir` (`serve`, the default): the API and the map.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use maillage::server::listen::ConnLimits;
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
    /// Le serveur est derrière un proxy inverse de confiance (nginx, Caddy…) : l'adresse du
    /// client, l'hôte et le protocole sont lus dans X-Forwarded-For, X-Forwarded-Host et
    /// X-Forwarded-Proto. Sans cette option, ces en-têtes sont ignorés.
    #[arg(long = "derriere-proxy")]
    behind_proxy: bool,
    /// Nombre maximal de connexions ouvertes (abaissé sous la limite de fichiers ouverts).
    #[arg(long = "connexions-max", default_value_t = 10_000)]
    max_connections: usize,
    /// Délai (en secondes) pour envoyer les en-têtes d'une requête.
    #[arg(long = "delai-entetes", default_value_t = 10)]
    header_timeout: u64,
    /// Délai (en secondes) au bout duquel une connexion sans requête en cours est fermée.
    #[arg(long = "delai-inactivite", default_value_t = 60)]
    idle_timeout: u64,
    /// Dossier des procédures d'orientation (*.toml) ; rechargé sur SIGHUP ou
    /// POST /api/admin/recharger. Par défaut : les exemples, avec les données de démonstration.
    #[arg(long)]
    procedures: Option<PathBuf>,
    #[command(flatten)]
    routage: RoutageArg,
    /// Adresse publique du service (ex. https://carte.cpts-exemple.fr), utilisée pour tous
    /// les liens absolus (lien et QR code des fiches d'orientation) ; par défaut : l'adresse
    /// par laquelle le navigateur a joint le serveur.
    #[arg(long = "url-publique", value_name = "URL")]
    public_url: Option<String>,
    /// Fichier de configuration TOML (clés : url_publique, adresse, tuiles, titre, routage,
    /// routage_extrait, routage_repli, derriere_proxy) ; les options de la ligne de commande
    /// l'emportent.
    #[arg(long = "config", value_name = "FICHIER")]
    config: Option<PathBuf>,
}

/// The configuration file of `maillage servir` (every key optional).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    url_publique: Option<String>,
    adresse: Option<SocketAddr>,
    tuiles: Option<String>,
    titre: Option<String>,
    /// Same as `--routage`: a folder prepared by `routage preparer` or an engine URL.
    routage: Option<String>,
    /// Same as `--routage-extrait`.
    routage_extrait: Option<String>,
    /// Same as `--routage-repli`.
    routage_repli: Option<bool>,
    /// Same as `--derriere-proxy`.
    derriere_proxy: Option<bool>,
}

/// The keys a configuration file may hold, as named in its error message.
const CONFIG_KEYS: &str =
    "url_publique, adresse, tuiles, titre, routage, routage_extrait, routage_repli, derriere_proxy";

impl ConfigFile {
    fn read(path: &std::path::Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{} : lecture impossible", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{} : configuration invalide : {} (clés possibles : {CONFIG_KEYS})",
                path.display(),
                e.message()
            )
        })
    }
}

/// A public URL: absolute http(s), without query or fragment; the trailing `/` removed.
fn check_public_url(u: &str, origin: &str) -> Result<String> {
    let t = u.trim().trim_end_matches('/');
    let ok = (t.starts_with("http://") || t.starts_with("https://"))
        && t.len() > "https://".len()
        && !t.contains(['?', '#', ' ', '"', '<', '>']);
    if !ok {
        anyhow::bail!(
            "{origin} : URL publique invalide : attendu une adresse http:// ou https:// sans « ? » ni « # » (ex. https://carte.cpts-exemple.fr), trouvé « {u} »"
        );
    }
    Ok(t.to_string())
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
            behind_proxy: false,
            max_connections: 10_000,
            header_timeout: 10,
            idle_timeout: 60,
            procedures: None,
            routage: RoutageArg::default(),
            public_url: None,
            config: None,
        }
    }
}

pub fn run(args: ServirArgs) -> Result<ExitCode> {
    let file = match &args.config {
        Some(p) => ConfigFile::read(p)?,
        None => ConfigFile::default(),
    };
    let public_url = match (&args.public_url, &file.url_publique) {
        (Some(u), _) => Some(check_public_url(u, "--url-publique")?),
        (None, Some(u)) => Some(check_public_url(
            u,
            &format!(
                "{} (url_publique)",
                args.config
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
        )?),
        (None, None) => None,
    };
    // An address given on the command line wins over the file's.
    let default_addr: SocketAddr = "127.0.0.1:8080".parse().expect("valid address");
    let addr = match file.adresse {
        Some(a) if args.addr == default_addr => a,
        _ => args.addr,
    };
    // Routing and proxy settings from the file, unless given on the command line.
    let mut routage = args.routage.clone();
    if routage.routage.is_none() {
        routage.routage = file.routage.clone();
    }
    if routage.extract.is_none() {
        routage.extract = file.routage_extrait.clone();
    }
    routage.fallback |= file.routage_repli.unwrap_or(false);
    let behind_proxy = args.behind_proxy || file.derriere_proxy.unwrap_or(false);
    let routing = routage.engine()?;
    let dir = args.data.load()?;
    let mut config = ServerConfig {
        addr,
        public_url,
        routing,
        routing_fallback: routage.fallback,
        behind_proxy,
        limits: ConnLimits {
            header_read_timeout: Duration::from_secs(args.header_timeout.max(1)),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            max_connections: args.max_connections.max(1),
        },
        ..ServerConfig::default()
    };
    if let Some(t) = file.titre {
        config.title = t;
    }
    if args.no_tiles {
        config.tiles = None;
    } else if let Some(t) = args.tiles.or(file.tuiles) {
        config.tiles = Some(t);
    }
    let rt = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
    eprintln!("Carte et API : http://{addr}/  (Ctrl-C pour arrêter)");
    if let Some(u) = &config.public_url {
        eprintln!("Adresse publique (liens et QR codes des fiches) : {u}/");
    }
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
    let t = std::time::Instant::now();
    crate::release_freed_memory();
    tracing::debug!(
        "mémoire libérée pendant le chargement rendue au système en {:.3} s",
        t.elapsed().as_secs_f64()
    );
    rt.block_on(server::serve(state))?;
    Ok(ExitCode::SUCCESS)
}
