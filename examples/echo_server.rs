//! The throughput floor for BENCHMARKS.md: a plain actix-web server that parses a JSON body and
//! echoes it back, with the same worker count as `kyoten serve`.
//!
//! usage: cargo run --release --example echo_server -- PORT
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use actix_web::{post, web, App, HttpResponse, HttpServer};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[post("/echo")]
async fn echo(body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18082);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new()
                .app_data(web::JsonConfig::default().limit(1 << 20))
                .service(echo)
        })
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })
}
