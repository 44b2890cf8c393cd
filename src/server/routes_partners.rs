//! The CPTS's own partner directory over HTTP: CRUD with ETags, archive and restore, history,
//! CSV import (preview or one transaction), exports, annotations on official actors, and
//! sessions for the page. See docs/api.md and docs/annuaire-local.md.
//!
//! Every write goes through [`PartnerService::write`]: it holds one lock while the store
//! commits and the new directory (official part shared, local part rebuilt by
//! [`Directory::with_local_actors`]) is swapped in, so two commits never swap out of order and a
//! reader sees the directory before or after a change, never half of it.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::{self, Caller, LoginLimiter};
use super::error::ApiError;
use super::params::Params;
use super::AppState;
use crate::index::Directory;
use crate::model::{ActorRecord, SourceId};
use crate::store::annotations::AnnotationFields;
use crate::store::import::ImportError;
use crate::store::partner::RawPartner;
use crate::store::{export, Author, FieldError, Partner, Store, StoreError, Validator};

/// Largest JSON body of a partner or annotation.
pub const MAX_JSON_BYTES: usize = 64 * 1024;
/// Largest CSV body of an import.
pub const MAX_CSV_BYTES: usize = 8 * 1024 * 1024;

/// The partner store as the server uses it.
pub struct PartnerService {
    pub store: Arc<Store>,
    validator: Validator,
    /// Local actors loaded from data files at start-up: shown unless the store has the same id.
    file_actors: Vec<ActorRecord>,
    publish: Mutex<()>,
    /// Every read needs a token (`serve --lecture-authentifiee`).
    pub read_requires_token: bool,
    pub limiter: LoginLimiter,
}

impl std::fmt::Debug for PartnerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerService")
            .field("store", &self.store.path())
            .field("read_requires_token", &self.read_requires_token)
            .finish()
    }
}

impl PartnerService {
    /// Wraps a store for a directory (its kinds and communes validate partners).
    pub fn new(store: Store, dir: &Directory, read_requires_token: bool) -> PartnerService {
        PartnerService {
            store: Arc::new(store),
            validator: Validator::new(dir.kinds().clone(), dir.communes().all())
                .with_places(dir.places().clone()),
            file_actors: dir.local_actors().iter().map(|a| a.to_record()).collect(),
            publish: Mutex::new(()),
            read_requires_token,
            limiter: LoginLimiter::default(),
        }
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The local actors the directory should show: file partners not in the store, then the
    /// store's active partners.
    pub fn local_actors(&self) -> Result<Vec<ActorRecord>, StoreError> {
        let all = self.store.partners(true)?;
        let ids: std::collections::HashSet<&str> = all.iter().map(|p| p.id.as_str()).collect();
        let mut out: Vec<ActorRecord> = self
            .file_actors
            .iter()
            .filter(|a| !ids.contains(a.id.as_str()))
            .cloned()
            .collect();
        out.extend(all.iter().filter(|p| !p.archived).map(|p| {
            self.validator
                .actor_record(&p.id, &p.fields, SourceId(u16::MAX))
        }));
        Ok(out)
    }

    fn publish_locked(&self, st: &AppState) -> Result<(), StoreError> {
        let actors = self.local_actors()?;
        let next = st.directory().with_local_actors(actors);
        st.replace_directory(next);
        Ok(())
    }

    /// Puts the store's partners into the served directory.
    pub fn publish(&self, st: &AppState) -> Result<(), StoreError> {
        let _g = self.publish.lock().unwrap_or_else(|p| p.into_inner());
        self.publish_locked(st)
    }

    /// Runs a store write, then swaps in the directory with its result, under one lock.
    pub fn write<T>(
        &self,
        st: &AppState,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _g = self.publish.lock().unwrap_or_else(|p| p.into_inner());
        let out = f(&self.store)?;
        if let Err(e) = self.publish_locked(st) {
            tracing::error!("modification enregistrée mais carte non mise à jour : {e}");
        }
        Ok(out)
    }
}

/// Identifies the caller of every request (bearer token or session cookie) and, with
/// `--lecture-authentifiee`, refuses anonymous API reads. The caller is left in the request's
/// extensions for the handlers.
pub async fn identify_layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(svc) = st.partners.clone() else {
        return next.run(req).await;
    };
    let ip = auth::peer(&req);
    match auth::identify(&svc.store, &svc.limiter, req.headers(), ip).await {
        Err(e) => e.into_response(),
        Ok(caller) => {
            let path = req.uri().path();
            let open = !path.starts_with("/api/")
                || path == "/api/session"
                || path == "/api/health"
                || path == "/api/config";
            if svc.read_requires_token && caller.is_none() && !open {
                return auth::unauthorized(
                    "ce serveur demande un jeton même pour lire (« Authorization: Bearer <jeton> » ou connexion sur la page)",
                )
                .into_response();
            }
            if let Some(c) = caller {
                req.extensions_mut().insert(c);
            }
            next.run(req).await
        }
    }
}

/// The caller found by [`identify_layer`], if any.
pub struct Who(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for Who {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Who(parts.extensions.get::<Caller>().cloned()))
    }
}

impl Who {
    fn private(&self) -> bool {
        self.0.as_ref().is_some_and(Caller::can_write)
    }

    fn author(&self) -> Author {
        match &self.0 {
            Some(c) => Author::new(format!("{} ({})", c.principal.name, c.principal.role.id())),
            None => Author::new("anonyme"),
        }
    }
}

/// A failed partner request.
pub enum Failure {
    Api(ApiError),
    /// 400 naming the field (for the form's inline messages).
    Field(FieldError),
    /// 409 with the current version.
    Conflict {
        detail: String,
        current: Option<Box<Partner>>,
        private: bool,
    },
    /// 400 for a file refused as a whole.
    File(String),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::Api(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        let api = |status: u16, erreur: &str| {
            Failure::Api(ApiError {
                status,
                erreur: erreur.into(),
                detail: e.to_string(),
            })
        };
        match &e {
            StoreError::Invalid(f) => Failure::Field(f.clone()),
            StoreError::NotFound(_) | StoreError::NoSuchVersion { .. } => api(404, "introuvable"),
            StoreError::Conflict { .. } => Failure::Conflict {
                detail: e.to_string(),
                current: None,
                private: false,
            },
            StoreError::Exists(_) | StoreError::Archived(_) => api(409, "conflit"),
            StoreError::UnknownToken(_) => api(404, "jeton inconnu"),
            _ => {
                tracing::error!("base de données : {e}");
                api(500, "erreur interne de la base")
            }
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::Api(e) => {
                let status = e.status;
                let mut r = e.into_response();
                if status == 401 {
                    r.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer realm=\"maillage\""),
                    );
                }
                r
            }
            Failure::Field(f) => (
                StatusCode::BAD_REQUEST,
                axum::Json(serde_json::json!({
                    "erreur": format!("champ « {} » invalide", f.champ),
                    "detail": format!("attendu {}, trouvé « {} »", f.attendu, f.trouve),
                    "champ": f.champ, "attendu": f.attendu, "trouve": f.trouve,
                })),
            )
                .into_response(),
            Failure::Conflict {
                detail,
                current,
                private,
            } => {
                let mut r = (
                    StatusCode::CONFLICT,
                    axum::Json(serde_json::json!({
                        "erreur": "version périmée",
                        "detail": format!("{detail} ; relisez la version actuelle (champ « actuel ») avant de modifier"),
                        "actuel": current.as_ref().map(|p| p.to_json(private)),
                    })),
                )
                    .into_response();
                if let Some(p) = current {
                    if let Ok(v) = HeaderValue::from_str(&p.etag()) {
                        r.headers_mut().insert(header::ETAG, v);
                    }
                }
                r
            }
            Failure::File(detail) => {
                ApiError::bad_request("fichier refusé", detail).into_response()
            }
        }
    }
}

/// What a partner handler answers.
pub type PResult = Result<Response, Failure>;

fn service(st: &AppState) -> Result<Arc<PartnerService>, Failure> {
    st.partners.clone().ok_or_else(|| {
        Failure::Api(ApiError {
            status: 503,
            erreur: "annuaire local indisponible".into(),
            detail: "le serveur a été démarré sans base de partenaires (option --base de « maillage serve »)".into(),
        })
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Failure::Api(ApiError {
            status: 500,
            erreur: "erreur interne".into(),
            detail: e.to_string(),
        })
    })?
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, Failure> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| Failure::Api(ApiError::too_large(limit)))
}

fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, Failure> {
    serde_json::from_slice(bytes).map_err(|e| {
        Failure::Api(ApiError::bad_request(
            "corps JSON invalide",
            format!("ligne {}, colonne {} : {e}", e.line(), e.column()),
        ))
    })
}

/// `dac81` and `local:dac81` name the same partner.
fn partner_id(raw: &str) -> String {
    if raw.starts_with("local:") {
        raw.to_string()
    } else {
        format!("local:{raw}")
    }
}

/// Parses `If-Match`: `"3"`, `W/"3"`, `3`; `*` means any version.
fn if_match(headers: &HeaderMap, required: bool) -> Result<Option<i64>, Failure> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        if required {
            return Err(Failure::Api(ApiError {
                status: 428,
                erreur: "précondition requise".into(),
                detail: "en-tête If-Match attendu avec l'ETag de la version lue (GET /api/partenaires/{id})".into(),
            }));
        }
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    let t = s.trim_start_matches("W/").trim_matches('"');
    t.parse::<i64>().map(Some).map_err(|_| {
        Failure::Api(ApiError::bad_request(
            "en-tête If-Match invalide",
            format!("ETag attendu (ex. \"3\"), trouvé « {s} »"),
        ))
    })
}

fn with_etag(mut r: Response, p: &Partner) -> Response {
    if let Ok(v) = HeaderValue::from_str(&p.etag()) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn partner_response(status: StatusCode, p: &Partner, private: bool) -> Response {
    with_etag((status, axum::Json(p.to_json(private))).into_response(), p)
}

fn writer<'a>(who: &'a Who, method: &Method, headers: &HeaderMap) -> Result<&'a Caller, Failure> {
    let c = auth::require_writer(who.0.as_ref())?;
    auth::check_origin(method, headers, c.via)?;
    Ok(c)
}

/// Attaches the current version to a 409.
fn conflict_with_current(e: Failure, store: &Store, id: &str, private: bool) -> Failure {
    match e {
        Failure::Conflict { detail, .. } => Failure::Conflict {
            detail,
            current: store.partner(id).ok().flatten().map(Box::new),
            private,
        },
        other => other,
    }
}

/// `GET /api/partenaires?format=json|csv|geojson|hsds[&archives=1]`
pub async fn list(State(st): State<AppState>, who: Who, RawQuery(q): RawQuery) -> PResult {
    let svc = service(&st)?;
    let p = Params::parse(q.as_deref());
    let private = who.private();
    let archived = private && matches!(p.get("archives"), Some("1" | "oui" | "true"));
    let format = p.get("format").unwrap_or("json").to_ascii_lowercase();
    if !["json", "csv", "geojson", "hsds"].contains(&format.as_str()) {
        return Err(ApiError::bad_param(
            "format",
            format!("json, csv, geojson ou hsds attendu, trouvé « {format} »"),
        )
        .into());
    }
    let s = Arc::clone(&svc);
    blocking(move || {
        let partners = s.store.partners(archived)?;
        let no_store = (header::CACHE_CONTROL, "no-store");
        Ok(match format.as_str() {
            "csv" => {
                let mut buf = Vec::new();
                export::write_csv(&partners, private, &mut buf).map_err(|e| {
                    Failure::Api(ApiError {
                        status: 500,
                        erreur: "export impossible".into(),
                        detail: e.to_string(),
                    })
                })?;
                (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"partenaires.csv\"",
                        ),
                        no_store,
                    ],
                    buf,
                )
                    .into_response()
            }
            "geojson" => (
                [(header::CONTENT_TYPE, "application/geo+json"), no_store],
                export::geojson(&partners, s.validator(), private).to_string(),
            )
                .into_response(),
            "hsds" => (
                [(header::CONTENT_TYPE, "application/json"), no_store],
                export::hsds(&partners, s.validator()).to_string(),
            )
                .into_response(),
            _ => {
                let list: Vec<serde_json::Value> =
                    partners.iter().map(|p| p.to_json(private)).collect();
                (
                    [(header::CONTENT_TYPE, "application/json"), no_store],
                    serde_json::json!({ "partenaires": list }).to_string(),
                )
                    .into_response()
            }
        })
    })
    .await
}

/// `POST /api/partenaires` (JSON) → 201 with the partner and its ETag.
pub async fn create(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> PResult {
    let svc = service(&st)?;
    writer(&who, &method, &headers)?;
    let raw = RawPartner::from_json(&parse_json(&read_body(body, MAX_JSON_BYTES).await?)?)
        .map_err(Failure::Field)?;
    let author = who.author();
    let s = Arc::clone(&svc);
    let stc = st.clone();
    let p = blocking(move || {
        let explicit = !raw.get("identifiant").trim().is_empty();
        let v = s.validator().validate(&raw).map_err(Failure::Field)?;
        Ok(s.write(&stc, |store| store.create_partner(v, !explicit, &author))?)
    })
    .await?;
    let mut r = partner_response(StatusCode::CREATED, &p, true);
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/partenaires/{}", p.id)) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

/// `GET /api/partenaires/{id}`
pub async fn get_one(State(st): State<AppState>, who: Who, Path(id): Path<String>) -> PResult {
    let svc = service(&st)?;
    let id = partner_id(&id);
    let private = who.private();
    let s = Arc::clone(&svc);
    let p = blocking(move || Ok(s.store.partner(&id)?.ok_or(StoreError::NotFound(id))?)).await?;
    if p.archived && !private {
        return Err(StoreError::NotFound(p.id).into());
    }
    Ok(partner_response(StatusCode::OK, &p, private))
}

async fn replace(
    st: AppState,
    who: Who,
    method: Method,
    headers: HeaderMap,
    id: String,
    body: Body,
    patch: bool,
) -> PResult {
    let svc = service(&st)?;
    writer(&who, &method, &headers)?;
    let expected = if_match(&headers, true)?;
    let id = partner_id(&id);
    let given = RawPartner::from_json(&parse_json(&read_body(body, MAX_JSON_BYTES).await?)?)
        .map_err(Failure::Field)?;
    let bare = id.trim_start_matches("local:").to_string();
    let claimed = given.get("identifiant").trim();
    if !claimed.is_empty() && claimed.trim_start_matches("local:") != bare {
        return Err(Failure::Field(FieldError::new(
            "identifiant",
            format!("l'identifiant du partenaire modifié ({bare}) : il ne peut pas changer"),
            claimed,
        )));
    }
    let author = who.author();
    let s = Arc::clone(&svc);
    let stc = st.clone();
    let p = blocking(move || {
        let mut raw = if patch {
            let cur = s
                .store
                .partner(&id)?
                .ok_or_else(|| StoreError::NotFound(id.clone()))?;
            cur.fields.to_raw(&id)
        } else {
            RawPartner::default()
        };
        raw.merge(&given);
        raw.set("identifiant", &bare);
        let v = s.validator().validate(&raw).map_err(Failure::Field)?;
        s.write(&stc, |store| {
            store.update_partner(&id, expected, v, &author)
        })
        .map_err(|e| conflict_with_current(e.into(), &s.store, &id, true))
    })
    .await?;
    Ok(partner_response(StatusCode::OK, &p, true))
}

/// `PUT /api/partenaires/{id}` (whole record, `If-Match` required).
pub async fn put(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> PResult {
    replace(st, who, method, headers, id, body, false).await
}

/// `PATCH /api/partenaires/{id}` (fields given only, `If-Match` required).
pub async fn patch(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> PResult {
    replace(st, who, method, headers, id, body, true).await
}

/// `DELETE /api/partenaires/{id}`: archives (hidden, not erased).
pub async fn archive(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PResult {
    let svc = service(&st)?;
    writer(&who, &method, &headers)?;
    let expected = if_match(&headers, false)?;
    let id = partner_id(&id);
    let author = who.author();
    let s = Arc::clone(&svc);
    let stc = st.clone();
    let p = blocking(move || {
        s.write(&stc, |store| store.archive_partner(&id, expected, &author))
            .map_err(|e| conflict_with_current(e.into(), &s.store, &id, true))
    })
    .await?;
    Ok(partner_response(StatusCode::OK, &p, true))
}

/// `POST /api/partenaires/{id}/restaurer[?version=N]`
pub async fn restore(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PResult {
    let svc = service(&st)?;
    writer(&who, &method, &headers)?;
    let expected = if_match(&headers, false)?;
    let version = Params::parse(q.as_deref())
        .usize("version", 1, i64::MAX as usize)?
        .map(|v| v as i64);
    let id = partner_id(&id);
    let author = who.author();
    let s = Arc::clone(&svc);
    let stc = st.clone();
    let p = blocking(move || {
        s.write(&stc, |store| {
            store.restore_partner(&id, version, expected, &author)
        })
        .map_err(|e| conflict_with_current(e.into(), &s.store, &id, true))
    })
    .await?;
    Ok(partner_response(StatusCode::OK, &p, true))
}

/// `GET /api/partenaires/{id}/historique`
pub async fn history(State(st): State<AppState>, who: Who, Path(id): Path<String>) -> PResult {
    let svc = service(&st)?;
    let id = partner_id(&id);
    let private = who.private();
    let s = Arc::clone(&svc);
    blocking(move || {
        let p = s
            .store
            .partner(&id)?
            .ok_or_else(|| StoreError::NotFound(id.clone()))?;
        if p.archived && !private {
            return Err(StoreError::NotFound(id).into());
        }
        let h = s.store.history(&id)?;
        let list: Vec<serde_json::Value> = h.iter().map(|e| e.to_json(private)).collect();
        Ok((
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({"id": id, "historique": list})),
        )
            .into_response())
    })
    .await
}

/// `POST /api/partenaires/import[?apercu=1]` with a CSV body.
pub async fn import(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> PResult {
    let svc = service(&st)?;
    writer(&who, &method, &headers)?;
    let p = Params::parse(q.as_deref());
    let preview = matches!(p.get("apercu"), Some("1" | "oui" | "true"));
    let file = p.get("fichier").unwrap_or("import.csv").to_string();
    let bytes = read_body(body, MAX_CSV_BYTES).await?;
    let author = who.author();
    let s = Arc::clone(&svc);
    let stc = st.clone();
    let report = blocking(move || {
        let run =
            |store: &Store| store.import_partners(s.validator(), &bytes, &file, !preview, &author);
        let r = if preview {
            run(&s.store)
        } else {
            let mut out = None;
            let res = s.write(&stc, |store| match run(store) {
                Ok(r) => {
                    out = Some(Ok(r));
                    Ok(())
                }
                Err(ImportError::Store(e)) => Err(e),
                Err(e) => {
                    out = Some(Err(e));
                    Ok(())
                }
            });
            match (res, out) {
                (Err(e), _) => Err(ImportError::Store(e)),
                (Ok(()), Some(r)) => r,
                (Ok(()), None) => Err(ImportError::File("import interrompu".into())),
            }
        };
        r.map_err(|e| match e {
            ImportError::File(d) => Failure::File(d),
            ImportError::Store(e) => e.into(),
        })
    })
    .await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(report)).into_response())
}

/// `GET /api/annotations`: every local annotation on official actors.
pub async fn annotations(State(st): State<AppState>) -> PResult {
    let svc = service(&st)?;
    let s = Arc::clone(&svc);
    let list = blocking(move || Ok(s.store.annotations()?)).await?;
    Ok(axum::Json(serde_json::json!({"annotations": list})).into_response())
}

/// `GET /api/annotations/{actor_id}`
pub async fn annotation(State(st): State<AppState>, Path(id): Path<String>) -> PResult {
    let svc = service(&st)?;
    let s = Arc::clone(&svc);
    let a = blocking(move || {
        Ok(s.store
            .annotation(&id)?
            .ok_or_else(|| StoreError::NotFound(id.clone()))?)
    })
    .await?;
    let mut r = axum::Json(&a).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", a.version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

/// `PUT /api/annotations/{actor_id}` (JSON; `If-Match` optional, `"0"` for a new one).
pub async fn put_annotation(
    State(st): State<AppState>,
    who: Who,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> PResult {
    let svc = service(&st)?;
    writer(&who, &method, &headers)?;
    let expected = if_match(&headers, false)?;
    if st.directory().find(&id).is_none() {
        return Err(ApiError::not_found(
            "acteur inconnu",
            format!("aucun acteur d'identifiant « {id} » à annoter"),
        )
        .into());
    }
    let fields = AnnotationFields::from_json(&parse_json(&read_body(body, MAX_JSON_BYTES).await?)?)
        .map_err(Failure::Field)?;
    let author = who.author();
    let s = Arc::clone(&svc);
    let a = blocking(move || Ok(s.store.set_annotation(&id, expected, fields, &author)?)).await?;
    let mut r = axum::Json(&a).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", a.version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    Ok(r)
}

fn session_json(c: Option<&Caller>) -> serde_json::Value {
    match c {
        Some(c) => serde_json::json!({
            "connecte": true, "nom": c.principal.name, "role": c.principal.role.id(),
            "peut_modifier": c.can_write(),
        }),
        None => {
            serde_json::json!({"connecte": false, "nom": null, "role": null, "peut_modifier": false})
        }
    }
}

/// `GET /api/session`: who am I.
pub async fn session(State(st): State<AppState>, who: Who) -> PResult {
    service(&st)?;
    Ok(axum::Json(session_json(who.0.as_ref())).into_response())
}

/// `POST /api/session` with `{"jeton": "mlg_…"}` (or a bearer header): sets the session cookie.
pub async fn login(State(st): State<AppState>, req: Request) -> PResult {
    let svc = service(&st)?;
    let ip = auth::peer(&req);
    let (parts, body) = req.into_parts();
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        // A login from another site would plant that site's session.
        let mut h = parts.headers.clone();
        h.insert(header::ORIGIN, origin.clone());
        auth::check_origin(&Method::POST, &h, auth::Via::Session)?;
    }
    let bytes = read_body(body, MAX_JSON_BYTES).await?;
    let secret = match auth::bearer(&parts.headers)? {
        Some(s) => s.to_string(),
        None => {
            let v = parse_json(&bytes)?;
            v.get("jeton")
                .and_then(|j| j.as_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    Failure::Field(FieldError::new(
                        "jeton",
                        "le jeton reçu à sa création (mlg_…)",
                        "rien",
                    ))
                })?
        }
    };
    let wait = svc.limiter.delay(ip);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let s = Arc::clone(&svc);
    let found = blocking(move || {
        let p = s.store.authenticate(&secret)?;
        let session = match &p {
            Some(p) => Some(s.store.create_session(p)?),
            None => None,
        };
        Ok((p, session))
    })
    .await?;
    match found {
        (Some(p), Some(cookie)) => {
            svc.limiter.succeeded(ip);
            let caller = Caller {
                principal: p,
                via: auth::Via::Session,
            };
            let mut r = axum::Json(session_json(Some(&caller))).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                auth::session_cookie(
                    &cookie,
                    &parts.headers,
                    crate::store::tokens::SESSION_SECONDS,
                ),
            );
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
        _ => {
            svc.limiter.failed(ip);
            Err(auth::unauthorized("jeton inconnu ou révoqué").into())
        }
    }
}

/// `DELETE /api/session`: ends the session and clears the cookie.
pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> PResult {
    let svc = service(&st)?;
    if let Some(secret) = auth::cookie_value(&headers, auth::SESSION_COOKIE) {
        auth::check_origin(&Method::DELETE, &headers, auth::Via::Session)?;
        let secret = secret.to_string();
        let s = Arc::clone(&svc);
        blocking(move || Ok(s.store.delete_session(&secret)?)).await?;
    }
    let mut r = axum::Json(session_json(None)).into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, auth::session_cookie("", &headers, 0));
    Ok(r)
}
