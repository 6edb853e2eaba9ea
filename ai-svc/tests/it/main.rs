//! ai-svc integration tests: provider clients against a fake provider speaking the real HTTP
//! protocols on 127.0.0.1.

mod providers;
