//! The sealer thread of a PostgreSQL store (`chain::seal_round`): woken by this store's own
//! commits, and every [`TICK`] in any case (records committed by another process, e.g. one that
//! stopped before its sealer ran). It has a connection of its own, so sealing never waits for
//! the pool the requests use, and it stops when the last clone of the store is dropped.
use super::chain;
use super::Manager;
use diesel::r2d2::ManageConnection;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// The longest a committed record waits when no commit of this store wakes the sealer.
const TICK: Duration = Duration::from_millis(250);

#[derive(Clone, Default)]
pub(super) struct Sealer {
    signal: Arc<(Mutex<bool>, Condvar)>,
}

impl Sealer {
    pub(super) fn start(manager: Manager, alive: Weak<()>) -> Sealer {
        let sealer = Sealer::default();
        let signal = sealer.signal.clone();
        let spawned = std::thread::Builder::new()
            .name("kyoten-chain-sealer".into())
            .spawn(move || run(&manager, &alive, &signal));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the record chain's sealer thread could not start");
        }
        sealer
    }

    /// Something was committed: seal it now.
    pub(super) fn poke(&self) {
        let (poked, wake) = &*self.signal;
        *poked.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_one();
    }
}

fn run(manager: &Manager, alive: &Weak<()>, signal: &(Mutex<bool>, Condvar)) {
    let mut conn = None;
    let mut last_error: Option<String> = None;
    while alive.upgrade().is_some() {
        wait(signal);
        if conn.is_none() {
            match manager.connect() {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    failed(&mut last_error, e.to_string());
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match chain::seal_all(c) {
            Ok(_) => last_error = None,
            Err(e) => {
                failed(&mut last_error, e.to_string());
                // A broken connection is made again at the next round.
                conn = None;
            }
        }
    }
}

/// Logs a failure once per distinct text (ids and counts only, never a record): records stay
/// pending meanwhile, and no checkpoint covers them.
fn failed(last_error: &mut Option<String>, text: String) {
    if last_error.as_deref() != Some(text.as_str()) {
        tracing::warn!(error = %text, "sealing the record chain failed; retrying");
        *last_error = Some(text);
    }
}

/// Waits for a poke or the tick, whichever comes first, and takes the poke.
fn wait((poked, wake): &(Mutex<bool>, Condvar)) {
    let guard = poked.lock().unwrap_or_else(|p| p.into_inner());
    let (mut guard, _) = wake
        .wait_timeout_while(guard, TICK, |poked| !*poked)
        .unwrap_or_else(|p| p.into_inner());
    *guard = false;
}
