//! The one way a handler reaches the store: a use case run on the blocking pool.
use crate::problem::ApiError;
use crate::store::Store;
use actix_web::web;

/// Runs `use_case` with the store on actix's blocking pool (the store's queries block) and
/// gives its result; a pool that could not run it is an internal error.
pub async fn run<T, F>(store: &web::Data<Store>, use_case: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
{
    let store = store.clone().into_inner();
    web::block(move || use_case(&store)).await?
}
