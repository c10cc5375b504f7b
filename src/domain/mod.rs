//! Domain rules that know no HTTP and no SQL: consent evaluation, the minimization policy,
//! facility survey groups, organization ids, small cells of published tables.
pub mod access;
pub mod address;
pub mod consent;
pub mod facility;
pub mod handoff;
pub mod ids;
pub mod matching;
pub mod organization;
pub mod policy;
pub mod role;
pub mod scope;
pub mod search_keys;
pub mod small_cells;
