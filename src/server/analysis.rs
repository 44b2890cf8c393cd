//! Handlers of the territorial diagnosis (see docs/diagnostic.md): indicators, coverage,
//! 2SFCA accessibility, catchments, and their CSV, GeoJSON, SVG and PNG exports.

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::openapi::{tags, Binary, Collection};
use super::params::Params;
use super::respond::{json, typed, ApiResult, GEOJSON, GPKG, JSON};
use super::AppState;
use crate::analysis::diagnostic::zones;
use crate::analysis::inputs::PlaceSet;
use crate::analysis::{
    around, around_by_road, diagnose, AnalysisError, Computed, CoverageChoice, DecayUnit,
    DiagnosticParams, Reach, RoadReach, StepDecay, SupplySource, Travel, TravelModel,
};
use crate::export::diagnostic::{
    file_name, geojson, gpkg, kind_index, map_spec, parse_indicator, report_maps, uncovered,
    uncovered_gpkg, write_csv, ExportError, UNCOVERED_COLUMNS,
};
use crate::export::gpkg::Cell;
use crate::export::map::{choropleth_svg, svg_to_png};
use crate::export::CsvOptions;
use crate::index::Directory;
use crate::model::LonLat;
use crate::routing::{Engine, RoutingError};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(diagnostic))
        .routes(routes!(indicators))
        .routes(routes!(diagnostic_csv))
        .routes(routes!(diagnostic_geojson))
        .routes(routes!(diagnostic_gpkg))
        .routes(routes!(map_svg_route))
        .routes(routes!(map_png_route))
        .routes(routes!(report_route))
        .routes(routes!(couverture))
        .routes(routes!(accessibilite))
        .routes(routes!(zones_route))
}

/// `source`: where the supply comes from.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum SupplyParam {
    Acteurs,
    Bpe,
}

/// `couverture`: what « covered » means.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum CoverageParam {
    Auto,
    Zone,
    Distance,
}

/// `unite`: unit of the 2SFCA steps.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum UnitParam {
    Minutes,
    Km,
}

/// A yes/no parameter.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum YesNoParam {
    Oui,
    Non,
    True,
    False,
    #[schema(rename = "1")]
    One,
    #[schema(rename = "0")]
    Zero,
}

/// The parameters of a diagnosis, shared by every route of this resource.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiagnosticQuery {
    /// Territoire : dep:81, epci:<siren>, cpts:<slug>, ou 81 (voir /api/territories)
    pub territory: String,
    /// Types séparés par des virgules (défaut : medecin-generaliste,infirmier,masseur-kinesitherapeute,pharmacie)
    pub kinds: Option<String>,
    /// Offre : acteurs de l'annuaire ou équipements BPE
    #[param(inline)]
    pub source: Option<SupplyParam>,
    /// Définition de « couvert » : auto (par zone d'intervention pour les types qui en ont, sinon par distance), zone ou distance
    #[param(inline)]
    pub couverture: Option<CoverageParam>,
    /// Seuil de couverture par distance en km à vol d'oiseau (défaut 10)
    #[param(minimum = 0, maximum = 200)]
    pub max_km: Option<f64>,
    /// Seuil de couverture en minutes : en voiture (Valhalla) avec « servir --routage », sinon estimées à vol d'oiseau (« routage », « minutes_libelle » et « seuil_couverture_libelle » de la réponse le disent)
    #[param(minimum = 0, maximum = 180)]
    pub max_minutes: Option<f64>,
    /// Vitesse moyenne en km/h (défaut 60)
    #[param(exclusive_minimum = 0, maximum = 200)]
    pub vitesse_kmh: Option<f64>,
    /// Facteur de détour routier (défaut 1,3)
    #[param(minimum = 1, maximum = 5)]
    pub detour: Option<f64>,
    /// Paliers 2SFCA borne:poids (défaut 10:1,15:0.667,20:0.333)
    pub paliers: Option<String>,
    #[param(inline)]
    pub unite: Option<UnitParam>,
    /// Pondérer l'offre par la capacité
    #[param(inline)]
    pub capacite: Option<YesNoParam>,
    /// Masquer les effectifs de 1 à 4
    #[param(inline)]
    pub masquer: Option<YesNoParam>,
}

/// An indicator of the commune table (`indicateur`; the list is /api/diagnostic/indicateurs).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// Un type (le premier de « kinds » par défaut)
    pub kind: Option<String>,
    /// Indicateur cartographié (densite par défaut ; voir /api/diagnostic/indicateurs)
    pub indicateur: Option<String>,
}

const BAD: &str = "Paramètre invalide";

fn bool_param(p: &Params, name: &str) -> Result<bool, ApiError> {
    match p.get(name).map(str::to_lowercase).as_deref() {
        None | Some("0") | Some("false") | Some("non") => Ok(false),
        Some("1") | Some("true") | Some("oui") => Ok(true),
        Some(v) => Err(ApiError::bad_param(
            name,
            format!("oui/non (ou true/false, 1/0) attendu, trouvé « {v} »"),
        )),
    }
}

/// `paliers=10:1,15:0.667,20:0.333` (bounds in `unite=minutes|km`).
fn decay_param(p: &Params) -> Result<StepDecay, ApiError> {
    let unit = match p.get("unite").map(str::to_lowercase).as_deref() {
        None | Some("minutes") | Some("min") => DecayUnit::Minutes,
        Some("km") => DecayUnit::Km,
        Some(v) => {
            return Err(ApiError::bad_param(
                "unite",
                format!("« minutes » ou « km » attendu, trouvé « {v} »"),
            ))
        }
    };
    let Some(v) = p.get("paliers") else {
        return if unit == DecayUnit::Minutes {
            Ok(StepDecay::default())
        } else {
            StepDecay::new(
                DecayUnit::Km,
                vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)],
            )
            .map_err(ApiError::from)
        };
    };
    StepDecay::parse(unit, v)
        .ok_or_else(|| {
            ApiError::bad_param(
                "paliers",
                format!("{}, trouvé « {v} »", StepDecay::EXPECTED),
            )
        })?
        .map_err(ApiError::from)
}

/// Every diagnosis parameter from the query string.
pub fn diagnostic_params(p: &Params) -> Result<DiagnosticParams, ApiError> {
    let mut d = DiagnosticParams::default();
    if let Some(k) = p.get("kinds").or_else(|| p.get("kind")) {
        d.kinds = k
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
    }
    if let Some(s) = p.get("source") {
        d.source = SupplySource::parse(s).ok_or_else(|| {
            ApiError::bad_param(
                "source",
                format!("« acteurs » ou « bpe » attendu, trouvé « {s} »"),
            )
        })?;
    }
    let detour = p
        .f64("detour", 1.0, 3.0)?
        .unwrap_or(TravelModel::DEFAULT_DETOUR);
    let speed = p
        .f64("vitesse_kmh", 5.0, 130.0)?
        .unwrap_or(TravelModel::DEFAULT_SPEED_KMH);
    d.travel = TravelModel::new(detour, speed).map_err(ApiError::from)?;
    match (
        p.f64("max_km", 0.0, crate::analysis::travel::MAX_REACH_KM)?,
        p.f64("max_minutes", 0.0, crate::routing::MAX_TRAVEL_MINUTES)?,
    ) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "paramètres incompatibles",
                "donner « max_km » ou « max_minutes », pas les deux",
            ))
        }
        (Some(km), None) => d.coverage = Reach::Km(km),
        (None, Some(m)) => d.coverage = Reach::Minutes(m),
        (None, None) => {}
    }
    d.coverage.validate().map_err(ApiError::from)?;
    if let Some(v) = p.get("couverture") {
        d.coverage_by = CoverageChoice::parse(v).ok_or_else(|| {
            ApiError::bad_param(
                "couverture",
                format!("{} attendu, trouvé « {v} »", CoverageChoice::EXPECTED),
            )
        })?;
    }
    d.decay = decay_param(p)?;
    d.capacity = bool_param(p, "capacite")?;
    d.mask_small = bool_param(p, "masquer")?;
    Ok(d)
}

fn territory_param(p: &Params) -> Result<&str, ApiError> {
    p.get("territory").ok_or_else(|| {
        ApiError::missing(
            "territory",
            "identifiant de territoire (voir /api/territories), ex. dep:81",
        )
    })
}

/// The diagnosis parameters with the server's travel model (road times under
/// `servir --routage`).
fn params_for(st: &AppState, p: &Params) -> Result<DiagnosticParams, ApiError> {
    let mut params = diagnostic_params(p)?;
    if let Some(e) = &st.config.routing {
        params.routing = Travel::Road(e.clone());
    }
    Ok(params)
}

/// Runs `f` where it may block on the routing engine (a blocking thread of the server).
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// The diagnosis; with road times, an engine failure is an error (503), or, under
/// `servir --routage-repli`, a diagnosis on estimates that says so.
fn compute(st: &AppState, dir: &Directory, p: &Params) -> Result<Computed, ApiError> {
    let params = params_for(st, p)?;
    let territory = territory_param(p)?;
    let Some(engine) = st.config.routing.as_ref() else {
        return diagnose(dir, territory, &params).map_err(ApiError::from);
    };
    let r = blocking(|| diagnose(dir, territory, &params));
    if let Err(e) = engine.save() {
        tracing::warn!("{e}");
    }
    match r {
        Err(AnalysisError::Routing(e)) if st.config.routing_fallback => {
            let params = DiagnosticParams {
                routing: Travel::Estimate,
                ..params
            };
            let mut c = diagnose(dir, territory, &params).map_err(ApiError::from)?;
            c.diagnostic.avertissements.insert(0, fallback_warning(&e));
            Ok(c)
        }
        r => r.map_err(ApiError::from),
    }
}

/// Said when the engine failed and `--routage-repli` answered with the estimate.
pub fn fallback_warning(e: &RoutingError) -> String {
    format!(
        "{e} : repli sur les temps estimés ({})",
        Travel::Estimate.name()
    )
}

fn csv_response(c: &Computed, p: &Params) -> ApiResult {
    let opts = match p.get("separateur") {
        None => CsvOptions::default(),
        Some(v) => CsvOptions::parse(v).ok_or_else(|| {
            ApiError::bad_param(
                "separateur",
                format!("{} attendu, trouvé « {v} »", CsvOptions::EXPECTED),
            )
        })?,
    };
    let name = file_name(c, (opts.delimiter == b',').then_some("virgule"), "csv");
    let mut buf = Vec::new();
    write_csv(c, opts, &mut buf).map_err(|e| {
        ApiError::from(ExportError::Io {
            path: "réponse".into(),
            source: e,
        })
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        buf,
    )
        .into_response())
}

/// The communes of the diagnosis as a GeoPackage download (typed columns, outlines).
fn gpkg_response(dir: &Directory, c: &Computed) -> ApiResult {
    let bytes = gpkg(dir, c)?;
    Ok(super::respond::gpkg(bytes, &file_name(c, None, "gpkg")))
}

/// `GET /api/diagnostic`: the whole diagnosis (`format=json|csv|geojson|gpkg`).
#[utoipa::path(get, path = "/api/diagnostic", tag = tags::ANALYSIS,
    summary = "Diagnostic territorial : indicateurs par commune, comparaisons département et région, paramètres",
    params(DiagnosticQuery,
        ("format" = Option<String>, Query, description = "json (défaut), csv, geojson ou gpkg (GeoPackage)", pattern = "^(json|csv|geojson|gpkg)$"),
        ("separateur" = Option<String>, Query, description = "CSV : ; (défaut) ou ,", pattern = "^[;,]$")),
    responses(
        (status = 200, description = "Diagnostic (JSON ; CSV, GeoJSON ou GeoPackage selon « format »)",
            content((DiagnosticAnswer = "application/json"), (String = "text/csv"), (Collection<Objet> = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn diagnostic(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let c = compute(&st, &dir, &p)?;
    match p.get("format").unwrap_or("json") {
        "json" => Ok(typed(&c.diagnostic, JSON)),
        "csv" => csv_response(&c, &p),
        "geojson" => Ok(typed(&geojson(&dir, &c), GEOJSON)),
        "gpkg" => gpkg_response(&dir, &c),
        f => Err(ApiError::bad_param(
            "format",
            format!("json, csv, geojson ou gpkg attendu, trouvé « {f} »"),
        )),
    }
}

/// `GET /api/diagnostic/indicateurs`: the indicator tables (ids, labels, units, decimals).
#[utoipa::path(get, path = "/api/diagnostic/indicateurs", tag = tags::ANALYSIS,
    summary = "Table des indicateurs du diagnostic : identifiant, libellé, en-tête, unité, décimales, colonne CSV, champ JSON",
    responses((status = 200, description = "Tables des indicateurs par commune et des comparaisons", body = Indicateurs)))]
pub async fn indicators() -> Response {
    json(&crate::analysis::indicators::DESCRIPTORS)
}

/// `GET /api/diagnostic.csv`.
#[utoipa::path(get, path = "/api/diagnostic.csv", tag = tags::ANALYSIS,
    summary = "Diagnostic en CSV (une ligne par commune)",
    params(DiagnosticQuery, ("separateur" = Option<String>, Query, description = "; (défaut) ou ,", pattern = "^[;,]$")),
    responses(
        (status = 200, description = "CSV UTF-8", body = String, content_type = "text/csv"),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn diagnostic_csv(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let c = compute(&st, &dir, &p)?;
    csv_response(&c, &p)
}

/// `GET /api/diagnostic.geojson`.
#[utoipa::path(get, path = "/api/diagnostic.geojson", tag = tags::ANALYSIS,
    summary = "Diagnostic en GeoJSON (indicateurs en propriétés)", params(DiagnosticQuery),
    responses(
        (status = 200, description = "FeatureCollection", body = Collection<Objet>, content_type = GEOJSON),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn diagnostic_geojson(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let c = compute(&st, &dir, &p)?;
    Ok(typed(&geojson(&dir, &c), GEOJSON))
}

/// `GET /api/diagnostic.gpkg`.
#[utoipa::path(get, path = "/api/diagnostic.gpkg", tag = tags::ANALYSIS,
    summary = "Diagnostic en GeoPackage pour QGIS (colonnes typées, même vides ; contours en EPSG:4326)",
    params(DiagnosticQuery),
    responses(
        (status = 200, description = "GeoPackage (une couche « communes »)", body = Binary, content_type = GPKG),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn diagnostic_gpkg(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let c = compute(&st, &dir, &p)?;
    gpkg_response(&dir, &c)
}

fn map_svg(st: &AppState, dir: &Directory, p: &Params) -> Result<String, ApiError> {
    let c = compute(st, dir, p)?;
    let k =
        kind_index(&c, p.get("kind").and_then(|k| k.split(',').next())).map_err(ApiError::from)?;
    let ind = parse_indicator(p.get("indicateur").unwrap_or("densite")).map_err(ApiError::from)?;
    Ok(choropleth_svg(&map_spec(
        dir,
        &c,
        k,
        ind,
        &crate::util::date::today(),
    )))
}

/// `GET /api/diagnostic/carte.svg?territory=&kind=&indicateur=`.
#[utoipa::path(get, path = "/api/diagnostic/carte.svg", tag = tags::ANALYSIS,
    summary = "Carte choroplèthe SVG d'un indicateur", params(DiagnosticQuery, MapQuery),
    responses(
        (status = 200, description = "Image SVG", body = String, content_type = "image/svg+xml"),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn map_svg_route(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let svg = map_svg(&st, &dir, &Params::parse(q.as_deref()))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `GET /api/diagnostic/carte.png?territory=&kind=&indicateur=`.
#[utoipa::path(get, path = "/api/diagnostic/carte.png", tag = tags::ANALYSIS,
    summary = "Carte choroplèthe PNG d'un indicateur", params(DiagnosticQuery, MapQuery),
    responses(
        (status = 200, description = "Image PNG", body = Binary, content_type = "image/png"),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn map_png_route(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let svg = map_svg(&st, &dir, &Params::parse(q.as_deref()))?;
    let png = svg_to_png(&svg).map_err(|e| ApiError::from(ExportError::from(e)))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// `GET /api/diagnostic/rapport.html?territory=&kinds=…`: the full report, as written by
/// `maillage diagnostic` (tables, maps, method, parameters, sources), printable from the browser.
#[utoipa::path(get, path = "/api/diagnostic/rapport.html", tag = tags::ANALYSIS,
    summary = "Rapport HTML complet du diagnostic (tableaux, cartes, méthode, sources), imprimable",
    params(DiagnosticQuery),
    responses(
        (status = 200, description = "Page HTML autonome", body = String, content_type = "text/html"),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn report_route(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let c = compute(&st, &dir, &p)?;
    let date = crate::util::date::today();
    let maps = report_maps(&dir, &c, &date).map_err(ApiError::from)?;
    let html = crate::export::diagnostic_html::report_html(&c, &maps, &date);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{}\"",
                    file_name(&c, Some("rapport"), "html")
                ),
            ),
        ],
        html,
    )
        .into_response())
}

fn one_kind(p: &Params) -> Result<(), ApiError> {
    match p.get("kind").or_else(|| p.get("kinds")) {
        None => Err(ApiError::missing(
            "kind",
            "un type d'acteur (voir /api/kinds), ex. medecin-generaliste",
        )),
        Some(k) if k.contains(',') => Err(ApiError::bad_param(
            "kind",
            format!("un seul type attendu, trouvé « {k} »"),
        )),
        Some(_) => Ok(()),
    }
}

/// `GET /api/couverture?territory=&kind=&max_km=` (or `max_minutes=`): coverage of the territory
/// and its « zones blanches » (`format=geojson` or `gpkg` for their outlines).
#[utoipa::path(get, path = "/api/couverture", tag = tags::ANALYSIS,
    summary = "Couverture d'un territoire pour un type, zones blanches (format=geojson ou gpkg pour leurs contours)",
    params(DiagnosticQuery,
        ("kind" = String, Query, description = "Un type"),
        ("format" = Option<String>, Query, description = "json (défaut), geojson ou gpkg (GeoPackage)", pattern = "^(json|geojson|gpkg)$")),
    responses(
        (status = 200, description = "Couverture (JSON ; GeoJSON ou GeoPackage des zones blanches selon « format »)",
            content((CouvertureAnswer = "application/json"), (Collection<CommuneProche> = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = BAD, body = ApiError),
        (status = 503, description = "Moteur de routage injoignable (sans « --routage-repli »)", body = ApiError)))]
pub async fn couverture(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    one_kind(&p)?;
    let c = compute(&st, &dir, &p)?;
    let area = &c.diagnostic.comparaisons[0].indicateurs[0];
    let rows = uncovered(&c);
    let object = |cells: &[Cell<'_>]| -> Value {
        UNCOVERED_COLUMNS
            .iter()
            .zip(cells)
            .map(|((name, _), v)| (name.to_string(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    match p.get("format").unwrap_or("json") {
        "json" => {}
        "geojson" => {
            let features: Vec<Value> = rows
                .iter()
                .filter_map(|(i, cells)| {
                    let cm = dir.commune(c.places.get(*i).code.parse().ok()?)?;
                    Some(json!({"type": "Feature", "properties": object(cells),
                        "geometry": geojson::Geometry::new(geojson::Value::from(&cm.geometry))}))
                })
                .collect();
            return Ok(typed(
                &json!({"type": "FeatureCollection", "features": features}),
                GEOJSON,
            ));
        }
        "gpkg" => {
            let bytes = uncovered_gpkg(&dir, &c)?;
            let name = file_name(&c, Some("zones-blanches"), "gpkg");
            return Ok(super::respond::gpkg(bytes, &name));
        }
        f => {
            return Err(ApiError::bad_param(
                "format",
                format!("json, geojson ou gpkg attendu, trouvé « {f} »"),
            ))
        }
    }
    let uncovered: Vec<Value> = rows.iter().map(|(_, cells)| object(cells)).collect();
    let comparisons: Vec<Value> = c
        .diagnostic
        .comparaisons
        .iter()
        .map(|a| json!({"niveau": a.niveau, "code": a.code, "nom": a.nom, "couverture": a.indicateurs[0].couverture}))
        .collect();
    Ok(typed(
        &json!({
            "territoire": c.diagnostic.territoire,
            "type": c.diagnostic.types[0],
            "seuil": c.diagnostic.parametres.seuil_couverture_libelle,
            "definition": c.diagnostic.types[0].couverture_definition,
            "modele_trajet": c.diagnostic.parametres.modele_trajet_libelle,
            "modele_trajet_nom": c.diagnostic.parametres.modele_trajet_nom,
            "routage": c.diagnostic.parametres.routage,
            "couverture": area.couverture,
            "comparaisons": comparisons,
            "zones_blanches": uncovered,
            "avertissements": c.diagnostic.avertissements,
        }),
        JSON,
    ))
}

/// `GET /api/accessibilite?territory=&kind=&paliers=&unite=`: 2SFCA per commune and the
/// population-weighted mean.
#[utoipa::path(get, path = "/api/accessibilite", tag = tags::ANALYSIS,
    summary = "Accessibilité 2SFCA par commune et moyenne pondérée",
    params(DiagnosticQuery, ("kind" = String, Query, description = "Un type")),
    responses(
        (status = 200, description = "Accessibilité", body = Accessibilite),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn accessibilite(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    one_kind(&p)?;
    let c = compute(&st, &dir, &p)?;
    let communes: Vec<Value> = c
        .diagnostic
        .communes
        .iter()
        .map(|r| {
            json!({"code": r.code, "nom": r.nom, "population": r.population,
                        "apl_10000": r.indicateurs[0].apl_10000})
        })
        .collect();
    let means: Vec<Value> = c
        .diagnostic
        .comparaisons
        .iter()
        .map(|a| {
            json!({"niveau": a.niveau, "code": a.code, "nom": a.nom, "population": a.population,
                        "apl_moyenne_10000": a.indicateurs[0].apl_moyenne_10000})
        })
        .collect();
    Ok(typed(
        &json!({
            "territoire": c.diagnostic.territoire,
            "type": c.diagnostic.types[0],
            "unite": "offre pour 10 000 habitants (même unité que la densité)",
            "decroissance": c.diagnostic.parametres.decroissance_2sfca_libelle,
            "modele_trajet": c.diagnostic.parametres.modele_trajet_libelle,
            "modele_trajet_nom": c.diagnostic.parametres.modele_trajet_nom,
            "methode": c.diagnostic.parametres.methode,
            "moyennes": means,
            "communes": communes,
        }),
        JSON,
    ))
}

/// `GET /api/zones?kind=&territory=`: each supply point's catchment (communes nearest to it);
/// `GET /api/zones?kind=&lat=&lon=&max_km=` (or `max_minutes=`): communes within reach of a point.
#[utoipa::path(get, path = "/api/zones", tag = tags::ANALYSIS,
    summary = "Zones d'attraction : communes rattachées à l'offre la plus proche, ou communes à portée d'un point (lat, lon, max_km ou max_minutes, par la route avec « servir --routage »)",
    params(("kind" = Option<String>, Query, description = "Un type"),
        ("territory" = Option<String>, Query, description = "Territoire"),
        ("lat" = Option<f64>, Query, description = "Latitude (avec lon et max_km)", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude", minimum = -180, maximum = 180),
        ("max_km" = Option<f64>, Query, description = "Rayon en km", minimum = 0, maximum = 200),
        ("max_minutes" = Option<f64>, Query, description = "Temps de trajet en minutes : en voiture par la route (Valhalla, une matrice de temps depuis le point) avec « servir --routage », sinon estimé à vol d'oiseau × détour ; « routage » et « modele_trajet_nom » de la réponse disent lequel", minimum = 0, maximum = 180)),
    responses(
        (status = 200, description = "Zones", body = Zones),
        (status = 400, description = BAD, body = ApiError),
        (status = 503, description = "Moteur de routage injoignable (sans « --routage-repli »)", body = ApiError)))]
pub async fn zones_route(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let params = params_for(&st, &p)?;
    if p.get("lat").is_some() || p.get("lon").is_some() {
        let at = p.point()?;
        if p.get("max_km").is_none() && p.get("max_minutes").is_none() {
            return Err(ApiError::missing(
                "max_km",
                "un rayon en km (ou max_minutes)",
            ));
        }
        return within_reach(&st, &dir, at, &params);
    }
    one_kind(&p)?;
    let c = blocking(|| diagnose(&dir, p.get("territory").unwrap_or(""), &params));
    // Without a territory, the catchments of every loaded commune.
    let (c, members) = match (p.get("territory"), c) {
        (Some(_), Ok(c)) => {
            let m = c.members.clone();
            (c, Some(m))
        }
        (Some(_), Err(e)) => return Err(e.into()),
        (None, _) => {
            let first = dir
                .territories()
                .first()
                .map(|t| t.territory.id.clone())
                .unwrap_or_default();
            (
                blocking(|| diagnose(&dir, &first, &params)).map_err(ApiError::from)?,
                None,
            )
        }
    };
    let run = &c.runs[0];
    let zs = zones(run, &c.places, members.as_deref());
    let out: Vec<Value> = zs
        .iter()
        .map(|z| {
            let s = run.supplies.get(z.supply);
            json!({
                "id": s.key, "nom": s.label, "offre": s.weight, "commune": s.commune,
                "lon": s.position.lon, "lat": s.position.lat,
                "population": z.population, "distance_max_km": z.max_distance_m / 1000.0,
                "communes": z.places.iter().map(|&i| {
                    let pl = c.places.get(i);
                    json!({"code": pl.code, "nom": pl.name, "population": pl.population})
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(typed(
        &json!({"type": c.diagnostic.types[0],
            "methode": if params.routing.engine().is_some() {
                "chaque commune (son centroïde) est rattachée à l'offre la plus proche en temps de trajet par la route ; égalités départagées par identifiant"
            } else {
                "chaque commune (son centroïde) est rattachée à l'offre la plus proche à vol d'oiseau ; égalités départagées par identifiant"
            },
            "modele_trajet_nom": params.routing.name(), "zones": out}),
        JSON,
    ))
}

/// `/api/zones?lat=&lon=`: the communes within reach of `at`. `max_minutes` under
/// `servir --routage`: by road time ([`around_by_road`]); an engine failure is a 503, or, under
/// `--routage-repli`, the estimate that says so. Otherwise within the great-circle distance
/// (`max_km`, or `max_minutes` turned into metres by the estimate). `routage` and
/// `modele_trajet_nom` say which.
fn within_reach(
    st: &AppState,
    dir: &Directory,
    at: LonLat,
    params: &DiagnosticParams,
) -> ApiResult {
    let places = crate::analysis::build::places(dir);
    let mut warning = None;
    if let (Travel::Road(e), Reach::Minutes(m)) = (&params.routing, params.coverage) {
        let r = blocking(|| around_by_road(&places, e, at, m));
        if let Err(err) = e.save() {
            tracing::warn!("{err}");
        }
        match r {
            Ok(r) => return Ok(typed(&road_reach_json(&places, at, params, e, &r), JSON)),
            Err(AnalysisError::Routing(err)) if st.config.routing_fallback => {
                warning = Some(fallback_warning(&err));
            }
            Err(err) => return Err(err.into()),
        }
    }
    let radius = params.coverage.crow_metres(&params.travel);
    let (found, population) = around(&places, at, radius);
    let communes: Vec<Value> = found
        .iter()
        .map(|&(i, d)| {
            let pl = places.get(i);
            json!({"code": pl.code, "nom": pl.name, "population": pl.population,
                   "distance_km": d / 1000.0, "temps_estime_min": params.travel.minutes(d)})
        })
        .collect();
    let mut v = json!({"point": {"lat": at.lat, "lon": at.lon}, "seuil": params.coverage.label_by(&Travel::Estimate),
            "modele_trajet": params.travel.describe(), "modele_trajet_nom": Travel::Estimate.name(),
            "routage": false, "population": population, "communes": communes});
    if let Some(w) = warning {
        v["avertissement"] = w.into();
    }
    Ok(typed(&v, JSON))
}

/// The answer of [`within_reach`] by road: each commune with its road time and distance (as
/// `/api/nearest?par=temps`: `temps_route_min`, `distance_route_km`), those the road does not
/// reach in `hors_reseau_routier`.
fn road_reach_json(
    places: &PlaceSet,
    at: LonLat,
    params: &DiagnosticParams,
    e: &Engine,
    r: &RoadReach,
) -> Value {
    let communes: Vec<Value> = r
        .found
        .iter()
        .map(|&(i, leg, d)| {
            let pl = places.get(i);
            json!({"code": pl.code, "nom": pl.name, "population": pl.population,
                   "distance_km": d / 1000.0, "temps_estime_min": params.travel.minutes(d),
                   "temps_route_min": (leg.minutes() * 10.0).round() / 10.0,
                   "distance_route_km": (leg.km * 100.0).round() / 100.0})
        })
        .collect();
    let unreached: Vec<Value> = r
        .unroutable
        .iter()
        .map(|&(i, why)| {
            let pl = places.get(i);
            json!({"code": pl.code, "nom": pl.name, "raison": why.reason()})
        })
        .collect();
    let mut v = json!({"point": {"lat": at.lat, "lon": at.lon},
        "seuil": params.coverage.label_by(&params.routing),
        "modele_trajet": format!("temps de trajet en voiture par la route, du point vers le centre de chaque commune ({})", e.label()),
        "modele_trajet_nom": e.label(), "routage": true,
        "population": r.population, "communes": communes, "hors_reseau_routier": unreached});
    if r.origin_off_road {
        v["avertissement"] = super::routing::ORIGIN_OFF_ROAD.into();
    }
    v
}

/// A JSON object whose members are listed by `GET /api/diagnostic/indicateurs` or in
/// docs/diagnostic.md.
#[derive(serde::Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct Objet(pub Value);

/// `GET /api/diagnostic` in JSON: one row per commune, the comparisons (territory,
/// département, région), the parameters and the indicator tables.
#[derive(serde::Serialize, ToSchema)]
pub struct Diagnostic {
    pub territoire: Objet,
    pub parametres: Objet,
    /// The kinds, each with its coverage definition (`couverture_definition`).
    pub types: Vec<Objet>,
    /// One row per commune, the indicators per kind.
    pub communes: Vec<Objet>,
    /// Territory, département and région rows.
    pub comparaisons: Vec<Objet>,
    /// Levels left out and why (`niveau`, `code`, `nom`, `motif`): a région of which only one
    /// département is loaded.
    pub comparaisons_absentes: Vec<Objet>,
    /// Uncovered communes of the territory, per kind id.
    pub zones_blanches: std::collections::BTreeMap<String, Vec<String>>,
    pub appariement_codes: Objet,
    pub sources: Vec<Objet>,
    pub avertissements: Vec<String>,
    /// The indicator tables, as `GET /api/diagnostic/indicateurs`.
    pub descripteurs: Indicateurs,
}

/// `GET /api/diagnostic/indicateurs`: the indicator tables.
#[derive(serde::Serialize, ToSchema)]
pub struct Indicateurs {
    /// Per-commune indicators: id, label, header, unit, decimals, CSV column, JSON field, `carte`.
    pub communes: Vec<Objet>,
    /// Area figures (territory, département, région).
    pub comparaisons: Vec<Objet>,
    /// Coverage definitions offered (service area, distance): `id`, `libelle`.
    pub couvertures: Vec<Objet>,
}

/// `GET /api/diagnostic`: JSON, or CSV/GeoJSON with `format`.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum DiagnosticAnswer {
    Json(Box<Diagnostic>),
    GeoJson(Collection<Objet>),
}

/// A commune of an answer, with its distance to the nearest supply when known.
#[derive(serde::Serialize, ToSchema)]
pub struct CommuneProche {
    pub code: String,
    pub nom: String,
    pub population: Option<f64>,
    /// Great-circle kilometres.
    pub distance_km: Option<f64>,
    /// Minutes estimated from the great-circle distance.
    pub temps_estime_min: Option<f64>,
    /// Minutes by road (Valhalla), under `servir --routage`.
    pub temps_route_min: Option<f64>,
    /// Road kilometres (Valhalla), in `/api/zones?lat=&lon=&max_minutes=` by road.
    pub distance_route_km: Option<f64>,
}

/// Coverage of one area (territory, département, région).
#[derive(serde::Serialize, ToSchema)]
pub struct CouvertureZone {
    pub niveau: String,
    pub code: String,
    pub nom: String,
    pub couverture: Objet,
}

/// `GET /api/couverture` in JSON.
#[derive(serde::Serialize, ToSchema)]
pub struct Couverture {
    pub territoire: Objet,
    #[serde(rename = "type")]
    pub kind: Objet,
    pub seuil: String,
    /// Coverage by service area or by distance, in French.
    pub definition: String,
    pub modele_trajet: String,
    /// « réseau routier OpenStreetMap (Valhalla), extrait du JJ/MM/AAAA » or « estimation à vol
    /// d'oiseau × détour », as `modele_trajet` of `/api/nearest?par=temps`.
    pub modele_trajet_nom: String,
    /// True when the minutes are road times (Valhalla), false for the estimate.
    pub routage: bool,
    pub couverture: Objet,
    pub comparaisons: Vec<CouvertureZone>,
    pub zones_blanches: Vec<CommuneProche>,
    pub avertissements: Vec<String>,
}

/// `GET /api/couverture`: JSON, or the « zones blanches » outlines with `format=geojson`.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum CouvertureAnswer {
    Json(Box<Couverture>),
    GeoJson(Collection<CommuneProche>),
}

/// A commune's 2SFCA accessibility.
#[derive(serde::Serialize, ToSchema)]
pub struct AccessibiliteCommune {
    pub code: String,
    pub nom: String,
    pub population: Option<f64>,
    pub apl_10000: Option<f64>,
}

/// An area's population-weighted accessibility.
#[derive(serde::Serialize, ToSchema)]
pub struct AccessibiliteZone {
    pub niveau: String,
    pub code: String,
    pub nom: String,
    pub population: Option<f64>,
    pub apl_moyenne_10000: Option<f64>,
}

/// `GET /api/accessibilite`.
#[derive(serde::Serialize, ToSchema)]
pub struct Accessibilite {
    pub territoire: Objet,
    #[serde(rename = "type")]
    pub kind: Objet,
    pub unite: String,
    pub decroissance: String,
    pub modele_trajet: String,
    pub methode: String,
    pub moyennes: Vec<AccessibiliteZone>,
    pub communes: Vec<AccessibiliteCommune>,
}

/// A point of `GET /api/zones?lat=&lon=`.
#[derive(serde::Serialize, ToSchema)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// The communes within reach of a point.
#[derive(serde::Serialize, ToSchema)]
pub struct APortee {
    pub point: Point,
    /// « 15 min en voiture (Valhalla) », « 15 min estimées à vol d'oiseau » or « 10 km à vol
    /// d'oiseau » ([`Reach::label_by`]).
    pub seuil: String,
    /// The travel model in one sentence.
    pub modele_trajet: String,
    /// « réseau routier OpenStreetMap (Valhalla), extrait du JJ/MM/AAAA » or « estimation à vol
    /// d'oiseau × détour », as `modele_trajet` of `/api/nearest?par=temps`.
    pub modele_trajet_nom: String,
    /// True when the communes were chosen by road time (Valhalla), false for the estimate.
    pub routage: bool,
    pub population: f64,
    pub communes: Vec<CommuneProche>,
    /// By road: communes that could be within reach but that the road does not reach
    /// (`code`, `nom`, `raison`).
    pub hors_reseau_routier: Option<Vec<Objet>>,
    /// The point has no road within the engine's reach, or the engine failed and the estimate
    /// was used (`--routage-repli`).
    pub avertissement: Option<String>,
}

/// A commune of a catchment.
#[derive(serde::Serialize, ToSchema)]
pub struct CommuneRattachee {
    pub code: String,
    pub nom: String,
    pub population: Option<f64>,
}

/// One supply point's catchment.
#[derive(serde::Serialize, ToSchema)]
pub struct ZoneAttraction {
    pub id: String,
    pub nom: String,
    pub offre: f64,
    pub commune: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub population: f64,
    pub distance_max_km: f64,
    pub communes: Vec<CommuneRattachee>,
}

/// Every supply point's catchment.
#[derive(serde::Serialize, ToSchema)]
pub struct ZonesAttraction {
    #[serde(rename = "type")]
    pub kind: Objet,
    pub methode: String,
    pub zones: Vec<ZoneAttraction>,
}

/// `GET /api/zones`: catchments, or the communes within reach of a point.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum Zones {
    Attraction(ZonesAttraction),
    Portee(APortee),
}
