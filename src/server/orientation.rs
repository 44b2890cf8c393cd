//! Handlers of service areas and orientation procedures (see docs/api.md):
//! `/api/competents`, `/api/actors/{id}/zone`, `/api/procedures`, `/api/orientation`,
//! the printable sheet `/orientation/{procedure}/{commune}` and `POST /api/admin/recharger`
//! (also run on `SIGHUP`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Who;
use super::error::ApiError;
use super::openapi::{tags, Collection, Feature};
use super::params::{KindQuery, Params};
use super::places::find_commune;
use super::respond::{json, json_status, ApiResult};
use super::AppState;
use crate::export::features::actor_feature;
use crate::index::areas::AreaOrigin;
use crate::index::Directory;
use crate::model::{haversine_m, InseeCode, LonLat};
use crate::orientation::evaluate::criteria_label;
use crate::orientation::place::{locate, PlaceError, PlaceQuery};
use crate::orientation::procedure::{Procedure, Rule, MAX_AGE};
use crate::orientation::{evaluate, sheet, Origin, ProcedureSet};

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(actor_zone))
        .routes(routes!(competents))
        .routes(routes!(procedures))
        .routes(routes!(procedure))
        .routes(routes!(orientation))
        .routes(routes!(reload))
        .routes(routes!(sheet_page))
}

/// A place given by a point or a commune (at least one of them).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceParams {
    /// Latitude WGS84 (avec lon)
    #[param(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    /// Longitude WGS84 (avec lat)
    #[param(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// Code INSEE de la commune (un ancien code désigne la commune qui l'a absorbée)
    #[param(min_length = 5, max_length = 5)]
    pub commune: Option<String>,
}

const BAD: &str = "Paramètre invalide";

fn commune_param(p: &Params, dir: &Directory) -> Result<Option<InseeCode>, ApiError> {
    let Some(v) = p.get("commune") else {
        return Ok(None);
    };
    find_commune(dir, "commune", v, false).map(Some)
}

/// `lat`/`lon` when either is given (both then required).
fn optional_point(p: &Params) -> Result<Option<LonLat>, ApiError> {
    if p.get("lat").is_none() && p.get("lon").is_none() {
        return Ok(None);
    }
    p.point().map(Some)
}

/// `GET /api/competents?lat=&lon=|commune=&kind=`: actors whose service area covers the place.
#[utoipa::path(get, path = "/api/competents", tag = tags::ORIENTATION,
    summary = "Structures compétentes en un lieu : leur zone d'intervention couvre la commune ou le point, avec la raison",
    params(PlaceParams, KindQuery),
    responses(
        (status = 200, description = "FeatureCollection d'acteurs, propriété « raison »", body = Competents, content_type = "application/json"),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn competents(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let p = Params::parse(q.as_deref());
    let point = optional_point(&p)?;
    let commune = commune_param(&p, &dir)?;
    if point.is_none() && commune.is_none() {
        return Err(ApiError::missing(
            "lat",
            "lieu attendu : « lat » et « lon » (degrés WGS84) ou « commune » (code INSEE)",
        ));
    }
    let kinds = p.kinds(&dir)?;
    let at = point.or_else(|| {
        commune
            .and_then(|c| dir.commune(c))
            .and_then(|c| c.centroid())
    });
    let commune = commune.or_else(|| point.and_then(|x| dir.communes().at(x)).map(|c| c.code));
    let found = dir.competent(at, commune, kinds.as_deref());
    let mut features = Vec::with_capacity(found.len());
    for (i, why) in found {
        let a = dir.actor(i);
        let d = point.and_then(|x| a.position().map(|y| haversine_m(x, y)));
        let mut f = serde_json::to_value(actor_feature(&dir, i, d)).unwrap_or(Value::Null);
        f["properties"]["raison"] = Value::String(why);
        features.push(f);
    }
    let total = features.len();
    Ok(json(&json!({
        "type": "FeatureCollection",
        "features": features,
        "total": total,
        "commune": commune.map(|c| c.to_string()),
        "commune_nom": commune.and_then(|c| dir.commune(c)).map(|c| c.name.clone()),
    })))
}

/// `GET /api/actors/{id}/zone`: the actor's service area as a GeoJSON Feature. An actor without
/// a declared area is not an error (most actors have none): its Feature has a null geometry
/// and no zones nor communes.
#[utoipa::path(get, path = "/api/actors/{id}/zone", tag = tags::ORIENTATION,
    summary = "Zone d'intervention d'un acteur (contour GeoJSON, zones déclarées, communes ; vides si l'acteur n'en a pas)",
    params(("id" = String, Path, description = "Identifiant de l'acteur")),
    responses(
        (status = 200, description = "Feature GeoJSON (géométrie nulle et listes vides pour un acteur sans zone d'intervention)", body = Feature<ZoneActeur>),
        (status = 404, description = "Acteur inconnu", body = ApiError)))]
pub async fn actor_zone(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let dir = st.directory();
    let i = super::actors::find(&dir, &id)?;
    let a = dir.actor(i);
    let Some(area) = dir.service_area(i) else {
        return Ok(json(&json!({
            "type": "Feature",
            "id": a.id(),
            "geometry": Value::Null,
            "properties": {
                "acteur": a.id(),
                "nom": a.name(),
                "zones": [],
                "communes": [],
            }
        })));
    };
    let outline = area.outline(dir.communes());
    let geometry = if outline.0.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(geojson::Geometry::from(outline)).unwrap_or(Value::Null)
    };
    let parts: Vec<Value> = area
        .parts
        .iter()
        .map(|p| {
            json!({
                "zone": p.area.to_string(),
                "libelle": p.label,
                "origine": match &p.origin {
                    AreaOrigin::File { file, line } => format!("{file}:{line}"),
                    AreaOrigin::PartnerFile { file } => format!("{file} (colonne zone_intervention)"),
                    AreaOrigin::Communal => "compétence communale (mairie, CCAS)".to_string(),
                },
                "nombre_communes": p.communes.len(),
                "communes_inconnues": p.unknown_communes.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json(&json!({
        "type": "Feature",
        "id": a.id(),
        "geometry": geometry,
        "properties": {
            "acteur": a.id(),
            "nom": a.name(),
            "zones": parts,
            "communes": area.communes().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        }
    })))
}

fn unknown_procedure(set: &ProcedureSet, id: &str) -> ApiError {
    let ids: Vec<&str> = set.iter().map(|p| p.id.as_str()).collect();
    ApiError::bad_param(
        "procedure",
        if ids.is_empty() {
            format!("procédure inconnue « {id} » : aucune procédure n'est chargée")
        } else {
            format!(
                "procédure inconnue « {id} » ; procédures disponibles : {}",
                ids.join(", ")
            )
        },
    )
}

/// `GET /api/procedures`.
#[utoipa::path(get, path = "/api/procedures", tag = tags::ORIENTATION,
    summary = "Procédures d'orientation chargées, avec les problèmes du dernier chargement",
    responses((status = 200, description = "{procedures, origine, problemes}", body = Procedures)))]
pub async fn procedures(State(st): State<AppState>) -> ApiResult {
    let dir = st.directory();
    let set = st.procedures();
    let list: Vec<Value> = set
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "titre": p.title, "situation": p.situation, "public": p.audience,
                "version": p.version, "date": p.date, "auteurs": p.authors, "exemple": p.sample,
                "resume": p.summary, "criteres": criteria_label(p, &dir),
                "nombre_etapes": p.steps.iter().filter(|s| !s.is_fallback).count(),
            })
        })
        .collect();
    Ok(json(&json!({
        "procedures": list,
        "origine": origin_label(set.origin()),
        "problemes": set.problems().iter().map(|p| p.to_string()).collect::<Vec<_>>(),
    })))
}

fn origin_label(o: &Origin) -> String {
    match o {
        Origin::None => "aucune".into(),
        Origin::Embedded => "procédures d'exemple intégrées".into(),
        Origin::Folder(f) => f.display().to_string(),
    }
}

/// The full procedure, steps with their rule parameters.
fn procedure_json(p: &Procedure, dir: &Directory) -> Value {
    let steps: Vec<Value> = p
        .steps
        .iter()
        .map(|s| {
            let mut v = json!({
                "id": s.id, "titre": s.title,
                "types": s.kinds.iter().map(|k| k.value.as_str()).collect::<Vec<_>>(),
                "choix": s.rule.keyword(), "choix_libelle": s.rule.label(),
                "message": s.message, "documents": s.documents,
                "si_aucun": s.fallback.as_ref().map(|f| f.value.as_str()),
                "secours": s.is_fallback, "age_min": s.age_min, "age_max": s.age_max,
            });
            match &s.rule {
                Rule::Competent { max } => v["nombre"] = json!(max),
                Rule::Nearest { radius_km, count } => {
                    v["rayon_km"] = json!(radius_km);
                    v["nombre"] = json!(count);
                }
                Rule::AllWithin { radius_km, max } => {
                    v["rayon_km"] = json!(radius_km);
                    v["nombre"] = json!(max);
                }
                Rule::Actors(ids) => {
                    v["acteurs"] = json!(ids.iter().map(|a| a.value.as_str()).collect::<Vec<_>>())
                }
            }
            v
        })
        .collect();
    json!({
        "id": p.id, "titre": p.title, "situation": p.situation, "public": p.audience,
        "version": p.version, "date": p.date, "auteurs": p.authors, "exemple": p.sample,
        "resume": p.summary, "fichier": p.file,
        "criteres": {
            "age_min": p.criteria.age_min, "age_max": p.criteria.age_max,
            "communes": p.criteria.communes.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
            "territoires": p.criteria.territories.iter().map(|t| t.value.as_str()).collect::<Vec<_>>(),
            "libelle": criteria_label(p, dir),
        },
        "etapes": steps,
    })
}

/// `GET /api/procedures/{id}`.
#[utoipa::path(get, path = "/api/procedures/{id}", tag = tags::ORIENTATION,
    summary = "Une procédure : critères et étapes",
    params(("id" = String, Path, description = "Identifiant de la procédure")),
    responses(
        (status = 200, description = "Procédure", body = ProcedureComplete),
        (status = 404, description = "Procédure inconnue", body = ApiError)))]
pub async fn procedure(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let dir = st.directory();
    let set = st.procedures();
    let p = set.get(&id).ok_or_else(|| {
        let mut e = unknown_procedure(&set, &id);
        e.status = 404;
        e.erreur = "procédure inconnue".into();
        e
    })?;
    Ok(json(&procedure_json(p, &dir)))
}

/// `GET /api/orientation?procedure=&lat=&lon=|commune=|adresse=&age=`.
#[utoipa::path(get, path = "/api/orientation", tag = tags::ORIENTATION,
    summary = "Évalue une procédure pour un patient : étapes, structures choisies, coordonnées, distance et raison",
    params(("procedure" = String, Query, description = "Identifiant de la procédure"),
        PlaceParams,
        ("adresse" = Option<String>, Query, description = "Nom de commune ou code postal"),
        ("age" = Option<u32>, Query, description = "Âge du patient en années", minimum = 0, maximum = 130)),
    responses(
        (status = 200, description = "Orientation (applicable=false avec motif hors critères)", body = crate::orientation::evaluate::Orientation),
        (status = 400, description = BAD, body = ApiError)))]
pub async fn orientation(State(st): State<AppState>, RawQuery(q): RawQuery) -> ApiResult {
    let dir = st.directory();
    let set = st.procedures();
    let p = Params::parse(q.as_deref());
    let id = p.get("procedure").ok_or_else(|| {
        ApiError::missing(
            "procedure",
            "identifiant de procédure attendu (liste sur /api/procedures)",
        )
    })?;
    let proc = set.get(id).ok_or_else(|| unknown_procedure(&set, id))?;
    let age = p.usize("age", 0, MAX_AGE as usize)?.map(|a| a as u32);
    let point = optional_point(&p)?;
    let commune = commune_param(&p, &dir)?;
    let query = match (point, commune, p.get("adresse")) {
        (Some(x), _, _) => PlaceQuery::Point(x),
        (None, Some(c), _) => PlaceQuery::Commune(c),
        (None, None, Some(a)) => {
            if a.chars().count() > 200 {
                return Err(ApiError::bad_param("adresse", "200 caractères au plus"));
            }
            PlaceQuery::Address(a.to_string())
        }
        (None, None, None) => {
            return Err(ApiError::missing(
                "lat",
                "lieu du patient attendu : « lat » et « lon », « commune » (code INSEE) ou « adresse » (commune ou code postal)",
            ))
        }
    };
    let mut place = locate(&dir, &query).map_err(|e| match e {
        PlaceError::UnknownCommune(_) => ApiError::bad_param("commune", e.to_string()),
        PlaceError::AddressNotFound(_) => ApiError::bad_param("adresse", e.to_string()),
    })?;
    if let (Some(_), Some(c)) = (point, commune) {
        // A point and its commune: the commune decides competence, the point distances.
        place.commune = Some(c);
    }
    Ok(json(&evaluate(&dir, proc, &place, age)))
}

fn html_page(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn html_error(status: StatusCode, title: &str, detail: &str) -> Response {
    html_page(
        status,
        format!(
            "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/\">Retour à la carte</a></p>\n</body>\n</html>\n",
            crate::util::escape::html(title),
            crate::util::escape::html(title),
            crate::util::escape::html(detail)
        ),
    )
}

/// The base of every absolute link (the sheet's link and QR code): the public URL given to
/// `maillage servir --url-publique`, else the server's own address as the client sees it.
fn base_url(headers: &HeaderMap, st: &AppState) -> String {
    if let Some(u) = &st.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let get = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty() && !s.contains(['<', '>', '"', ' ', '/']))
    };
    // X-Forwarded-* only from a trusted reverse proxy (`--derriere-proxy`).
    let forwarded = |h: &str| get(h).filter(|_| st.config.behind_proxy);
    let host = forwarded("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or_else(|| st.config.addr.to_string());
    let scheme = match forwarded("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// `GET /orientation/{procedure}/{commune}`: the printable sheet (HTML, A4).
#[utoipa::path(get, path = "/orientation/{procedure}/{commune}", tag = tags::ORIENTATION,
    summary = "Fiche d'orientation imprimable (HTML, A4) pour une commune, avec QR code",
    params(("procedure" = String, Path, description = "Identifiant de la procédure"),
        ("commune" = String, Path, description = "Code INSEE"),
        ("age" = Option<u32>, Query, description = "Âge du patient en années (étapes et critères selon l'âge)", minimum = 0, maximum = 130)),
    responses(
        (status = 200, description = "Page HTML", body = String, content_type = "text/html"),
        (status = 400, description = "Code INSEE invalide (page HTML)", body = String, content_type = "text/html"),
        (status = 404, description = "Procédure ou commune inconnue (page HTML)", body = String, content_type = "text/html")))]
pub async fn sheet_page(
    State(st): State<AppState>,
    Path((id, commune)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let age = match Params::parse(q.as_deref()).usize("age", 0, MAX_AGE as usize) {
        Ok(a) => a.map(|a| a as u32),
        Err(_) => {
            return html_error(
                StatusCode::BAD_REQUEST,
                "Âge invalide",
                &format!("Âge en années attendu, de 0 à {MAX_AGE}."),
            )
        }
    };
    let dir = st.directory();
    let set = st.procedures();
    let Some(p) = set.get(&id) else {
        return html_error(
            StatusCode::NOT_FOUND,
            "Procédure inconnue",
            &format!("Aucune procédure « {id} » n'est chargée ; la liste est sur /api/procedures."),
        );
    };
    let code: InseeCode = match commune.parse() {
        Ok(c) => c,
        Err(_) => {
            return html_error(
                StatusCode::BAD_REQUEST,
                "Commune invalide",
                &format!("Code INSEE sur 5 caractères attendu (ex. 81004), trouvé « {commune} »."),
            )
        }
    };
    match sheet::render_for_age(&dir, p, code, &base_url(&headers, &st), age) {
        Ok(html) => html_page(StatusCode::OK, html),
        Err(e) => html_error(StatusCode::NOT_FOUND, "Commune inconnue", &e.to_string()),
    }
}

/// Reloads the procedures from their origin, keeping the working version of broken files.
/// Returns the number of procedures in service and the problems found.
pub fn reload_procedures(st: &AppState) -> Result<(usize, Vec<String>, bool), String> {
    let dir = st.directory();
    let current = st.procedures();
    match current.reload(&dir) {
        Ok((set, problems)) => {
            let errors = problems.iter().any(|p| p.is_error());
            let n = set.len();
            st.replace_procedures(set);
            Ok((n, problems.iter().map(|p| p.to_string()).collect(), errors))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// `POST /api/admin/recharger`: reloads the procedures. With a partner base, only a writer
/// (editor or administrator token) may.
#[utoipa::path(post, path = "/api/admin/recharger", tag = tags::ORIENTATION,
    summary = "Recharge les procédures (un fichier en erreur garde sa version précédente)",
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "Rechargées", body = Rechargement),
        (status = 403, description = "Jeton d'écriture requis (avec une base de partenaires)", body = ApiError),
        (status = 422, description = "Fichier(s) en erreur, détails dans « problemes »", body = Rechargement)))]
pub async fn reload(State(st): State<AppState>, who: Who) -> ApiResult {
    if st.partners.is_some() && !who.0.as_ref().is_some_and(|c| c.can_write()) {
        return Err(ApiError::forbidden(
            "recharger les procédures demande un jeton d'écriture (éditeur ou administrateur)",
        ));
    }
    let st2 = st.clone();
    let outcome = tokio::task::spawn_blocking(move || reload_procedures(&st2))
        .await
        .map_err(|e| ApiError::bad_request("rechargement interrompu", e.to_string()))?;
    match outcome {
        Ok((n, problems, errors)) => Ok(json_status(
            if errors {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            &json!({
                "etat": if errors { "erreurs" } else { "ok" },
                "procedures": n,
                "origine": origin_label(st.procedures().origin()),
                "problemes": problems,
                "detail": if errors {
                    "fichier(s) en erreur : leur version précédente reste en service quand elle existait"
                } else {
                    "procédures rechargées"
                },
            }),
        )),
        Err(e) => Err(ApiError::new(
            422,
            "rechargement impossible",
            format!("{e} ; les procédures en service sont conservées"),
        )),
    }
}

/// Reloads the procedures on every `SIGHUP` (Unix), logging the outcome.
pub fn spawn_sighup_reload(st: AppState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!(
                "SIGHUP indisponible : rechargement par POST /api/admin/recharger seulement"
            );
            return;
        };
        while hup.recv().await.is_some() {
            let st2 = st.clone();
            match tokio::task::spawn_blocking(move || reload_procedures(&st2)).await {
                Ok(Ok((n, problems, _))) => {
                    tracing::info!("SIGHUP : {n} procédure(s) en service");
                    for p in problems {
                        tracing::warn!("{p}");
                    }
                }
                Ok(Err(e)) => tracing::warn!("SIGHUP : rechargement impossible : {e}"),
                Err(e) => tracing::warn!("SIGHUP : rechargement interrompu : {e}"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = st;
}

/// Properties of a competent actor: the actor's feature properties plus `raison`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ActeurCompetent {
    #[serde(flatten)]
    pub acteur: crate::export::features::ActorProperties,
    /// Why its service area covers the place.
    pub raison: String,
}

/// `GET /api/competents`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Competents {
    #[serde(flatten)]
    pub collection: Collection<ActeurCompetent>,
    pub total: usize,
    /// INSEE code of the place's commune.
    pub commune: Option<String>,
    pub commune_nom: Option<String>,
}

/// One declared zone of a service area.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ZoneDeclaree {
    pub zone: String,
    pub libelle: String,
    /// `fichier:ligne`, the partner file, or the communal competence.
    pub origine: String,
    pub nombre_communes: usize,
    pub communes_inconnues: Vec<String>,
}

/// Properties of `GET /api/actors/{id}/zone`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ZoneActeur {
    pub acteur: String,
    pub nom: String,
    pub zones: Vec<ZoneDeclaree>,
    /// INSEE codes of the member communes.
    pub communes: Vec<String>,
}

/// What every procedure answer says of the procedure.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct EnTeteProcedure {
    pub id: String,
    pub titre: String,
    pub situation: String,
    pub public: Option<String>,
    pub version: String,
    pub date: String,
    pub auteurs: Vec<String>,
    pub exemple: bool,
    pub resume: Option<String>,
}

/// One procedure in `GET /api/procedures`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProcedureResumee {
    #[serde(flatten)]
    pub en_tete: EnTeteProcedure,
    /// The criteria in French.
    pub criteres: Option<String>,
    pub nombre_etapes: usize,
}

/// `GET /api/procedures`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Procedures {
    pub procedures: Vec<ProcedureResumee>,
    /// Where the procedures come from.
    pub origine: String,
    /// `fichier:ligne: …` for each problem met while reading them.
    pub problemes: Vec<String>,
}

/// Criteria of a procedure.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Criteres {
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    pub communes: Vec<String>,
    pub territoires: Vec<String>,
    pub libelle: Option<String>,
}

/// One step of a procedure, with its rule's parameters.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Etape {
    pub id: String,
    pub titre: String,
    pub types: Vec<String>,
    /// `competent`, `proches`, `tous_dans_rayon`, `acteurs`.
    pub choix: String,
    pub choix_libelle: String,
    pub message: Option<String>,
    pub documents: Vec<String>,
    /// Id of the fallback step.
    pub si_aucun: Option<String>,
    /// A fallback step itself.
    pub secours: bool,
    pub age_min: Option<u32>,
    pub age_max: Option<u32>,
    pub rayon_km: Option<f64>,
    pub nombre: Option<usize>,
    pub acteurs: Option<Vec<String>>,
}

/// `GET /api/procedures/{id}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProcedureComplete {
    #[serde(flatten)]
    pub en_tete: EnTeteProcedure,
    pub fichier: String,
    pub criteres: Criteres,
    pub etapes: Vec<Etape>,
}

/// `POST /api/admin/recharger`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Rechargement {
    /// `ok` or `erreurs`.
    pub etat: String,
    /// Number of procedures in service.
    pub procedures: usize,
    pub origine: String,
    pub problemes: Vec<String>,
    pub detail: String,
}
