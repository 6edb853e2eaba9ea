//! The account-level AI configuration: prompt overrides, author profiles and AI settings
//! (providers, models, the account's own sealed provider keys), and what jobs resolve from them.

pub mod author_profiles;
pub mod crypto;
pub mod prompts_store;
pub mod settings;
