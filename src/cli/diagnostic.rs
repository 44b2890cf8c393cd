//! `maillage diagnostic`: territorial diagnosis (indicators, coverage, accessibility), written as
//! CSV, GeoJSON, SVG/PNG maps and an HTML report.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::analysis::TravelModel;
use maillage::export::diagnostic_cli as lib;

use super::{BaseArg, DataArg};

#[derive(Debug, Args)]
pub struct DiagnosticArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    base: BaseArg,
    /// Territoire : code de département (81), SIREN d'EPCI ou identifiant (dep:81, epci:…, cpts:…).
    #[arg(long = "territoire", value_name = "TERRITOIRE")]
    territory: String,
    /// Dossier de sortie (créé au besoin).
    #[arg(long = "sortie", value_name = "DOSSIER")]
    out: PathBuf,
    /// Types d'acteurs séparés par des virgules (par défaut : medecin-generaliste,infirmier,masseur-kinesitherapeute,pharmacie).
    #[arg(long = "types", value_name = "TYPES")]
    kinds: Option<String>,
    /// Source de l'offre : acteurs (annuaire) ou bpe (effectifs INSEE par commune).
    #[arg(long, value_name = "SOURCE", default_value = "acteurs")]
    source: String,
    /// Définition de « couvert » : auto (par zone d'intervention pour les types qui en ont,
    /// sinon par distance), zone (zone d'intervention) ou distance.
    #[arg(long = "couverture", value_name = "DEFINITION", default_value = "auto")]
    coverage_by: String,
    /// Seuil de couverture par distance en km à vol d'oiseau (10 par défaut).
    #[arg(long = "max-km", value_name = "KM", conflicts_with = "max_minutes")]
    max_km: Option<f64>,
    /// Seuil de couverture en minutes : en voiture (Valhalla) avec --routage, sinon estimées à
    /// vol d'oiseau.
    #[arg(long = "max-minutes", value_name = "MINUTES")]
    max_minutes: Option<f64>,
    /// Vitesse moyenne pour estimer les temps (km/h).
    #[arg(long = "vitesse-kmh", value_name = "KMH", default_value_t = TravelModel::DEFAULT_SPEED_KMH)]
    speed_kmh: f64,
    /// Facteur de détour routier (distance routière ÷ distance à vol d'oiseau).
    #[arg(long = "detour", value_name = "FACTEUR", default_value_t = TravelModel::DEFAULT_DETOUR)]
    detour: f64,
    /// Paliers du 2SFCA « borne:poids » séparés par des virgules (par défaut 10:1,15:0.667,20:0.333).
    #[arg(long = "paliers", value_name = "PALIERS")]
    steps: Option<String>,
    /// Unité des paliers : minutes ou km.
    #[arg(long = "unite", value_name = "UNITE", default_value = "minutes")]
    unit: String,
    /// Pondère l'offre par la capacité des acteurs quand elle est connue.
    #[arg(long = "capacite")]
    capacity: bool,
    /// Remplace les effectifs de 1 à 4 par « < 5 ».
    #[arg(long = "masquer-petits-effectifs")]
    mask_small: bool,
    /// Séparateur du CSV : « ; » (tableur français, virgule décimale, BOM) ou « , ».
    #[arg(long = "separateur", value_name = "SEPARATEUR", default_value = ";")]
    separator: String,
    #[command(flatten)]
    routage: super::routage::RoutageArg,
}

pub fn run(a: DiagnosticArgs) -> Result<ExitCode> {
    let dir = a.data.load_served(&a.base)?;
    let engine = a.routage.engine()?;
    let options = lib::DiagnosticArgs {
        territory: a.territory,
        out: a.out,
        kinds: a.kinds,
        source: a.source,
        coverage_by: a.coverage_by,
        max_km: a.max_km,
        max_minutes: a.max_minutes,
        speed_kmh: a.speed_kmh,
        detour: a.detour,
        steps: a.steps,
        unit: a.unit,
        capacity: a.capacity,
        mask_small: a.mask_small,
        separator: a.separator,
        routing: maillage::analysis::Travel::of(engine.as_ref()),
    };
    lib::run(&options, &dir, &mut std::io::stdout())?;
    if let Some(e) = engine {
        e.save()?;
    }
    Ok(ExitCode::SUCCESS)
}
