//! `Authorization: Bearer <api key>`: the calling organization, or 401.
use super::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::Store;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// The organization whose API key signed the request.
#[derive(Debug, Clone)]
pub struct Caller(pub Organization);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let store = req.app_data::<web::Data<Store>>().cloned();
        Box::pin(async move {
            let token = token
                .filter(|t| !t.is_empty())
                .ok_or(ApiError::Unauthorized)?;
            let store =
                store.ok_or_else(|| ApiError::Internal("the server has no database".into()))?;
            let found = web::block(move || store.authenticate(&token)).await??;
            found.map(Caller).ok_or(ApiError::Unauthorized)
        })
    }
}
