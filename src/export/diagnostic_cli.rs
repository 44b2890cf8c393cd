//! `maillage diagnostic`: plain options and the command itself, called by the binary.

use std::io::Write;
use std::path::PathBuf;

use super::csv_actors::CsvOptions;
use super::diagnostic::{write_report, ExportError};
use super::map::fr_value;
use crate::analysis::{
    CoverageChoice, DecayUnit, DiagnosticParams, Reach, StepDecay, SupplySource, TravelModel,
};
use crate::index::Directory;

/// Options of `maillage diagnostic`, as typed (checked by [`DiagnosticArgs::params`]). The
/// binary parses the command line (`src/cli/diagnostic.rs`) and loads the directory.
#[derive(Debug, Clone)]
pub struct DiagnosticArgs {
    /// Territory: department code (`81`), EPCI SIREN or identifier (`dep:81`, `epci:…`, `cpts:…`).
    pub territory: String,
    /// Output folder (created when missing).
    pub out: PathBuf,
    /// Comma-separated actor kinds; `None`: the default primary-care kinds.
    pub kinds: Option<String>,
    /// Supply source: `acteurs` (the directory) or `bpe` (INSEE counts per commune).
    pub source: String,
    /// Definition of « covered »: `auto`, `zone` (service area) or `distance`.
    pub coverage_by: String,
    /// Distance coverage threshold, km as the crow flies (10 when neither threshold is given).
    pub max_km: Option<f64>,
    /// Coverage threshold in estimated travel minutes (wins over `max_km`).
    pub max_minutes: Option<f64>,
    /// Mean speed for travel time estimates (km/h).
    pub speed_kmh: f64,
    /// Road detour factor (road distance ÷ straight-line distance).
    pub detour: f64,
    /// 2SFCA steps `bound:weight`, comma-separated; `None`: 10:1,15:0.667,20:0.333.
    pub steps: Option<String>,
    /// Unit of the steps: `minutes` or `km`.
    pub unit: String,
    /// Weights the supply by the actors' capacity when known.
    pub capacity: bool,
    /// Replaces counts from 1 to 4 by « < 5 ».
    pub mask_small: bool,
    /// CSV separator: `;` (French spreadsheet) or `,`.
    pub separator: String,
    /// Travel model: estimates, or road times from a Valhalla engine.
    pub routing: crate::analysis::Travel,
}

fn bad(name: &'static str, expected: &str, found: &str) -> ExportError {
    ExportError::Analysis(crate::analysis::AnalysisError::Parameter {
        name,
        expected: expected.into(),
        found: found.into(),
    })
}

impl DiagnosticArgs {
    /// The analysis parameters, checked.
    pub fn params(&self) -> Result<(DiagnosticParams, CsvOptions), ExportError> {
        let source = SupplySource::parse(&self.source)
            .ok_or_else(|| bad("source", "« acteurs » ou « bpe »", &self.source))?;
        let travel = TravelModel::new(self.detour, self.speed_kmh)?;
        let coverage = match (self.max_km, self.max_minutes) {
            (_, Some(m)) => Reach::Minutes(m),
            (Some(km), None) => Reach::Km(km),
            (None, None) => Reach::Km(10.0),
        };
        coverage.validate()?;
        let coverage_by = CoverageChoice::parse(&self.coverage_by)
            .ok_or_else(|| bad("couverture", CoverageChoice::EXPECTED, &self.coverage_by))?;
        let unit = match self.unit.as_str() {
            "minutes" | "min" => DecayUnit::Minutes,
            "km" => DecayUnit::Km,
            u => return Err(bad("unite", "« minutes » ou « km »", u)),
        };
        let decay = match &self.steps {
            None if unit == DecayUnit::Minutes => StepDecay::default(),
            None => StepDecay::new(
                unit,
                vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)],
            )?,
            Some(s) => StepDecay::parse(unit, s)
                .ok_or_else(|| bad("paliers", StepDecay::EXPECTED, s))??,
        };
        let csv = CsvOptions::parse(&self.separator)
            .ok_or_else(|| bad("separateur", CsvOptions::EXPECTED, &self.separator))?;
        let kinds = self
            .kinds
            .as_deref()
            .map(|k| {
                k.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        Ok((
            DiagnosticParams {
                kinds,
                source,
                travel,
                coverage,
                coverage_by,
                decay,
                capacity: self.capacity,
                mask_small: self.mask_small,
                routing: self.routing.clone(),
            },
            csv,
        ))
    }
}

/// Runs the diagnosis, writes the report folder and prints a French summary.
pub fn run<W: Write>(
    args: &DiagnosticArgs,
    dir: &Directory,
    out: &mut W,
) -> Result<(), ExportError> {
    let (params, csv) = args.params()?;
    let r = write_report(dir, &args.territory, &params, csv, &args.out)?;
    let d = &r.diagnostic;
    let io = |source| ExportError::Io {
        path: "sortie standard".into(),
        source,
    };
    writeln!(
        out,
        "Diagnostic de {} ({} communes, {} habitants)",
        d.territoire.nom,
        d.territoire.nombre_communes,
        fr_value(d.territoire.population as f64)
    )
    .map_err(io)?;
    for (k, t) in d.types.iter().enumerate() {
        let a = &d.comparaisons[0].indicateurs[k];
        if t.effectif_bpe_non_utilise > 0 {
            writeln!(
                out,
                "  {} : aucun acteur de ce type dans l'annuaire chargé ; {} équipement(s) comptés dans la BPE : relancez avec « --source bpe » pour les utiliser",
                t.libelle,
                fr_value(t.effectif_bpe_non_utilise as f64)
            )
            .map_err(io)?;
            continue;
        }
        writeln!(
            out,
            "  {} : effectif {}, densité {} /10 000, population couverte {} ({}), APL moyenne {} /10 000",
            t.libelle,
            a.effectif,
            a.densite_10000
                .map(|x| x.value().map(fr_value).unwrap_or_else(|| "< 5".into()))
                .unwrap_or_else(|| "–".into()),
            a.couverture
                .share
                .map(|s| format!("{} %", fr_value(s * 100.0)))
                .unwrap_or_else(|| "–".into()),
            t.couverture_libelle,
            a.apl_moyenne_10000
                .map(fr_value)
                .unwrap_or_else(|| "–".into())
        )
        .map_err(io)?;
    }
    for m in &d.comparaisons_absentes {
        writeln!(out, "  {} : {}", m.nom, m.motif).map_err(io)?;
    }
    for w in &d.avertissements {
        writeln!(out, "  avertissement : {w}").map_err(io)?;
    }
    writeln!(
        out,
        "{} fichier(s) écrit(s) dans {} :",
        r.files.len(),
        args.out.display()
    )
    .map_err(io)?;
    for f in &r.files {
        writeln!(out, "  {}", f.display()).map_err(io)?;
    }
    Ok(())
}
