//! The operations of the API in Japanese and English: a short summary of each
//! (`日本語 — English`) for the operation lists of Swagger UI, Redoc and generated clients, and a
//! Japanese description that comes before the English one, which is the handler's own
//! documentation. Japanese readers (a city's IT section, vendors' engineers) read the first
//! paragraph; the English follows it unchanged.
use serde_json::Value;

/// (method, path, Japanese summary, English summary, Japanese description). The Japanese
/// description says what the handler's documentation says, no more and no less: a change to
/// one is a change to the other.
const OPERATIONS: [(&str, &str, &str, &str, &str); 48] = [
    (
        "get",
        "/",
        "このAPIの自己紹介",
        "About this API",
        "このAPIの自己紹介です。バージョンと、\
         すべての契約およびエンドポイントへのリンクを返します。",
    ),
    (
        "get",
        "/.well-known/jwks.json",
        "パケット検証用の公開鍵",
        "Public keys that verify packets",
        "パケットの検証に使う公開鍵（RFC 7517のJWK Set）です。交換所自身の署名鍵と、\
         各組織が登録した鍵を含み、それぞれRFC 7638のサムプリントを`kid`とし、\
         アルゴリズムを1つだけ持ちます。ローテーションした鍵も、廃止されるまではここに残り、\
         検証に使われ続けます。",
    ),
    (
        "get",
        "/codelists",
        "コード表の一覧",
        "List code lists",
        "すべてのコード表を一覧します（検証メッセージのカタログ`messages`と、問題の種類\
         （problem type）の一覧`problems`を含みます）。",
    ),
    (
        "get",
        "/codelists/{name}",
        "コード表",
        "Get a code list",
        "`ja`（日本語）と`en`（英語）のラベルを持つコード表を1つ返します。`messages`\
         は検証メッセージIDのカタログ、`problems`は問題の種類（problem type）のカタログです。",
    ),
    (
        "get",
        "/health",
        "稼働確認",
        "Health check",
        "稼働確認（liveness）です。プロセスが起動しており、\
         契約のコンパイルが済んでいることを示します。",
    ),
    (
        "get",
        "/openapi.json",
        "このOpenAPI文書",
        "This OpenAPI document",
        "このAPIのOpenAPI 3.1文書です（`openapi/openapi.json`と同じものです）。",
    ),
    (
        "get",
        "/policies/{name}",
        "公開ポリシー",
        "Get a published policy",
        "公開しているポリシーを返します。`minimization`（最小化ポリシー）は、\
         提供先の役割ごと・利用目的ごとに必要なデータ区分を列挙したものです。",
    ),
    (
        "get",
        "/schemas",
        "スキーマの一覧",
        "List schemas",
        "公開しているすべてのJSON Schemaを、正規の`$id`とともに一覧します。",
    ),
    (
        "get",
        "/schemas/{name}/{version}",
        "JSON Schema（文書の契約）",
        "Get a JSON Schema",
        "JSON Schemaを1つ、公開したとおりのバイト列のまま返します（`application/schema+json`、\
         強いETag付き）。",
    ),
    (
        "get",
        "/schemas/{name}/{version}.xsd",
        "XML Schema（XML形式の契約）",
        "Get an XML Schema",
        "文書の種類ごとに、そのXML形式のXML Schema（XSD 1.0）を返します（`application/xml`、\
         強いETag付き）。文書のJSON Schemaから生成したものです（docs/spec/xml-mapping.md §3）。\
         要素名、名前空間、入れ子の構造、値の型、コード値を検査します。\
         要素の有無と出現回数の検査は、JSON Schemaによる検証に委ねます。",
    ),
    (
        "get",
        "/v1/audit",
        "アクセス記録",
        "Access record",
        "アクセス記録（誰が、誰のデータの、どのデータ区分を、いつ、何のために読み書きしたか）\
         を返します。市町村と基幹相談支援センターが参照でき、古い順に返します。\
         組織・記録・操作・日時で絞り込めます。追記のみの記録で、\
         APIにはこれを変更・削除する操作はありません。",
    ),
    (
        "get",
        "/v1/facilities",
        "事業所の検索",
        "Search facilities",
        "事業所の受入れ能力情報を検索します。条件は、サービスの種類とその類型、\
         空きの有無とその情報の新しさ、医療的ケア、行動障害への対応、支援の対象、事業所の群、\
         拠点等の機能、緊急用居室、区です。結果は事業所番号の順に、1ページずつ返します：\
         `{\"items\": [record…], \"next_after\": id | null}`。",
    ),
    (
        "get",
        "/v1/facilities/{facility_id}",
        "事業所の受入れ能力情報",
        "Get a facility record",
        "事業所の受入れ能力情報を読み出します。交換所のすべての組織が、\
         すべての事業所の情報を読めます（個人データを含まないため）。",
    ),
    (
        "put",
        "/v1/facilities/{facility_id}",
        "事業所の受入れ能力情報の登録・更新",
        "Upload a facility record",
        "事業所が自らの受入れ能力情報を登録します（JSONまたはXML）。初回の登録は`If-Match`\
         なしで行います（201）。2回目以降は、置き換える版を`If-Match`で指定します\
         （指定がなければ428、古い版を指定すると412）。\
         情報を書き込めるのはその事業所自身だけです（事業所の組織IDは事業所番号です）。\
         `survey_group`（事業所の群）は、サーバーが調査項目の回答から導き出して設定します。",
    ),
    (
        "patch",
        "/v1/facilities/{facility_id}/vacancies",
        "空き状況の更新",
        "Update vacancies",
        "事業所が毎日行う空き状況の更新です。一部のサービスについて新しい`vacancies`（空き）を\
         `as_of`の時点付きで送り、情報の次の版として記録します。\
         情報全体を登録し直すより軽い操作です。数値は差分ではなく絶対値なので`If-Match`\
         は任意で、指定した場合は照合します。",
    ),
    (
        "get",
        "/v1/handoffs",
        "受入調整の一覧",
        "List handoffs",
        "呼び出した組織が送信または受信した受入調整（ハンドオフ）を、古い順に一覧します\
         （事業所は`?direction=received&status=requested`で新しい依頼を定期的に確認します）。\
         基幹相談支援センター、拠点コーディネーター、市町村は、\
         担当する市町村の範囲の人に関するすべての受入調整を参照できます（範囲の指定がなければ、\
         すべての受入調整）。一覧に個人データは含みません。内容はパケットを取得して読みます。",
    ),
    (
        "post",
        "/v1/handoffs",
        "受入調整パケットの送信",
        "Send a handoff packet",
        "受入調整パケット（緊急時の受入調整）を送信します。パケットは次のいずれかで用意します。\
         一つは、サーバーが組み立てる方法です。JSONの`HandoffCreateRequest`を送ると、パケットの\
         `subject`は「登録の内容」∩「その送信先と利用目的について同意が認める範囲」∩\
         「その利用目的に必要な項目」となり、許可リストに基づいて組み立てられます。もう一つは、\
         送信元が登録済みの鍵で自ら署名したパケット（`application/jose`のコンパクトJWS、\
         または署名付きの`application/xml`）を送る方法です。いずれの場合も、パケットを検証し、\
         両方の署名形式で保存し、提供記録を作成します。同意が撤回されていると、\
         生命・身体の保護のためのパケット（ブレークグラス。\
         基幹相談支援センター・拠点コーディネーター・市町村のみ、理由が必要）を除き、\
         パケットは一切送れません。生命・身体の保護のためのパケットには、\
         アクセス記録にその旨の印が付きます。",
    ),
    (
        "get",
        "/v1/handoffs/{id}",
        "受入調整パケットの取得",
        "Get a handoff",
        "受入調整を読み出します。形式は`Accept`で選びます。`application/jose`（既定）\
         ではパケットをコンパクトJWSで、`application/xml`ではエンベロープ署名（XMLDSig）\
         付きのXMLで返します。どちらも同じ内容を持ち、そのJCS SHA-256は`Kyoten-Content-SHA256`\
         に入ります。`application/json`では、\
         個人データを除いた受入調整の状態とその応答を返します。受入調整を参照できるのは、\
         送信元、送信先、および（担当する市町村の範囲内の）\
         基幹相談支援センター・拠点コーディネーター・市町村だけです。\
         送信先がパケットを取得すると、受領の提供記録を作成し、`requested`の受入調整は\
         `received`になります。送信先がパケットを受け取れるのは、取得済みかどうかにかかわらず、\
         そのデータを持ってよい間だけです。受入調整が取り消された場合\
         （409 `handoff-cancelled`）、登録の同意が撤回された場合（409 `consent-withdrawn`。\
         ただし生命・身体の保護のためのパケットは引き続き渡します）、\
         パケットが受入れ可とならないまま有効期限を過ぎた場合（409 `handoff-expired`）\
         は受け取れず、そのときは何も記録しません。状態（`application/json`）\
         は引き続き読めます。",
    ),
    (
        "post",
        "/v1/handoffs/{id}/responses",
        "受入調整への回答",
        "Answer a handoff",
        "`handoff_response`文書（JSONまたはXML）で受入調整に応答します\
         （FHIR Taskと360Xにならっています）。送信先は状態を\
         `requested → received → accepted | declined`、および`accepted → admitted → completed`\
         と進めます（事後報告`report`は`completed`とともに送ります）。送信元、送信先、\
         基幹相談支援センター、拠点コーディネーター、市町村は、\
         受入調整が終わっていない間はこれを取り消せます。`expires_at`\
         までに受入れ可とならなかったパケットは期限切れになります。\
         これ以外の操作は409で拒否します。\
         例は`POST /v1/handoffs`の例で送った受入調整への応答です。その応答の`handoff_id`を\
         パスと本文に入れてください。",
    ),
    (
        "get",
        "/v1/intakes",
        "緊急時受付の一覧",
        "List emergency intakes",
        "緊急時受付を古い順に一覧します。基幹相談支援センター、拠点コーディネーター、市町村には\
         （担当する市町村の範囲内の）すべての受付を、\
         相談支援事業所には自らが受け付けたものを返します。一覧に個人データは含みません。\
         内容は個々の受付を読み出して確認します。一覧の参照は記録されます。",
    ),
    (
        "post",
        "/v1/intakes",
        "緊急時受付（事前情報のない新規ケース）",
        "Record an emergency intake",
        "登録のない人の緊急時受付（緊急時受付票）を記録します。内容は、\
         受入れ先を探して依頼するのに必要な事項（生年月日または年齢、性別、区、障害者手帳等、\
         医療的ケア、行動面の支援、緊急時の状況とその緊急度）だけで、\
         氏名・住所・電話番号は含めません。JSONまたはXMLで送ります。まず検証し、\
         不適合なものは検証結果の報告を付けて拒否します。サーバーが`intake_id`を割り当て、\
         保存した文書を返します。記録できるのは基幹相談支援センター、拠点コーディネーター、\
         市町村、相談支援事業所で、`received_by`（受付機関）は呼び出した組織自身です。",
    ),
    (
        "get",
        "/v1/intakes/{id}",
        "緊急時受付の取得",
        "Get an emergency intake",
        "緊急時受付を読み出します。読めるのは、その受付をした組織と、\
         （担当する市町村の範囲内の）基幹相談支援センター・拠点コーディネーター・市町村です。\
         それ以外の組織には、存在しないものとして扱います（404）。\
         読み出しはすべて記録されます。",
    ),
    (
        "get",
        "/v1/intakes/{id}/candidates",
        "受入れ先候補（新規ケース）",
        "Candidates for an intake",
        "登録のない人について、連絡すべき事業所を優先順に返します。順序は、空きのあるA群の事業所\
         （事前情報のない新規ケースを受け入れたことがある）、次に空きのあるB群・C群、\
         次に当日のつなぎとしての拠点等の緊急用居室です。\
         このような人については何も事前調整されていないため、医療型短期入所は除きます\
         （`medical_short_stay_unannounced`）。短期入所は、受付の状況が`caregiver_unavailable`\
         のときだけ探します。登録者の候補と同じく、各候補にはその理由を、\
         除いた事業所にはそれぞれの理由を付けます。参照できるのは緊急時受付と同じ組織で、\
         参照は記録されます。",
    ),
    (
        "get",
        "/v1/keys",
        "登録した公開鍵の一覧",
        "List registered keys",
        "呼び出した組織が登録した公開鍵を、新しい順に、廃止したものも含めて返します。",
    ),
    (
        "post",
        "/v1/keys",
        "公開鍵の登録",
        "Register a public key",
        "呼び出した組織の公開鍵を、その組織が送信するパケットへの署名用に登録します。\
         公開鍵はJWK（`application/jwk+json`または`application/json`）か、PEM形式のX.509証明書\
         （`application/x-pem-file`または`application/pem-certificate-chain`）で送ります。鍵の\
         `kid`はRFC 7638のサムプリントで、アルゴリズムは登録時に固定されます。\
         同じ鍵をもう一度登録すると、200でその鍵を返します。",
    ),
    (
        "get",
        "/v1/keys/{kid}",
        "公開鍵の取得",
        "Get a public key",
        "呼び出した組織の公開鍵を1つ、廃止済みかどうかにかかわらず返します。`POST /v1/keys`が\
         `Location`で新しい鍵の場所として示すのが、この操作です。",
    ),
    (
        "post",
        "/v1/keys/{kid}/retire",
        "公開鍵の廃止",
        "Retire a key",
        "呼び出した組織の鍵を廃止します。以後、その鍵は検証に使われず、JWK Setにも現れません\
         （それ以前にその鍵で署名されたパケットは、提供記録とともに保存されたままです）。",
    ),
    (
        "get",
        "/v1/notices",
        "お知らせ",
        "Notices",
        "呼び出した組織宛てのお知らせを古い順に返します。お知らせは、共有した写し\
         （平時の情報共有）が登録の変更後に再送された写しに置き換えられたこと、\
         または本人の同意が撤回されたか、\
         もはやその提供を認めなくなったためにパケットが取り消されたことを知らせます。直前の\
         `next_after`を指定して、定期的に確認します。",
    ),
    (
        "get",
        "/v1/provisions",
        "提供記録",
        "Provision records",
        "提供記録（個人情報保護法第29条・第30条）です。\
         提供したすべてのパケットと受領したすべてのパケットについて、日時、送信元、送信先、\
         本人、データ区分、利用目的、法的根拠、同意の参照、\
         やり取りしたバイト列そのもののSHA-256、鍵IDを返します。\
         市町村と基幹相談支援センターが、古い順に参照できます。少なくとも3年間保存し、\
         APIにはこれを変更・削除する操作はありません。",
    ),
    (
        "get",
        "/v1/registrations",
        "登録の一覧",
        "List registrations",
        "呼び出した組織が参照できる登録を一覧します。市町村、基幹相談支援センター、\
         拠点コーディネーターには（担当する市町村の範囲内の）すべての登録を、\
         相談支援事業所には自らが担当するものを返します。区、状態、最終変更の日時、見直しの期限\
         （`review_due_by`：その日までに期限が来る見直しと、期限を過ぎた見直し）\
         で絞り込めます。結果は登録IDの順に、1ページずつ返します。事業所は登録を参照できません\
         （403）。",
    ),
    (
        "post",
        "/v1/registrations",
        "緊急時利用登録届の提出",
        "Submit a registration",
        "新しい緊急時利用登録届を、JSONまたはXMLで提出します。まず検証し、\
         不適合なものは検証結果の報告を付けて拒否し、何も保存しません。サーバーが\
         `registration_id`を割り当て、保存した文書を返します（版1、`ETag: \"1\"`）。\
         `from_intake`を指定すると、その緊急時受付の人についての登録になります。\
         その受付は呼び出した組織が読めるものでなければならず、登録と結び付けられます。",
    ),
    (
        "get",
        "/v1/registrations/{id}",
        "登録の取得",
        "Get a registration",
        "登録の現在の版を読み出します。読めるのは、担当の相談支援事業所\
         （別の事業所が指定されるまでは、受け付けた相談支援事業所）と、\
         （担当する市町村の範囲内の）基幹相談支援センター・拠点コーディネーター・市町村です。\
         それ以外の組織には、存在しないものとして扱います（404）。\
         読み出しはすべてアクセス記録に記録されます。",
    ),
    (
        "put",
        "/v1/registrations/{id}",
        "変更届",
        "Change a registration",
        "変更届です。変更後の登録全体を送り、次の版として記録します。`If-Match`\
         には変更する版のETagを指定しなければなりません（指定がなければ428、\
         先に別の変更があれば412）。登録を変更できるのは、担当の相談支援事業所、\
         基幹相談支援センター、拠点コーディネーターです。市町村は読めますが、変更はできません\
         （403）。記録された同意の撤回は取り消せません。`consent.withdrawn_on`\
         を削除または変更する変更届は拒否します（409）。登録と異なる`received_by`\
         を記載した変更届も同様に拒否します。",
    ),
    (
        "post",
        "/v1/registrations/{id}/break-glass-read",
        "同意撤回後の緊急閲覧",
        "Break-glass read",
        "人の生命・身体の保護（個人情報保護法第27条第1項第2号）を根拠に、\
         登録の現在の版の全体を読み出します。同意の撤回後は、\
         読み出しても本人の識別情報と状態しか示さず、それ以外を読む唯一の方法がこの操作です。\
         使えるのは基幹相談支援センター、拠点コーディネーター、市町村です。本文は\
         `{\"legal_basis\": \"vital_interest\"}`です。\
         この読み出しは独立したアクセスとして記録されます（`break_glass_read`、利用目的\
         `vital_interest`、すべてのデータ区分）。",
    ),
    (
        "get",
        "/v1/registrations/{id}/candidates",
        "受入れ先候補（登録者）",
        "Candidates for a registered person",
        "登録者の緊急時に連絡すべき事業所を、優先順に返します。順序は、\
         登録で事前調整していた事業所、次に空きのあるA群の事業所、次に空きのあるB群・C群、\
         次に緊急用居室を持つ拠点等の事業所です。医療型短期入所は、\
         その事業所が事前情報を持たない（事前調整していない）人については除きます。短期入所は、\
         緊急時の状況が`caregiver_unavailable`であり、登録の理由にも`caregiver_unavailable`\
         がある場合に限り候補とします。サービスは、\
         本人に必要な医療的ケアと行動面の支援に対応し、\
         本人が該当する支援の対象を受け入れるものでなければなりません。各候補には`reasons`\
         （`prearranged`、`survey_group_a`、`has_vacancy`、`vacancy_stale`、`same_ward`、\
         `medical_care_covered`、`hub_emergency_room`など）を付けます。除いた事業所にはその理由\
         （`medical_short_stay_unannounced`、`medical_care_not_covered`、\
         `behavioral_support_not_offered`、`target_not_taken`、`no_vacancy`、\
         `not_ready_for_emergency`、`urgency=same_day`のときの`lead_time_not_same_day`と\
         `group_c_not_same_day`、`emergency_room_in_use`）を付けます。\
         過去24時間以内にこの人について依頼した事業所には`already_asked`または`accepted`\
         の印を付け、`declined`の事業所は除いて、次の事業所を繰り上げます。\
         参照できるのは登録と同じ組織で、参照は記録されます。",
    ),
    (
        "post",
        "/v1/registrations/{id}/consent",
        "同意の再取得",
        "Record a new consent",
        "同意の再取得を記録します。同意の撤回後に本人が改めて同意した場合や、\
         現在の同意に代わる同意をした場合に使います。登録の編集ではなく、\
         それ自体が独立した行為です。本文は新しい`consent`オブジェクトで（`granted_on`\
         は現在の同意の同意日より後で、撤回日より前でないこと。`granted_by`、`method`、\
         `provisions`を含み、`withdrawn_on`は含めない）、登録全体とあわせて検証します。\
         登録は次の版となって有効（`active`）になり、履歴に`grant_consent`の項目が、\
         アクセス記録に`grant_consent`が残ります。記録できるのは、担当の相談支援事業所、\
         基幹相談支援センター、拠点コーディネーターです。応答には登録ID、版、状態、\
         同意だけを含みます。",
    ),
    (
        "post",
        "/v1/registrations/{id}/consent-withdrawal",
        "同意の撤回",
        "Withdraw consent",
        "本人が同意を撤回したこと（同意の撤回）を、日本時間の本日付で記録します。\
         登録は次の版となり、`consent.withdrawn_on`が設定され、状態は`consent_withdrawn`\
         になります。登録は提供記録のために保持しますが、\
         以後その登録から情報を共有することはなく、\
         読み出しても本人の識別情報と状態しか示しません。撤回を記録できるのは、\
         担当の相談支援事業所、基幹相談支援センター、拠点コーディネーターです。応答には登録ID、\
         版、状態、同意だけを含み、個人データは含みません\
         （撤回のアクセス記録にもデータ区分は記載されません）。",
    ),
    (
        "get",
        "/v1/registrations/{id}/meetings",
        "顔合わせ等の記録の一覧",
        "List meetings",
        "登録に関する顔合わせ等の記録を、実施日の順に返します。参照できるのは登録と同じ組織で、\
         参照は記録されます。",
    ),
    (
        "post",
        "/v1/registrations/{id}/meetings",
        "顔合わせ等の記録",
        "Record a meeting",
        "登録に関する顔合わせ・見学・体験利用・担当者会議を記録します。記録するのは、実施日、\
         参加した組織、本人と家族の参加の有無、関係する事業所、結果で、コードとIDだけです\
         （自由記述はありません）。記録できるのは、担当の相談支援事業所、基幹相談支援センター、\
         拠点コーディネーターで、この記録はアクセス記録（`record_meeting`）として残ります。",
    ),
    (
        "get",
        "/v1/registrations/{id}/responsible-office",
        "担当の相談支援事業所",
        "Responsible office",
        "登録の担当の相談支援事業所と、これまでのすべての指定を古い順に返します。`received_by`\
         は届を受け付けた組織で、変わることはありません。参照できるのは登録と同じ組織で、\
         参照は記録されます。",
    ),
    (
        "put",
        "/v1/registrations/{id}/responsible-office",
        "担当の相談支援事業所の指定・変更",
        "Assign the responsible office",
        "登録の担当の相談支援事業所を指定または変更します。\
         相談支援事業所のいない人の届を基幹相談支援センターが受け付けて後から指定する場合\
         （別紙2-2）や、本人が相談支援事業所を変える場合に使います。本文は\
         `{\"organization_id\": \"<相談支援事業所の組織ID>\"}`です（担当なしにするときは\
         `null`）。以後は新しい事業所がこの登録を自らの担当として読み、変更し、\
         前の事業所はできなくなります。指定するのは基幹相談支援センター、拠点コーディネーター、\
         市町村です。既に担当している事業所を指定しても何も変わりません。すべての指定を保存し、\
         アクセス（`assign_office`）として記録します。",
    ),
    (
        "post",
        "/v1/registrations/{id}/review",
        "見直しの記録",
        "Record a review",
        "登録を本日見直し、変更の必要がなかったこと（見直し）を記録します。\
         変更届と同意の再取得は、それ自体が見直しとして扱われます。次の見直しの期限は、\
         市町村が定めた間隔（別に定めていなければ12か月）の後です。見直しを記録できるのは、\
         担当の相談支援事業所、基幹相談支援センター、拠点コーディネーターです。版は変わらず、\
         見直しはアクセス記録（`review`、データ区分なし）として残ります。本文は不要です。",
    ),
    (
        "get",
        "/v1/registrations/{id}/versions",
        "登録の履歴",
        "Registration history",
        "登録のすべての版を古い順に返します。最初の提出と、変更届、同意の撤回、\
         同意の再取得のそれぞれによる版です。参照できるのは、登録そのものと同じ組織です。",
    ),
    (
        "get",
        "/v1/reports/operations",
        "運用状況の報告",
        "Operations report",
        "年度（4月〜翌年3月、日本時間）の運用状況の報告です。内容は、\
         登録の受付・変更・撤回の件数、年度末時点で有効な登録の件数、\
         新規登録の区ごと・理由ごとの件数、登録のない人の緊急時受付（区ごと・状況ごとの件数と、\
         そのうち登録に至った件数）、事業所の群・拠点等の機能・緊急用居室・サービスの種類ごとの\
         数（年度末時点の情報による）、受入れ先候補の照会の件数\
         （登録者について・緊急時受付について）、\
         受入調整の結果ごと・利用目的ごとの件数とブレークグラスの件数です。数値だけで、\
         個人データは含みません。市町村、基幹相談支援センター、\
         拠点コーディネーターが参照できます。`Accept: text/csv`を指定すると、\
         同じ数値を表計算ソフト向けのCSVで返します（BOM付きUTF-8、\
         1行に1つの数値：項目, 内訳, 値, key, item）。",
    ),
    (
        "post",
        "/v1/search/registrations",
        "本人の検索",
        "Find a person",
        "電話を受けている間に本人を探します（本人の検索）。氏名（フリガナまたは表記のとおり、\
         前方一致）、生年月日、電話番号で、呼び出した組織が参照できる登録の中から探します。\
         対象は、市町村、基幹相談支援センター、拠点コーディネーターには\
         （担当する市町村の範囲内の）すべての登録、相談支援事業所には自らが担当する登録です。\
         氏名か電話番号のどちらかが必要です。一覧には本人の確認に必要な事項だけを示し、\
         示した登録はそれぞれアクセス記録に記録されます（`search`、データ区分`identity`、\
         指定した利用目的）。同意を撤回した登録は、氏名と生年月日では見つかりますが、\
         電話番号では見つからなくなります。",
    ),
    (
        "post",
        "/v1/validate/{document_type}",
        "文書の検証",
        "Validate a document",
        "文書1件（JSONまたはXML）を、\
         その文書が宣言するスキーマの版とすべての規則に照らして検証します。本文が文書であれば、\
         常に200で検証結果の報告を返します。何も保存しません。",
    ),
    (
        "post",
        "/v1/validate/{document_type}/batch",
        "文書の一括検証",
        "Validate documents in bulk",
        "多数の文書を一括で検証します。NDJSONで受け取り、入力1行につき1行のNDJSONの報告を、\
         入力が届くそばから順に返します（文書の数が増えてもメモリ使用量は増えません）。",
    ),
    (
        "post",
        "/v1/verify",
        "署名付きパケットの検証",
        "Verify a signed packet",
        "署名付きのパケットを、コンパクトJWS（`application/jose`）でもエンベロープ署名付きのXML\
         （`application/xml`）でも、交換所に登録された鍵で検証します\
         （パケットが自ら持ち込む鍵は使いません）。続いて内容を検証し（XMLでは、\
         JSONへの対応付けで正確に表せないものは`KY-XML-*`のエラーです）、\
         受入調整パケットであれば、署名者が送信元であること、`issued_at`（未来でないこと）、\
         有効期間（上限を超えないこと）と有効期限、呼び出した組織がその当事者\
         （または基幹相談支援センター・拠点コーディネーター・市町村）であること、\
         保存されている同意を確認します。同意を確認するのは、呼び出した組織が読める登録、\
         またはその組織が受入調整を持つ登録の場合だけです（`consent_checked`）。\
         パケットの送信時に行う検査や`kyoten verify`と同じ検査です。\
         本文がパケットとして送られたものであれば、常に200で判定結果を返します。\
         何も保存しません。",
    ),
];

/// Sets each operation's summary and description: the Japanese description, a blank line, then
/// what the handler's documentation said.
pub(super) fn declare(doc: &mut Value) {
    for (method, path, ja, en, ja_description) in OPERATIONS {
        let op = super::openapi::operation_part(doc, path, method, &[]);
        let Some(op) = op.and_then(Value::as_object_mut) else {
            continue;
        };
        let english = [op.get("summary"), op.get("description")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|t| !t.is_empty());
        let long = std::iter::once(ja_description)
            .chain(english)
            .collect::<Vec<_>>()
            .join("\n\n");
        op.insert("description".into(), Value::String(long));
        op.insert("summary".into(), Value::String(format!("{ja} — {en}")));
    }
}
