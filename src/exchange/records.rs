//! The records the exchange keeps of itself, for the city and the kikan to read: the access
//! record (who read or wrote whose data) and the provision records (every packet provided and
//! received). Both are append-only; these are their reads, a page at a time.
use crate::problem::ApiError;
use crate::store::audit::{self, AccessRecord, AuditFilter};
use crate::store::provisions::{self, ProvisionFilter, ProvisionRecord};
use crate::store::{Page, PageRequest, Store};

/// A page of the access records matching `filter`, oldest first.
pub fn access(
    store: &Store,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AccessRecord>, ApiError> {
    audit::search(&mut *store.conn()?, filter, page)?
        .ok_or(ApiError::InvalidParameter { name: "after" })
}

/// A page of the provision records matching `filter`, oldest first.
pub fn provisions(
    store: &Store,
    filter: &ProvisionFilter,
    page: &PageRequest,
) -> Result<Page<ProvisionRecord>, ApiError> {
    provisions::search(&mut *store.conn()?, filter, page)?
        .ok_or(ApiError::InvalidParameter { name: "after" })
}
