//! `maillage statistiques` (`stats`): counts by sector, kind and commune; source dates.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::index::Directory;

use super::{BaseArg, DataArg};

#[derive(Debug, Args)]
pub struct StatistiquesArgs {
    #[command(flatten)]
    data: DataArg,
    #[command(flatten)]
    base: BaseArg,
}

pub fn run(args: StatistiquesArgs) -> Result<ExitCode> {
    let dir = args.data.load_served(&args.base)?;
    stats(&dir);
    Ok(ExitCode::SUCCESS)
}

fn stats(dir: &Directory) {
    println!("Sources :");
    for r in dir.reports() {
        println!(
            "  {} — {} ; données : {} ; {} acceptée(s), {} rejetée(s){}",
            r.file,
            r.source_name,
            maillage::util::date::source_date_text(r.source_date.as_deref()),
            r.accepted,
            r.rejected,
            if r.sample { " ; EXEMPLE" } else { "" }
        );
    }
    let mut by_sector: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut by_commune: BTreeMap<String, usize> = BTreeMap::new();
    for a in dir.actors() {
        let k = dir.kinds().get(a.kind());
        *by_sector.entry(k.sector.label()).or_default() += 1;
        *by_kind
            .entry((k.sector.label(), k.label.as_str()))
            .or_default() += 1;
        let c = a
            .commune()
            .map(|c| match dir.commune(c) {
                Some(cm) => format!("{} {}", c, cm.name),
                None => c.to_string(),
            })
            .unwrap_or_else(|| "(commune inconnue)".into());
        *by_commune.entry(c).or_default() += 1;
    }
    println!("\nActeurs par secteur :");
    for (s, n) in &by_sector {
        println!("  {s:<16} {n:>8}");
    }
    println!("\nActeurs par type :");
    for ((s, k), n) in &by_kind {
        println!("  {s:<16} {k:<60} {n:>8}");
    }
    println!("\nActeurs par commune :");
    for (c, n) in &by_commune {
        println!("  {c:<40} {n:>8}");
    }
    println!(
        "\nTotal : {} acteurs, {} communes, {} territoires",
        dir.actors().len(),
        dir.communes().len(),
        dir.territories().len()
    );
}
