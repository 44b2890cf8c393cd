//! Small shared utilities at the bottom of the dependency order, usable by every layer:
//! atomic file writes ([`fs`]), dates ([`date`]) and HTML/XML/CSV escaping ([`escape`]).

pub mod date;
pub mod escape;
pub mod fs;
