//! HTTP: start-up, the route table, one handler per file, problem+json.
pub mod auth;
pub mod body;
mod checkpointer;
pub mod conditional;
mod fallback;
pub mod handlers;
pub mod handoffs;
pub mod idempotency;
pub mod middleware;
pub mod ndjson;
pub mod openapi;
pub mod problem;
pub mod published;
pub mod query;
pub mod routes;

use crate::packet::check::Lifetime;
use crate::store::Store;
use crate::validation::Engine;
use actix_web::dev::Server;
use actix_web::{middleware as mw, web, App, HttpResponse, HttpServer};
use problem::ApiError;
use std::net::TcpListener;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

/// Server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest single document body accepted (bytes).
    pub max_document_bytes: usize,
    pub workers: Option<usize>,
    /// The bounds on a packet's `issued_at` and lifetime.
    pub packet_lifetime: Lifetime,
    /// When the server signs a checkpoint of the record chain by itself.
    pub checkpoints: crate::store::checkpoints::Policy,
}

/// What every request shares: the store (absent for a contracts-and-validation-only server).
#[derive(Clone, Default)]
pub struct Shared {
    pub store: Option<Store>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_document_bytes: 1024 * 1024,
            workers: None,
            packet_lifetime: Lifetime::default(),
            checkpoints: Default::default(),
        }
    }
}

/// The application, as the server and the tests build it.
pub fn app(
    settings: &Settings,
    shared: &Shared,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let max_body = settings.max_document_bytes;
    let mut app = App::new();
    if let Some(store) = &shared.store {
        app = app.app_data(web::Data::new(store.clone()));
    }
    app.app_data(web::PayloadConfig::new(settings.max_document_bytes))
        .app_data(web::Data::new(settings.packet_lifetime))
        .app_data(web::QueryConfig::default().error_handler(|_, _| ApiError::InvalidQuery.into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
        .into_utoipa_app()
        .configure(routes::register)
        .into_app()
        .service(web::resource("/docs").route(web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/docs/"))
                .finish()
        })))
        .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::from("/openapi.json")))
        .default_service(web::to(fallback::fallback))
        .wrap(mw::from_fn(middleware::problem_details))
        .wrap(mw::from_fn(move |req, next| {
            idempotency::idempotency(max_body, req, next)
        }))
}

/// Binds and starts the server on a listener (port 0 in tests).
pub fn serve(listener: TcpListener, settings: Settings, shared: Shared) -> std::io::Result<Server> {
    // Compile every schema before accepting a connection: a broken contract fails start-up.
    Engine::get();
    openapi::document_text();
    fallback::fallback_ready();
    if let Some(store) = &shared.store {
        checkpointer::spawn(store.clone(), settings.checkpoints);
    }
    let s = settings.clone();
    let mut server = HttpServer::new(move || app(&s, &shared)).listen(listener)?;
    if let Some(w) = settings.workers {
        server = server.workers(w);
    }
    Ok(server.run())
}
