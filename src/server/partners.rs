//! The CPTS's own partner directory over HTTP: CRUD with ETags, archive and restore, history,
//! CSV import (preview or one transaction), exports, and the field table of the page's form.
//! See docs/api.md and docs/annuaire-local.md. Writes go through
//! [`crate::store::PartnerService::write`] (commit, then publish).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa::IntoResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Editor, EditorRefusals, Who};
use super::error::ApiError;
use super::openapi::{tags, Binary, Collection, JsonObject};
use super::params::Params;
use super::respond::{
    blocking, json, json_status, no_store, parse_json, read_body, with_etag, ApiResult, GEOJSON,
    JSON,
};
use super::AppState;
use crate::model::partner_field::{Check, PartnerField, PARTNER_FIELDS};
use crate::store::import::ImportReport;
use crate::store::partner::RawPartner;
use crate::store::{export, Author, FieldError, Partner, PartnerService, StoreError};

/// Largest JSON body of a partner or annotation.
pub const MAX_JSON_BYTES: usize = 64 * 1024;
/// Largest CSV body of an import.
pub const MAX_CSV_BYTES: usize = 8 * 1024 * 1024;

/// The routes of this resource.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(fields))
        .routes(routes!(import))
        .routes(routes!(get_one, put_or_patch, archive))
        .routes(routes!(restore))
        .routes(routes!(history))
}

const PARTNER: &str =
    "Partenaire : id, version, archive, champs (privés pour editeur/admin), avec son ETag";
const BODY: &str = "Champs du partenaire par leur nom (GET /api/partenaires/champs) : textes, nombres, booléens ou null ; etiquettes aussi en liste";
const NO_BASE: &str = "Serveur démarré sans base de partenaires";

/// `dac81` and `local:dac81` name the same partner.
fn partner_id(raw: &str) -> String {
    if raw.starts_with("local:") {
        raw.to_string()
    } else {
        format!("local:{raw}")
    }
}

/// Parses `If-Match`: `"3"`, `W/"3"`, `3`; `*` means any version.
pub fn if_match(headers: &HeaderMap, required: bool) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        if required {
            return Err(ApiError::new(
                428,
                "précondition requise",
                "en-tête If-Match attendu avec l'ETag de la version lue (GET /api/partenaires/{id})",
            ));
        }
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    let t = s.trim_start_matches("W/").trim_matches('"');
    t.parse::<i64>().map(Some).map_err(|_| {
        ApiError::bad_request(
            "en-tête If-Match invalide",
            format!("ETag attendu (ex. \"3\"), trouvé « {s} »"),
        )
    })
}

fn partner_response(status: StatusCode, p: &Partner, private: bool) -> Response {
    no_store(with_etag(
        json_status(status, &p.to_json(private)),
        &p.etag(),
    ))
}

/// What a partner write needs once its caller is checked.
struct WriteCtx {
    svc: Arc<PartnerService>,
    id: String,
    expected: Option<i64>,
    author: Author,
}

/// Every write on one partner: the partner's id and expected version (`If-Match`), then
/// `change` committed and published off the async threads. A 412 for a stale version
/// carries the current version and its ETag.
async fn write_partner(
    ed: Editor,
    id: &str,
    if_match_required: bool,
    change: impl FnOnce(&WriteCtx) -> Result<Partner, ApiError> + Send + 'static,
) -> ApiResult {
    let ctx = WriteCtx {
        expected: if_match(&ed.headers, if_match_required)?,
        svc: ed.svc,
        id: partner_id(id),
        author: ed.author,
    };
    let p = blocking(move || {
        change(&ctx).map_err(|e| {
            e.with_current(|| {
                let p = ctx.svc.store.partner(&ctx.id).ok().flatten()?;
                Some((p.to_json(true), p.etag()))
            })
        })
    })
    .await?;
    Ok(partner_response(StatusCode::OK, &p, true))
}

/// `GET /api/partenaires/champs`: the partner fields, for the page's form (served with or
/// without a partner base).
#[utoipa::path(get, path = "/api/partenaires/champs", tag = tags::PARTNERS,
    summary = "Champs d'un partenaire : nom, libellé, alias CSV, privé ou non, contrôle, aide, saisie",
    responses((status = 200, description = "{champs: [...]}", body = ChampsPartenaire)))]
pub async fn fields() -> Response {
    let list: Vec<serde_json::Value> = PARTNER_FIELDS
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["saisie"] = f.check.input().into();
            v["formulaire"] = (f.check != Check::Id).into();
            v
        })
        .collect();
    json(&serde_json::json!({ "champs": list }))
}

/// `GET /api/partenaires?format=json|csv|geojson|gpkg|hsds[&archives=1]`
#[utoipa::path(get, path = "/api/partenaires", tag = tags::PARTNERS,
    summary = "Annuaire local : partenaires (format=json|csv|geojson|gpkg|hsds ; champs privés pour editeur/admin)",
    params(("format" = Option<String>, Query, description = "json (défaut), csv, geojson, gpkg (GeoPackage) ou hsds", pattern = "^(json|csv|geojson|gpkg|hsds)$"),
        ("archives" = Option<String>, Query, description = "1 pour inclure les archivés (editeur/admin)")),
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "{partenaires: [...]} ; ou CSV, GeoJSON, GeoPackage, HSDS selon « format »",
            content((ListeOuHsds = "application/json"), (String = "text/csv"), (Collection<Partenaire> = "application/geo+json"), (Binary = "application/geopackage+sqlite3"))),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 503, description = NO_BASE, body = ApiError)))]
pub async fn list(State(st): State<AppState>, who: Who, RawQuery(q): RawQuery) -> ApiResult {
    let svc = st.partner_service()?;
    let p = Params::parse(q.as_deref());
    let private = who.private();
    let archived = private && matches!(p.get("archives"), Some("1" | "oui" | "true"));
    let format = p.get("format").unwrap_or("json").to_ascii_lowercase();
    if !["json", "csv", "geojson", "gpkg", "hsds"].contains(&format.as_str()) {
        return Err(ApiError::bad_param(
            "format",
            format!("json, csv, geojson, gpkg ou hsds attendu, trouvé « {format} »"),
        ));
    }
    blocking(move || {
        let partners = svc.store.partners(archived)?;
        let typed = |ct: &'static str, body: String| ([(header::CONTENT_TYPE, ct)], body);
        Ok(no_store(match format.as_str() {
            "csv" => {
                let mut buf = Vec::new();
                export::write_csv(&partners, private, &mut buf)
                    .map_err(|e| ApiError::internal("export impossible", e))?;
                (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"partenaires.csv\"",
                        ),
                    ],
                    buf,
                )
                    .into_response()
            }
            "geojson" => typed(
                GEOJSON,
                export::geojson(&partners, svc.validator(), private).to_string(),
            )
            .into_response(),
            "gpkg" => super::respond::gpkg(
                crate::export::partners::gpkg(&partners, svc.validator(), private)
                    .map_err(|e| ApiError::internal("export impossible", e))?,
                "partenaires.gpkg",
            ),
            "hsds" => {
                typed(JSON, export::hsds(&partners, svc.validator()).to_string()).into_response()
            }
            _ => {
                let list: Vec<serde_json::Value> =
                    partners.iter().map(|p| p.to_json(private)).collect();
                json(&serde_json::json!({ "partenaires": list }))
            }
        }))
    })
    .await
}

/// The JSON body of a partner write.
async fn raw_partner(headers: &HeaderMap, body: Body) -> Result<RawPartner, ApiError> {
    Ok(RawPartner::from_json(&parse_json(
        headers,
        &read_body(body, MAX_JSON_BYTES).await?,
    )?)?)
}

/// `POST /api/partenaires` (JSON) → 201 with the partner, its ETag and its `Location`.
#[utoipa::path(post, path = "/api/partenaires", tag = tags::PARTNERS,
    summary = "Créer un partenaire → 201 avec ETag et Location",
    request_body(content = JsonObject, description = BODY),
    security(("jeton" = []), ("session" = [])),
    responses(
        EditorRefusals,
        (status = 201, description = PARTNER, body = Partenaire,
            headers(("ETag" = String, description = "Version"), ("Location" = String, description = "/api/partenaires/{id}"))),
        (status = 400, description = "Champ invalide : {champ, attendu, trouve}", body = ApiError),
        (status = 409, description = "Identifiant déjà pris", body = ApiError),
        (status = 413, description = "Corps trop volumineux", body = ApiError),
        (status = 415, description = "Corps qui n'est pas du JSON (Content-Type)", body = ApiError)))]
pub async fn create(ed: Editor, body: Body) -> ApiResult {
    let raw = raw_partner(&ed.headers, body).await?;
    let Editor { svc, author, .. } = ed;
    let p = blocking(move || {
        let explicit = !raw.get("identifiant").trim().is_empty();
        let v = svc.validator().validate(&raw)?;
        Ok(svc.write(|store| store.create_partner(v, !explicit, &author))?)
    })
    .await?;
    let mut r = partner_response(StatusCode::CREATED, &p, true);
    if let Ok(loc) = format!("/api/partenaires/{}", p.id).parse() {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

/// `GET /api/partenaires/{id}`
#[utoipa::path(get, path = "/api/partenaires/{id}", tag = tags::PARTNERS,
    summary = "Un partenaire, avec son ETag",
    params(("id" = String, Path, description = "Identifiant (avec ou sans « local: »)")),
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = PARTNER, body = Partenaire, headers(("ETag" = String))),
        (status = 404, description = "Inconnu", body = ApiError),
        (status = 503, description = NO_BASE, body = ApiError)))]
pub async fn get_one(State(st): State<AppState>, who: Who, Path(id): Path<String>) -> ApiResult {
    let svc = st.partner_service()?;
    let id = partner_id(&id);
    let private = who.private();
    let p = blocking(move || Ok(svc.store.partner(&id)?.ok_or(StoreError::NotFound(id))?)).await?;
    if p.archived && !private {
        return Err(StoreError::NotFound(p.id).into());
    }
    Ok(partner_response(StatusCode::OK, &p, private))
}

/// `PUT` (whole record) or `PATCH` (fields given only); `If-Match` required.
async fn replace(ed: Editor, id: String, body: Body, patch: bool) -> ApiResult {
    let given = raw_partner(&ed.headers, body).await?;
    let bare = partner_id(&id).trim_start_matches("local:").to_string();
    let claimed = given.get("identifiant").trim();
    if !claimed.is_empty() && claimed.trim_start_matches("local:") != bare {
        return Err(FieldError::new(
            "identifiant",
            format!("l'identifiant du partenaire modifié ({bare}) : il ne peut pas changer"),
            claimed,
        )
        .into());
    }
    write_partner(ed, &id, true, move |c| {
        let mut raw = if patch {
            let cur = c
                .svc
                .store
                .partner(&c.id)?
                .ok_or_else(|| StoreError::NotFound(c.id.clone()))?;
            cur.fields.to_raw(&c.id)
        } else {
            RawPartner::default()
        };
        raw.merge(&given);
        raw.set("identifiant", &bare);
        let v = c.svc.validator().validate(&raw)?;
        Ok(c.svc
            .write(|store| store.update_partner(&c.id, c.expected, v, &c.author))?)
    })
    .await
}

/// Why a `PUT` or `PATCH` of a partner is refused.
#[derive(IntoResponses)]
pub enum ReplaceRefusals {
    #[response(
        status = 400,
        description = "Champ invalide : {champ, attendu, trouve}"
    )]
    Invalid(ApiError),
    #[response(status = 404, description = "Inconnu")]
    NotFound(ApiError),
    #[response(
        status = 409,
        description = "Partenaire archivé : restaurez-le avant de le modifier"
    )]
    Archived(ApiError),
    #[response(
        status = 412,
        description = "Version périmée (If-Match) : la version actuelle est dans « actuel », son ETag en en-tête"
    )]
    Stale(ApiError),
    #[response(status = 413, description = "Corps trop volumineux")]
    TooLarge(ApiError),
    #[response(
        status = 415,
        description = "Corps qui n'est pas du JSON (Content-Type)"
    )]
    NotJson(ApiError),
    #[response(status = 428, description = "En-tête If-Match manquant")]
    NoIfMatch(ApiError),
}

/// `PUT /api/partenaires/{id}` (whole record) or `PATCH` (fields given only); `If-Match`
/// required.
#[utoipa::path(method(put, patch), path = "/api/partenaires/{id}", tag = tags::PARTNERS,
    summary = "Remplacer (PUT) un partenaire, ou modifier (PATCH) les champs donnés ; If-Match obligatoire",
    params(("id" = String, Path, description = "Identifiant (avec ou sans « local: »)"),
        ("If-Match" = String, Header, description = "ETag de la version lue")),
    request_body(content = JsonObject, description = BODY),
    security(("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = PARTNER, body = Partenaire, headers(("ETag" = String))),
        ReplaceRefusals,
        EditorRefusals))]
pub async fn put_or_patch(
    ed: Editor,
    method: Method,
    Path(id): Path<String>,
    body: Body,
) -> ApiResult {
    replace(ed, id, body, method == Method::PATCH).await
}

/// `DELETE /api/partenaires/{id}`: archives (hidden, not erased).
#[utoipa::path(delete, path = "/api/partenaires/{id}", tag = tags::PARTNERS,
    summary = "Archiver un partenaire (il reste restaurable)",
    params(("id" = String, Path, description = "Identifiant (avec ou sans « local: »)"),
        ("If-Match" = Option<String>, Header, description = "ETag de la version lue")),
    security(("jeton" = []), ("session" = [])),
    responses(
        EditorRefusals,
        (status = 200, description = PARTNER, body = Partenaire, headers(("ETag" = String))),
        (status = 404, description = "Inconnu", body = ApiError),
        (status = 412, description = "Version périmée (If-Match) : la version actuelle est dans « actuel »", body = ApiError)))]
pub async fn archive(ed: Editor, Path(id): Path<String>) -> ApiResult {
    write_partner(ed, &id, false, |c| {
        Ok(c.svc
            .write(|store| store.archive_partner(&c.id, c.expected, &c.author))?)
    })
    .await
}

/// `POST /api/partenaires/{id}/restaurer[?version=N]`
#[utoipa::path(post, path = "/api/partenaires/{id}/restaurer", tag = tags::PARTNERS,
    summary = "Restaurer un partenaire archivé, ou une version antérieure (?version=N)",
    params(("id" = String, Path, description = "Identifiant (avec ou sans « local: »)"),
        ("version" = Option<u64>, Query, description = "Version à restaurer", minimum = 1),
        ("If-Match" = Option<String>, Header, description = "ETag de la version lue")),
    security(("jeton" = []), ("session" = [])),
    responses(
        EditorRefusals,
        (status = 200, description = PARTNER, body = Partenaire, headers(("ETag" = String))),
        (status = 400, description = "Paramètre invalide", body = ApiError),
        (status = 404, description = "Partenaire ou version inconnus", body = ApiError),
        (status = 412, description = "Version périmée (If-Match) : la version actuelle est dans « actuel »", body = ApiError)))]
pub async fn restore(ed: Editor, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let version = Params::parse(q.as_deref())
        .usize("version", 1, i64::MAX as usize)?
        .map(|v| v as i64);
    write_partner(ed, &id, false, move |c| {
        Ok(c.svc
            .write(|store| store.restore_partner(&c.id, version, c.expected, &c.author))?)
    })
    .await
}

/// `GET /api/partenaires/{id}/historique`
#[utoipa::path(get, path = "/api/partenaires/{id}/historique", tag = tags::PARTNERS,
    summary = "Historique des modifications : qui, quand, quels champs, avant et après",
    params(("id" = String, Path, description = "Identifiant (avec ou sans « local: »)")),
    security((), ("jeton" = []), ("session" = [])),
    responses(
        (status = 200, description = "{id, historique: [...]}", body = Historique),
        (status = 404, description = "Inconnu", body = ApiError),
        (status = 503, description = NO_BASE, body = ApiError)))]
pub async fn history(State(st): State<AppState>, who: Who, Path(id): Path<String>) -> ApiResult {
    let svc = st.partner_service()?;
    let id = partner_id(&id);
    let private = who.private();
    blocking(move || {
        let p = svc
            .store
            .partner(&id)?
            .ok_or_else(|| StoreError::NotFound(id.clone()))?;
        if p.archived && !private {
            return Err(StoreError::NotFound(id).into());
        }
        let h = svc.store.history(&id)?;
        let list: Vec<serde_json::Value> = h.iter().map(|e| e.to_json(private)).collect();
        Ok(no_store(json(
            &serde_json::json!({"id": id, "historique": list}),
        )))
    })
    .await
}

/// `POST /api/partenaires/import[?apercu=1]` with a CSV body.
#[utoipa::path(post, path = "/api/partenaires/import", tag = tags::PARTNERS,
    summary = "Importer un CSV de partenaires : ?apercu=1 renvoie les différences sans rien appliquer ; sinon tout ou rien",
    params(("apercu" = Option<String>, Query, description = "1 pour un aperçu"),
        ("fichier" = Option<String>, Query, description = "Nom du fichier, pour le rapport")),
    request_body(content = String, content_type = "text/csv", description = "Fichier CSV des partenaires (8 Mio au plus)"),
    security(("jeton" = []), ("session" = [])),
    responses(
        EditorRefusals,
        (status = 200, description = "Rapport : ajoutés, modifiés, inchangés, rejetés (ligne, champ, attendu, trouvé)", body = ImportReport),
        (status = 400, description = "Fichier refusé en entier", body = ApiError),
        (status = 413, description = "Corps trop volumineux", body = ApiError)))]
pub async fn import(ed: Editor, RawQuery(q): RawQuery, body: Body) -> ApiResult {
    let Editor { svc, author, .. } = ed;
    let p = Params::parse(q.as_deref());
    let preview = matches!(p.get("apercu"), Some("1" | "oui" | "true"));
    let file = p.get("fichier").unwrap_or("import.csv").to_string();
    let bytes = read_body(body, MAX_CSV_BYTES).await?;
    let report = blocking(move || Ok(svc.import(&bytes, &file, !preview, &author)?)).await?;
    Ok(no_store(json(&report)))
}

/// JSON type of a partner field's value, from its check.
fn field_schema(f: &PartnerField) -> utoipa::openapi::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let one = |t: Type| {
        // Required fields (`nom`, `type`) are never null.
        if f.presence == crate::model::partner_field::Presence::Value {
            SchemaType::new(t)
        } else {
            [t, Type::Null].into_iter().collect()
        }
    };
    let described = |b: ObjectBuilder| {
        b.description(Some(match f.help {
            Some(h) => format!("{} — {h}", f.label),
            None => f.label.to_string(),
        }))
        .build()
        .into()
    };
    match f.check {
        Check::Tags => ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(f.label))
            .build()
            .into(),
        Check::YesNo => described(ObjectBuilder::new().schema_type(Type::Boolean)),
        Check::Count => described(ObjectBuilder::new().schema_type(one(Type::Integer))),
        Check::Latitude | Check::Longitude => {
            described(ObjectBuilder::new().schema_type(one(Type::Number)))
        }
        _ => described(ObjectBuilder::new().schema_type(one(Type::String))),
    }
}

/// A partner as answered by the API: its fields, from the partner field table (private ones
/// for editors and administrators only), plus id, version, archive flag and dates.
pub struct Partenaire;

impl utoipa::PartialSchema for Partenaire {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let text = |d: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(d))
        };
        let mut o = ObjectBuilder::new()
            .description(Some(
                "Partenaire de l'annuaire local ; les champs privés ne sont donnés qu'aux éditeurs et administrateurs",
            ))
            .property("id", text("Identifiant, « local:… »"))
            .required("id")
            .property(
                "version",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("Version, celle de l'ETag")),
            )
            .required("version")
            .property(
                "archive",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("Archivé (masqué, restaurable)")),
            )
            .required("archive")
            .property("cree_le", text("Date de création"))
            .property("modifie_le", text("Date de la dernière modification"));
        for f in PARTNER_FIELDS.iter().filter(|f| f.check != Check::Id) {
            o = o.property(f.name, field_schema(f));
            if !f.private {
                o = o.required(f.name);
            }
        }
        o.build().into()
    }
}

impl utoipa::ToSchema for Partenaire {}

/// `GET /api/partenaires` in JSON: the list, or with `format=hsds` the Open Referral (HSDS)
/// tables.
pub struct ListeOuHsds;

impl utoipa::PartialSchema for ListeOuHsds {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Type};
        let table = || ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Object));
        let mut hsds = ObjectBuilder::new().description(Some(
            "Tables HSDS (Open Referral) : organisations, services, lieux, téléphones",
        ));
        for t in ["organization", "service", "location", "phone"] {
            hsds = hsds.property(t, table()).required(t);
        }
        let any = AnyOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name("ListePartenaires"))
            .item(hsds)
            .build();
        utoipa::openapi::RefOr::T(utoipa::openapi::Schema::AnyOf(any))
    }
}

impl utoipa::ToSchema for ListeOuHsds {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "ListePartenaires".to_string(),
            <ListePartenaires as utoipa::PartialSchema>::schema(),
        ));
        <ListePartenaires as utoipa::ToSchema>::schemas(schemas);
    }
}

/// `GET /api/partenaires` in JSON.
#[derive(utoipa::ToSchema)]
pub struct ListePartenaires {
    pub partenaires: Vec<Partenaire>,
}

/// `GET /api/partenaires/champs`.
#[derive(utoipa::ToSchema)]
pub struct ChampsPartenaire {
    /// The partner field table, each with `saisie` (HTML input type) and `formulaire`
    /// (shown in the form).
    pub champs: Vec<PartnerField>,
}

/// One change in a partner's history.
#[derive(utoipa::ToSchema)]
pub struct Modification {
    pub version: i64,
    pub date: String,
    pub auteur: String,
    /// `creation`, `modification`, `archivage`, `restauration`, `import`.
    pub action: String,
    /// Names of the changed fields.
    pub champs: Vec<String>,
    pub avant: Option<Partenaire>,
    pub apres: Option<Partenaire>,
}

/// `GET /api/partenaires/{id}/historique`.
#[derive(utoipa::ToSchema)]
pub struct Historique {
    pub id: String,
    pub historique: Vec<Modification>,
}
