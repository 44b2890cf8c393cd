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
    if r.next() & 1 == 0 {
        return r.pick(real).to_string();
    }
    invented(r)
}

/// Two or three syllables, capitalised (`Castelnau`, `Villemur`).
fn invented(r: &mut Rng) -> String {
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

/// Big towns with their rough share of France's actors (Paris 5 %, Albi 0.1 %…).
const TOWNS: &[(&str, f64)] = &[
    ("Paris", 0.05),
    ("Marseille", 0.015),
    ("Lyon", 0.01),
    ("Toulouse", 0.01),
    ("Nantes", 0.006),
    ("Bordeaux", 0.006),
    ("Montpellier", 0.006),
    ("Strasbourg", 0.005),
    ("Lille", 0.005),
    ("Saint-Étienne", 0.003),
    ("Albi", 0.001),
    ("Castres", 0.0008),
    ("Montauban", 0.0012),
    ("Rodez", 0.0005),
    ("Gaillac", 0.0003),
    ("Mazamet", 0.0002),
    ("Graulhet", 0.0002),
    ("Carmaux", 0.0002),
    ("Lavaur", 0.0002),
    ("Saint-Juéry", 0.0001),
];

/// A commune: a big town by its share, else one of 30,000 synthetic communes (a few large,
/// most small, one in eight named `Saint-…`), like France's 35,000.
fn commune(r: &mut Rng) -> String {
    let u = (r.next() >> 11) as f64 / (1u64 << 53) as f64;
    let mut acc = 0.0;
    for (town, share) in TOWNS {
        acc += share;
        if u < acc {
            return town.to_string();
        }
    }
    let v = (r.next() >> 11) as f64 / (1u64 << 53) as f64;
    let k = (30_000.0 * v * v) as u64;
    let mut g = Rng(k.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 7);
    let base = invented(&mut g);
    match g.next() % 16 {
        0 | 1 => format!("Saint-{base}"),
        2 => format!(
            "{base}-sur-{}",
            g.pick(&["Tarn", "Loire", "Mer", "Seine", "Aveyron"])
        ),
        3 => format!("Le {base}"),
        _ => base,
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
        2..=4 => (
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
