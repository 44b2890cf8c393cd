//! Small shared utilities at the bottom of the dependency order, usable by every layer:
//! atomic file writes ([`fs`]), dates ([`date`]), HTML/XML/CSV escaping ([`escape`]) and
//! the CSV output dialect ([`csv`]), French numbers ([`number`]), system errors in French
//! ([`os_error`]), arrays of plain values held in memory or in place in a mapped file ([`slab`]).

pub mod csv;
pub mod date;
pub mod escape;
pub mod fs;
pub mod number;
pub mod os_error;
pub mod slab;
