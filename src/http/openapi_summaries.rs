//! Short summaries of every operation in Japanese and English (`日本語 — English`), for the
//! operation lists of Swagger UI, Redoc and generated clients; the handlers' own documentation
//! becomes the operation's description.
use serde_json::Value;

/// (method, path, Japanese, English).
const SUMMARIES: [(&str, &str, &str, &str); 48] = [
    ("get", "/", "このAPIの自己紹介", "About this API"),
    (
        "get",
        "/.well-known/jwks.json",
        "パケット検証用の公開鍵",
        "Public keys that verify packets",
    ),
    ("get", "/codelists", "コード表の一覧", "List code lists"),
    ("get", "/codelists/{name}", "コード表", "Get a code list"),
    ("get", "/health", "稼働確認", "Health check"),
    (
        "get",
        "/openapi.json",
        "このOpenAPI文書",
        "This OpenAPI document",
    ),
    (
        "get",
        "/policies/{name}",
        "公開ポリシー",
        "Get a published policy",
    ),
    ("get", "/schemas", "スキーマの一覧", "List schemas"),
    (
        "get",
        "/schemas/{name}/{version}",
        "JSON Schema（文書の契約）",
        "Get a JSON Schema",
    ),
    (
        "get",
        "/schemas/{name}/{version}.xsd",
        "XML Schema（XML形式の契約）",
        "Get an XML Schema",
    ),
    ("get", "/v1/audit", "アクセス記録", "Access record"),
    ("get", "/v1/facilities", "事業所の検索", "Search facilities"),
    (
        "get",
        "/v1/facilities/{facility_id}",
        "事業所の受入れ能力情報",
        "Get a facility record",
    ),
    (
        "put",
        "/v1/facilities/{facility_id}",
        "事業所の受入れ能力情報の登録・更新",
        "Upload a facility record",
    ),
    (
        "patch",
        "/v1/facilities/{facility_id}/vacancies",
        "空き状況の更新",
        "Update vacancies",
    ),
    ("get", "/v1/handoffs", "受入調整の一覧", "List handoffs"),
    (
        "post",
        "/v1/handoffs",
        "受入調整パケットの送信",
        "Send a handoff packet",
    ),
    (
        "get",
        "/v1/handoffs/{id}",
        "受入調整パケットの取得",
        "Get a handoff",
    ),
    (
        "post",
        "/v1/handoffs/{id}/responses",
        "受入調整への回答",
        "Answer a handoff",
    ),
    (
        "get",
        "/v1/intakes",
        "緊急時受付の一覧",
        "List emergency intakes",
    ),
    (
        "post",
        "/v1/intakes",
        "緊急時受付（事前情報のない新規ケース）",
        "Record an emergency intake",
    ),
    (
        "get",
        "/v1/intakes/{id}",
        "緊急時受付の取得",
        "Get an emergency intake",
    ),
    (
        "get",
        "/v1/intakes/{id}/candidates",
        "受入れ先候補（新規ケース）",
        "Candidates for an intake",
    ),
    (
        "get",
        "/v1/keys",
        "登録した公開鍵の一覧",
        "List registered keys",
    ),
    ("post", "/v1/keys", "公開鍵の登録", "Register a public key"),
    ("get", "/v1/keys/{kid}", "公開鍵の取得", "Get a public key"),
    (
        "post",
        "/v1/keys/{kid}/retire",
        "公開鍵の廃止",
        "Retire a key",
    ),
    ("get", "/v1/notices", "お知らせ", "Notices"),
    ("get", "/v1/provisions", "提供記録", "Provision records"),
    (
        "get",
        "/v1/registrations",
        "登録の一覧",
        "List registrations",
    ),
    (
        "post",
        "/v1/registrations",
        "緊急時利用登録届の提出",
        "Submit a registration",
    ),
    (
        "get",
        "/v1/registrations/{id}",
        "登録の取得",
        "Get a registration",
    ),
    (
        "put",
        "/v1/registrations/{id}",
        "変更届",
        "Change a registration",
    ),
    (
        "post",
        "/v1/registrations/{id}/break-glass-read",
        "同意撤回後の緊急閲覧",
        "Break-glass read",
    ),
    (
        "get",
        "/v1/registrations/{id}/candidates",
        "受入れ先候補（登録者）",
        "Candidates for a registered person",
    ),
    (
        "post",
        "/v1/registrations/{id}/consent",
        "同意の再取得",
        "Record a new consent",
    ),
    (
        "post",
        "/v1/registrations/{id}/consent-withdrawal",
        "同意の撤回",
        "Withdraw consent",
    ),
    (
        "get",
        "/v1/registrations/{id}/meetings",
        "顔合わせ等の記録の一覧",
        "List meetings",
    ),
    (
        "post",
        "/v1/registrations/{id}/meetings",
        "顔合わせ等の記録",
        "Record a meeting",
    ),
    (
        "get",
        "/v1/registrations/{id}/responsible-office",
        "担当の相談支援事業所",
        "Responsible office",
    ),
    (
        "put",
        "/v1/registrations/{id}/responsible-office",
        "担当の相談支援事業所の指定・変更",
        "Assign the responsible office",
    ),
    (
        "post",
        "/v1/registrations/{id}/review",
        "見直しの記録",
        "Record a review",
    ),
    (
        "get",
        "/v1/registrations/{id}/versions",
        "登録の履歴",
        "Registration history",
    ),
    (
        "get",
        "/v1/reports/operations",
        "運用状況の報告",
        "Operations report",
    ),
    (
        "post",
        "/v1/search/registrations",
        "本人の検索",
        "Find a person",
    ),
    (
        "post",
        "/v1/validate/{document_type}",
        "文書の検証",
        "Validate a document",
    ),
    (
        "post",
        "/v1/validate/{document_type}/batch",
        "文書の一括検証",
        "Validate documents in bulk",
    ),
    (
        "post",
        "/v1/verify",
        "署名付きパケットの検証",
        "Verify a signed packet",
    ),
];

/// Sets each operation's summary; what the handler's documentation said becomes (the start
/// of) its description.
pub(super) fn declare(doc: &mut Value) {
    for (method, path, ja, en) in SUMMARIES {
        let op = super::openapi::operation_part(doc, path, method, &[]);
        let Some(op) = op.and_then(Value::as_object_mut) else {
            continue;
        };
        let long = [op.get("summary"), op.get("description")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        if !long.is_empty() {
            op.insert("description".into(), Value::String(long));
        }
        op.insert("summary".into(), Value::String(format!("{ja} — {en}")));
    }
}
