//! Slow clients (slowloris): a request's body must keep coming. actix-web bounds the time to
//! receive a request's head (`client_request_timeout`, set from `--request-header-timeout-secs`)
//! but not its body; a client that sends headers and then a byte now and then would hold a
//! connection and a handler forever. This module bounds the body as Apache's mod_reqtimeout
//! does: the body must start within `timeout`, and every chunk received moves the deadline on
//! by its size at `min_rate` bytes per second, never to more than `timeout` from now. So no pause
//! is longer than `timeout`, and the mean rate stays at least `min_rate`.
//!
//! Written by hand: no actix-web middleware crate bounds the body's arrival; this is a stream
//! adapter of some forty lines over actix's own timer.
//!
//! A body that misses its deadline ends in an error. The handler reading it fails, and
//! [`body_deadline`] answers `408 request-timeout` (in the caller's language) and closes the
//! connection. A streamed answer that has already begun (the batch validation) writes the
//! timeout as its last line instead.
use super::middleware::request_lang;
use crate::problem::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderValue, CONNECTION};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::rt::time::{sleep_until, Instant, Sleep};
use actix_web::HttpMessage;
use bytes::Bytes;
use futures_util::Stream;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a body may take.
#[derive(Debug, Clone, Copy)]
pub struct BodyPolicy {
    /// The longest wait for the body's first bytes, and for any chunk after.
    pub timeout: Duration,
    /// The slowest mean rate accepted, in bytes per second.
    pub min_rate: u32,
}

impl Default for BodyPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            min_rate: 4096,
        }
    }
}

/// Whether a payload error is a body that missed its deadline.
pub fn is_timeout(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

/// A request body with a deadline. The timer is made only when the body has to be waited for
/// (a small body usually arrives with the head, and then costs no timer at all).
struct Deadline {
    inner: Payload,
    policy: BodyPolicy,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
    timed_out: Rc<Cell<bool>>,
}

impl Deadline {
    /// Polls the timer, set to the current deadline (made on the first wait).
    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        timer.as_mut().poll(cx)
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.timed_out.get() {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let earned = Duration::from_secs_f64(
                    chunk.len() as f64 / f64::from(self.policy.min_rate.max(1)),
                );
                let latest = Instant::now() + self.policy.timeout;
                self.deadline = (self.deadline + earned).min(latest);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match self.wait(cx) {
                Poll::Ready(()) => {
                    self.timed_out.set(true);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
            done => done,
        }
    }
}

/// Puts the deadline on the body of every request that has one; a request whose body missed
/// it is answered `408 request-timeout` with `Connection: close`.
pub async fn body_deadline(
    policy: BodyPolicy,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let inner = req.take_payload();
    if matches!(inner, Payload::None) {
        req.set_payload(inner);
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let timed_out = Rc::new(Cell::new(false));
    req.set_payload(Payload::Stream {
        payload: Box::pin(Deadline {
            inner,
            policy,
            deadline: Instant::now() + policy.timeout,
            timer: None,
            timed_out: timed_out.clone(),
        }),
    });
    let res = next.call(req).await?.map_into_boxed_body();
    if !timed_out.get() {
        return Ok(res);
    }
    let lang = request_lang(res.request().headers());
    let mut refusal = ApiError::Status(StatusCode::REQUEST_TIMEOUT).render(lang);
    refusal
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    Ok(res.into_response(refusal))
}
