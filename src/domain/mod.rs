//! Domain rules that know no HTTP and no SQL: consent evaluation, the minimization policy,
//! facility survey groups.
pub mod consent;
pub mod facility;
pub mod policy;
pub mod role;
