use crate::contracts::DocumentType;
use crate::http::auth::{authenticate, bearer_token};
use crate::http::body::media_type;
use crate::http::middleware::request_lang;
use crate::http::ndjson::{is_blank, report_line, write_line, BatchLine};
use crate::http::slow_clients::is_timeout;
use crate::problem::{ApiError, Problem};
use crate::validation::{Engine, Lang};
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use rayon::prelude::*;

/// A line longer than this is reported as too large and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The most documents a batch without an API key may hold (`--validate-batch-max-documents`;
/// 0: no limit). A batch sent with a valid API key has no such limit.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimit(pub u64);

const NDJSON_TYPES: [&str; 4] = [
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/jsonlines",
];

/// Validates many documents: NDJSON in, one NDJSON report line per input line out, streamed
/// as the input arrives (memory does not grow with the number of documents).
#[utoipa::path(
    tag = "validation",
    params(("document_type" = String, Path, description = "registration | facility | handoff | handoff_response | emergency_intake")),
    request_body(description = "One JSON document per line", content_type = "application/x-ndjson"),
    responses(
        (status = 200, description = "One report per input line, in order; a batch without an API key stops after `--validate-batch-max-documents` documents (10,000 unless the operator set another) with a last line `payload-too-large`, and a body that stops arriving ends with a last line `request-timeout`", body = BatchLine, content_type = "application/x-ndjson"),
        (status = 401, description = "An API key was sent and is not valid (a batch needs none)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown document type", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not NDJSON", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/validate/{document_type}/batch")]
pub async fn validate_batch(
    req: HttpRequest,
    document_type: web::Path<String>,
    payload: web::Payload,
    limit: web::Data<BatchLimit>,
) -> Result<HttpResponse, ApiError> {
    let doc_type = DocumentType::parse(&document_type).ok_or(ApiError::UnknownDocumentType)?;
    if !media_type(&req).is_some_and(|t| NDJSON_TYPES.contains(&t.as_str())) {
        return Err(ApiError::UnsupportedMediaType {
            accepted: "application/x-ndjson",
        });
    }
    let lang = request_lang(req.headers());
    // An API key lifts the limit; one that is not valid is refused, as anywhere.
    let max_documents = if bearer_token(req.headers()).is_some() {
        authenticate(&req).await?;
        None
    } else {
        Some(limit.0).filter(|&max| max > 0)
    };
    let state = Splitter {
        max_documents,
        documents: 0,
        payload,
        buf: BytesMut::new(),
        line: 0,
        skipping: false,
        eof: false,
        done: false,
        doc_type,
        lang,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        let out = s.next_reports().await?;
        Some((out, s))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(stream))
}

/// Cuts the request body into numbered lines, about a megabyte at a time, and validates each
/// such batch in parallel off the I/O thread. Memory is bounded by the batch size.
struct Splitter {
    /// Stop after this many documents (a batch without an API key).
    max_documents: Option<u64>,
    documents: u64,
    payload: web::Payload,
    buf: BytesMut,
    line: u64,
    /// Inside a line that went over the limit: drop bytes until its end.
    skipping: bool,
    eof: bool,
    done: bool,
    doc_type: DocumentType,
    lang: Lang,
}

enum Line {
    Document(u64, Bytes),
    TooLong(u64),
    /// Where the batch stopped, and why.
    Stopped(u64, ApiError),
}

/// The report lines of a block of lines, in order.
fn reports(lines: &[Line], doc_type: DocumentType, lang: Lang) -> Bytes {
    let engine = Engine::get();
    let parts: Vec<Vec<u8>> = lines
        .par_iter()
        .map(|line| {
            let mut out = Vec::new();
            match line {
                Line::Document(no, bytes) => {
                    report_line(engine, Some(doc_type), *no, bytes, lang, &mut out);
                }
                Line::TooLong(no) => {
                    let problem = ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE).to_problem(lang);
                    write_line(&BatchLine::not_a_document(*no, problem), &mut out);
                }
                Line::Stopped(no, why) => {
                    write_line(
                        &BatchLine::not_a_document(*no, why.to_problem(lang)),
                        &mut out,
                    );
                }
            }
            out
        })
        .collect();
    Bytes::from(parts.concat())
}

impl Splitter {
    async fn next_reports(&mut self) -> Option<Result<Bytes, actix_web::Error>> {
        loop {
            if self.done {
                return None;
            }
            let mut timed_out = false;
            while self.buf.len() < MAX_LINE_BYTES && !self.eof && !timed_out {
                match self.payload.next().await {
                    Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                    // The complete lines so far are reported; an unfinished last one is not.
                    Some(Err(e)) if is_timeout(&e) => timed_out = true,
                    Some(Err(e)) => {
                        self.done = true;
                        return Some(Err(e.into()));
                    }
                    None => self.eof = true,
                }
            }
            let mut lines = self.cut();
            if self.eof {
                self.done = true;
            }
            self.stop_at_the_limit(&mut lines);
            if timed_out && !self.done {
                self.done = true;
                let timeout = ApiError::Status(StatusCode::REQUEST_TIMEOUT);
                lines.push(Line::Stopped(self.line + 1, timeout));
            }
            if lines.is_empty() {
                continue;
            }
            let (doc_type, lang) = (self.doc_type, self.lang);
            // Validation is CPU work: on the blocking pool, the lines in parallel.
            let reports = web::block(move || reports(&lines, doc_type, lang)).await;
            return Some(reports.map_err(actix_web::Error::from));
        }
    }

    /// Cuts `lines` after the last document a batch without an API key may hold, and ends the
    /// batch there with a line that says so.
    fn stop_at_the_limit(&mut self, lines: &mut Vec<Line>) {
        let Some(max) = self.max_documents else {
            return;
        };
        let allowed = max.saturating_sub(self.documents);
        let Some(over) = lines
            .iter()
            .filter(|l| matches!(l, Line::Document(..)))
            .nth(allowed as usize)
            .map(|l| match l {
                Line::Document(no, _) => *no,
                _ => 0,
            })
        else {
            self.documents += lines
                .iter()
                .filter(|l| matches!(l, Line::Document(..)))
                .count() as u64;
            return;
        };
        lines.retain(|l| !matches!(l, Line::Document(no, _) | Line::TooLong(no) if *no >= over));
        lines.push(Line::Stopped(over, ApiError::BatchOverLimit { max }));
        self.documents = max;
        self.done = true;
    }

    /// Takes every complete line out of the buffer (and the last, unterminated one at the end
    /// of the body).
    fn cut(&mut self) -> Vec<Line> {
        let end = if self.eof {
            self.buf.len()
        } else {
            memchr::memrchr(b'\n', &self.buf).map_or(0, |i| i + 1)
        };
        let mut lines = Vec::new();
        if end == 0 {
            if self.buf.len() >= MAX_LINE_BYTES {
                if !self.skipping {
                    self.line += 1;
                    lines.push(Line::TooLong(self.line));
                }
                self.skipping = true;
                self.buf.clear();
            }
            return lines;
        }
        let block = self.buf.split_to(end).freeze();
        let mut start = 0;
        while start < block.len() {
            let stop = memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
            let line = block.slice(start..stop);
            start = stop + 1;
            if std::mem::take(&mut self.skipping) {
                continue;
            }
            self.line += 1;
            if !is_blank(&line) {
                lines.push(Line::Document(self.line, line));
            }
        }
        lines
    }
}
