//! The floor under `POST /v1/registrations`: the store's own create (the same rows, the same
//! diesel statements, one transaction each) from THREADS threads for SECONDS, without HTTP,
//! authentication or validation. `scripts/bench-creates.sh` runs it beside the HTTP creates on
//! the same database server, so the HTTP figure reads as a share of it.
//! usage: cargo run --release --example create_floor -- DATABASE_URL THREADS SECONDS
//! (the database must hold the demo organizations: `kyoten serve --demo` on it once)
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
#[path = "support/demo_store.rs"]
mod demo_store;
use kyoten::store::registrations::{self, NewRegistration};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: create_floor DATABASE_URL THREADS SECONDS";
    let url = args.next().expect(usage);
    let threads: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let seconds: u64 = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let store = demo_store::open(&url);
    let (template, office) = demo_store::registration(&store);
    let (done, stop) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (store, office, template) = (store.clone(), office.clone(), template.clone());
            let (done, stop) = (done.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let (office, doc) = (office.clone(), template.clone());
                    store
                        .write(move |conn| {
                            registrations::create(conn, &office, NewRegistration::new(doc))
                        })
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let n = done.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for w in workers {
        w.join().unwrap();
    }
    println!("{:.0}", n as f64 / elapsed);
}
