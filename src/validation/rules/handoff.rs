//! Rules of the handoff packet: minimization and consistency.
use super::Context;
use crate::domain::policy::Source;
use crate::validation::Finding;
use std::collections::BTreeSet;

use crate::domain::access::may_send_break_glass;
use crate::domain::handoff::provision_for;

pub fn check(ctx: &mut Context<'_>) {
    if let (Some(issued), Some(expires)) =
        (ctx.timestamp("/issued_at"), ctx.timestamp("/expires_at"))
    {
        if expires <= issued {
            ctx.report(Finding::new("KY-HO-LIFETIME", "/expires_at"));
        }
    }
    if ctx.str("/consent_ref/legal_basis") == Some("vital_interest")
        && ctx
            .str("/sender/role")
            .is_some_and(|r| !may_send_break_glass(r))
    {
        ctx.report(Finding::new(
            "KY-HO-BREAK-GLASS-SENDER",
            "/consent_ref/legal_basis",
        ));
    }
    if let (Some(cited), Some(role)) = (ctx.str("/consent_ref/provision"), ctx.str("/sender/role"))
    {
        if cited != provision_for(role) {
            ctx.report(Finding::new(
                "KY-HO-PROVISION-SENDER",
                "/consent_ref/provision",
            ));
        }
    }
    if let (Some(start), Some(end)) = (
        ctx.date("/request/start_on"),
        ctx.date("/request/expected_end_on"),
    ) {
        if end < start {
            ctx.report(Finding::new(
                "KY-HO-REQUEST-DATES",
                "/request/expected_end_on",
            ));
        }
    }
    minimization(ctx);
}

fn minimization(ctx: &mut Context<'_>) {
    let Some(subject) = ctx.doc.get("subject").filter(|s| s.is_object()) else {
        return;
    };
    let policy = &ctx.engine.policy;
    let present = policy.categories_present(Source::of_packet(ctx.doc), subject);
    if let (Some(role), Some(purpose)) = (ctx.str("/recipient/role"), ctx.str("/purpose")) {
        let need = policy.need_set(role, purpose);
        for (category, field) in &present {
            if !need.is_some_and(|n| n.contains(*category)) {
                ctx.report(
                    Finding::new("KY-HO-CATEGORY-NOT-PERMITTED", format!("/subject{field}"))
                        .arg("category", *category),
                );
            }
        }
    }
    let Some(declared) = ctx
        .doc
        .get("disclosed_categories")
        .and_then(|d| d.as_array())
    else {
        return;
    };
    let declared: BTreeSet<&str> = declared.iter().filter_map(|c| c.as_str()).collect();
    let present: BTreeSet<&str> = present.iter().map(|(c, _)| *c).collect();
    let differing: Vec<&str> = declared.symmetric_difference(&present).copied().collect();
    if !differing.is_empty() {
        ctx.report(
            Finding::new("KY-HO-DISCLOSED-MISMATCH", "/disclosed_categories")
                .arg("category", differing.join(", ")),
        );
    }
}
