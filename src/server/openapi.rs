//! The OpenAPI 3.1 description of the API, served at `/api/openapi.json`.

use serde_json::{json, Value};

fn param(name: &str, desc: &str, required: bool, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": desc, "schema": schema})
}

fn path_param(name: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": "string"}})
}

fn get_op(summary: &str, params: Vec<Value>, ok: &str) -> Value {
    json!({"get": {
        "summary": summary,
        "parameters": params,
        "responses": {
            "200": {"description": ok},
            "400": {"description": "Paramètre invalide", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}}
        }
    }})
}

/// The OpenAPI document listing every route of [`super::router`].
pub fn document() -> Value {
    let indicators = crate::export::diagnostic::mappable_ids();
    let kind = || {
        param(
            "kind",
            "Types d'acteurs séparés par des virgules (voir /api/kinds)",
            false,
            json!({"type": "string"}),
        )
    };
    let lat = || {
        param(
            "lat",
            "Latitude WGS84 (-90 à 90)",
            true,
            json!({"type": "number", "minimum": -90, "maximum": 90}),
        )
    };
    let lon = || {
        param(
            "lon",
            "Longitude WGS84 (-180 à 180)",
            true,
            json!({"type": "number", "minimum": -180, "maximum": 180}),
        )
    };
    let fc = "FeatureCollection GeoJSON (RFC 7946) d'acteurs";
    let mut within = get_op(
        "Acteurs dans un rayon, triés par distance",
        vec![
            lat(),
            lon(),
            param(
                "radius_m",
                "Rayon en mètres (≤ 100 000)",
                true,
                json!({"type": "number", "minimum": 0, "maximum": 100000}),
            ),
            kind(),
        ],
        fc,
    );
    within["post"] = json!({
        "summary": "Acteurs dans un polygone (corps GeoJSON Polygon, MultiPolygon, Feature ou FeatureCollection)",
        "parameters": [kind()],
        "requestBody": {"required": true, "content": {"application/geo+json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": fc}, "400": {"description": "Géométrie invalide"}, "413": {"description": "Corps trop volumineux (1 Mio au plus)"}}
    });
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "maillage",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Annuaire cartographique des ressources sanitaires, médico-sociales et sociales d'un territoire de CPTS. Distances en mètres sur la sphère de rayon moyen 6 371 008,8 m."
        },
        "paths": {
            "/api/actors": get_op("Liste filtrée et paginée des acteurs", vec![
                param("bbox", "Emprise minLon,minLat,maxLon,maxLat", false, json!({"type": "string"})),
                kind(),
                param("sector", "sanitaire, medico-social ou social", false, json!({"type": "string", "enum": ["sanitaire", "medico-social", "social"]})),
                param("commune", "Code INSEE de commune", false, json!({"type": "string"})),
                param("territory", "Identifiant de territoire (voir /api/territories)", false, json!({"type": "string"})),
                param("q", "Texte (nom, type, commune)", false, json!({"type": "string"})),
                param("limit", "Nombre maximal de résultats (≤ 10 000, 1 000 par défaut)", false, json!({"type": "integer", "minimum": 1, "maximum": 10000})),
                param("offset", "Décalage de pagination", false, json!({"type": "integer", "minimum": 0})),
            ], fc),
            "/api/actors/{id}": {"get": {"summary": "Un acteur", "parameters": [path_param("id", "Identifiant (ex. finess:810000505)")], "responses": {"200": {"description": "Feature GeoJSON"}, "404": {"description": "Acteur inconnu"}}}},
            "/api/nearest": get_op("Les k acteurs les plus proches, triés par (distance, id)", vec![lat(), lon(), kind(), param("k", "Nombre de résultats (≤ 1 000, 10 par défaut)", false, json!({"type": "integer", "minimum": 1, "maximum": 1000}))], fc),
            "/api/within": within,
            "/api/search": get_op("Autocomplétion : acteurs, communes, territoires, types", vec![param("q", "Texte recherché", true, json!({"type": "string"})), param("limit", "≤ 100", false, json!({"type": "integer"}))], "Liste de résultats"),
            "/api/kinds": get_op("Types d'acteurs avec leur secteur et leur nombre", vec![], "Liste des types"),
            "/api/communes": get_op("Contours des communes, ou la commune contenant un point", vec![param("at", "Point « lat,lon »", false, json!({"type": "string"})), param("bbox", "Emprise", false, json!({"type": "string"}))], "FeatureCollection ou Feature"),
            "/api/communes/{code}": {"get": {"summary": "Une commune avec son contour", "parameters": [path_param("code", "Code INSEE")], "responses": {"200": {"description": "Feature GeoJSON"}, "404": {"description": "Commune inconnue"}}}},
            "/api/territories": get_op("Territoires (CPTS, EPCI, départements)", vec![], "Liste des territoires"),
            "/api/territories/{id}": {"get": {"summary": "Un territoire : communes, population, contour", "parameters": [path_param("id", "Identifiant du territoire")], "responses": {"200": {"description": "Feature GeoJSON"}, "404": {"description": "Territoire inconnu"}}}},
            "/api/sources": get_op("Fichiers chargés : lignes acceptées et rejetées, date de la source", vec![], "Liste des sources"),
            "/api/config": get_op("Configuration de la page (tuiles, titre, emprise)", vec![], "Configuration"),
            "/api/health": get_op("État du service", vec![], "État"),
            "/api/diagnostic": get_op("Diagnostic territorial : indicateurs par commune, comparaisons département et région, paramètres (format=json|csv|geojson)", vec![
                param("territory", "Territoire (dep:81, epci:<siren>, cpts:<slug>, ou 81)", true, json!({"type": "string"})),
                param("kinds", "Types séparés par des virgules (défaut : medecin-generaliste,infirmier,masseur-kinesitherapeute,pharmacie)", false, json!({"type": "string"})),
                param("source", "acteurs ou bpe", false, json!({"type": "string", "enum": ["acteurs", "bpe"]})),
                param("couverture", "Définition de « couvert » : auto (par zone d'intervention pour les types qui en ont, sinon par distance), zone ou distance", false, json!({"type": "string", "enum": ["auto", "zone", "distance"]})),
                param("max_km", "Seuil de couverture par distance en km à vol d'oiseau (défaut 10)", false, json!({"type": "number"})),
                param("max_minutes", "Seuil de couverture en minutes estimées", false, json!({"type": "number"})),
                param("vitesse_kmh", "Vitesse moyenne (défaut 60)", false, json!({"type": "number"})),
                param("detour", "Facteur de détour routier (défaut 1,3)", false, json!({"type": "number"})),
                param("paliers", "Paliers 2SFCA borne:poids (défaut 10:1,15:0.667,20:0.333)", false, json!({"type": "string"})),
                param("unite", "Unité des paliers : minutes ou km", false, json!({"type": "string"})),
                param("capacite", "Pondérer l'offre par la capacité (oui/non)", false, json!({"type": "string"})),
                param("masquer", "Masquer les effectifs de 1 à 4 (oui/non)", false, json!({"type": "string"})),
                param("format", "json, csv ou geojson", false, json!({"type": "string"})),
                param("separateur", "CSV : ; (défaut) ou ,", false, json!({"type": "string"})),
            ], "Diagnostic"),
            "/api/diagnostic.csv": get_op("Diagnostic en CSV (une ligne par commune ; mêmes paramètres)", vec![param("territory", "Territoire", true, json!({"type": "string"}))], "CSV UTF-8"),
            "/api/diagnostic.geojson": get_op("Diagnostic en GeoJSON (indicateurs en propriétés ; mêmes paramètres)", vec![param("territory", "Territoire", true, json!({"type": "string"}))], "FeatureCollection"),
            "/api/diagnostic/carte.svg": get_op("Carte choroplèthe SVG d'un indicateur (mêmes paramètres)", vec![param("territory", "Territoire", true, json!({"type": "string"})), param("kind", "Type", false, json!({"type": "string"})), param("indicateur", "Indicateur (voir /api/diagnostic/indicateurs)", false, json!({"type": "string", "enum": indicators}))], "Image SVG"),
            "/api/diagnostic/carte.png": get_op("Carte choroplèthe PNG d'un indicateur (mêmes paramètres)", vec![param("territory", "Territoire", true, json!({"type": "string"})), param("kind", "Type", false, json!({"type": "string"})), param("indicateur", "Indicateur (voir /api/diagnostic/indicateurs)", false, json!({"type": "string", "enum": indicators}))], "Image PNG"),
            "/api/diagnostic/indicateurs": get_op("Table des indicateurs du diagnostic : identifiant, libellé, en-tête, unité, décimales, colonne CSV, champ JSON", vec![], "Tables des indicateurs par commune et des comparaisons"),
            "/api/couverture": get_op("Couverture d'un territoire pour un type, zones blanches (format=geojson pour leurs contours)", vec![param("territory", "Territoire", true, json!({"type": "string"})), param("kind", "Un type", true, json!({"type": "string"})), param("max_km", "Seuil en km", false, json!({"type": "number"})), param("max_minutes", "Seuil en minutes estimées", false, json!({"type": "number"}))], "Couverture"),
            "/api/accessibilite": get_op("Accessibilité 2SFCA par commune et moyenne pondérée", vec![param("territory", "Territoire", true, json!({"type": "string"})), param("kind", "Un type", true, json!({"type": "string"})), param("paliers", "Paliers borne:poids", false, json!({"type": "string"})), param("unite", "minutes ou km", false, json!({"type": "string"}))], "Accessibilité"),
            "/api/zones": get_op("Zones d'attraction : communes rattachées à l'offre la plus proche, ou communes à portée d'un point (lat, lon, max_km)", vec![param("kind", "Un type", false, json!({"type": "string"})), param("territory", "Territoire", false, json!({"type": "string"})), param("lat", "Latitude", false, json!({"type": "number"})), param("lon", "Longitude", false, json!({"type": "number"})), param("max_km", "Rayon en km", false, json!({"type": "number"}))], "Zones"),
            "/api/openapi.json": get_op("Ce document", vec![], "Document OpenAPI"),
        },
        "components": {"schemas": {"Erreur": {"type": "object", "properties": {"erreur": {"type": "string"}, "detail": {"type": "string"}}, "required": ["erreur", "detail"]}}}
    });
    super::orientation::openapi_paths(&mut doc);
    partner_paths(&mut doc);
    doc
}

/// The partner directory, annotations and session routes (see docs/annuaire-local.md).
fn partner_paths(doc: &mut Value) {
    let id = || path_param("id", "Identifiant du partenaire (avec ou sans « local: »)");
    let auth = "Écriture : jeton « Authorization: Bearer … » (rôle editeur ou admin) ou cookie de session avec un en-tête Origin du même site";
    let write = |summary: &str, extra: Value| {
        let mut op = json!({
            "summary": summary,
            "description": auth,
            "responses": {
                "200": {"description": "Partenaire (JSON) avec son ETag"},
                "400": {"description": "Champ invalide : {champ, attendu, trouve}"},
                "401": {"description": "Jeton absent ou révoqué"},
                "403": {"description": "Rôle insuffisant"},
                "409": {"description": "Version périmée : la version actuelle est dans « actuel »"},
                "428": {"description": "En-tête If-Match manquant"}
            }
        });
        if let (Some(o), Some(e)) = (op.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        op
    };
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    paths.insert("/api/partenaires".into(), json!({
        "get": {"summary": "Annuaire local : partenaires (format=json|csv|geojson|hsds ; champs privés pour editeur/admin)", "parameters": [param("format", "json, csv, geojson ou hsds", false, json!({"type": "string"}))], "responses": {"200": {"description": "Liste ou export"}}},
        "post": write("Créer un partenaire (JSON, noms de champs du fichier des partenaires) → 201 avec ETag", json!({"requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}}))
    }));
    paths.insert("/api/partenaires/{id}".into(), json!({
        "get": {"summary": "Un partenaire, avec son ETag", "parameters": [id()], "responses": {"200": {"description": "Partenaire"}, "404": {"description": "Inconnu"}}},
        "put": write("Remplacer un partenaire (If-Match obligatoire)", json!({"parameters": [id()]})),
        "patch": write("Modifier des champs d'un partenaire (If-Match obligatoire)", json!({"parameters": [id()]})),
        "delete": write("Archiver un partenaire (il reste restaurable)", json!({"parameters": [id()]}))
    }));
    paths.insert("/api/partenaires/{id}/restaurer".into(), json!({
        "post": write("Restaurer un partenaire archivé, ou une version antérieure (?version=N)", json!({"parameters": [id(), param("version", "Version à restaurer", false, json!({"type": "integer"}))]}))
    }));
    paths.insert("/api/partenaires/champs".into(), json!({
        "get": {"summary": "Champs d'un partenaire : nom, libellé, alias CSV, privé ou non, contrôle, aide", "responses": {"200": {"description": "Liste des champs"}}}
    }));
    paths.insert("/api/partenaires/{id}/historique".into(), json!({
        "get": {"summary": "Historique des modifications : qui, quand, quels champs, avant et après", "parameters": [id()], "responses": {"200": {"description": "Historique"}}}
    }));
    paths.insert("/api/partenaires/import".into(), json!({
        "post": write("Importer un CSV de partenaires : ?apercu=1 renvoie les différences sans rien appliquer ; sinon tout ou rien", json!({"parameters": [param("apercu", "1 pour un aperçu", false, json!({"type": "string"}))], "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}}}))
    }));
    paths.insert("/api/annotations".into(), json!({
        "get": {"summary": "Annotations locales sur les acteurs officiels", "responses": {"200": {"description": "Liste"}}}
    }));
    paths.insert("/api/annotations/{id}".into(), json!({
        "get": {"summary": "Annotation d'un acteur officiel", "parameters": [path_param("id", "Identifiant de l'acteur (ex. finess:810000505)")], "responses": {"200": {"description": "Annotation"}, "404": {"description": "Aucune"}}},
        "put": write("Écrire l'annotation d'un acteur officiel (membre_cpts, role, referent, telephone, email, note), sans modifier la fiche officielle", json!({"parameters": [path_param("id", "Identifiant de l'acteur")]}))
    }));
    paths.insert("/api/session".into(), json!({
        "get": {"summary": "Qui suis-je : nom et rôle de la session", "responses": {"200": {"description": "Session"}, "401": {"description": "Pas de session"}}},
        "post": {"summary": "Échanger un jeton contre un cookie de session (HttpOnly, SameSite=Strict)", "responses": {"200": {"description": "Session ouverte"}, "401": {"description": "Jeton refusé"}}},
        "delete": {"summary": "Fermer la session", "responses": {"200": {"description": "Session fermée"}}}
    }));
}
