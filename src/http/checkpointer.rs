//! The server's checkpoints of the record chain (`store::checkpoints`): one at start if there are
//! records no checkpoint covers, then whenever the policy says one is due. Every instance does
//! this; the store keeps one checkpoint per place, so instances sharing a database do not
//! double up. Runs on the server's own runtime and stops with it.
use crate::store::checkpoints::{self, Made, Policy};
use crate::store::Store;
use actix_web::web;
use std::time::{Duration, Instant};

/// How often the head is looked at.
const POLL: Duration = Duration::from_secs(2);

pub fn spawn(store: Store, policy: Policy) {
    actix_web::rt::spawn(run(store, policy));
}

async fn run(store: Store, policy: Policy) {
    let mut starting = true;
    let mut last_made = Instant::now();
    let mut last_refusal: Option<String> = None;
    loop {
        let s = store.clone();
        let since = last_made.elapsed();
        let outcome = web::block(move || -> Result<Option<Made>, crate::store::StoreError> {
            let new = checkpoints::uncovered(&mut *s.conn()?)?;
            let due =
                new != 0 && (starting || new >= policy.every_records || since >= policy.interval);
            if due {
                checkpoints::make(&s).map(Some)
            } else {
                Ok(None)
            }
        })
        .await;
        match outcome {
            Ok(Ok(Some(Made::Signed(cp)))) => {
                last_made = Instant::now();
                last_refusal = None;
                tracing::info!(seq = cp.signed.seq, checkpoint = %cp.id, "record chain checkpoint signed");
            }
            Ok(Ok(Some(Made::Refused(problem)))) => {
                // Logged once per finding (ids and places only, never a record's content).
                if last_refusal.as_deref() != Some(problem.reason.as_str()) {
                    tracing::error!(
                        kind = ?problem.kind,
                        seq = ?problem.seq,
                        record = ?problem.record_id,
                        reason = %problem.reason,
                        "the record chain does not verify; no checkpoint is signed until \
                         `kyoten audit verify` finds it intact"
                    );
                    last_refusal = Some(problem.reason);
                }
                last_made = Instant::now();
            }
            Ok(Ok(Some(Made::UpToDate(_) | Made::Empty) | None)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "checkpoint of the record chain failed; retrying")
            }
            Err(e) => tracing::warn!(error = %e, "checkpoint of the record chain failed; retrying"),
        }
        starting = false;
        actix_web::rt::time::sleep(POLL).await;
    }
}
