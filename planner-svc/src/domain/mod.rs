//! Planner rules with no I/O: value normalisation, enumerations, CSV reading, outlines.

pub mod csv_import;
pub mod idea;
pub mod keyword;
