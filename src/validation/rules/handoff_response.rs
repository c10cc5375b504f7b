//! Rules of the handoff response.
use super::Context;
use crate::validation::Finding;

pub fn check(ctx: &mut Context<'_>) {
    let status = ctx.str("/status").map(str::to_owned);
    let status = status.as_deref();
    if status == Some("declined") && ctx.doc.get("reason").is_none() {
        ctx.report(Finding::new("KY-HR-DECLINE-REASON", "/status"));
    }
    if ctx.doc.get("report").is_some() && status.is_some_and(|s| s != "completed") {
        ctx.report(Finding::new("KY-HR-REPORT-STATUS", "/report"));
    }
}
