//! Generates the gRPC and message code from `protos/` with a vendored protoc (no download).
use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "protos/igny8/common/v1/common.proto",
        "protos/igny8/auth/v1/auth.proto",
        "protos/igny8/events/v1/auth.proto",
    ];
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    let protoc = match env::var_os("PROTOC") {
        Some(path) => PathBuf::from(path),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    config.protoc_executable(protoc);
    config.enable_type_names();
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("igny8_descriptor.bin"))
        .compile_with_config(config, &protos, &["protos"])?;
    println!("cargo:rerun-if-changed=protos");
    println!("cargo:rerun-if-env-changed=PROTOC");
    Ok(())
}
