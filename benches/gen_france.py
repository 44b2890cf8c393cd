#!/usr/bin/env python3
"""Synthetic France-wide data set in the real open-data formats, for load and scale benchmarks.

Writes into OUTPUT_DIR (created if needed):

- ``etalab-cs1100507-stock-20260512-0342.csv``: FINESS establishments (Etalab extract):
  manifest line ``finess;etalab;111;2026-05-12``, ``structureet`` rows (32 fields and a
  trailing ``;``), then ``geolocalisation`` rows with Lambert-93 (metropolitan France) or UTM
  (overseas) coordinates and the real ``sourcecoordet`` labels. About 100,000 establishments.
- ``PS_LibreAcces_Personne_activite_202609230000.txt``: Annuaire Santé professionals,
  ``|``-separated, 56 columns (2025 header), every line ending with ``|``, no quoting. About
  1,300,000 lines, including people with several sites, repeated person-structure pairs and
  identity-only lines, like the real file.
- ``BPE25.csv``: INSEE BPE 2025 geolocated equipment, 95 columns, ``;``-separated, text
  quoted, ``_Z`` for "sans objet", ``LAMBERT_X``/``LAMBERT_Y`` in the row's own system,
  ``LONGITUDE``/``LATITUDE`` in WGS84, ``EPSG``, ``QUALITE_XY``, ``QUALITE_GEOLOC`` (33 =
  random position in the commune). About 600,000 rows; Mayotte rows have no coordinates but
  ``EPSG=4471``, as in the real 2025 file.

Everything is invented: names, identifiers and addresses are random; positions are clustered
around about 110 real French towns (approximate centres and populations). The random generator
is seeded, so the output is byte-identical for a given ``--graine`` and ``--echelle``.

Projections (no dependency: Python standard library only):

- Lambert-93 (EPSG:2154) is the Lambert conformal conic projection with two standard
  parallels on the GRS80 ellipsoid (a = 6378137 m, f = 1/298.257222101): standard parallels
  44° N and 49° N, origin latitude 46.5° N, central meridian 3° E, false easting 700,000 m,
  false northing 6,600,000 m. With e the eccentricity,
  m(φ) = cos φ / sqrt(1 − e² sin² φ), t(φ) = tan(π/4 − φ/2) / ((1 − e sin φ)/(1 + e sin φ))^(e/2),
  n = (ln m1 − ln m2)/(ln t1 − ln t2), F = m1/(n t1^n), ρ(φ) = a F t(φ)^n, θ = n (λ − λ0),
  x = x0 + ρ sin θ, y = y0 + ρ(φ0) − ρ cos θ (Snyder, "Map Projections: A Working Manual",
  USGS PP 1395, §15).
- Overseas UTM zones (20N Antilles, 22N Guyane, 40S La Réunion, 38S Mayotte) use the
  transverse Mercator series of Snyder §8 on GRS80 (scale 0.9996, false easting 500,000 m,
  false northing 10,000,000 m in the south). The local datums (RGAF09, RGFG95, RGR92, RGM04)
  coincide with WGS84 to well under a metre.

Usage::

    python3 benches/gen_france.py OUTPUT_DIR [--echelle 1.0] [--graine 2026]

``--echelle 0.01`` gives about 20,000 records in a second or two.
"""

import argparse
import math
import os
import random
import sys
import time

# --- Projections -------------------------------------------------------------------------

A = 6378137.0
F = 1 / 298.257222101
E2 = 2 * F - F * F
E = math.sqrt(E2)


def _m(phi):
    return math.cos(phi) / math.sqrt(1 - E2 * math.sin(phi) ** 2)


def _t(phi):
    s = E * math.sin(phi)
    return math.tan(math.pi / 4 - phi / 2) / ((1 - s) / (1 + s)) ** (E / 2)


_P1, _P2, _P0 = math.radians(49.0), math.radians(44.0), math.radians(46.5)
_N = (math.log(_m(_P1)) - math.log(_m(_P2))) / (math.log(_t(_P1)) - math.log(_t(_P2)))
_FF = _m(_P1) / (_N * _t(_P1) ** _N)
_RHO0 = A * _FF * _t(_P0) ** _N


def lambert93(lon, lat):
    """WGS84/RGF93 degrees → Lambert-93 metres (x, y)."""
    rho = A * _FF * _t(math.radians(lat)) ** _N
    theta = _N * math.radians(lon - 3.0)
    return 700000.0 + rho * math.sin(theta), 6600000.0 + _RHO0 - rho * math.cos(theta)


def utm(lon, lat, zone, south):
    """WGS84/GRS80 degrees → UTM metres (x, y) in the given zone."""
    k0 = 0.9996
    ep2 = E2 / (1 - E2)
    phi = math.radians(lat)
    lam0 = math.radians(zone * 6 - 183)
    n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    t = math.tan(phi) ** 2
    c = ep2 * math.cos(phi) ** 2
    a = (math.radians(lon) - lam0) * math.cos(phi)
    e4, e6 = E2 * E2, E2 * E2 * E2
    m = A * ((1 - E2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
             - (3 * E2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * math.sin(2 * phi)
             + (15 * e4 / 256 + 45 * e6 / 1024) * math.sin(4 * phi)
             - (35 * e6 / 3072) * math.sin(6 * phi))
    x = 500000.0 + k0 * n * (a + (1 - t + c) * a ** 3 / 6
                             + (5 - 18 * t + t * t + 72 * c - 58 * ep2) * a ** 5 / 120)
    y = k0 * (m + n * math.tan(phi) * (a * a / 2 + (5 - t + 9 * c + 4 * c * c) * a ** 4 / 24
                                       + (61 - 58 * t + t * t + 600 * c - 330 * ep2) * a ** 6 / 720))
    if south:
        y += 10000000.0
    return x, y


# --- Places -------------------------------------------------------------------------------

# (name, INSEE code, postcode, lon, lat, population in thousands). Approximate centres.
TOWNS = [
    ("PARIS", "75056", "75001", 2.3522, 48.8566, 2100), ("MARSEILLE", "13055", "13001", 5.3698, 43.2965, 870),
    ("LYON", "69123", "69001", 4.8357, 45.7640, 520), ("TOULOUSE", "31555", "31000", 1.4442, 43.6047, 500),
    ("NICE", "06088", "06000", 7.2620, 43.7102, 340), ("NANTES", "44109", "44000", -1.5536, 47.2184, 320),
    ("MONTPELLIER", "34172", "34000", 3.8767, 43.6108, 300), ("STRASBOURG", "67482", "67000", 7.7521, 48.5734, 290),
    ("BORDEAUX", "33063", "33000", -0.5792, 44.8378, 260), ("LILLE", "59350", "59000", 3.0573, 50.6292, 235),
    ("RENNES", "35238", "35000", -1.6778, 48.1173, 222), ("REIMS", "51454", "51100", 4.0317, 49.2583, 180),
    ("TOULON", "83137", "83000", 5.9280, 43.1242, 180), ("SAINT-ETIENNE", "42218", "42000", 4.3872, 45.4397, 173),
    ("LE HAVRE", "76351", "76600", 0.1079, 49.4944, 167), ("GRENOBLE", "38185", "38000", 5.7245, 45.1885, 158),
    ("DIJON", "21231", "21000", 5.0415, 47.3220, 158), ("ANGERS", "49007", "49000", -0.5632, 47.4784, 157),
    ("NIMES", "30189", "30000", 4.3601, 43.8367, 148), ("CLERMONT-FERRAND", "63113", "63000", 3.0870, 45.7772, 147),
    ("LE MANS", "72181", "72000", 0.1996, 48.0061, 145), ("AIX-EN-PROVENCE", "13001", "13090", 5.4474, 43.5297, 145),
    ("BREST", "29019", "29200", -4.4861, 48.3904, 140), ("TOURS", "37261", "37000", 0.6848, 47.3941, 136),
    ("AMIENS", "80021", "80000", 2.2958, 49.8941, 134), ("LIMOGES", "87085", "87000", 1.2611, 45.8336, 131),
    ("ANNECY", "74010", "74000", 6.1294, 45.8992, 130), ("PERPIGNAN", "66136", "66000", 2.8954, 42.6887, 120),
    ("METZ", "57463", "57000", 6.1757, 49.1193, 117), ("BESANCON", "25056", "25000", 6.0241, 47.2378, 117),
    ("ORLEANS", "45234", "45000", 1.9093, 47.9030, 116), ("ROUEN", "76540", "76000", 1.0993, 49.4431, 112),
    ("MULHOUSE", "68224", "68100", 7.3359, 47.7508, 108), ("CAEN", "14118", "14000", -0.3707, 49.1829, 106),
    ("NANCY", "54395", "54000", 6.1844, 48.6921, 104), ("AVIGNON", "84007", "84000", 4.8055, 43.9493, 91),
    ("POITIERS", "86194", "86000", 0.3404, 46.5802, 89), ("PAU", "64445", "64000", -0.3708, 43.2951, 76),
    ("LA ROCHELLE", "17300", "17000", -1.1508, 46.1603, 78), ("ALBI", "81004", "81000", 2.1486, 43.9289, 49),
    ("CASTRES", "81065", "81100", 2.2400, 43.6060, 42), ("AJACCIO", "2A004", "20000", 8.7369, 41.9192, 72),
    ("BASTIA", "2B033", "20200", 9.4509, 42.6977, 48), ("BAYONNE", "64102", "64100", -1.4748, 43.4929, 52),
    ("VALENCE", "26362", "26000", 4.8924, 44.9334, 65), ("CHAMBERY", "73065", "73000", 5.9178, 45.5646, 60),
    ("TROYES", "10387", "10000", 4.0744, 48.2973, 62), ("LORIENT", "56121", "56100", -3.3702, 47.7483, 57),
    ("QUIMPER", "29232", "29000", -4.1024, 47.9960, 63), ("VANNES", "56260", "56000", -2.7603, 47.6582, 54),
    ("SAINT-BRIEUC", "22278", "22000", -2.7603, 48.5136, 44), ("NIORT", "79191", "79000", -0.4588, 46.3237, 59),
    ("ANGOULEME", "16015", "16000", 0.1560, 45.6484, 42), ("AGEN", "47001", "47000", 0.6167, 44.2033, 33),
    ("MONTAUBAN", "82121", "82000", 1.3550, 44.0176, 61), ("RODEZ", "12202", "12000", 2.5752, 44.3506, 24),
    ("TARBES", "65440", "65000", 0.0781, 43.2328, 42), ("CARCASSONNE", "11069", "11000", 2.3491, 43.2130, 46),
    ("BEZIERS", "34032", "34500", 3.2158, 43.3442, 78), ("AUCH", "32013", "32000", 0.5857, 43.6465, 22),
    ("CAHORS", "46042", "46000", 1.4365, 44.4475, 20), ("MENDE", "48095", "48000", 3.4993, 44.5181, 12),
    ("FOIX", "09122", "09000", 1.6053, 42.9653, 10), ("GAP", "05061", "05000", 6.0794, 44.5594, 41),
    ("DIGNE-LES-BAINS", "04070", "04000", 6.2356, 44.0925, 16), ("BOURGES", "18033", "18000", 2.3980, 47.0810, 64),
    ("CHATEAUROUX", "36044", "36000", 1.6914, 46.8103, 43), ("NEVERS", "58194", "58000", 3.1590, 46.9908, 33),
    ("AUXERRE", "89024", "89000", 3.5673, 47.7982, 35), ("CHARTRES", "28085", "28000", 1.4890, 48.4439, 38),
    ("EVREUX", "27229", "27000", 1.1508, 49.0270, 47), ("BEAUVAIS", "60057", "60000", 2.0810, 49.4295, 56),
    ("LAON", "02408", "02000", 3.6243, 49.5641, 24), ("CHARLEVILLE-MEZIERES", "08105", "08000", 4.7200, 49.7620, 46),
    ("EPINAL", "88160", "88000", 6.4503, 48.1724, 32), ("COLMAR", "68066", "68000", 7.3585, 48.0794, 69),
    ("BELFORT", "90010", "90000", 6.8628, 47.6397, 47), ("LONS-LE-SAUNIER", "39300", "39000", 5.5550, 46.6744, 17),
    ("BOURG-EN-BRESSE", "01053", "01000", 5.2250, 46.2052, 41), ("MACON", "71270", "71000", 4.8286, 46.3069, 34),
    ("MOULINS", "03190", "03000", 3.3333, 46.5646, 19), ("AURILLAC", "15014", "15000", 2.4449, 44.9264, 25),
    ("LE PUY-EN-VELAY", "43157", "43000", 3.8857, 45.0434, 19), ("GUERET", "23096", "23000", 1.8716, 46.1715, 13),
    ("TULLE", "19272", "19000", 1.7700, 45.2673, 14), ("PERIGUEUX", "24322", "24000", 0.7218, 45.1842, 29),
    ("MONT-DE-MARSAN", "40192", "40000", -0.4961, 43.8902, 29), ("LAVAL", "53130", "53000", -0.7700, 48.0706, 49),
    ("ALENCON", "61001", "61000", 0.0931, 48.4329, 26), ("SAINT-LO", "50502", "50000", -1.0903, 49.1157, 19),
    ("CHERBOURG-EN-COTENTIN", "50129", "50100", -1.6222, 49.6337, 79), ("VESOUL", "70550", "70000", 6.1544, 47.6220, 15),
    ("CHAUMONT", "52121", "52000", 5.1391, 48.1113, 22), ("BAR-LE-DUC", "55029", "55000", 5.1603, 48.7727, 15),
    ("PRIVAS", "07186", "07000", 4.5986, 44.7353, 8), ("ARRAS", "62041", "62000", 2.7775, 50.2910, 41),
    ("CALAIS", "62193", "62100", 1.8587, 50.9513, 67), ("DUNKERQUE", "59183", "59140", 2.3768, 51.0343, 87),
    ("VERSAILLES", "78646", "78000", 2.1301, 48.8049, 84), ("CRETEIL", "94028", "94000", 2.4553, 48.7904, 92),
    ("NANTERRE", "92050", "92000", 2.2069, 48.8924, 96), ("BOBIGNY", "93008", "93000", 2.4400, 48.9086, 54),
    ("EVRY-COURCOURONNES", "91228", "91000", 2.4290, 48.6290, 67), ("CERGY", "95127", "95000", 2.0636, 49.0364, 66),
    ("MELUN", "77288", "77000", 2.6554, 48.5421, 40), ("LA ROCHE-SUR-YON", "85191", "85000", -1.4265, 46.6705, 56),
    # Overseas: (…, system) with the FINESS département letter.
    ("FORT-DE-FRANCE", "97209", "97200", -61.0742, 14.6161, 76), ("LES ABYMES", "97101", "97139", -61.5045, 16.2710, 53),
    ("CAYENNE", "97302", "97300", -52.3260, 4.9372, 63), ("SAINT-DENIS", "97411", "97400", 55.4504, -20.8823, 153),
    ("SAINT-PIERRE", "97416", "97410", 55.4781, -21.3393, 84), ("MAMOUDZOU", "97611", "97600", 45.2279, -12.7806, 71),
]

# Overseas département → (FINESS letter, UTM zone, south, FINESS label, BPE EPSG).
OVERSEAS = {
    "971": ("9A", 20, False, "UTM_N20", 5490), "972": ("9B", 20, False, "UTM_N20", 5490),
    "973": ("9C", 22, False, "UTM_N22", 2972), "974": ("9D", 40, True, "UTM_S40", 2975),
    "976": ("9F", 38, True, "UTM_S38", 4471),
}


def departement(code):
    return code[:3] if code.startswith("97") else code[:2]


def region(dep):
    return {"971": "01", "972": "02", "973": "03", "974": "04", "976": "06"}.get(dep, "76")


class Places:
    """Weighted random positions around the towns, with commune codes."""

    def __init__(self, rng):
        self.rng = rng
        self.cum = []
        total = 0.0
        for t in TOWNS:
            total += t[5]
            self.cum.append(total)
        self.total = total

    def pick(self):
        rng = self.rng
        r = rng.random() * self.total
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        name, code, cp, lon, lat, pop = TOWNS[lo]
        dep = departement(code)
        overseas = dep in OVERSEAS
        # Spread grows with the town's size; overseas islands stay tight.
        sigma_km = 2.5 if overseas else 3.0 + 6.0 * math.sqrt(pop / 500.0)
        d = abs(rng.gauss(0.0, sigma_km))
        ang = rng.random() * 2 * math.pi
        dlat = d * math.cos(ang) / 111.2
        dlon = d * math.sin(ang) / (111.2 * math.cos(math.radians(lat)))
        if d < sigma_km * 0.6:
            commune, city, postcode = code, name, cp
        else:
            # A neighbouring commune of the same département (synthetic code, valid format).
            n = rng.randint(1, 320 if not overseas else 30)
            commune = code[: len(code) - 3] + "%03d" % n if not overseas else dep + "%02d" % n
            if commune == code:
                commune = code[:-1] + str((int(code[-1]) + 1) % 10)
            city, postcode = name + " VOISINE " + commune[-3:], cp[:2] + "%03d" % rng.randint(0, 999)
        return commune, city, postcode, lon + dlon, lat + dlat, dep


# --- Names -----------------------------------------------------------------------------

LAST = ("MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL "
        "LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE "
        "ROUSSEAU VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER "
        "FRANCOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU "
        "GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN "
        "BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE "
        "RENARD SCHMITT ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS "
        "LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME "
        "LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS MOULIN LOUIS DESCHAMPS "
        "D'ORNANO N'DIAYE LE GALL DE SOUSA").split()
FIRST = ("MARIE JEAN PIERRE MICHEL ANNE PHILIPPE NATHALIE ISABELLE SOPHIE CATHERINE FRANCOISE "
         "NICOLAS CHRISTOPHE SANDRINE STEPHANE VALERIE LAURENT CELINE JULIE THOMAS CAMILLE LEA "
         "LUCAS EMMA HUGO CHLOE LOUIS MANON PAUL INES JEAN-PIERRE MARIE-CLAIRE ANNE-SOPHIE "
         "JEAN-FRANCOIS ELODIE AURELIE DAVID OLIVIER FREDERIC CAROLINE VINCENT EMILIE").split()
STREETS = [("R", "Rue", "DE LA REPUBLIQUE"), ("AV", "Avenue", "DU GENERAL DE GAULLE"),
           ("BD", "Boulevard", "VICTOR HUGO"), ("PL", "Place", "DE LA MAIRIE"), ("R", "Rue", "JEAN JAURES"),
           ("CHE", "Chemin", "DES VIGNES"), ("R", "Rue", "PASTEUR"), ("AV", "Avenue", "DE LA GARE"),
           ("R", "Rue", "DES ECOLES"), ("IMP", "Impasse", "DES LILAS"), ("RTE", "Route", "DE TOULOUSE"),
           ("ALL", "Allée", "DES PLATANES"), ("R", "Rue", "DU 8 MAI 1945"), ("QUAI", "Quai", "DES ÉCLUSES")]

# --- FINESS ---------------------------------------------------------------------------------

# (categetab, libcategetab, categagretab, libcategagretab, weight)
FINESS_CATS = [
    ("620", "Pharmacie d'Officine", "3401", "Pharmacies d'Officine", 21),
    ("500", "Etablissement d'hébergement pour personnes âgées dépendantes", "4401", "Etab. et Services Hébergement P.A.", 8),
    ("124", "Centre de Santé", "2204", "Centres de Santé", 3), ("603", "Maison de santé (L.6223-3)", "2205", "Maisons de Santé", 2.5),
    ("355", "Centre Hospitalier (C.H.)", "1102", "Centres Hospitaliers", 1), ("365", "Etablissement de Soins Pluridisciplinaire", "1106", "Autres Etablissements Relevant de la Loi Hospitalière", 1),
    ("354", "Service de Soins Infirmiers A Domicile (S.S.I.A.D)", "4403", "Services de Maintien à Domicile P.A.", 2),
    ("460", "Service autonomie aide", "4403", "Services de Maintien à Domicile P.A.", 5),
    ("611", "Laboratoire de Biologie Médicale", "3301", "Laboratoires d'Analyses", 4),
    ("156", "Centre Médico-Psychologique (C.M.P.)", "2202", "Centres Médico-Psychologiques", 3),
    ("183", "Institut Médico-Educatif (I.M.E.)", "4103", "Etablissements pour Enfants Handicapés", 1.3),
    ("252", "Foyer Hébergement Adultes Handicapés", "4203", "Etablissements pour Adultes Handicapés", 1.3),
    ("223", "Protection Maternelle et Infantile (P.M.I.)", "2206", "Etablissements de Prévention", 5),
    ("214", "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)", "4601", "Etablissements Hébergement Adultes Difficultés", 1),
    ("190", "Centre Action Médico-Sociale Précoce (C.A.M.S.P.)", "4102", "Etablissements Education Spéciale", 0.3),
    ("101", "Centre Hospitalier Régional (C.H.R.)", "1101", "Centres Hospitaliers Régionaux", 0.1),
]
FINESS_NAMES = {"620": "PHARMACIE", "500": "EHPAD", "124": "CENTRE DE SANTE", "603": "MSP", "355": "CH",
                "365": "CLINIQUE", "354": "SSIAD", "460": "SAAD", "611": "LBM", "156": "CMP", "183": "IME",
                "252": "FOYER D'HEBERGEMENT", "223": "PMI", "214": "CHRS", "190": "CAMSP", "101": "CHU"}
SUFFIX = ["DU CENTRE", "DE LA GARE", "LES TILLEULS", "LES GLYCINES", "DU PARC", "SAINT JOSEPH",
          "DE LA VALLEE", "DES QUATRE CHEMINS", "LE BOIS JOLI", "DU MARCHE", "PASTEUR", "LES OLIVIERS"]


def csv_field(s):
    """FINESS quoting: a field holding `;` or `"` is quoted with doubled quotes."""
    if ";" in s or '"' in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def write_finess(path, n, rng, places):
    cum, tot = [], 0.0
    for c in FINESS_CATS:
        tot += c[4]
        cum.append(tot)
    structures, geos = [], []
    seen = set()
    for i in range(n):
        commune, city, postcode, lon, lat, dep = places.pick()
        r = rng.random() * tot
        cat = next(c for c, w in zip(FINESS_CATS, cum) if r <= w)
        if dep in OVERSEAS:
            letter, zone, south, label, _ = OVERSEAS[dep]
            fdep = letter
            prefix = "97" + dep[2]
            x, y = utm(lon, lat, zone, south)
        else:
            fdep = dep
            prefix = dep
            label = "LAMBERT_93"
            x, y = lambert93(lon, lat)
        while True:
            nofinesset = prefix + "%0*d" % (9 - len(prefix), rng.randrange(10 ** (9 - len(prefix))))
            if nofinesset not in seen:
                seen.add(nofinesset)
                break
        nofinessej = prefix + "%0*d" % (9 - len(prefix), rng.randrange(10 ** (9 - len(prefix))))
        rs = FINESS_NAMES[cat[0]] + " " + rng.choice(SUFFIX)
        if i % 5000 == 17:
            rs = 'LIEU DE VIE "' + rng.choice(SUFFIX) + '"'
        code_typ, _, voie = rng.choice(STREETS)
        numvoie = str(rng.randint(1, 180))
        phone = "0%d%08d" % (rng.randint(1, 5), rng.randrange(10 ** 8)) if rng.random() < 0.9 else ""
        fields = [
            "structureet", nofinesset, nofinessej, rs, rs + " " + city, "", "", numvoie, code_typ, voie, "", "",
            commune[-3:], fdep, "DEPARTEMENT " + dep, postcode + " " + city, phone, "", cat[0], cat[1], cat[2], cat[3],
            "%014d" % rng.randrange(10 ** 14), "8610Z", "03", "ARS / DG EPS", "1", "Etab.public de santé",
            "1990-01-01", "1990-01-01", "2026-04-30", "",
        ]
        assert len(fields) == 32
        structures.append(";".join(csv_field(f) for f in fields) + ";")
        if rng.random() < 0.985:
            source = "1,ATLASANTE,%d,IGN,BD_ADRESSE,V2.2,%s" % (rng.choice((100, 100, 90, 70)), label)
            geos.append("geolocalisation;%s;%.2f;%.2f;%s;2026-05-01" % (nofinesset, x, y, source))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("finess;etalab;111;2026-05-12\n")
        f.write("\n".join(structures))
        f.write("\n")
        f.write("\n".join(geos))
        f.write("\n")
    return len(structures) + len(geos) + 1


# --- RPPS -------------------------------------------------------------------------------

RPPS_HEADER = [
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP", "Code civilité d'exercice",
    "Libellé civilité exercice", "Code civilité", "Libellé civilité", "Nom d'exercice", "Prénom d'exercice",
    "Code profession", "Libellé profession", "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire", "Libellé savoir-faire",
    "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site", "Numéro SIREN site", "Numéro FINESS site",
    "Numéro FINESS établissement juridique", "Identifiant technique de la structure", "Raison sociale site",
    "Enseigne commerciale site", "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. Structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)", "Code postal (coord. structure)",
    "Code commune (coord. structure)", "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)", "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)", "Adresse e-mail (coord. structure)", "Code département (coord. structure)",
    "Libellé département (coord. structure)", "Ancien identifiant de la structure", "Autorité d'enregistrement",
    "Code secteur d'activité", "Libellé secteur d'activité", "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens", "Code fonction", "Libellé fonction", "Code genre d'activité",
    "Libellé genre d'activité",
]
assert len(RPPS_HEADER) == 56
# (code, label, weight)
PROFESSIONS = [("60", "Infirmier", 40), ("10", "Médecin", 22), ("70", "Masseur-Kinésithérapeute", 8),
               ("21", "Pharmacien", 6), ("40", "Chirurgien-Dentiste", 4), ("50", "Sage-Femme", 2),
               ("91", "Orthophoniste", 2), ("80", "Pédicure-Podologue", 1), ("93", "Psychologue", 9),
               ("26", "Audioprothésiste", 0.5), ("28", "Opticien-Lunetier", 2), ("94", "Ergothérapeute", 1.5),
               ("95", "Psychomotricien", 1), ("92", "Orthoptiste", 0.5)]
SKILLS = [("SM54", "Médecine Générale", 45), ("SM53", "Spécialiste en Médecine Générale", 8),
          ("SM26", "Qualifié en Médecine Générale", 2), ("SM04", "Cardiologie et maladies vasculaires", 4),
          ("SM02", "Anesthesie-réanimation", 6), ("SM42", "Pédiatrie", 5), ("SM33", "Psychiatrie", 9),
          ("SM49", "Santé publique et médecine sociale", 1), ("SM15", "Dermatologie et vénéréologie", 3),
          ("SM38", "Ophtalmologie", 4), ("SM40", "Oto-rhino-laryngologie", 2), ("SM44", "Radio-diagnostic", 6),
          ("SM20", "Gynécologie-obstétrique", 5)]
SECTIONS = [("A", "Pharmaciens titulaires d'officine", 30), ("D", "Pharmaciens adjoints d'officine et autres exercices", 45),
            ("H", "Pharmaciens des établissements de santé", 15), ("G", "Pharmaciens biologistes", 7),
            ("B", "Pharmaciens de l'industrie", 3)]


def weighted(rng, items, wi):
    tot = sum(i[wi] for i in items)
    r = rng.random() * tot
    for it in items:
        r -= it[wi]
        if r <= 0:
            return it
    return items[-1]


def write_rpps(path, n_lines, rng, places):
    idx = {h: i for i, h in enumerate(RPPS_HEADER)}
    empty = [""] * len(RPPS_HEADER)
    lines = 0
    pp_counter = 10000000000
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("|".join(RPPS_HEADER) + "|\n")
        buf = []
        while lines < n_lines:
            pp_counter += rng.randint(1, 40)
            pp = str(pp_counter)
            prof = weighted(rng, PROFESSIONS, 2)
            v = list(empty)
            v[idx["Type d'identifiant PP"]] = "8"
            v[idx["Identifiant PP"]] = pp
            v[idx["Identification nationale PP"]] = "8" + pp
            last = rng.choice(LAST)
            if rng.random() < 0.0005:
                last = '"' + last  # an unbalanced quote, as in the real file
            v[idx["Nom d'exercice"]] = last
            v[idx["Prénom d'exercice"]] = rng.choice(FIRST)
            woman = rng.random() < 0.6
            v[idx["Code civilité"]] = "MME" if woman else "M"
            v[idx["Libellé civilité"]] = "Madame" if woman else "Monsieur"
            v[idx["Code profession"]] = prof[0]
            v[idx["Libellé profession"]] = prof[1]
            v[idx["Code catégorie professionnelle"]] = "C"
            v[idx["Libellé catégorie professionnelle"]] = "Civil"
            if prof[0] in ("10", "40"):
                v[idx["Code civilité d'exercice"]] = "DR"
                v[idx["Libellé civilité exercice"]] = "Docteur"
            if prof[0] == "10":
                sk = weighted(rng, SKILLS, 2)
                v[idx["Code type savoir-faire"]] = "S"
                v[idx["Libellé type savoir-faire"]] = "Spécialité ordinale"
                v[idx["Code savoir-faire"]] = sk[0]
                v[idx["Libellé savoir-faire"]] = sk[1]
            if prof[0] == "21":
                sec = weighted(rng, SECTIONS, 2)
                v[idx["Code section tableau pharmaciens"]] = sec[0]
                v[idx["Libellé section tableau pharmaciens"]] = sec[1]
            liberal = rng.random() < 0.55
            v[idx["Code mode exercice"]] = "L" if liberal else "S"
            v[idx["Libellé mode exercice"]] = "Libéral" if liberal else "Salarié"
            v[idx["Code genre d'activité"]] = "GENR01"
            v[idx["Libellé genre d'activité"]] = "Activité standard de soin ou de pharmacien"
            r = rng.random()
            if r < 0.02:
                # Identity only: no site at all.
                buf.append("|".join(v) + "|")
                lines += 1
                continue
            n_sites = 1 if r < 0.85 else (2 if r < 0.97 else 3)
            for s in range(n_sites):
                commune, city, postcode, _, _, dep = places.pick()
                w = list(v)
                struct = "S" + pp + "%02d" % s
                w[idx["Identifiant technique de la structure"]] = struct
                w[idx["Raison sociale site"]] = "CABINET " + last.strip('"') if liberal else "CENTRE HOSPITALIER DE " + city
                code_typ, lib_typ, voie = rng.choice(STREETS)
                w[idx["Numéro Voie (coord. structure)"]] = str(rng.randint(1, 120))
                if rng.random() < 0.05:
                    w[idx["Indice répétition voie (coord. Structure)"]] = "B"
                w[idx["Code type de voie (coord. structure)"]] = code_typ
                w[idx["Libellé type de voie (coord. structure)"]] = lib_typ
                w[idx["Libellé Voie (coord. structure)"]] = voie
                w[idx["Bureau cedex (coord. structure)"]] = postcode + " " + city
                w[idx["Code postal (coord. structure)"]] = postcode
                if rng.random() > 0.01:
                    w[idx["Code commune (coord. structure)"]] = commune
                    w[idx["Libellé commune (coord. structure)"]] = city.title()
                if rng.random() < 0.7:
                    w[idx["Téléphone (coord. structure)"]] = "0%d%08d" % (rng.randint(1, 5), rng.randrange(10 ** 8))
                if rng.random() < 0.1:
                    w[idx["Adresse e-mail (coord. structure)"]] = "contact.%s@example.fr" % pp
                w[idx["Code département (coord. structure)"]] = dep
                w[idx["Autorité d'enregistrement"]] = "ARS/ARS/ARS"
                w[idx["Code secteur d'activité"]] = "SA07" if liberal else "SA01"
                w[idx["Libellé secteur d'activité"]] = "Cabinet individuel" if liberal else "Etablissement public de santé"
                line = "|".join(w) + "|"
                buf.append(line)
                lines += 1
                if rng.random() < 0.01:
                    buf.append(line)  # the same person-structure pair again (another role)
                    lines += 1
            if len(buf) >= 20000:
                f.write("\n".join(buf))
                f.write("\n")
                buf = []
        if buf:
            f.write("\n".join(buf))
            f.write("\n")
    return lines + 1


# --- BPE ----------------------------------------------------------------------------------

BPE_HEADER = ("AN;APET;NOMRS;CNOMRS;NUMVOIE;INDREP;TYPVOIE;LIBVOIE;CADR;CODPOS;DEPCOM;DEP;REG;LIBCOM;DOM;SDOM;"
              "TYPEQU;SIRET;STATUT_DIFFUSION;CANTINE;INTERNAT;RPI;EP;CL_PGE;SECT;SECTEUR;ACCES_AIRE_PRATIQUE;"
              "ACCES_LIBRE;ACCES_SANITAIRE;ACCES_VESTIAIRE;CAPACITE_D_ACCUEIL;PRES_DOUCHE;PRES_SANITAIRE;"
              "SAISONNIER;COUVERT;ECLAIRE;CATEGORIE;MULTIPLEXE;STRUCTURE_EXERCICE;SPECIALITE;ACCUEIL;ITINERANCE;"
              "MODE_GESTION;SSTYPHEB;TYPE;TYPERESTO;IMPLANTATION_STATION;GPL;CAPACITE;INDIC_CAPA;NBEQUIDENT;"
              "INDIC_NBEQUIDENT;NBSALLES;INDIC_NBSALLES;NBLIEUX;INDIC_NBLIEUX;NB_PDC;INDIC_NB_PDC;NB_PDC_PA;"
              "INDIC_NB_PDC_PA;NB_PDC_ACCELEREE;INDIC_NB_PDC_ACCELEREE;NB_PDC_LENTE;INDIC_NB_PDC_LENTE;"
              "NB_PDC_RAPIDE;INDIC_NB_PDC_RAPIDE;NB_PDC_ULTRARAPIDE;INDIC_NB_PDC_ULTRARAPIDE;NB_JOURS_OUVERT;"
              "INDIC_NB_JOURS_OUVERT;LAMBERT_X;LAMBERT_Y;LONGITUDE;LATITUDE;QUALITE_XY;EPSG;QUALITE_GEOLOC;"
              "TR_DIST_PRECISION;DCIRIS;QUALI_IRIS;IRISEE;QP2024;QUALI_QP2024;QP2015;QUALI_QP2015;QVA;QUALI_QVA;"
              "ZUS;QUALI_ZUS;EPCI;UU2020;BV2022;AAV2020;DENS3;DENS7").split(";")
assert len(BPE_HEADER) == 95
BPE_NUMERIC = {"AN", "LAMBERT_X", "LAMBERT_Y", "LONGITUDE", "LATITUDE"}
# (TYPEQU, SDOM, weight): 2023+ health codes, plus a few from other domains.
BPE_TYPES = [("D265", "D2", 20), ("D281", "D2", 30), ("D279", "D2", 14), ("D277", "D2", 7), ("D278", "D2", 3),
             ("D307", "D3", 8), ("D113", "D1", 1), ("D108", "D1", 1), ("D112", "D1", 0.3), ("D302", "D3", 1),
             ("A101", "A1", 2), ("A203", "A2", 3), ("B316", "B3", 5), ("C107", "C1", 5), ("F303", "F3", 2)]
BPE_NAMES = {"D265": "CABINET MEDICAL", "D281": "CABINET INFIRMIER", "D279": "CABINET DE KINESITHERAPIE",
             "D277": "CABINET DENTAIRE", "D278": "CABINET DE SAGE-FEMME", "D307": "PHARMACIE",
             "D113": "MAISON DE SANTE", "D108": "CENTRE DE SANTE", "D112": "HAD", "D302": "LABORATOIRE"}


def write_bpe(path, n, rng, places):
    idx = {h: i for i, h in enumerate(BPE_HEADER)}
    template = ['"_Z"' if h not in BPE_NUMERIC else "" for h in BPE_HEADER]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(";".join(BPE_HEADER) + "\n")
        buf = []
        for i in range(n):
            commune, city, postcode, lon, lat, dep = places.pick()
            typequ, sdom, _ = weighted(rng, BPE_TYPES, 2)
            v = list(template)
            q = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
            v[idx["AN"]] = "2025"
            if typequ in BPE_NAMES and rng.random() < 0.8:
                v[idx["NOMRS"]] = q(BPE_NAMES[typequ] + " " + rng.choice(SUFFIX) + ("; ANNEXE" if i % 997 == 0 else ""))
            code_typ, _, voie = rng.choice(STREETS)
            v[idx["NUMVOIE"]] = q(str(rng.randint(1, 150)))
            v[idx["TYPVOIE"]] = q(code_typ)
            v[idx["LIBVOIE"]] = q(voie)
            v[idx["CODPOS"]] = q(postcode)
            v[idx["DEPCOM"]] = q(commune)
            v[idx["DEP"]] = q(dep)
            v[idx["REG"]] = q(region(dep))
            v[idx["LIBCOM"]] = q(city.title())
            v[idx["DOM"]] = q(typequ[0])
            v[idx["SDOM"]] = q(sdom)
            v[idx["TYPEQU"]] = q(typequ)
            r = rng.random()
            geoloc = "11" if r < 0.62 else ("12" if r < 0.78 else ("21" if r < 0.80 else ("22" if r < 0.82 else "33")))
            if dep in OVERSEAS:
                _, zone, south, _, epsg = OVERSEAS[dep]
                x, y = utm(lon, lat, zone, south)
            else:
                epsg = 2154
                x, y = lambert93(lon, lat)
            v[idx["EPSG"]] = q(str(epsg))
            if dep == "976":
                # Mayotte in BPE 2025: no coordinate at all, but EPSG=4471.
                v[idx["QUALITE_XY"]] = q("_U")
            else:
                v[idx["LAMBERT_X"]] = "%.2f" % x
                v[idx["LAMBERT_Y"]] = "%.2f" % y
                v[idx["LONGITUDE"]] = "%.6f" % lon
                v[idx["LATITUDE"]] = "%.6f" % lat
                v[idx["QUALITE_XY"]] = q("B" if geoloc in ("11", "12") else ("A" if geoloc != "33" else "M"))
                v[idx["QUALITE_GEOLOC"]] = q(geoloc)
            v[idx["DCIRIS"]] = q(commune)
            buf.append(";".join(v))
            if len(buf) >= 20000:
                f.write("\n".join(buf))
                f.write("\n")
                buf = []
        if buf:
            f.write("\n".join(buf))
            f.write("\n")
    return n + 1


def main(argv=None):
    ap = argparse.ArgumentParser(description="Jeu de données synthétique France entière (formats réels).")
    ap.add_argument("sortie", help="dossier de sortie (créé au besoin)")
    ap.add_argument("--echelle", type=float, default=1.0,
                    help="facteur de taille : 1.0 ≈ 100 000 FINESS + 1 300 000 RPPS + 600 000 BPE")
    ap.add_argument("--graine", type=int, default=2026, help="graine du générateur aléatoire")
    args = ap.parse_args(argv)
    if args.echelle <= 0:
        ap.error("--echelle doit être positive")
    os.makedirs(args.sortie, exist_ok=True)
    rng = random.Random(args.graine)
    places = Places(rng)
    n_finess = max(1, round(100_000 * args.echelle))
    n_rpps = max(1, round(1_300_000 * args.echelle))
    n_bpe = max(1, round(600_000 * args.echelle))
    t0 = time.time()
    outputs = [
        ("etalab-cs1100507-stock-20260512-0342.csv", write_finess, n_finess),
        ("PS_LibreAcces_Personne_activite_202609230000.txt", write_rpps, n_rpps),
        ("BPE25.csv", write_bpe, n_bpe),
    ]
    for name, fn, n in outputs:
        path = os.path.join(args.sortie, name)
        t = time.time()
        lines = fn(path, n, rng, places)
        size = os.path.getsize(path)
        print("%s : %d lignes, %.1f Mo, %.1f s" % (path, lines, size / 1e6, time.time() - t), file=sys.stderr)
    print("terminé en %.1f s" % (time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
