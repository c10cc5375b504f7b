use crate::exchange::sharing;
use crate::http::auth::Caller;
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::sharing::Notice;
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    /// Only the notices about this handoff.
    handoff_id: Option<String>,
    /// Continue after this notice (the `next_after` of the previous page; keep it to poll for
    /// what is new).
    after: Option<String>,
    /// Notices per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// What the exchange tells an organization about a packet addressed to it. Ids and codes only.
#[derive(Serialize, ToSchema)]
pub struct NoticeEntry {
    id: String,
    /// `handoff_superseded` (a shared copy replaced by the one re-sent after the registration
    /// changed: fetch `replaced_by`, delete the old copy) or `handoff_revoked` (the consent the
    /// packet rested on was withdrawn or no longer permits it: delete the copy).
    #[schema(example = "handoff_superseded")]
    kind: String,
    handoff_id: String,
    /// The packet that replaced it (`handoff_superseded` only).
    replaced_by: Option<String>,
    /// When (UTC).
    at: String,
}

#[derive(Serialize, ToSchema)]
pub struct NoticePage {
    items: Vec<NoticeEntry>,
    next_after: Option<String>,
}

impl From<Notice> for NoticeEntry {
    fn from(n: Notice) -> Self {
        NoticeEntry {
            id: n.id,
            kind: n.kind.to_string(),
            handoff_id: n.handoff_id.to_string(),
            replaced_by: n.replaced_by,
            at: n.created_at.and_utc().to_rfc3339(),
        }
    }
}

/// The notices addressed to the caller, oldest first (お知らせ): a shared copy (平時の情報共有)
/// superseded by the copy re-sent after the registration changed, or a packet revoked when the
/// person's consent was withdrawn or no longer permits it. Poll with the last `next_after`.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    params(NoticeQuery),
    responses(
        (status = 200, description = "A page of notices", body = NoticePage),
        (status = 400, description = "A parameter with a value outside its range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/notices")]
pub async fn notice_list(
    caller: Caller,
    store: web::Data<Store>,
    query: query::Query<NoticeQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let q = query.into_inner();
    let page = query::page(q.after.clone(), q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let found = run(&store, move |s| {
        sharing::notices(s, &org, q.handoff_id.as_deref(), &page)
    })
    .await?;
    let page = found.map(NoticeEntry::from);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(NoticePage {
            items: page.items,
            next_after: page.next_after,
        }))
}
