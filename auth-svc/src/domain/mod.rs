//! Rules with no I/O: input validation and normalisation.

pub mod validate;
