//! HTTP: start-up, the route table, one handler per file, problem+json.
pub mod auth;
pub mod body;
mod checkpointer;
pub mod conditional;
mod fallback;
pub mod handlers;
pub mod handoffs;
pub mod idempotency;
pub mod limits;
mod metrics;
pub mod middleware;
pub mod ndjson;
pub mod observe;
pub mod openapi;
pub mod openapi_examples;
mod openapi_generators;
mod openapi_responses;
mod openapi_summaries;
pub mod published;
pub mod query;
pub mod routes;
mod run;
pub mod slow_clients;
pub mod tls;

use crate::packet::check::Lifetime;
use crate::problem::ApiError;
use crate::store::Store;
use crate::validation::Engine;
use actix_web::dev::Server;
use actix_web::{middleware as mw, web, App, HttpResponse, HttpServer};
pub use metrics::MetricsAccess;
pub use run::run;
use std::net::TcpListener;
use std::time::Duration;
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
    /// Native TLS (and optionally mutual TLS); plain HTTP when `None`.
    pub tls: Option<tls::TlsFiles>,
    /// Failed authentications per client address within `auth_failure_window` after which its
    /// Bearer keys are refused with 429 until the window ends (0: no limit).
    pub auth_failure_limit: u32,
    pub auth_failure_window: Duration,
    /// Requests to `/v1/validate/*` per client address within `validate_window` (0: no limit).
    pub validate_rate_limit: u32,
    pub validate_window: Duration,
    /// How often idempotency keys older than 24 hours are deleted (also once at start-up).
    pub idempotency_purge_every: Duration,
    /// When the server signs a checkpoint of the record chain by itself.
    pub checkpoints: crate::store::checkpoints::Policy,
    /// Who may scrape `GET /metrics`.
    pub metrics: metrics::MetricsAccess,
    /// Person counts in published reports from 1 to below this are shown as `<N` (1: all shown).
    pub small_cell_threshold: u32,
    /// The longest time to receive a request's head (slowloris): then `408` and the connection
    /// is closed.
    pub request_head_timeout: Duration,
    /// How long a request's body may take (`slow_clients.rs`).
    pub body: slow_clients::BodyPolicy,
    /// The most documents a batch validation without an API key may hold (0: no limit).
    pub batch_max_documents: u64,
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
            tls: None,
            auth_failure_limit: 20,
            auth_failure_window: Duration::from_secs(60),
            validate_rate_limit: 0,
            validate_window: Duration::from_secs(60),
            idempotency_purge_every: Duration::from_secs(60 * 60),
            checkpoints: Default::default(),
            metrics: metrics::MetricsAccess {
                token: None,
                loopback: true,
            },
            small_cell_threshold: 3,
            request_head_timeout: Duration::from_secs(5),
            body: slow_clients::BodyPolicy::default(),
            batch_max_documents: 10_000,
        }
    }
}

/// The application, as the server builds it for each worker; `limits` are shared by all
/// workers.
pub fn app(
    settings: &Settings,
    shared: &Shared,
    limits: &web::Data<limits::Limits>,
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
    let body = settings.body;
    let mut app = App::new();
    if let Some(store) = &shared.store {
        app = app.app_data(web::Data::new(store.clone()));
    }
    app.app_data(limits.clone())
        .app_data(web::PayloadConfig::new(settings.max_document_bytes))
        .app_data(web::Data::new(settings.packet_lifetime))
        .app_data(web::Data::new(settings.metrics.clone()))
        .app_data(web::Data::new(handlers::validate_batch::BatchLimit(
            settings.batch_max_documents,
        )))
        .app_data(web::Data::new(handlers::report_operations::ReportPolicy {
            small_cell_threshold: settings.small_cell_threshold,
        }))
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
        .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
        .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::from("/openapi.json")))
        .default_service(web::to(fallback::fallback))
        .wrap(mw::from_fn(middleware::refuse_nul))
        .wrap(mw::from_fn(middleware::problem_details))
        .wrap(mw::from_fn(move |req, next| {
            idempotency::idempotency(max_body, req, next)
        }))
        .wrap(mw::from_fn(limits::validate_rate_limit))
        .wrap(mw::from_fn(move |req, next| {
            slow_clients::body_deadline(body, req, next)
        }))
        .wrap(mw::from_fn(observe::observe))
        // Outermost: every response leaves with the security headers.
        .wrap(mw::from_fn(middleware::security_headers))
}

/// Binds and starts the server on a listener (port 0 in tests), and the task that deletes
/// expired idempotency keys. Must be called inside the actix system that runs the server.
pub fn serve(listener: TcpListener, settings: Settings, shared: Shared) -> std::io::Result<Server> {
    // Compile every schema before accepting a connection: a broken contract fails start-up.
    Engine::get();
    openapi::document_text();
    fallback::fallback_ready();
    if let Some(store) = &shared.store {
        checkpointer::spawn(store.clone(), settings.checkpoints);
    }
    let s = settings.clone();
    let limits = web::Data::new(limits::Limits::new(&settings));
    if let Some(store) = &shared.store {
        actix_web::rt::spawn(idempotency::purge_periodically(
            store.clone(),
            settings.idempotency_purge_every,
        ));
    }
    let server = HttpServer::new(move || app(&s, &shared, &limits))
        .on_connect(tls::on_connect)
        .client_request_timeout(settings.request_head_timeout);
    let mut server = match &settings.tls {
        Some(files) => {
            let acceptor = files.acceptor().map_err(std::io::Error::other)?;
            server.listen_openssl(listener, acceptor)?
        }
        None => server.listen(listener)?,
    };
    if let Some(w) = settings.workers {
        server = server.workers(w);
    }
    Ok(server.run())
}

/// A server running on a thread of its own, bound to a free loopback port: the exchange that
/// `kyoten conformance --spawn` tests, and the one of each integration test. Dropping it stops
/// the server and waits for its thread, so that nothing of it outlives its database.
pub struct Background {
    pub addr: std::net::SocketAddr,
    running: Option<(actix_web::dev::ServerHandle, std::thread::JoinHandle<()>)>,
}

impl Background {
    /// Starts the server (as [`serve`] does) on `127.0.0.1` and a port the system chooses; it
    /// answers requests once this returns.
    pub fn start(settings: Settings, shared: Shared) -> std::io::Result<Background> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match serve(listener, settings, shared) {
                    Ok(server) => {
                        let _ = tx.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        });
        let handle = rx
            .recv()
            .map_err(|_| std::io::Error::other("the server thread ended before it started"))??;
        Ok(Background {
            addr,
            running: Some((handle, thread)),
        })
    }

    /// Its base URL, `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some((handle, thread)) = self.running.take() {
            // The stop command is sent at once; the future only waits for its completion.
            drop(handle.stop(false));
            let _ = thread.join();
        }
    }
}
