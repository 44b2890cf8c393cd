//! The OpenAPI 3.1 document served at `/api/openapi.json`, generated from the handlers
//! (`#[utoipa::path]`) and the types of their bodies; every route registered through
//! [`super::resources`] is in it by construction.

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::auth::SESSION_COOKIE;

/// Security scheme of a bearer token (`Authorization: Bearer mlg_…`).
pub const BEARER: &str = "jeton";
/// Security scheme of the page's session cookie.
pub const COOKIE: &str = "session";

/// Tags, one per resource.
pub mod tags {
    pub const ACTORS: &str = "acteurs";
    pub const PLACES: &str = "communes et territoires";
    pub const META: &str = "service";
    pub const ORIENTATION: &str = "orientation";
    pub const ANALYSIS: &str = "diagnostic";
    pub const PARTNERS: &str = "annuaire local";
    pub const SESSION: &str = "session";
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Jeton créé par « maillage jeton creer » (rôle lecteur, editeur ou admin)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "Cookie de session ouvert par POST /api/session ; une modification par cookie demande un en-tête Origin du même site",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "maillage",
        description = "Annuaire cartographique des ressources sanitaires, médico-sociales et sociales d'un territoire de CPTS. Distances en mètres sur la sphère de rayon moyen 6 371 008,8 m. Les erreurs ont la forme {erreur, detail} (schéma Erreur)."
    ),
    modifiers(&Security),
    components(schemas(super::error::ApiError, JsonObject))
)]
struct ApiDoc;

/// The root of the document (info, security schemes, shared schemas); the resources add
/// their paths.
pub fn root() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// A JSON object whose members are described in docs/api.md.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct JsonObject(pub serde_json::Value);

/// Binary content (an image).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// The document, serialised once. The values of `indicateur` come from the indicator table.
pub fn document_json() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, doc) = super::resources().split_for_parts();
        let mut v = serde_json::to_value(&doc).unwrap_or_default();
        let indicators = crate::export::diagnostic::mappable_ids();
        if let Some(paths) = v.get_mut("paths").and_then(|p| p.as_object_mut()) {
            for op in paths.values_mut().filter_map(|p| p.as_object_mut()) {
                for o in op.values_mut() {
                    let Some(params) = o.get_mut("parameters").and_then(|p| p.as_array_mut())
                    else {
                        continue;
                    };
                    for p in params.iter_mut().filter(|p| p["name"] == "indicateur") {
                        p["schema"] = serde_json::json!({"type": "string", "enum": indicators});
                    }
                }
            }
        }
        serde_json::to_vec(&v).unwrap_or_default()
    })
}

/// A GeoJSON geometry (RFC 7946, WGS84 lon/lat): `{type, coordinates}`.
#[derive(serde::Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct Geometrie(pub serde_json::Value);

/// A GeoJSON Feature whose properties are of type `P`.
#[derive(serde::Serialize, ToSchema)]
pub struct Feature<P: ToSchema> {
    // No doc comment on the tags: utoipa would wrap the enum in an `allOf` with an object.
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: FeatureTag,
    pub id: Option<String>,
    /// Null when the outline or position is unknown.
    pub geometry: Option<Geometrie>,
    pub properties: P,
}

/// A GeoJSON FeatureCollection of features with properties of type `P`.
#[derive(serde::Serialize, ToSchema)]
pub struct Collection<P: ToSchema> {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: CollectionTag,
    pub features: Vec<Feature<P>>,
}

/// `Feature`
#[derive(serde::Serialize, ToSchema)]
pub enum FeatureTag {
    Feature,
}

/// `FeatureCollection`
#[derive(serde::Serialize, ToSchema)]
pub enum CollectionTag {
    FeatureCollection,
}
