//! The platform's contracts: generated gRPC clients/servers and message types.
//!
//! Modules mirror the protobuf packages; import them under a short alias,
//! e.g. `use igny8_proto::auth::v1 as pb;`.

pub use prost;
pub use prost_types;
pub use tonic;

/// Encoded descriptors of every contract, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("igny8_descriptor");

pub mod common {
    pub mod v1 {
        tonic::include_proto!("igny8.common.v1");
    }
}

pub mod auth {
    pub mod v1 {
        tonic::include_proto!("igny8.auth.v1");
    }
}

pub mod ai {
    pub mod v1 {
        tonic::include_proto!("igny8.ai.v1");
    }
}

pub mod billing {
    pub mod v1 {
        tonic::include_proto!("igny8.billing.v1");
    }
}

pub mod planner {
    pub mod v1 {
        tonic::include_proto!("igny8.planner.v1");
    }
}

pub mod writer {
    pub mod v1 {
        tonic::include_proto!("igny8.writer.v1");
    }
}

pub mod events {
    pub mod v1 {
        tonic::include_proto!("igny8.events.v1");
    }
}
