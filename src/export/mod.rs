//! Exports of query results: CSV for spreadsheets, GeoJSON and GeoPackage for GIS tools.

pub mod csv_actors;
pub mod diagnostic;
pub mod diagnostic_cli;
pub mod diagnostic_html;
pub mod features;
pub mod gpkg;
pub mod map;
pub mod partners;

pub use csv_actors::{write_actors_csv, CsvOptions};
