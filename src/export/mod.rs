//! Exports of query results: CSV for spreadsheets, GeoJSON for GIS tools.

pub mod csv_actors;

pub use csv_actors::{write_actors_csv, CsvOptions};
