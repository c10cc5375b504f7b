//! The files under `schemas/`, embedded at build time by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/embedded_schemas.rs"));
