//! The fuzz targets' properties, one module each; `run` checks one input and panics when a
//! property does not hold. The AFL binaries (fuzz_targets/) and the test suite's short run
//! (tests/fuzz_smoke.rs) call the same code.
pub mod c14n;
pub mod json;
pub mod jws;
pub mod packet;
pub mod xml_reader;
pub mod xml_roundtrip;
pub mod xml_to_json;
