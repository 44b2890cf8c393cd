//! `maillage geocoder` (`geocode`): addresses without coordinates geocoded (Base adresse
//! nationale), with a local cache.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use maillage::fetch::cli as lib;

use super::{exit, DataArg};

#[derive(Debug, Args)]
pub struct GeocoderArgs {
    #[command(flatten)]
    data: DataArg,
    /// Adresse du géocodeur CSV (BAN ou addok auto-hébergé), …/search/csv/.
    #[arg(long)]
    url: Option<String>,
    /// Adresses par requête.
    #[arg(long, default_value_t = maillage::geocode::BATCH)]
    lot: usize,
}

pub fn run(a: GeocoderArgs) -> Result<ExitCode> {
    let args = lib::GeocoderArgs {
        data: a.data.dir()?.to_path_buf(),
        url: a.url,
        lot: a.lot,
    };
    exit(lib::run_geocoder(&args, &mut std::io::stdout()))
}
