//! Generates the gRPC and message code from `protos/` with a vendored protoc (no download).
use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every .proto under protos/ is compiled, so a new contract needs no edit here.
    let mut protos = Vec::new();
    collect_protos(std::path::Path::new("protos"), &mut protos)?;
    protos.sort();
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
        .compile_with_config(config, &protos, &[PathBuf::from("protos")])?;
    println!("cargo:rerun-if-changed=protos");
    println!("cargo:rerun-if-env-changed=PROTOC");
    Ok(())
}

fn collect_protos(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
