//! Operations, one module per aggregate: validate, authorise, then SQL in one transaction.

pub mod common;
pub mod content;
pub mod content_create;
pub mod content_edit;
pub mod content_list;
pub mod image_jobs;
pub mod image_lists;
pub mod images;
pub mod jobs;
pub mod tasks;
pub mod tasks_bulk;
pub mod tasks_edit;
pub mod taxonomies;
