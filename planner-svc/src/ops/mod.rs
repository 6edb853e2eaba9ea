//! What planner-svc does, one module per aggregate; each validates, authorises and runs its SQL.

pub mod ai_jobs;
pub mod cluster_lists;
pub mod clusters;
pub mod common;
pub mod filters;
pub mod idea_lists;
pub mod ideas;
pub mod keyword_bulk;
pub mod keyword_lists;
pub mod keywords;
pub mod library;
pub mod queue;
