//! RFC 9457 problem details: one error enum, one rendering, in Japanese or English.
use crate::contracts::json::JsonError;
use crate::store::StoreError;
use crate::validation::{Lang, Report};
use crate::xml::XmlError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

pub const PROBLEM_BASE: &str = "https://w3id.org/kyoten/problems/";
pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable problem type URI.
    #[schema(example = "https://w3id.org/kyoten/problems/malformed-json")]
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For a body that is not well-formed: where reading stopped (never what was there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// For `invalid-document`: the validation report of the refused document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<Report>>,
    /// For `signature-refused`: the stable code of why (e.g. `bad_signature`, `unknown_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<&'static str>,
}

/// Status, problem slug, title (ja, en), detail (ja, en), position in the body.
type Parts = (
    StatusCode,
    &'static str,
    [&'static str; 2],
    [String; 2],
    Option<(usize, usize)>,
);

/// Everything an endpoint can refuse with.
#[derive(Debug)]
pub enum ApiError {
    Json(JsonError),
    Xml(XmlError),
    UnsupportedMediaType {
        accepted: &'static str,
    },
    UnknownDocumentType,
    NotFound,
    /// The path exists but not for this method; `allow` lists the methods it has.
    MethodNotAllowed {
        allow: String,
    },
    /// An HTTP status with no more specific meaning (actix's own errors, 405, 413 …).
    Status(StatusCode),
    InvalidQuery,
    /// No or an unknown API key.
    Unauthorized,
    /// The caller's role may not do this.
    Forbidden,
    /// The document is not valid: nothing was stored.
    InvalidDocument(Box<Report>),
    /// A new registration must not carry an id: the server assigns it.
    RegistrationIdNotAllowed,
    /// `received_by` names another organization than the caller.
    ReceivedByMismatch,
    /// A change without `If-Match`.
    PreconditionRequired,
    /// `If-Match` names another version than the current one (`None`: there is no record yet).
    PreconditionFailed {
        current: Option<i32>,
    },
    /// A query parameter with a value the endpoint does not accept.
    InvalidParameter {
        name: &'static str,
    },
    /// The document's `facility_id` differs from the URL's.
    FacilityIdMismatch,
    /// A vacancy update names a service the record does not have (index into `vacancies`).
    UnknownService {
        index: usize,
    },
    /// A vacancy update gives more vacancies than the service's capacity.
    VacanciesOverCapacity {
        index: usize,
    },
    /// A vacancy update dated in the future.
    VacancyAsOfFuture,
    /// A vacancy update body that is not `{as_of?, vacancies: [{service_type, variant?, vacancies}]}`.
    InvalidVacancyUpdate,
    /// `Idempotency-Key` is empty, too long or not visible ASCII.
    IdempotencyKeyInvalid,
    /// The first request with this `Idempotency-Key` is still being answered.
    IdempotencyKeyInUse,
    /// The registration kept changing while the request was being answered, or the database
    /// was momentarily busy; nothing was stored, the same request may be sent again.
    RegistrationBusy,
    /// The database was momentarily busy (SQLite locked, a PostgreSQL serialization failure or
    /// deadlock, no free connection) outside a registration's contention; nothing was stored.
    Busy,
    /// A change notification that alters a consent in force other than by recording its
    /// withdrawal.
    ConsentChangeNotAllowed,
    /// A new consent not granted after the consent it replaces (or before its withdrawal), or
    /// one that records a withdrawal itself.
    ConsentNotNewer,
    /// A break-glass read without `{"legal_basis": "vital_interest"}`.
    InvalidBreakGlassRead,
    /// The `Idempotency-Key` was used before for a different request.
    IdempotencyKeyReused,
    /// The document's `registration_id` differs from the URL's.
    RegistrationIdMismatch,
    /// The consent of this registration was withdrawn before.
    ConsentAlreadyWithdrawn,
    /// A change notification drops or alters a recorded consent withdrawal.
    ConsentWithdrawalFinal,
    /// A change notification names another `received_by` than the registration's.
    ReceivedByImmutable,
    /// The consent of the registration is withdrawn: no packet may be sent on it.
    ConsentWithdrawn,
    /// A vital-interest (break-glass) packet from a role other than kikan, hub or city.
    BreakGlassNotAllowed,
    /// A category the consent and need set do not permit for this recipient and purpose.
    CategoryNotPermitted {
        /// The category, when it is one of the code list (anything else the caller wrote is
        /// not echoed back).
        category: Option<String>,
    },
    /// Nothing the registration holds may go to this recipient for this purpose.
    NothingPermitted,
    /// The recipient is not a registered organization.
    UnknownRecipient,
    /// A handoff request that is not of the documented shape (the field named).
    InvalidHandoffRequest {
        field: &'static str,
    },
    /// The packet's signature was not accepted (`verdict` says why).
    SignatureRefused(crate::packet::Refusal),
    /// The packet's sender, or the organization of its signing key, is not the caller.
    SenderMismatch,
    /// A packet with this handoff_id exists already.
    HandoffExists,
    /// The submitted packet is past its `expires_at`.
    PacketExpired,
    /// A signed packet refused by a check after its signature (`verdict` says which): issued
    /// in the future, a lifetime beyond the bound, not the registration's current version, a
    /// subject value that differs from it…
    PacketRefused(crate::packet::check::Failure),
    /// The lifecycle does not allow this response in the handoff's current state.
    IllegalTransition {
        current: &'static str,
    },
    /// The handoff expired before it was accepted.
    HandoffExpired,
    /// The handoff was cancelled: its packet is not given to the recipient.
    HandoffCancelled,
    /// The response names another handoff or another responder than the request.
    ResponseMismatch,
    /// A key that cannot be registered.
    KeyRefused(String),
    /// The key is registered by another organization.
    KeyTaken,
    /// No representation for the Accept header (the acceptable ones listed).
    NotAcceptable {
        available: &'static str,
    },
    /// The client address is over a limit until `retry_after` seconds have passed.
    TooManyRequests {
        retry_after: u64,
        limited: Limited,
    },
    /// A failure of the server itself, with its chain of causes (logged, never shown).
    Internal(anyhow::Error),
}

/// Which per-address limit a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Too many failed authentications.
    Authentication,
    /// Over `--validate-rate-limit`.
    Validation,
}

impl ApiError {
    fn parts(&self) -> Parts {
        use ApiError::*;
        let s = |ja: &str, en: &str| [ja.to_owned(), en.to_owned()];
        match self {
            Json(JsonError::Syntax { line, column }) => (
                StatusCode::BAD_REQUEST,
                "malformed-json",
                ["JSONとして読めません", "Malformed JSON"],
                s("本文が正しいJSONではありません。示した位置の前後を確認してください。", "The body is not well-formed JSON; check around the given position."),
                Some((*line, *column)),
            ),
            Json(JsonError::DuplicateKey { line, column }) => (
                StatusCode::BAD_REQUEST,
                "duplicate-key",
                ["同じ項目名が重複しています", "Duplicate key"],
                s("1つのオブジェクトに同じ項目名が2回あります。どちらを使うか決められないため受け付けません。", "An object has the same key twice; kyoten refuses to guess which one is meant."),
                Some((*line, *column)),
            ),
            Json(JsonError::ByteOrderMark) | Xml(XmlError::ByteOrderMark) => (
                StatusCode::BAD_REQUEST,
                "byte-order-mark",
                ["BOM付きのUTF-8です", "Byte order mark"],
                s("本文の先頭にBOMがあります。BOMなしのUTF-8で送ってください。", "The body starts with a byte order mark; send UTF-8 without BOM."),
                None,
            ),
            Json(JsonError::InvalidUtf8 { line, column }) => (
                StatusCode::BAD_REQUEST,
                "invalid-utf8",
                ["UTF-8ではありません", "Not UTF-8"],
                s("本文に正しくないUTF-8のバイト列があります。文字コードをUTF-8にしてください。", "The body contains bytes that are not valid UTF-8."),
                Some((*line, *column)),
            ),
            Xml(XmlError::NotUtf8) => (
                StatusCode::BAD_REQUEST,
                "invalid-utf8",
                ["UTF-8ではありません", "Not UTF-8"],
                s("XMLはUTF-8で送ってください（encoding宣言もUTF-8のみ）。", "XML must be UTF-8 (and declare no other encoding)."),
                None,
            ),
            Json(JsonError::TooDeep { line, column }) => (
                StatusCode::BAD_REQUEST,
                "nesting-too-deep",
                ["入れ子が深すぎます", "Nesting too deep"],
                s("入れ子が深すぎるため読みません。", "The document is nested too deeply to be read."),
                Some((*line, *column)),
            ),
            Xml(XmlError::TooDeep) => (
                StatusCode::BAD_REQUEST,
                "nesting-too-deep",
                ["入れ子が深すぎます", "Nesting too deep"],
                s("要素の入れ子が深すぎるため読みません。", "Elements are nested too deeply to be read."),
                None,
            ),
            Xml(XmlError::Doctype) => (
                StatusCode::BAD_REQUEST,
                "xml-doctype-forbidden",
                ["DOCTYPEは使えません", "DOCTYPE forbidden"],
                s("DOCTYPE宣言や実体宣言を含むXMLは、安全のため受け付けません。", "XML with a DOCTYPE or entity declarations is refused for safety."),
                None,
            ),
            Xml(XmlError::ProcessingInstruction) => (
                StatusCode::BAD_REQUEST,
                "xml-processing-instruction-forbidden",
                ["処理命令は使えません", "Processing instruction forbidden"],
                s("XML処理命令（<?…?>）は使えません。", "XML processing instructions (<?…?>) are not allowed."),
                None,
            ),
            Xml(XmlError::Malformed { position }) => (
                StatusCode::BAD_REQUEST,
                "malformed-xml",
                ["XMLとして読めません", "Malformed XML"],
                [
                    format!("本文が整形式のXMLではありません（{position}バイト目付近）。"),
                    format!("The body is not well-formed XML (near byte {position})."),
                ],
                None,
            ),
            UnsupportedMediaType { accepted } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                ["この形式は受け付けません", "Unsupported media type"],
                [format!("Content-Type は {accepted} のいずれかにしてください。"), format!("Content-Type must be one of: {accepted}.")],
                None,
            ),
            UnknownDocumentType => (
                StatusCode::NOT_FOUND,
                "unknown-document-type",
                ["文書種別がありません", "Unknown document type"],
                s("文書種別は registration, facility, handoff, handoff_response のいずれかです。", "The document type must be registration, facility, handoff or handoff_response."),
                None,
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "not-found",
                ["見つかりません", "Not found"],
                s("このURLには何もありません。GET / で使えるURLを確認できます。", "Nothing is here; GET / lists what is."),
                None,
            ),
            MethodNotAllowed { allow } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                ["このメソッドは使えません", "Method not allowed"],
                [format!("このURLで使えるメソッドは {allow} です。"), format!("This URL accepts: {allow}.")],
                None,
            ),
            Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                ["認証が必要です", "Unauthorized"],
                s("Authorization: Bearer <APIキー> が必要です（キーが正しくないか、失効しています）。", "Send Authorization: Bearer <api key>; the key is missing, unknown or revoked."),
                None,
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                ["この操作の権限がありません", "Forbidden"],
                s("あなたの組織の役割では、この操作はできません。", "Your organization's role may not do this."),
                None,
            ),
            InvalidDocument(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-document",
                ["文書が検証を通りません", "Invalid document"],
                s("文書にエラーがあるため保存しませんでした。report の各エラーを直して再送してください。", "The document has errors and was not stored; fix each error in `report` and send it again."),
                None,
            ),
            RegistrationIdNotAllowed => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "registration-id-not-allowed",
                ["登録IDはサーバーが付番します", "Registration id is assigned by the server"],
                s("新しい登録届に registration_id を含めないでください。", "Leave registration_id out of a new registration."),
                None,
            ),
            ReceivedByMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "received-by-mismatch",
                ["受付機関が一致しません", "received_by mismatch"],
                s("received_by.organization_id は、APIキーの組織と同じでなければなりません。", "received_by.organization_id must be the organization of the API key."),
                None,
            ),
            PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                ["If-Match が必要です", "If-Match required"],
                s("変更届には、読み込んだ版を示す If-Match ヘッダー（ETag の値）が必要です。", "A change needs If-Match with the ETag of the version it changes."),
                None,
            ),
            PreconditionFailed { current: Some(current) } => (
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                ["版が古くなっています", "Stale version"],
                [
                    format!("この記録は他の変更で版 {current} になっています。最新を読み直してから変更してください。"),
                    format!("The record has meanwhile become version {current}; read it again and redo the change."),
                ],
                None,
            ),
            PreconditionFailed { current: None } => (
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                ["記録がまだありません", "No such version"],
                s("If-Match で示した版はありません。初めて登録するときは If-Match を付けずに送ってください。", "There is no record yet for If-Match to match; send the first upload without If-Match."),
                None,
            ),
            InvalidParameter { name } => (
                StatusCode::BAD_REQUEST,
                "invalid-query",
                ["クエリが正しくありません", "Invalid query"],
                [
                    format!("クエリの {name} の値が正しくありません。OpenAPI文書で使える値を確認してください。"),
                    format!("The query parameter {name} has a value this endpoint does not accept; see the OpenAPI document."),
                ],
                None,
            ),
            FacilityIdMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "facility-id-mismatch",
                ["事業所番号が一致しません", "facility_id mismatch"],
                s("文書の facility_id がURLの事業所番号と異なります。", "The document's facility_id differs from the one in the URL."),
                None,
            ),
            UnknownService { index } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-service",
                ["該当するサービスがありません", "No such service"],
                [
                    format!("vacancies[{index}] のサービス種別（と類型）に当たるサービスが、この事業所の記録にありません（または類型の指定が必要です）。"),
                    format!("vacancies[{index}] names a service type (and variant) this facility's record does not have, or needs a variant to tell two apart."),
                ],
                None,
            ),
            VacanciesOverCapacity { index } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "vacancies-over-capacity",
                ["空き数が定員を超えています", "Vacancies over capacity"],
                [
                    format!("vacancies[{index}] の空き数が、そのサービスの定員を超えています。"),
                    format!("vacancies[{index}] gives more vacancies than the service's capacity."),
                ],
                None,
            ),
            InvalidVacancyUpdate => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-vacancy-update",
                ["空き状況の更新の形が正しくありません", "Invalid vacancy update"],
                s("本文は {\"as_of\"?: 日時, \"vacancies\": [{\"service_type\", \"variant\"?, \"vacancies\": 0以上の整数}]} の形にしてください（1件以上）。", "The body must be {\"as_of\"?: date-time, \"vacancies\": [{\"service_type\", \"variant\"?, \"vacancies\": integer ≥ 0}]} with at least one entry."),
                None,
            ),
            VacancyAsOfFuture => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "vacancy-as-of-future",
                ["空き状況の時点が未来です", "Vacancy time in the future"],
                s("as_of は現在より前の日時にしてください。", "as_of must not be in the future."),
                None,
            ),
            IdempotencyKeyInvalid => (
                StatusCode::BAD_REQUEST,
                "invalid-idempotency-key",
                ["Idempotency-Key が正しくありません", "Invalid Idempotency-Key"],
                s("Idempotency-Key は1〜255文字の英数字・記号（ASCII）にしてください。UUIDを推奨します。", "Idempotency-Key must be 1 to 255 visible ASCII characters; a UUID is recommended."),
                None,
            ),
            IdempotencyKeyInUse => (
                StatusCode::CONFLICT,
                "idempotency-key-in-use",
                ["同じキーの要求を処理中です", "Request with this key in progress"],
                s("同じ Idempotency-Key の最初の要求をまだ処理しています。少し待ってから再送してください。", "The first request with this Idempotency-Key is still being processed; retry shortly."),
                None,
            ),
            RegistrationBusy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "registration-busy",
                ["登録が同時に変更されています", "Registration busy"],
                s("この登録が同時に変更されていたため、今は処理を終えられませんでした。何も保存していません。Retry-After の秒数の後に同じ要求を再送してください。", "The registration was being changed at the same time, so the request could not be completed now; nothing was stored. Send the same request again after Retry-After seconds."),
                None,
            ),
            Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                ["一時的に処理できません", "Busy"],
                s("データベースが一時的に混み合っていたため、今は処理を終えられませんでした。何も保存していません。Retry-After の秒数の後に同じ要求を再送してください。", "The database was momentarily busy, so the request could not be completed now; nothing was stored. Send the same request again after Retry-After seconds."),
                None,
            ),
            ConsentChangeNotAllowed => (
                StatusCode::CONFLICT,
                "consent-change-not-allowed",
                ["変更届では同意を変えられません", "Consent change not allowed"],
                s("変更届で変えられるのは同意以外の内容です（同意の撤回を記録することはできます）。同意の内容を変えるときは、新たな同意として POST /v1/registrations/{id}/consent で記録します。", "A change notification may change everything but the consent (it may record a withdrawal). A changed consent is recorded as a new consent with POST /v1/registrations/{id}/consent."),
                None,
            ),
            ConsentNotNewer => (
                StatusCode::CONFLICT,
                "consent-not-newer",
                ["新しい同意ではありません", "Consent not newer"],
                s("新たな同意の granted_on は、いまの同意の granted_on より後で、撤回日（withdrawn_on）以後でなければなりません。新たな同意に withdrawn_on は書けません。", "A new consent's granted_on must be after the current consent's granted_on and not before its withdrawn_on; a new consent cannot carry withdrawn_on."),
                None,
            ),
            InvalidBreakGlassRead => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-break-glass-request",
                ["緊急時閲覧の要求が正しくありません", "Invalid break-glass request"],
                s("本文は {\"legal_basis\": \"vital_interest\"} としてください（個人情報保護法第27条第1項第2号）。", "The body must be {\"legal_basis\": \"vital_interest\"} (APPI Article 27(1)(ii))."),
                None,
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                ["キーが別の要求に使われています", "Idempotency-Key reused"],
                s("この Idempotency-Key は別の内容の要求に使われています。新しい要求には新しいキーを使ってください。", "This Idempotency-Key was used for a different request; use a new key for a new request."),
                None,
            ),
            RegistrationIdMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "registration-id-mismatch",
                ["登録IDが一致しません", "registration_id mismatch"],
                s("文書の registration_id がURLの登録IDと異なります。", "The document's registration_id differs from the one in the URL."),
                None,
            ),
            ConsentAlreadyWithdrawn => (
                StatusCode::CONFLICT,
                "consent-already-withdrawn",
                ["同意は撤回済みです", "Consent already withdrawn"],
                s("この登録の同意はすでに撤回されています。", "The consent of this registration has already been withdrawn."),
                None,
            ),
            ConsentWithdrawalFinal => (
                StatusCode::CONFLICT,
                "consent-withdrawal-final",
                ["同意の撤回は取り消せません", "Consent withdrawal is final"],
                s("この登録の同意は撤回されています。変更届で同意（consent.withdrawn_on を含む）を削除したり変えたりすることはできません。改めて同意を得たときは、変更届ではなく、新たな同意として POST /v1/registrations/{id}/consent で記録します。", "The consent of this registration has been withdrawn; a change notification may neither remove nor alter the consent (consent.withdrawn_on included). A consent given anew is recorded as its own act with POST /v1/registrations/{id}/consent, not by editing the registration."),
                None,
            ),
            ReceivedByImmutable => (
                StatusCode::CONFLICT,
                "received-by-immutable",
                ["受付機関は変更できません", "received_by cannot be changed"],
                s("変更届では received_by（登録届を受け付けた機関）を変えられません。現在の版と同じ received_by を送ってください。担当の移管は別の手続です。", "A change notification cannot change received_by (the organization that took the registration); send the received_by of the current version. Moving a registration to another organization is a separate act."),
                None,
            ),
            InvalidQuery => (
                StatusCode::BAD_REQUEST,
                "invalid-query",
                ["クエリが正しくありません", "Invalid query"],
                s("クエリ文字列の値が正しくありません。OpenAPI文書で使える値を確認してください。", "A query parameter has a value this endpoint does not accept; see the OpenAPI document."),
                None,
            ),
            ConsentWithdrawn => (
                StatusCode::CONFLICT,
                "consent-withdrawn",
                ["同意が撤回されています", "Consent withdrawn"],
                s("この登録の同意は撤回されているため、情報を提供できません。生命・身体の保護のために必要な場合は、基幹相談支援センター・拠点・市が legal_basis \"vital_interest\" と理由を付けて送ってください。", "The consent of this registration has been withdrawn, so no data may be provided on it. Where needed to protect life, the kikan, hub or city may send with legal_basis \"vital_interest\" and a reason."),
                None,
            ),
            BreakGlassNotAllowed => (
                StatusCode::FORBIDDEN,
                "break-glass-not-allowed",
                ["緊急時の同意によらない提供はできません", "Break-glass not allowed"],
                s("legal_basis \"vital_interest\"（同意によらない提供・閲覧）は、基幹相談支援センター・拠点・市だけが使えます。", "Only the kikan, hub or city may send or read on legal_basis \"vital_interest\"."),
                None,
            ),
            CategoryNotPermitted { category: Some(category) } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "category-not-permitted",
                ["提供できない情報区分です", "Category not permitted"],
                [
                    format!("情報区分 {category} は、同意又は必要最小限の方針により、この送信先・目的には提供できません。"),
                    format!("The data category {category} may not go to this recipient for this purpose (consent or minimum-necessary policy)."),
                ],
                None,
            ),
            CategoryNotPermitted { category: None } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "category-not-permitted",
                ["提供できない情報区分です", "Category not permitted"],
                s("指定された情報区分の1つが、情報区分のコード表（/codelists/data_categories）にありません。", "One of the categories asked for is not a data category of the code list (/codelists/data_categories)."),
                None,
            ),
            NothingPermitted => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "nothing-permitted",
                ["提供できる情報がありません", "Nothing permitted"],
                s("同意と必要最小限の方針により、この送信先・目的に提供できる情報区分がありません。", "Consent and the minimum-necessary policy permit no data category for this recipient and purpose."),
                None,
            ),
            UnknownRecipient => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-recipient",
                ["送信先が登録されていません", "Unknown recipient"],
                s("recipient の組織はこのシステムに登録されていません。", "The recipient organization is not registered with this exchange."),
                None,
            ),
            InvalidHandoffRequest { field } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-handoff-request",
                ["依頼の形が正しくありません", "Invalid handoff request"],
                [
                    format!("項目 {field} がないか、値の形が正しくありません。OpenAPI文書の HandoffRequest を確認してください。"),
                    format!("The field {field} is missing or has a value of the wrong shape; see HandoffRequest in the OpenAPI document."),
                ],
                None,
            ),
            SignatureRefused(refusal) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "signature-refused",
                ["署名を受け付けられません", "Signature refused"],
                [
                    format!("パケットの署名を受け付けられません（{}）。", refusal.code),
                    format!("The packet's signature was not accepted ({}): {}", refusal.code, refusal.message),
                ],
                None,
            ),
            SenderMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "sender-mismatch",
                ["送信元が一致しません", "Sender mismatch"],
                s("パケットの sender と署名した鍵の組織は、APIキーの組織と同じでなければなりません。", "The packet's sender and the organization of its signing key must be the organization of the API key."),
                None,
            ),
            HandoffExists => (
                StatusCode::CONFLICT,
                "handoff-exists",
                ["同じパケットIDがあります", "Handoff exists"],
                s("この handoff_id のパケットはすでにあります。新しいパケットには新しいIDを付けてください。", "A packet with this handoff_id exists already; give a new packet a new id."),
                None,
            ),
            PacketExpired => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "packet-expired",
                ["有効期限が過ぎています", "Packet expired"],
                s("パケットの expires_at が過ぎています。", "The packet's expires_at has passed."),
                None,
            ),
            PacketRefused(failure) => {
                let [en, ja] = failure.message();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "packet-refused",
                    ["パケットを受け付けられません", "Packet refused"],
                    [
                        format!("{ja}（{}）。", failure.code()),
                        format!("The packet was refused ({}): {en}.", failure.code()),
                    ],
                    None,
                )
            }
            IllegalTransition { current } => (
                StatusCode::CONFLICT,
                "illegal-transition",
                ["この状態からは変更できません", "Illegal transition"],
                [
                    format!("この依頼は現在「{current}」です。この応答はその状態の次には来られません（requested → received → accepted/declined、accepted → admitted → completed、未完了ならいつでも cancelled）。"),
                    format!("The handoff is now {current}; this response cannot follow it (requested → received → accepted/declined, accepted → admitted → completed, cancelled from any open state)."),
                ],
                None,
            ),
            HandoffExpired => (
                StatusCode::CONFLICT,
                "handoff-expired",
                ["期限切れです", "Handoff expired"],
                s("受入れが決まる前に有効期限が過ぎたため、この依頼には応答できません。必要なら新しい依頼を送ってください。", "The packet expired before it was accepted; send a new handoff if still needed."),
                None,
            ),
            HandoffCancelled => (
                StatusCode::CONFLICT,
                "handoff-cancelled",
                ["依頼は取り消されています", "Handoff cancelled"],
                s("この受入調整の依頼は取り消されたため、パケットは提供しません。依頼の状態は Accept: application/json で確認できます。", "This handoff was cancelled, so its packet is no longer provided; its state stays readable with Accept: application/json."),
                None,
            ),
            ResponseMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "response-mismatch",
                ["応答の内容が一致しません", "Response mismatch"],
                s("応答の handoff_id はURLと、responder はAPIキーの組織と同じでなければなりません。", "The response's handoff_id must be the one in the URL and its responder the organization of the API key."),
                None,
            ),
            KeyRefused(reason) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "key-refused",
                ["鍵を登録できません", "Key refused"],
                [
                    format!("この鍵は登録できません（{reason}）。P-256 (ES256)、Ed25519、2048ビット以上のRSA の公開鍵を JWK 又は X.509 証明書で送ってください。"),
                    format!("This key cannot be registered ({reason}). Send a P-256 (ES256), Ed25519 or RSA ≥ 2048-bit public key as a JWK or an X.509 certificate."),
                ],
                None,
            ),
            KeyTaken => (
                StatusCode::CONFLICT,
                "key-registered-elsewhere",
                ["鍵は他で登録されています", "Key registered elsewhere"],
                s("この鍵は他の組織が登録しているか、廃止済みです。新しい鍵を作ってください。", "This key is registered by another organization or was retired; make a new key."),
                None,
            ),
            NotAcceptable { available } => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                ["応答形式がありません", "Not acceptable"],
                [format!("Accept には {available} のいずれかを指定してください。"), format!("Accept one of: {available}.")],
                None,
            ),
            TooManyRequests { limited: Limited::Authentication, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                ["要求が多すぎます", "Too many requests"],
                s("このアドレスからの認証の失敗が多すぎるため、しばらく受け付けません。Retry-After の秒数が過ぎてから、正しいAPIキーで送ってください。", "Too many failed authentications came from this address; send again with a valid API key once the Retry-After seconds have passed."),
                None,
            ),
            TooManyRequests { limited: Limited::Validation, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                ["要求が多すぎます", "Too many requests"],
                s("このアドレスからの検証の要求が1分あたりの上限を超えました。Retry-After の秒数が過ぎてから送ってください。多くの文書は /batch にNDJSONでまとめて送れます。", "This address sent more validation requests than the per-minute limit; send again once the Retry-After seconds have passed. Many documents can go as one NDJSON batch to /batch."),
                None,
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                ["サーバー内部のエラー", "Internal error"],
                s("サーバーで問題が起きました。記録しましたので、時間をおいて再度お試しください。", "Something went wrong on the server; it has been logged."),
                None,
            ),
            Status(status) => status_parts(*status),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn slug(&self) -> &'static str {
        self.parts().1
    }

    pub fn to_problem(&self, lang: Lang) -> Problem {
        let (status, slug, title, detail, position) = self.parts();
        let i = usize::from(lang == Lang::En);
        Problem {
            type_: format!("{PROBLEM_BASE}{slug}"),
            title: title[i].to_owned(),
            status: status.as_u16(),
            detail: detail[i].clone(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            report: match self {
                ApiError::InvalidDocument(r) => Some(r.clone()),
                _ => None,
            },
            verdict: match self {
                ApiError::SignatureRefused(r) => Some(r.code),
                ApiError::PacketRefused(f) => Some(f.code()),
                _ => None,
            },
        }
    }

    /// A category refused for this recipient and purpose, named back only if it is a data
    /// category of the code list.
    pub fn category_not_permitted(category: String) -> ApiError {
        let known = crate::validation::Engine::get()
            .policy
            .category_fields
            .contains_key(&category);
        ApiError::CategoryNotPermitted {
            category: known.then_some(category),
        }
    }

    pub fn render(&self, lang: Lang) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(cause = %format!("{cause:#}"), "internal error");
        }
        let problem = self.to_problem(lang);
        let mut res = HttpResponse::build(self.status());
        if let ApiError::MethodNotAllowed { allow } = self {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        if let ApiError::Unauthorized = self {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::IdempotencyKeyInUse | ApiError::RegistrationBusy | ApiError::Busy = self {
            res.insert_header((header::RETRY_AFTER, "1"));
        }
        if let ApiError::TooManyRequests { retry_after, .. } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
            .insert_header((
                header::CONTENT_LANGUAGE,
                if lang == Lang::En { "en" } else { "ja" },
            ))
            .json(problem)
    }
}

fn status_parts(status: StatusCode) -> Parts {
    let (slug, ja, en, dja, den) = match status.as_u16() {
        400 => (
            "bad-request",
            "リクエストが正しくありません",
            "Bad request",
            "リクエストを読めませんでした。",
            "The request could not be read.",
        ),
        404 => (
            "not-found",
            "見つかりません",
            "Not found",
            "このURLには何もありません。",
            "Nothing is here.",
        ),
        405 => (
            "method-not-allowed",
            "このメソッドは使えません",
            "Method not allowed",
            "このURLはこのHTTPメソッドを受け付けません。",
            "This URL does not accept this HTTP method.",
        ),
        406 => (
            "not-acceptable",
            "応答形式がありません",
            "Not acceptable",
            "Acceptヘッダーに合う形式で応答できません。",
            "No representation matches the Accept header.",
        ),
        408 => (
            "request-timeout",
            "時間切れです",
            "Request timeout",
            "リクエストの受信が時間内に終わりませんでした。",
            "The request was not received in time.",
        ),
        411 => (
            "length-required",
            "長さが必要です",
            "Length required",
            "Content-Length が必要です。",
            "Content-Length is required.",
        ),
        413 => (
            "payload-too-large",
            "本文が大きすぎます",
            "Payload too large",
            "本文が上限を超えています。大量の文書は /batch にNDJSONで送ってください。",
            "The body exceeds the limit; send many documents as NDJSON to /batch.",
        ),
        414 => (
            "uri-too-long",
            "URLが長すぎます",
            "URI too long",
            "URLが長すぎます。",
            "The URL is too long.",
        ),
        415 => (
            "unsupported-media-type",
            "この形式は受け付けません",
            "Unsupported media type",
            "Content-Type を確認してください。",
            "Check the Content-Type.",
        ),
        431 => (
            "header-fields-too-large",
            "ヘッダーが大きすぎます",
            "Header fields too large",
            "ヘッダーが大きすぎます。",
            "The header fields are too large.",
        ),
        s if s >= 500 => (
            "internal",
            "サーバー内部のエラー",
            "Internal error",
            "サーバーで問題が起きました。",
            "Something went wrong on the server.",
        ),
        _ => (
            "bad-request",
            "リクエストが正しくありません",
            "Bad request",
            "リクエストを処理できませんでした。",
            "The request could not be processed.",
        ),
    };
    (
        status,
        slug,
        [ja, en],
        [dja.to_owned(), den.to_owned()],
        None,
    )
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.slug())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }
    /// Japanese by default; the problem middleware re-renders in the caller's language.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Ja)
    }
}

impl From<JsonError> for ApiError {
    fn from(e: JsonError) -> Self {
        ApiError::Json(e)
    }
}

impl From<XmlError> for ApiError {
    fn from(e: XmlError) -> Self {
        ApiError::Xml(e)
    }
}

impl From<crate::packet::check::Failure> for ApiError {
    fn from(f: crate::packet::check::Failure) -> Self {
        use crate::packet::check::Failure;
        match f {
            Failure::KeyNotCallers | Failure::SenderMismatch => ApiError::SenderMismatch,
            Failure::Expired => ApiError::PacketExpired,
            Failure::UnknownRecipient => ApiError::UnknownRecipient,
            Failure::ConsentWithdrawn => ApiError::ConsentWithdrawn,
            Failure::BreakGlassNotAllowed => ApiError::BreakGlassNotAllowed,
            Failure::CategoryNotPermitted(category) => ApiError::category_not_permitted(category),
            other => ApiError::PacketRefused(other),
        }
    }
}

impl ApiError {
    /// A store error where contention over one registration is expected (a change
    /// notification, a handoff): a transient one is answered `registration-busy` (503 with
    /// `Retry-After`), any other is internal.
    pub fn contended(e: StoreError) -> ApiError {
        if e.is_transient() {
            ApiError::RegistrationBusy
        } else {
            e.into()
        }
    }
}

/// A transient store error (the database momentarily busy) is `busy`, 503 with `Retry-After`:
/// the request may be sent again and nothing was stored; any other is internal.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            // A query that expects its row found none: the thing the request names is not
            // there (answered like any other unknown id, not as a server failure).
            StoreError::Query(diesel::result::Error::NotFound) => ApiError::NotFound,
            e if e.is_transient() => ApiError::Busy,
            e => ApiError::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Query(e).into()
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("a blocking task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn a_missing_row_is_not_found_a_busy_database_is_busy_and_anything_else_internal() {
        let from = |e: StoreError| ApiError::from(e);
        assert!(matches!(
            from(StoreError::Query(Error::NotFound)),
            ApiError::NotFound
        ));
        let locked = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_owned()),
        );
        assert!(matches!(from(StoreError::Query(locked)), ApiError::Busy));
        assert!(matches!(
            from(StoreError::Write("disk I/O error".into())),
            ApiError::Internal(_)
        ));
    }
}
