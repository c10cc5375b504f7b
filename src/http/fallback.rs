//! What answers when no route matched: 405 with `Allow` when the path exists for other
//! methods (read from the OpenAPI paths, so the route table stays the only list), else 404.
use crate::problem::ApiError;
use actix_web::{HttpRequest, HttpResponse};
use std::sync::OnceLock;

struct Template {
    segments: Vec<Option<String>>,
    methods: Vec<String>,
}

fn templates() -> &'static [Template] {
    static T: OnceLock<Vec<Template>> = OnceLock::new();
    T.get_or_init(|| {
        let doc = super::openapi::build();
        let paths = doc
            .get("paths")
            .and_then(|p| p.as_object())
            .cloned()
            .unwrap_or_default();
        paths
            .into_iter()
            .map(|(path, item)| Template {
                segments: path
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            None
                        } else {
                            Some(s.to_owned())
                        }
                    })
                    .collect(),
                methods: item
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default(),
            })
            .collect()
    })
}

pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let segments: Vec<&str> = req.path().split('/').collect();
    let mut allow: Vec<&str> = Vec::new();
    for t in templates() {
        let matches = t.segments.len() == segments.len()
            && t.segments.iter().zip(&segments).all(|(t, s)| {
                t.as_deref().is_none_or(|t| t == *s) && (t.is_some() || !s.is_empty())
            });
        if matches {
            allow.extend(t.methods.iter().map(String::as_str));
        }
    }
    if allow.is_empty() {
        return Err(ApiError::NotFound);
    }
    allow.sort_unstable();
    allow.dedup();
    Err(ApiError::MethodNotAllowed {
        allow: allow.join(", "),
    })
}

/// Builds the path templates before the first request.
pub fn fallback_ready() {
    templates();
}
