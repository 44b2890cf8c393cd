//! Handlers of service areas and orientation procedures (see docs/api.md):
//! `/api/competents`, `/api/actors/{id}/zone`, `/api/procedures`, `/api/orientation`,
//! the printable sheet `/orientation/{procedure}/{commune}` and `POST /api/admin/recharger`
//! (also run on `SIGHUP`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;

use super::auth::Who;
use super::error::ApiError;
use super::params::Params;
use super::places::commune_code;
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
        .route("/api/actors/{id}/zone", get(actor_zone))
        .route("/api/competents", get(competents))
        .route("/api/procedures", get(procedures))
        .route("/api/procedures/{id}", get(procedure))
        .route("/api/orientation", get(orientation))
        .route("/api/admin/recharger", post(reload))
        .route("/orientation/{procedure}/{commune}", get(sheet_page))
}

fn commune_param(p: &Params, dir: &Directory) -> Result<Option<InseeCode>, ApiError> {
    let Some(v) = p.get("commune") else {
        return Ok(None);
    };
    let code = commune_code("commune", v)?;
    // A former code (commune merged since) designates the commune it was merged into.
    match dir.places().code(code.as_str()) {
        Some(found) => Ok(Some(found.code)),
        None => Err(ApiError::bad_param(
            "commune",
            format!("commune {code} inconnue dans les données chargées"),
        )),
    }
}

/// `lat`/`lon` when either is given (both then required).
fn optional_point(p: &Params) -> Result<Option<LonLat>, ApiError> {
    if p.get("lat").is_none() && p.get("lon").is_none() {
        return Ok(None);
    }
    p.point().map(Some)
}

/// `GET /api/competents?lat=&lon=|commune=&kind=`: actors whose service area covers the place.
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
        let mut f = serde_json::to_value(actor_feature(&dir, a, d)).unwrap_or(Value::Null);
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

/// `GET /api/actors/{id}/zone`: the actor's service area as a GeoJSON Feature.
pub async fn actor_zone(State(st): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let dir = st.directory();
    let i = super::actors::find(&dir, &id)?;
    let area = dir.service_area(i).ok_or_else(|| {
        ApiError::not_found(
            "aucune zone d'intervention",
            format!("l'acteur « {id} » n'a pas de zone d'intervention déclarée (zones.csv, zones.geojson ou colonne zone_intervention)"),
        )
    })?;
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
    let a = dir.actor(i);
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

/// The server's own base URL as the client sees it (for the sheet's link and QR code).
fn base_url(headers: &HeaderMap, st: &AppState) -> String {
    let get = |h: &str| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty() && !s.contains(['<', '>', '"', ' ', '/']))
    };
    let host = get("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or_else(|| st.config.addr.to_string());
    let scheme = match get("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// `GET /orientation/{procedure}/{commune}`: the printable sheet (HTML, A4).
pub async fn sheet_page(
    State(st): State<AppState>,
    Path((id, commune)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
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
    match sheet::render(&dir, p, code, &base_url(&headers, &st)) {
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

/// Adds the paths of this module to the OpenAPI document.
pub fn openapi_paths(doc: &mut Value) {
    let q = |name: &str, desc: &str, required: bool, schema: Value| json!({"name": name, "in": "query", "required": required, "description": desc, "schema": schema});
    let path = |name: &str, desc: &str| json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": "string"}});
    let err = json!({"description": "Paramètre invalide", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}});
    let lat = q(
        "lat",
        "Latitude WGS84 (avec lon)",
        false,
        json!({"type": "number", "minimum": -90, "maximum": 90}),
    );
    let lon = q(
        "lon",
        "Longitude WGS84 (avec lat)",
        false,
        json!({"type": "number", "minimum": -180, "maximum": 180}),
    );
    let commune = q(
        "commune",
        "Code INSEE de la commune",
        false,
        json!({"type": "string"}),
    );
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    paths.insert("/api/competents".into(), json!({"get": {
        "summary": "Structures compétentes en un lieu : leur zone d'intervention couvre la commune ou le point, avec la raison",
        "parameters": [lat, lon, commune, q("kind", "Types séparés par des virgules", false, json!({"type": "string"}))],
        "responses": {"200": {"description": "FeatureCollection d'acteurs, propriété « raison »"}, "400": err}
    }}));
    paths.insert("/api/actors/{id}/zone".into(), json!({"get": {
        "summary": "Zone d'intervention d'un acteur (contour GeoJSON, zones déclarées, communes)",
        "parameters": [path("id", "Identifiant de l'acteur")],
        "responses": {"200": {"description": "Feature GeoJSON"}, "404": {"description": "Acteur inconnu ou sans zone"}}
    }}));
    paths.insert("/api/procedures".into(), json!({"get": {
        "summary": "Procédures d'orientation chargées, avec les problèmes du dernier chargement",
        "responses": {"200": {"description": "{procedures, origine, problemes}"}}
    }}));
    paths.insert("/api/procedures/{id}".into(), json!({"get": {
        "summary": "Une procédure : critères et étapes",
        "parameters": [path("id", "Identifiant de la procédure")],
        "responses": {"200": {"description": "Procédure"}, "404": {"description": "Procédure inconnue"}}
    }}));
    paths.insert("/api/orientation".into(), json!({"get": {
        "summary": "Évalue une procédure pour un patient : étapes, structures choisies, coordonnées, distance et raison",
        "parameters": [
            q("procedure", "Identifiant de la procédure", true, json!({"type": "string"})),
            lat, lon, commune,
            q("adresse", "Nom de commune ou code postal (géocodage à la rue pas encore disponible)", false, json!({"type": "string"})),
            q("age", "Âge du patient en années (0 à 130)", false, json!({"type": "integer", "minimum": 0, "maximum": 130})),
        ],
        "responses": {"200": {"description": "Orientation (applicable=false avec motif hors critères)"}, "400": err}
    }}));
    paths.insert("/api/admin/recharger".into(), json!({"post": {
        "summary": "Recharge les procédures (un fichier en erreur garde sa version précédente)",
        "responses": {"200": {"description": "Rechargées"}, "403": {"description": "Jeton d'écriture requis (avec une base de partenaires)"}, "422": {"description": "Fichier(s) en erreur, détails dans « problemes »"}}
    }}));
    paths.insert("/orientation/{procedure}/{commune}".into(), json!({"get": {
        "summary": "Fiche d'orientation imprimable (HTML, A4) pour une commune, avec QR code",
        "parameters": [path("procedure", "Identifiant de la procédure"), path("commune", "Code INSEE")],
        "responses": {"200": {"description": "Page HTML"}, "404": {"description": "Procédure ou commune inconnue"}}
    }}));
}
