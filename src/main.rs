//! `maillage`: command-line entry point (serve, check, query, stats).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use maillage::export::{write_actors_csv, CsvOptions};
use maillage::index::Directory;
use maillage::model::LonLat;
use maillage::server::{self, AppState, ServerConfig};
use maillage::sources::{self, Dataset};

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
    Serve {
        /// Dossier de données (FINESS, contours, populations, territoires, partenaires…), ou
        /// instantané écrit par « maillage build-index ».
        #[arg(long, alias = "index")]
        data: Option<PathBuf>,
        /// Adresse d'écoute.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Modèle d'URL des tuiles raster ({z}/{x}/{y}) affichées sous les contours.
        #[arg(long = "tuiles")]
        tiles: Option<String>,
        /// N'affiche aucune tuile raster (contours des communes seulement).
        #[arg(long = "sans-tuiles")]
        no_tiles: bool,
        /// Base SQLite de l'annuaire local des partenaires (créée au premier lancement).
        #[arg(long, default_value = maillage::store::cli::DEFAULT_BASE)]
        base: PathBuf,
        /// Exige un jeton même pour lire l'API.
        #[arg(long = "lecture-authentifiee")]
        read_auth: bool,
        /// Dossier des procédures d'orientation (*.toml) ; rechargé sur SIGHUP ou
        /// POST /api/admin/recharger. Par défaut : les exemples, avec les données de démonstration.
        #[arg(long)]
        procedures: Option<PathBuf>,
    },
    /// Procédures d'orientation : vérifier les fichiers.
    Procedures {
        #[command(subcommand)]
        cmd: maillage::orientation::cli::ProceduresCmd,
    },
    /// Fiche d'orientation imprimable (HTML A4) pour une commune, ou une par commune d'un
    /// territoire.
    Orientation(maillage::orientation::cli::OrientationArgs),
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
    /// Vérifie des fichiers : lignes acceptées et rejetées, premiers rejets.
    Check {
        /// Fichiers à vérifier.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Nombre de rejets affichés par fichier.
        #[arg(long, default_value_t = 20)]
        max_rejets: usize,
    },
    /// Interroge l'annuaire comme l'API.
    Query {
        #[command(subcommand)]
        query: Query,
        /// Dossier de données (par défaut : démonstration).
        #[arg(long, global = true)]
        data: Option<PathBuf>,
        /// Format de sortie.
        #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
        format: Format,
    },
    /// Diagnostic territorial : indicateurs, couverture, accessibilité, cartes et rapport HTML.
    Diagnostic(maillage::export::diagnostic_cli::DiagnosticArgs),
    /// Télécharge les données ouvertes officielles (FINESS, Annuaire Santé, BPE, communes),
    /// les découpe à la zone demandée et écrit un dossier de données avec manifest.json.
    Fetch(maillage::fetch::cli::FetchArgs),
    /// Géocode les adresses sans coordonnées (Base adresse nationale), avec un cache local.
    Geocoder(maillage::fetch::cli::GeocoderArgs),
    /// Fiches reliées entre sources (fusionnées) et cas proches à vérifier.
    Doublons(maillage::fetch::cli::DoublonsArgs),
    /// Lit un dossier de données une fois (fichiers, géocodage, doublons) et écrit un
    /// instantané binaire que « serve --data FICHIER » charge en quelques secondes.
    BuildIndex {
        /// Dossier de données à lire.
        #[arg(long)]
        data: PathBuf,
        /// Instantané à écrire (remplacé d'un coup : jamais à moitié écrit).
        #[arg(long)]
        sortie: PathBuf,
    },
    /// Comptes par secteur, par type et par commune, dates des sources.
    Stats {
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Query {
    /// Les k acteurs les plus proches d'un point.
    Nearest {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Types séparés par des virgules (ex. ehpad,ssiad).
        #[arg(long)]
        kind: Option<String>,
        #[arg(short, long, default_value_t = 10)]
        k: usize,
    },
    /// Les acteurs dans un rayon autour d'un point.
    Within {
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Rayon en mètres.
        #[arg(long = "rayon-m", alias = "radius-m")]
        radius_m: f64,
        #[arg(long)]
        kind: Option<String>,
    },
    /// Recherche textuelle (noms, communes, types).
    Search {
        texte: String,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Table,
    Json,
    Geojson,
    Csv,
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
    match cli.command.unwrap_or(Command::Serve {
        data: None,
        addr: "127.0.0.1:8080".parse().expect("valid address"),
        tiles: None,
        no_tiles: false,
        base: maillage::store::cli::DEFAULT_BASE.into(),
        read_auth: false,
        procedures: None,
    }) {
        Command::Serve {
            data,
            addr,
            tiles,
            no_tiles,
            base,
            read_auth,
            procedures,
        } => {
            let dir = load(data.as_ref())?;
            let mut config = ServerConfig {
                addr,
                ..ServerConfig::default()
            };
            if no_tiles {
                config.tiles = None;
            } else if let Some(t) = tiles {
                config.tiles = Some(t);
            }
            let rt = tokio::runtime::Runtime::new().context("démarrage du moteur asynchrone")?;
            eprintln!("Carte et API : http://{addr}/  (Ctrl-C pour arrêter)");
            let store = maillage::store::Store::open(&base)?;
            eprintln!("Annuaire local des partenaires : {}", base.display());
            let demo_data = data.is_none();
            let state = AppState::with_store(dir, config, store, read_auth)?;
            let set = maillage::orientation::cli::serve_procedures(
                procedures.as_deref(),
                demo_data,
                &state.directory(),
                &mut std::io::stderr(),
            )?;
            let state = state.with_procedures(set);
            rt.block_on(server::serve(state))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { files, max_rejets } => check(&files, max_rejets),
        Command::BuildIndex { data, sortie } => {
            let started = std::time::Instant::now();
            let ds = maillage::pipeline::read_dir(
                &data,
                maillage::pipeline::Stage::Merged,
                &mut std::io::stderr(),
            )
            .with_context(|| format!("chargement du dossier {}", data.display()))?;
            let bytes = sources::snapshot::write(&ds, &sortie)
                .with_context(|| format!("écriture de l'instantané {}", sortie.display()))?;
            eprintln!(
                "Instantané écrit : {} ({} acteurs, {} communes, {:.0} Mo) en {:.1} s.\n\
                 Servez-le avec : maillage serve --data {}",
                sortie.display(),
                ds.actors.len(),
                ds.communes.len(),
                bytes as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                sortie.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Query {
            query,
            data,
            format,
        } => {
            let dir = load(data.as_ref())?;
            query_cmd(&dir, query, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Procedures { cmd } => {
            let dir = load(cmd.data())?;
            let code =
                maillage::orientation::cli::run_procedures(cmd, &dir, &mut std::io::stdout())?;
            Ok(ExitCode::from(code))
        }
        Command::Orientation(args) => {
            let dir = load(args.data.as_ref())?;
            let code =
                maillage::orientation::cli::run_orientation(args, &dir, &mut std::io::stdout())?;
            Ok(ExitCode::from(code))
        }
        Command::Diagnostic(args) => {
            let dir = load(args.data.as_ref())?;
            maillage::export::diagnostic_cli::run(&args, &dir, &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch(args) => Ok(ExitCode::from(
            maillage::fetch::cli::run_fetch(&args, &mut std::io::stdout())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )),
        Command::Geocoder(args) => Ok(ExitCode::from(
            maillage::fetch::cli::run_geocoder(&args, &mut std::io::stdout())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )),
        Command::Doublons(args) => Ok(ExitCode::from(
            maillage::fetch::cli::run_doublons(&args, &mut std::io::stdout())
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )),
        Command::Stats { data } => {
            let dir = load(data.as_ref())?;
            stats(&dir);
            Ok(ExitCode::SUCCESS)
        }
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

/// Loads `--data` (directory, snapshot or demo) through the one load pipeline.
fn load(data: Option<&PathBuf>) -> Result<Directory> {
    Ok(maillage::pipeline::directory(
        data.map(PathBuf::as_path),
        &mut std::io::stderr(),
    )?)
}

fn check(files: &[PathBuf], max: usize) -> Result<ExitCode> {
    let mut any_rejected = false;
    let mut any_failed = false;
    for path in files {
        let mut ds = Dataset::new();
        match sources::load_file(&mut ds, path) {
            Ok(()) => {
                let r = ds.reports.last().expect("one report per loaded file");
                println!(
                    "{} : format {} ; {} acceptée(s), {} rejetée(s){}",
                    path.display(),
                    r.format.source_name(),
                    r.accepted,
                    r.rejected,
                    r.source_date
                        .as_ref()
                        .map(|d| format!(" ; données du {d}"))
                        .unwrap_or_default()
                );
                for note in &r.notes {
                    println!("  remarque : {note}");
                }
                for rej in r.rejections.iter().take(max) {
                    println!("  {rej}");
                }
                if r.rejected > max {
                    println!("  … et {} autre(s) rejet(s)", r.rejected - max);
                }
                any_rejected |= r.rejected > 0;
            }
            Err(e) => {
                println!("{e}");
                any_failed = true;
            }
        }
    }
    Ok(if any_rejected || any_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn parse_kinds(
    dir: &Directory,
    kind: Option<&str>,
) -> Result<Option<Vec<maillage::model::KindId>>> {
    let Some(kind) = kind else { return Ok(None) };
    let mut out = Vec::new();
    for k in kind.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match dir.kinds().by_id(k) {
            Some(id) => out.push(id),
            None => bail!(
                "type inconnu « {k} » ; types valides : {}",
                dir.kinds()
                    .iter()
                    .map(|(_, k)| k.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    Ok(Some(out))
}

fn check_point(lat: f64, lon: f64) -> Result<LonLat> {
    let p = LonLat::new(lon, lat);
    if !p.is_valid() {
        bail!("coordonnées hors des plages WGS84 : latitude entre -90 et 90, longitude entre -180 et 180");
    }
    Ok(p)
}

fn query_cmd(dir: &Directory, query: Query, format: Format) -> Result<()> {
    let rows: Vec<(u32, Option<f64>)> = match query {
        Query::Nearest { lat, lon, kind, k } => {
            if !(1..=1000).contains(&k) {
                bail!("k doit être entre 1 et 1000");
            }
            let kinds = parse_kinds(dir, kind.as_deref())?;
            dir.nearest(check_point(lat, lon)?, k, kinds.as_deref())
                .into_iter()
                .map(|(i, d)| (i, Some(d)))
                .collect()
        }
        Query::Within {
            lat,
            lon,
            radius_m,
            kind,
        } => {
            if !(0.0..=100_000.0).contains(&radius_m) {
                bail!("le rayon doit être entre 0 et 100 000 mètres");
            }
            let kinds = parse_kinds(dir, kind.as_deref())?;
            dir.within(check_point(lat, lon)?, radius_m, kinds.as_deref())
                .into_iter()
                .map(|(i, d)| (i, Some(d)))
                .collect()
        }
        Query::Search { texte, limit } => {
            let hits = dir.search(&texte, limit);
            if format == Format::Table {
                for h in &hits {
                    println!("{:<10} {:<40} {}", category(h.category), h.label, h.detail);
                }
            } else {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            }
            return Ok(());
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => {
            writeln!(
                out,
                "{:>9}  {:<28} {:<22} {:<40} {:<22} téléphone",
                "distance", "id", "type", "nom", "commune"
            )?;
            for (i, d) in &rows {
                let a = dir.actor(*i);
                let commune = a
                    .commune()
                    .and_then(|c| dir.commune(c))
                    .map(|c| c.name.as_str())
                    .or(a.city())
                    .unwrap_or("");
                writeln!(
                    out,
                    "{:>9}  {:<28} {:<22} {:<40} {:<22} {}",
                    d.map(|d| format!("{:.2} km", d / 1000.0))
                        .unwrap_or_default(),
                    a.id(),
                    dir.kinds().get(a.kind()).id,
                    truncate(a.name(), 40),
                    truncate(commune, 22),
                    a.phone().unwrap_or("")
                )?;
            }
            writeln!(out, "{} résultat(s)", rows.len())?;
        }
        Format::Json | Format::Geojson => {
            let fc = maillage::export::features::collection(dir, rows.into_iter(), None);
            serde_json::to_writer_pretty(&mut out, &fc)?;
            writeln!(out)?;
        }
        Format::Csv => write_actors_csv(
            dir,
            rows.into_iter(),
            CsvOptions {
                delimiter: b';',
                bom: false,
            },
            &mut out,
        )?,
    }
    Ok(())
}

fn category(c: maillage::index::HitCategory) -> &'static str {
    use maillage::index::HitCategory::*;
    match c {
        Actor => "acteur",
        Commune => "commune",
        Territory => "territoire",
        Kind => "type",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn stats(dir: &Directory) {
    println!("Sources :");
    for r in dir.reports() {
        println!(
            "  {} — {} ; données du {} ; {} acceptée(s), {} rejetée(s){}",
            r.file,
            r.source_name,
            r.source_date.as_deref().unwrap_or("date inconnue"),
            r.accepted,
            r.rejected,
            if r.sample { " ; EXEMPLE" } else { "" }
        );
    }
    let mut by_sector: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut by_commune: BTreeMap<String, usize> = BTreeMap::new();
    for a in dir.actors() {
        let k = dir.kinds().get(a.kind());
        *by_sector.entry(k.sector.label()).or_default() += 1;
        *by_kind
            .entry((k.sector.label(), k.label.as_str()))
            .or_default() += 1;
        let c = a
            .commune()
            .map(|c| match dir.commune(c) {
                Some(cm) => format!("{} {}", c, cm.name),
                None => c.to_string(),
            })
            .unwrap_or_else(|| "(commune inconnue)".into());
        *by_commune.entry(c).or_default() += 1;
    }
    println!("\nActeurs par secteur :");
    for (s, n) in &by_sector {
        println!("  {s:<16} {n:>8}");
    }
    println!("\nActeurs par type :");
    for ((s, k), n) in &by_kind {
        println!("  {s:<16} {k:<60} {n:>8}");
    }
    println!("\nActeurs par commune :");
    for (c, n) in &by_commune {
        println!("  {c:<40} {n:>8}");
    }
    println!(
        "\nTotal : {} acteurs, {} communes, {} territoires",
        dir.actors().len(),
        dir.communes().len(),
        dir.territories().len()
    );
}
