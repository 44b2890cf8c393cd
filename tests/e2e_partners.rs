//! Browser tests of the partner directory on the map page (issue 8): session, adding a partner
//! by clicking the map, field errors next to the fields, correcting a phone, history and
//! restore, archive, CSV export and import preview; and partner names shown as text, never
//! run as HTML.
//!
//! Each test starts the binary with its own `--base <tmp>/b.sqlite` and an editor token created
//! first with `maillage jetons creer --nom test --role editeur --base <same>`.
//!
//! Run with: `cargo test --test e2e_partners -- --ignored --test-threads=1`

mod e2e_support;

use e2e_support::Page;
use fantoccini::key::Key;
use serde_json::{json, Value};

const NAME: &str = "Maison des aidants du Gaillacois";

async fn log_in(page: &Page) {
    page.wait_css("#bloc-partenaires:not([hidden])").await;
    if !page
        .js("return document.getElementById('bloc-partenaires').open")
        .await
        .as_bool()
        .unwrap()
    {
        page.click("#bloc-partenaires > summary").await;
    }
    let token = page.token.clone().expect("editor token");
    page.find("#session-jeton")
        .await
        .send_keys(&token)
        .await
        .unwrap();
    page.click("#session-connecter").await;
    page.wait_css("#session-connectee:not([hidden])").await;
    let who = page.visible_text("#session-qui").await;
    assert!(who.contains("test") && who.contains("éditeur"), "{who}");
    page.wait_css("#partenaires-edition:not([hidden])").await;
}

/// Waits until the panel shows this actor and this phone.
async fn until_fiche(page: &Page, name: &str, phone: &str) {
    page.until(
        &format!("panel of {name} with {phone}"),
        &format!(
            "!document.getElementById('fiche').hidden && \
             document.getElementById('fiche-titre').textContent === {} && \
             [...document.querySelectorAll('#fiche-details a[href^=\"tel:\"]')].some(a => a.textContent === {})",
            json!(name),
            json!(phone)
        ),
    )
    .await;
}

async fn result_names(page: &Page) -> Vec<String> {
    page.result_rows().await.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn editor_adds_a_partner_on_the_map_corrects_its_phone_and_manages_it() {
    let page = Page::open_editor("30-partenaires").await;
    page.goto("#c=43.9016,1.8966&z=14").await;
    // Anonymous: the login form, no editing tools.
    page.wait_css("#bloc-partenaires:not([hidden])").await;
    assert!(page
        .find("#partenaires-edition")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_some());
    // A wrong token is refused in French.
    page.click("#bloc-partenaires > summary").await;
    page.type_into("#session-jeton", "mlg_faux").await;
    page.click("#session-connecter").await;
    page.until(
        "login error",
        "!document.getElementById('session-erreur').hidden",
    )
    .await;
    assert!(page
        .visible_text("#session-erreur")
        .await
        .contains("jeton inconnu"));
    page.find("#session-jeton").await.clear().await.unwrap();
    log_in(&page).await;
    page.shot("1-connecte").await;

    // Add a partner: name, a wrong phone, a click on the map.
    page.click("#partenaire-ajouter").await;
    page.wait_css("#partenaire-form:not([hidden])").await;
    page.type_into("#pf-nom", NAME).await;
    page.type_into("#pf-telephone", "12345").await;
    page.click_map(-120.0, 60.0, false).await;
    page.until(
        "position from the map",
        "document.getElementById('pf-latitude').value !== '' && document.getElementById('pf-code_insee').value !== ''",
    )
    .await;
    page.wait_css("path.placement-partenaire").await;
    let insee = page
        .js("return document.getElementById('pf-code_insee').value")
        .await;
    assert!(insee.as_str().unwrap().starts_with("81"), "{insee}");
    page.click("#partenaire-enregistrer").await;
    // The API's field error, next to the field.
    let err = page
        .until(
            "phone error next to the field",
            "!document.getElementById('pf-erreur-telephone').hidden && document.getElementById('pf-erreur-telephone').textContent",
        )
        .await;
    assert!(err.as_str().unwrap().contains("10 chiffres"), "{err}");
    assert!(err.as_str().unwrap().contains("12345"), "{err}");
    assert_eq!(
        page.js("return document.getElementById('pf-telephone').getAttribute('aria-invalid')")
            .await,
        json!("true")
    );
    assert_eq!(
        page.js("return document.activeElement.id").await,
        json!("pf-telephone")
    );
    page.shot("2-erreur-champ").await;
    page.type_into("#pf-telephone", "05 63 99 99 99").await;
    page.click("#partenaire-enregistrer").await;
    page.until(
        "form closed",
        "document.getElementById('partenaire-form').hidden",
    )
    .await;
    until_fiche(&page, NAME, "05 63 99 99 99").await;
    page.wait_css("#fiche-partenaire:not([hidden])").await;
    page.shot("3-ajoute").await;

    // The 10 nearest around it: it is first (distance 0), at once.
    page.click("#fiche-autour").await;
    page.until(
        "radius results",
        "!document.getElementById('resultats').hidden",
    )
    .await;
    page.click("#rayon-proches").await;
    page.until(
        "nearest results",
        "/plus proches/.test(document.getElementById('resultats-resume').textContent)",
    )
    .await;
    let names = result_names(&page).await;
    assert_eq!(names.len(), 10);
    assert_eq!(names[0], NAME);

    // Correct its phone from the panel.
    page.click("#partenaire-modifier").await;
    page.wait_css("#partenaire-form:not([hidden])").await;
    page.until(
        "edit form filled",
        "document.getElementById('pf-telephone').value === '05 63 99 99 99'",
    )
    .await;
    page.type_into("#pf-telephone", "0563887766").await;
    page.click("#partenaire-enregistrer").await;
    until_fiche(&page, NAME, "05 63 88 77 66").await;
    // The nearest list was refreshed: its row opens the corrected record.
    page.until(
        "nearest list refreshed",
        &format!(
            "document.querySelector('#resultats-liste .resultat-nom') && \
             document.querySelector('#resultats-liste .resultat-nom').textContent === {}",
            json!(NAME)
        ),
    )
    .await;
    page.click("#fiche-fermer").await;
    page.click("#resultats-liste .resultat").await;
    until_fiche(&page, NAME, "05 63 88 77 66").await;
    // The search box finds it, with the corrected phone.
    page.click("#fiche-fermer").await;
    page.search_and_choose("Maison des aidants", "acteur", NAME)
        .await;
    until_fiche(&page, NAME, "05 63 88 77 66").await;
    page.shot("4-corrige").await;

    // History: two versions; restoring the first brings the old phone back.
    page.click("#partenaire-historique").await;
    page.until(
        "history",
        "document.querySelectorAll('#partenaire-historique-liste .historique-entree').length === 2",
    )
    .await;
    let history = page.visible_text("#partenaire-historique-liste").await;
    assert!(history.contains("Version 2 – modification"), "{history}");
    assert!(history.contains("Téléphone"), "{history}");
    assert!(history.contains("test (editeur)"), "{history}");
    // Only the older version can be restored.
    let buttons = page
        .all("#partenaire-historique-liste .historique-entree button")
        .await;
    assert_eq!(buttons.len(), 1);
    page.shot("5-historique").await;
    buttons[0].click().await.unwrap();
    until_fiche(&page, NAME, "05 63 99 99 99").await;

    // Export the directory as CSV.
    page.click("#partenaires-export-csv").await;
    let csv_path = page.downloaded("csv").await;
    let text = std::fs::read_to_string(&csv_path).unwrap();
    // A BOM, as every CSV of the service: accents read right in Excel (issue 13.7).
    assert!(text.starts_with('\u{feff}'), "no BOM: {text}");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let name_col = headers.iter().position(|h| h == "nom").unwrap();
    let phone_col = headers.iter().position(|h| h == "telephone").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(&rows[0][name_col], NAME);
    assert_eq!(&rows[0][phone_col], "05 63 99 99 99");

    // The same directory as a GeoPackage for QGIS: one typed layer `partenaires`.
    page.click("#partenaires-export-gpkg").await;
    let gpkg_path = page.downloaded("gpkg").await;
    let db = rusqlite::Connection::open(&gpkg_path).unwrap();
    let (nom, telephone, capacite_type): (String, String, String) = db
        .query_row(
            "SELECT nom, telephone, (SELECT type FROM pragma_table_info('partenaires') \
             WHERE name = 'capacite') FROM partenaires",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((nom.as_str(), telephone.as_str()), (NAME, "05 63 99 99 99"));
    assert_eq!(capacite_type, "MEDIUMINT");

    // Archive: gone from the map's lists; restore from the archived list.
    page.click("#partenaire-archiver").await;
    assert_eq!(
        page.visible_text("#partenaire-archiver").await,
        "Confirmer l'archivage"
    );
    page.click("#partenaire-archiver").await;
    page.until("panel closed", "document.getElementById('fiche').hidden")
        .await;
    page.until(
        "nearest list without it",
        &format!(
            "[...document.querySelectorAll('#resultats-liste .resultat-nom')].length > 0 && \
             ![...document.querySelectorAll('#resultats-liste .resultat-nom')].some(e => e.textContent === {})",
            json!(NAME)
        ),
    )
    .await;
    page.click("#partenaires-archives").await;
    page.until(
        "archived list",
        &format!(
            "document.getElementById('partenaires-archives-liste').textContent.includes({})",
            json!(NAME)
        ),
    )
    .await;
    page.click("#partenaires-archives-liste button").await;
    until_fiche(&page, NAME, "05 63 99 99 99").await;
    page.until(
        "back in the nearest list",
        &format!(
            "[...document.querySelectorAll('#resultats-liste .resultat-nom')].some(e => e.textContent === {})",
            json!(NAME)
        ),
    )
    .await;
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn csv_import_is_previewed_then_applied() {
    let page = Page::open_editor("31-import").await;
    log_in(&page).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partenaires.csv");
    std::fs::write(
        &file,
        "nom;type;code_insee;telephone\n\
         Association des aidants d'Albi;partenaire;81004;0563111111\n\
         Ligne fausse;zzz;81004;\n\
         Équipe mobile de Gaillac;ssiad;81099;05 63 22 22 22\n",
    )
    .unwrap();
    page.click("#bloc-import > summary").await;
    page.find("#import-fichier")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    page.wait_css("#import-apercu:not([hidden])").await;
    let rows = page
        .js("return [...document.querySelectorAll('#import-apercu tbody tr')].map(tr => [...tr.children].map(td => td.textContent))")
        .await;
    let rows: Vec<Vec<String>> = serde_json::from_value(rows).unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        rows[0][..3],
        ["2", "ajouté", "Association des aidants d'Albi"]
    );
    // A rejected line names the partner, the value found and a short hint (issue 13.7), not
    // the column and the 40 valid types.
    assert_eq!(rows[1][..3], ["3", "rejeté", "Ligne fausse"]);
    assert!(rows[1][3].contains("« zzz »"), "{rows:?}");
    assert!(rows[1][3].contains("type inconnu"), "{rows:?}");
    assert!(rows[1][3].chars().count() < 200, "{rows:?}");
    assert!(!rows[1][3].contains("ehpad, "), "{rows:?}");
    assert_eq!(rows[2][..3], ["4", "ajouté", "Équipe mobile de Gaillac"]);
    let summary = page.visible_text("#import-resume").await;
    assert!(summary.contains("rien n'est encore écrit"), "{summary}");
    assert!(
        summary.contains("2 ajouté(s)") && summary.contains("1 rejeté(s)"),
        "{summary}"
    );
    // Nothing written by the preview.
    let (_, list) = page.http("GET", "api/partenaires", None);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["partenaires"], json!([]));
    page.shot("1-apercu").await;

    page.click("#import-appliquer").await;
    page.until(
        "applied",
        "document.getElementById('import-resume').textContent.startsWith('Import appliqué')",
    )
    .await;
    let (_, list) = page.http("GET", "api/partenaires", None);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["partenaires"].as_array().unwrap().len(), 2);
    // On the map's search at once.
    page.search_and_choose(
        "Association des aidants",
        "acteur",
        "Association des aidants d'Albi",
    )
    .await;
    until_fiche(&page, "Association des aidants d'Albi", "05 63 11 11 11").await;
    page.shot("2-applique").await;
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn partner_names_and_annotations_are_shown_as_text_never_run() {
    let page = Page::open_editor("32-xss").await;
    let evil = "<img src=x onerror=\"window.__xss=1\">";
    let (status, body) = page.http(
        "POST",
        "api/partenaires",
        Some(
            &json!({"nom": evil, "type": "partenaire", "latitude": 43.9016,
                     "longitude": 1.8966, "telephone": "0563123456",
                     "horaires": "<b onmouseover=\"window.__xss=3\">9h</b>"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    // An annotation on an official actor, with markup in its note.
    let (status, body) = page.http("GET", "api/actors?kind=clic&commune=81099&limit=1", None);
    assert_eq!(status, 200);
    let clic: Value = serde_json::from_str(&body).unwrap();
    let clic_id = clic["features"][0]["properties"]["id"]
        .as_str()
        .expect("a CLIC in Gaillac")
        .to_string();
    let clic_name = clic["features"][0]["properties"]["nom"]
        .as_str()
        .unwrap()
        .to_string();
    let note = "<script>window.__xss=2</script>";
    let (status, body) = page.http(
        "PUT",
        &format!("api/annotations/{clic_id}"),
        Some(&json!({"membre_cpts": true, "referent": "Dr <i>Martin</i>", "note": note})),
    );
    assert_eq!(status, 200, "{body}");

    page.goto("#c=43.9016,1.8966&z=15").await;
    page.js("window.__xss = 0; return 0").await;

    // Search list: the literal text.
    let input = page.find("#recherche").await;
    input.send_keys("onerror").await.unwrap();
    page.until(
        "search proposals",
        "document.querySelectorAll('#recherche-liste .proposition').length > 0",
    )
    .await;
    let label = page
        .js("return document.querySelector('#recherche-liste .proposition-libelle').textContent")
        .await;
    assert_eq!(label, json!(evil));
    page.shot("1-recherche").await;
    input.send_keys(&Key::Down.to_string()).await.unwrap();
    input.send_keys(&Key::Enter.to_string()).await.unwrap();
    // Panel: the literal text as title, hours as text.
    page.until(
        "panel",
        &format!(
            "document.getElementById('fiche-titre').textContent === {}",
            json!(evil)
        ),
    )
    .await;
    let fiche = page.visible_text("#fiche").await;
    assert!(fiche.contains(evil), "{fiche}");
    assert!(fiche.contains("<b onmouseover"), "{fiche}");
    // Nearest list: the literal text too.
    page.click("#fiche-autour").await;
    page.click("#rayon-proches").await;
    page.until(
        "nearest list",
        &format!(
            "[...document.querySelectorAll('#resultats-liste .resultat-nom')].some(e => e.textContent === {})",
            json!(evil)
        ),
    )
    .await;
    // Logged in: edit form and history show it as text as well.
    log_in(&page).await;
    page.click("#fiche-fermer").await;
    page.search_and_choose("onerror", "acteur", evil).await;
    page.wait_css("#fiche-partenaire:not([hidden])").await;
    page.click("#partenaire-historique").await;
    page.until(
        "history",
        &format!(
            "document.getElementById('partenaire-historique-liste').textContent.includes({})",
            json!(evil)
        ),
    )
    .await;
    page.click("#partenaire-modifier").await;
    page.until(
        "edit form filled",
        &format!(
            "document.getElementById('pf-nom').value === {}",
            json!(evil)
        ),
    )
    .await;
    assert!(page
        .visible_text("#partenaire-form-titre")
        .await
        .contains(evil));
    page.shot("2-fiche").await;
    page.click("#partenaire-annuler").await;

    // The annotation of the official actor, beside its record, as text.
    page.search_and_choose(&clic_name, "acteur", &clic_name)
        .await;
    page.wait_css("#fiche-annotation:not([hidden])").await;
    let annotation = page.visible_text("#fiche-annotation").await;
    assert!(annotation.contains(note), "{annotation}");
    assert!(annotation.contains("Dr <i>Martin</i>"), "{annotation}");
    assert!(annotation.contains("Membre de la CPTS"), "{annotation}");
    page.shot("3-annotation").await;

    // No script ran, no element was made from the data.
    assert_eq!(page.js("return window.__xss").await, json!(0));
    assert_eq!(
        page.js("return document.querySelectorAll('img[src=\"x\"], b[onmouseover], #fiche script').length")
            .await,
        json!(0)
    );
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn a_stale_edit_reloads_the_current_version_instead_of_overwriting_it() {
    let page = Page::open_editor("33-conflit").await;
    let (status, body) = page.http(
        "POST",
        "api/partenaires",
        Some(
            &json!({"identifiant": "dac-test", "nom": "DAC de test", "type": "dac",
                     "code_insee": "81099", "telephone": "0563000001"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    log_in(&page).await;
    page.search_and_choose("DAC de test", "acteur", "DAC de test")
        .await;
    page.wait_css("#fiche-partenaire:not([hidden])").await;
    page.click("#partenaire-modifier").await;
    page.until(
        "edit form filled",
        "document.getElementById('pf-telephone').value === '05 63 00 00 01'",
    )
    .await;
    // Someone else changes the email meanwhile.
    let (status, body) = page.http_with(
        "PATCH",
        "api/partenaires/dac-test",
        Some(&json!({"email": "accueil@dac-test.fr"})),
        &[("If-Match", "\"1\"")],
    );
    assert_eq!(status, 200, "{body}");
    page.type_into("#pf-telephone", "0563000002").await;
    page.click("#partenaire-enregistrer").await;
    let message = page
        .until(
            "conflict message",
            "!document.getElementById('partenaire-erreur').hidden && document.getElementById('partenaire-erreur').textContent",
        )
        .await;
    assert!(
        message.as_str().unwrap().contains("modifié entre-temps"),
        "{message}"
    );
    // The form now holds the current version; nothing was overwritten.
    assert_eq!(
        page.js("return [document.getElementById('pf-email').value, document.getElementById('pf-telephone').value]")
            .await,
        json!(["accueil@dac-test.fr", "05 63 00 00 01"])
    );
    let (_, current) = page.http("GET", "api/partenaires/dac-test", None);
    let current: Value = serde_json::from_str(&current).unwrap();
    assert_eq!(current["telephone"], "05 63 00 00 01");
    assert_eq!(current["version"], 2);
    page.shot("conflit").await;
    // Saving again now works, on top of the other change.
    page.type_into("#pf-telephone", "0563000002").await;
    page.click("#partenaire-enregistrer").await;
    until_fiche(&page, "DAC de test", "05 63 00 00 02").await;
    let (_, current) = page.http("GET", "api/partenaires/dac-test", None);
    let current: Value = serde_json::from_str(&current).unwrap();
    assert_eq!(current["email"], "accueil@dac-test.fr");
    assert_eq!(current["version"], 3);
    page.close().await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn a_partner_typed_with_its_commune_name_is_placed_in_that_commune() {
    let page = Page::open_editor("34-commune").await;
    log_in(&page).await;
    page.click("#partenaire-ajouter").await;
    page.wait_css("#partenaire-form:not([hidden])").await;
    page.type_into("#pf-nom", "Point info seniors de Brens")
        .await;
    page.type_into("#pf-telephone", "05 63 44 44 44").await;
    page.type_into("#pf-commune", "Brens").await;
    page.click("#partenaire-enregistrer").await;
    until_fiche(&page, "Point info seniors de Brens", "05 63 44 44 44").await;
    let (_, list) = page.http("GET", "api/partenaires", None);
    let list: Value = serde_json::from_str(&list).unwrap();
    let p = &list["partenaires"][0];
    let (_, brens) = page.http("GET", "api/search?q=Brens&limit=5", None);
    let brens: Value = serde_json::from_str(&brens).unwrap();
    let code = brens["resultats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["categorie"] == "commune" && r["libelle"] == "Brens")
        .expect("Brens is a loaded commune")["id"]
        .clone();
    assert_eq!(p["code_insee"], code);
    assert_eq!(p["latitude"], Value::Null);
    let fiche = page.visible_text("#fiche-details").await;
    assert!(fiche.contains("au centre de la commune"), "{fiche}");
    page.close().await;
}

/// The private « ligne directe » (issue 13.7): saved, shown to an editor in the actor panel
/// (marked as reserved), never to the public; the import preview names a close type.
/// Desktop 1366×850 and phone 390×844.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (installed by .ci/run)"]
async fn the_direct_line_is_shown_to_editors_only() {
    for (name, w, h) in [
        ("34-ligne-directe", 1366, 850),
        ("34-ligne-directe-telephone", 390, 844),
    ] {
        let page = Page::open_with(name, w, h, true, &[]).await;
        let (status, body) = page.http(
            "POST",
            "api/partenaires",
            Some(
                &json!({"identifiant": "dac-prive", "nom": "DAC à ligne directe", "type": "dac",
                         "code_insee": "81099", "telephone": "0563000001",
                         "ligne_directe": "0612345678", "notes_internes": "Demander Mme Martin"}),
            ),
        );
        assert_eq!(status, 201, "{body}");
        // The public sees the partner, not its direct line.
        page.search_and_choose("DAC à ligne directe", "acteur", "DAC à ligne directe")
            .await;
        page.wait_css("#fiche:not([hidden])").await;
        let public = page.visible_text("#fiche").await;
        assert!(!public.contains("06 12 34 56 78"), "{public}");
        assert!(!public.contains("Mme Martin"), "{public}");
        page.click("#fiche-fermer").await;

        // An editor sees it, marked as reserved.
        page.unfold_panel().await;
        log_in(&page).await;
        page.search_and_choose("DAC à ligne directe", "acteur", "DAC à ligne directe")
            .await;
        let private = page
            .until(
                "private fields shown",
                "(() => { const b = document.getElementById('fiche-prive'); \
                 return b && !b.hidden && !document.getElementById('fiche-partenaire').hidden ? b.innerText : ''; })()",
            )
            .await;
        let private = private.as_str().unwrap();
        assert!(private.contains("Réservé aux éditeurs"), "{private}");
        assert!(private.contains("Ligne directe"), "{private}");
        assert!(private.contains("06 12 34 56 78"), "{private}");
        assert!(private.contains("Demander Mme Martin"), "{private}");
        let tel = page
            .js("return document.querySelector('#fiche-prive a[href^=\"tel:\"]').getAttribute('href')")
            .await;
        assert_eq!(tel, json!("tel:0612345678"));
        page.js("document.getElementById('fiche-prive').scrollIntoView(); return 0")
            .await;
        page.shot("1-fiche-editeur").await;
        page.close().await;
    }
}
