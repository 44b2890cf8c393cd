//! Text index at France scale: 2,000,000 synthetic actors with realistic French names.
//!
//! Run: `cargo bench --bench text_search -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use maillage::index::text::{TextIndex, TextIndexBuilder};

const ACTORS: u32 = 2_000_000;

const SURNAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
];
const SYLLABLES: &[&str] = &[
    "bar", "ber", "bou", "cal", "cas", "cha", "dal", "del", "dou", "fa", "gar", "gui", "lac",
    "lan", "lau", "mar", "mas", "mon", "nau", "pa", "per", "pou", "ra", "ren", "ri", "sa", "ser",
    "tal", "tes", "vi", "vil", "zac", "gnac", "ac", "ès", "eau", "ier", "ot", "in", "et",
];
const COMMUNES: &[&str] = &[
    "Albi",
    "Gaillac",
    "Castres",
    "Mazamet",
    "Lavaur",
    "Graulhet",
    "Carmaux",
    "Saint-Juéry",
    "Lisle-sur-Tarn",
    "Rabastens",
    "Cordes-sur-Ciel",
    "Réalmont",
    "Saint-Sulpice-la-Pointe",
    "Toulouse",
    "Montauban",
    "Rodez",
    "Cahors",
    "Saint-Affrique",
    "Villefranche-de-Rouergue",
    "Marseille",
    "Lyon",
    "Paris",
    "Nantes",
    "Bordeaux",
    "Lille",
    "Strasbourg",
    "Montpellier",
    "Sainte-Foy-la-Grande",
    "L'Isle-Jourdain",
    "Le Puy-en-Velay",
    "Saint-Étienne",
    "Évreux",
];
const STREETS: &[&str] = &[
    "du Centre",
    "de la Gare",
    "de la Mairie",
    "des Halles",
    "du Marché",
    "de l'Église",
    "Saint-Jean",
    "des Tilleuls",
    "du Château",
    "de la Poste",
    "Centrale",
    "du Lac",
    "du Pont",
];
const EHPAD: &[&str] = &[
    "Les Tilleuls",
    "La Roseraie",
    "Les Jardins",
    "Le Clos Fleuri",
    "Les Chênes",
    "Saint-Joseph",
    "La Bastide",
    "Les Acacias",
    "Les Glycines",
    "Le Val Fleuri",
    "La Résidence du Parc",
];

/// Small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A synthetic word: a real surname half of the time, else two or three syllables
/// (about 70,000 distinct forms, like the long tail of French surnames and place names).
fn word(r: &mut Rng, real: &[&str]) -> String {
    if r.next() % 2 == 0 {
        return r.pick(real).to_string();
    }
    let n = 2 + (r.next() % 2) as usize;
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(r.pick(SYLLABLES));
    }
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

fn commune(r: &mut Rng) -> String {
    match r.next() % 4 {
        0 => format!("Saint-{}", word(r, SURNAMES)),
        1 => word(r, COMMUNES),
        _ => r.pick(COMMUNES).to_string(),
    }
}

fn actor(r: &mut Rng) -> (String, &'static str, String) {
    let town = commune(r);
    let (name, kind) = match r.next() % 10 {
        0 => (
            format!("Pharmacie {}", r.pick(STREETS)),
            "Pharmacie d'officine",
        ),
        1 => (format!("EHPAD {}", r.pick(EHPAD)), "EHPAD"),
        2 | 3 | 4 => (
            format!("Dr {} {}", word(r, SURNAMES), word(r, SURNAMES)),
            "Médecin généraliste",
        ),
        5 => (
            format!("Cabinet infirmier {}", word(r, SURNAMES)),
            "Infirmier",
        ),
        6 => (
            format!("{} {}", word(r, SURNAMES), word(r, SURNAMES)),
            "Masseur-kinésithérapeute",
        ),
        7 => (
            format!("Maison de santé de {town}"),
            "Maison de santé pluriprofessionnelle (MSP)",
        ),
        8 => (
            format!("SSIAD de {town}"),
            "Service de soins infirmiers à domicile (SSIAD)",
        ),
        _ => (
            format!("CCAS de {town}"),
            "Centre communal d'action sociale (CCAS)",
        ),
    };
    (name, kind, town)
}

fn build(n: u32) -> TextIndex {
    let mut r = Rng(42);
    let mut b = TextIndexBuilder::new();
    for i in 0..n {
        let (name, kind, town) = actor(&mut r);
        b.add(i, &[(&name, 3), (kind, 1), (&town, 1)]);
    }
    b.build()
}

const QUERIES: &[&str] = &[
    "ehpad albi",
    "pharmacie gaillac",
    "saint-juery",
    "ehpd",
    "dr martin",
    "pharmacie du centre castres",
    "mazam",
    "ssiad saint-juery",
    "m",
    "saint",
];

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let index = build(ACTORS);
    eprintln!(
        "text index: {} actors built in {:.2} s, {:.1} MiB",
        index.len(),
        t.elapsed().as_secs_f64(),
        index.heap_bytes() as f64 / (1024.0 * 1024.0)
    );
    for q in QUERIES {
        eprintln!("  {q:?}: {} docs match", index.matching(q).len());
    }

    let mut g = c.benchmark_group("text_search");
    g.sample_size(10);
    g.bench_function("build_200k", |b| b.iter(|| black_box(build(200_000))));
    for q in QUERIES {
        g.bench_function(format!("search_20 {q}"), |b| {
            b.iter(|| black_box(index.search(black_box(q), 20, |_| true)))
        });
    }
    g.bench_function("matching pharmacie gaillac", |b| {
        b.iter(|| black_box(index.matching(black_box("pharmacie gaillac"))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
