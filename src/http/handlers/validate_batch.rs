use crate::contracts::DocumentType;
use crate::http::body::media_type;
use crate::http::middleware::request_lang;
use crate::http::ndjson::{is_blank, report_line, write_line, BatchLine};
use crate::http::problem::{ApiError, Problem};
use crate::validation::{Engine, Lang};
use actix_web::{post, web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// A line longer than this is reported as too large and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

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
    params(("document_type" = String, Path, description = "registration | facility | handoff | handoff_response")),
    request_body(description = "One JSON document per line", content_type = "application/x-ndjson"),
    responses(
        (status = 200, description = "One report per input line, in order", body = BatchLine, content_type = "application/x-ndjson"),
        (status = 404, description = "Unknown document type", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not NDJSON", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/validate/{document_type}/batch")]
pub async fn validate_batch(
    req: HttpRequest,
    document_type: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let doc_type = DocumentType::parse(&document_type).ok_or(ApiError::UnknownDocumentType)?;
    if !media_type(&req).is_some_and(|t| NDJSON_TYPES.contains(&t.as_str())) {
        return Err(ApiError::UnsupportedMediaType {
            accepted: "application/x-ndjson",
        });
    }
    let lang = request_lang(req.headers());
    let state = Splitter {
        payload,
        buf: BytesMut::new(),
        line: 0,
        skipping: false,
        finished: false,
        doc_type,
        lang,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if s.finished {
                return None;
            }
            let out = s.drain(false);
            if !out.is_empty() {
                return Some((Ok::<Bytes, actix_web::Error>(out.into()), s));
            }
            match s.payload.next().await {
                Some(Ok(chunk)) => s.buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    s.finished = true;
                    return Some((Err(e.into()), s));
                }
                None => {
                    s.finished = true;
                    let out = s.drain(true);
                    return Some((Ok(out.into()), s));
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(stream))
}

struct Splitter {
    payload: web::Payload,
    buf: BytesMut,
    line: u64,
    /// Inside a line that went over the limit: drop bytes until its end.
    skipping: bool,
    finished: bool,
    doc_type: DocumentType,
    lang: Lang,
}

impl Splitter {
    /// Reports every complete line in the buffer (and the last, unterminated one at the end).
    fn drain(&mut self, at_end: bool) -> Vec<u8> {
        let engine = Engine::get();
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(nl) = memchr::memchr(b'\n', &self.buf[start..]) {
            let line = &self.buf[start..start + nl];
            start += nl + 1;
            if std::mem::take(&mut self.skipping) {
                continue;
            }
            self.line += 1;
            if !is_blank(line) {
                report_line(
                    engine,
                    Some(self.doc_type),
                    self.line,
                    line,
                    self.lang,
                    &mut out,
                );
            }
        }
        let _ = self.buf.split_to(start);
        if at_end && !self.buf.is_empty() && !self.skipping {
            self.line += 1;
            let line = std::mem::take(&mut self.buf);
            if !is_blank(&line) {
                report_line(
                    engine,
                    Some(self.doc_type),
                    self.line,
                    &line,
                    self.lang,
                    &mut out,
                );
            }
        } else if self.buf.len() > MAX_LINE_BYTES && !self.skipping {
            self.line += 1;
            self.skipping = true;
            self.buf.clear();
            let problem = ApiError::Status(actix_web::http::StatusCode::PAYLOAD_TOO_LARGE)
                .to_problem(self.lang);
            write_line(&BatchLine::not_a_document(self.line, problem), &mut out);
        } else if self.skipping {
            self.buf.clear();
        }
        out
    }
}
