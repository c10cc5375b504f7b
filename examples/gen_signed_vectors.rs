//! Writes the signed-packet conformance vectors (`conformance/vectors/signed/`): valid packets
//! for every algorithm and form, every attack case with the verdict kyoten gives it, the test
//! keys and their JWK Set, and `manifest.json`. The keys in `keys/` are reused (created only
//! when missing), so the verdicts stay the same; ECDSA signatures are randomized, so the bytes
//! of a regenerated set differ.
//! usage: cargo run --example gen_signed_vectors -- conformance/vectors/signed
#![allow(clippy::unwrap_used)] // a development tool: a panic here is its error report
use kyoten::conformance::signing::{self, Attack, Keys};
use kyoten::contracts::DocumentType;
use kyoten::crypto::jws::{Alg, SigningKey};
use kyoten::crypto::keys;
use kyoten::packet;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, signing::Error>;

/// The instant every verdict of the manifest holds at (`verify_at`; `kyoten verify --at`): the
/// handoffs are issued at 10:15 that day and expire at 22:15, within any lifetime bound, so a
/// verifier with a clock of its own checks them as of this instant.
const VERIFY_AT: &str = "2026-01-20T12:00:00+09:00";
/// Where the signature profile states the rules of a packet's form: JWS, or XMLDSig over an
/// XML form that must say exactly what its JSON form says.
const JWS_PROFILE: &str = "docs/spec/signatures.md §2";
const XML_PROFILE: &str = "docs/spec/signatures.md §3, docs/spec/xml-mapping.md §1.7";

/// Where the signature profile states the rule an attack breaks: the keys (§1), the form's own
/// rules (JWS §2, XMLDSig §3) or time (§4); XML that says more than its JSON form also breaks
/// the mapping's exactness.
fn attack_spec(attack: Attack) -> &'static str {
    match (attack.verdict(), attack.form()) {
        ("unknown_key", _) => "docs/spec/signatures.md §1",
        ("issued_in_future" | "lifetime_too_long", _) => "docs/spec/signatures.md §4",
        ("algorithm_mismatch" | "key_in_packet", packet::Form::Jws) => {
            "docs/spec/signatures.md §1, docs/spec/signatures.md §2"
        }
        ("algorithm_mismatch", packet::Form::Xml) => {
            "docs/spec/signatures.md §1, docs/spec/signatures.md §3"
        }
        ("invalid_content", packet::Form::Xml) => XML_PROFILE,
        (_, packet::Form::Jws) => JWS_PROFILE,
        (_, packet::Form::Xml) => "docs/spec/signatures.md §3",
    }
}

const KEYS_README: &str = "\
# Test keys — never trust them

These private keys are published on purpose: they sign the conformance vectors next to
this folder, so anyone can check a verifier against them. **They are test keys. Never
register them with a production exchange, never put `jwks.json` into a production trust
store, never sign real data with them.**

| file | key | algorithm pinned in `jwks.json` |
|---|---|---|
| `es256.pem` | EC P-256 | ES256 |
| `ed25519.pem` | Ed25519 | Ed25519 |
| `ps256.pem` | RSA 2048 | PS256 |
| `rs256.pem` | RSA 2048 | RS256 |
| `facility-es256.pem` | EC P-256 | ES256 (the responding facility's key) |
| `untrusted-es256.pem` | EC P-256 | — (not in `jwks.json`: the attacker's key) |

The private keys are PKCS#8 PEM. `jwks.json` is the JWK Set of the five trusted public keys;
each `kid` is the RFC 7638 SHA-256 thumbprint of the key, each key has exactly one `alg`, and
each names its owner in `kyoten_owner` (`{\"organization_id\": …}`): the first four are the
sending consultation office's, `facility-es256.pem` the responding facility's.
";

/// One vector of the manifest.
struct Vector {
    file: String,
    form: &'static str,
    verdict: &'static str,
    findings: Option<Vec<&'static str>>,
    description: String,
    description_ja: String,
    spec: &'static str,
}

struct Writer {
    dir: PathBuf,
    vectors: Vec<Vector>,
}

impl Writer {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        file: &str,
        bytes: &[u8],
        verdict: &'static str,
        findings: Option<Vec<&'static str>>,
        description: &str,
        description_ja: &str,
        spec: &'static str,
    ) -> Result<()> {
        let path = self.dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let form = match packet::Form::sniff(bytes) {
            packet::Form::Xml => "xml",
            packet::Form::Jws => "jws",
        };
        self.vectors.push(Vector {
            file: file.to_owned(),
            form,
            verdict,
            findings,
            description: description.to_owned(),
            description_ja: description_ja.to_owned(),
            spec,
        });
        Ok(())
    }

    fn manifest(&self) -> Value {
        let vectors: Vec<Value> = self
            .vectors
            .iter()
            .map(|v| {
                let mut entry = json!({
                    "file": v.file,
                    "form": v.form,
                    "verdict": v.verdict,
                });
                if let Some(findings) = &v.findings {
                    entry["findings"] = json!(findings);
                }
                entry["description"] = json!(v.description);
                entry["description_ja"] = json!(v.description_ja);
                entry["spec"] = json!(v.spec);
                entry
            })
            .collect();
        json!({"keys": "keys/jwks.json", "verify_at": VERIFY_AT, "vectors": vectors})
    }
}

/// The key in `keys/{name}`, created first when it is missing.
fn load_key(dir: &Path, name: &str, alg: Alg) -> Result<SigningKey> {
    let path = dir.join("keys").join(name);
    if !path.exists() {
        std::fs::create_dir_all(dir.join("keys"))?;
        std::fs::write(
            &path,
            signing::new_private_key(alg)?.private_key_to_pem_pkcs8()?,
        )?;
        eprintln!("created {}", path.display());
    }
    let pem = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(keys::signing_key_from_pem(&pem, Some(alg)).map_err(|e| format!("{name}: {e}"))?)
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// What an attack vector is, in English and Japanese (the manifest's descriptions).
fn describe(attack: Attack) -> (&'static str, &'static str) {
    match attack {
        Attack::PayloadByteChanged => (
            "A valid ES256 handoff JWS with one byte of the payload changed (registration_ref.version \
             2 → 3); header and signature untouched.",
            "有効なES256署名のハンドオフJWSのペイロードを1バイトだけ変更（registrat\
             ion_ref.version 2 → 3）。ヘッダーと署名はそのまま。",
        ),
        Attack::SignatureByteChanged => (
            "A valid ES256 handoff JWS with one bit of the signature's eleventh byte flipped.",
            "有効なES256署名のハンドオフJWSの署名の11バイト目を1ビット反転したもの。",
        ),
        Attack::AlgRelabelledEs256ToRs256 => (
            "Signed ES256 by the trusted ES256 key, but the header says alg RS256: the algorithm \
             is the one pinned to the key, never the header's choice.",
            "信頼済みES256鍵でES256署名されているが、ヘッダーのalgはRS256。アルゴリ\
             ズムは鍵に固定されたものであり、ヘッダーでは選べない。",
        ),
        Attack::AlgHs256 => (
            "alg HS256, the MAC keyed with the trusted ES256 key's public PEM (the key-confusion \
             attack): HMAC is never accepted.",
            "alg HS256。信頼済みES256鍵の公開鍵PEMをHMACの鍵にしたもの（鍵混同攻\
             撃）。HMACは受け付けない。",
        ),
        Attack::AlgNone => (
            "alg none with an empty signature (an unsecured JWS).",
            "alg none、署名が空（保護されていないJWS）。",
        ),
        Attack::CritUnknown => (
            "Validly signed by the trusted ES256 key, with a crit header naming an extension \
             (kyoten-ext) no verifier knows.",
            "信頼済みES256鍵で正しく署名されているが、ヘッダーのcritが未知の拡張（kyote\
             n-ext）を指定している。",
        ),
        Attack::JwkInHeader => (
            "Signed by the attacker's key (keys/untrusted-es256.pem), whose public JWK is embedded \
             in the header: keys come only from the trusted set, never from the packet.",
            "攻撃者の鍵（keys/untrusted-es256.pem）で署名し、その公開JWKを\
             ヘッダーに埋め込んだもの。鍵は信頼済みの鍵集合からのみ取り、パケットからは取らない。",
        ),
        Attack::JkuInHeader => (
            "Signed by the attacker's key, with a jku header pointing at the attacker's JWK Set.",
            "攻撃者の鍵で署名し、ヘッダーのjkuで攻撃者のJWKセットを指したもの。",
        ),
        Attack::X5uInHeader => (
            "Signed by the attacker's key, with an x5u header pointing at the attacker's certificate.",
            "攻撃者の鍵で署名し、ヘッダーのx5uで攻撃者の証明書を指したもの。",
        ),
        Attack::UntrustedKey => (
            "A well-formed ES256 handoff JWS signed by keys/untrusted-es256.pem, whose kid is \
             not in keys/jwks.json.",
            "形式は正しいES256署名のハンドオフJWSだが、署名鍵keys/untrusted-e\
             s256.pemのkidがkeys/jwks.jsonにない。",
        ),
        Attack::PayloadDuplicateKey => (
            "Validly signed by the trusted ES256 key, but the payload has the member purpose \
             twice (emergency_preparation, then emergency_acceptance): parsers would disagree \
             on its value.",
            "信頼済みES256鍵で正しく署名されているが、ペイロードにpurposeが2回ある（em\
             ergency_preparationとemergency_acceptance）。パー\
             サーによって値が変わる。",
        ),
        Attack::TypWrong => (
            "Validly signed by the trusted ES256 key, but typ is JWT instead of handoff+jws.",
            "信頼済みES256鍵で正しく署名されているが、typがhandoff+jwsではなくJW\
             T。",
        ),
        Attack::TwoSignaturesConcatenated => (
            "Two valid compact JWS of the same handoff (ES256 and Ed25519) joined by a dot: a \
             packet has exactly one signature, in three parts.",
            "同じハンドオフの有効なコンパクトJWS 2つ（ES256とEd25519）をドットでつな\
             いだもの。パケットの署名はちょうど1つ、3つの部分から成る。",
        ),
        Attack::JsonSerialization => (
            "The same two valid signatures in the JWS JSON serialization (RFC 7515 §7.2): only \
             the compact serialization with one signature is accepted.",
            "同じ有効な署名2つをJWS JSONシリアライゼーション（RFC 7515 §7.2）で\
             表したもの。受け付けるのは署名1つのコンパクトシリアライゼーションのみ。",
        ),
        Attack::XmlSecondSignature => (
            "The ES256-signed XML handoff with its valid signature element twice at the end of \
             the root: exactly one signature is accepted.",
            "ES256署名のXMLハンドオフで、有効な署名要素がルートの末尾に2つあるもの。署名はち\
             ょうど1つのみ受け付ける。",
        ),
        Attack::XmlSignatureWrapped => (
            "The valid signature moved into the subject element (signature wrapping): the signature \
             must be the last child of the root.",
            "有効な署名をsubject要素の中へ移したもの（署名ラッピング）。署名はルート要素の最後\
             の子でなければならない。",
        ),
        Attack::XmlKeyvalueInKeyinfo => (
            "Signed by the attacker's key, with KeyInfo naming the trusted ES256 key (KeyName) and \
             carrying the attacker's public key (ECKeyValue): a KeyValue is ignored, the key is \
             the registered one the KeyName names, so the signature does not verify.",
            "攻撃者の鍵で署名し、KeyInfoに信頼済みES256鍵の名前（KeyName）と攻撃者の公開鍵\
             （ECKeyValue）を入れたもの。KeyValueは無視し、KeyNameが示す登録済みの鍵で検証する\
             ため、署名は検証できない。",
        ),
        Attack::XmlSignatureMethodRsaSha256 => (
            "The ES256-signed XML handoff with its SignatureMethod relabelled to rsa-sha256: \
             the method must be the one pinned to the KeyName's key (ES256).",
            "ES256署名のXMLハンドオフのSignatureMethodをrsa-sha256に\
             書き換えたもの。署名方式はKeyNameの鍵に固定された方式（ES256）でなければなら\
             ない。",
        ),
        Attack::XmlSignatureMethodHmacSha256 => (
            "The ES256-signed XML handoff with its SignatureMethod relabelled to hmac-sha256: \
             the method must be the one pinned to the KeyName's key (ES256).",
            "ES256署名のXMLハンドオフのSignatureMethodをhmac-sha256\
             に書き換えたもの。署名方式はKeyNameの鍵に固定された方式（ES256）でなければな\
             らない。",
        ),
        Attack::XmlContentChanged => (
            "The ES256-signed XML handoff with registration_ref.version changed from 2 to 3 after \
             signing; the signature element is untouched.",
            "ES256署名のXMLハンドオフで、署名後にregistration_ref.versi\
             onを2から3に変えたもの。署名要素はそのまま。",
        ),
        Attack::XmlUnsigned => (
            "The XML form of the handoff with no signature at all.",
            "署名のないハンドオフのXML形式。",
        ),
        Attack::XmlDoctypeEntityBomb => (
            "The valid ES256-signed XML handoff with a DOCTYPE declaring nested entities (a small \
             billion-laughs bomb): a DOCTYPE is refused before anything is expanded or verified.",
            "有効なES256署名のXMLハンドオフに、入れ子の実体を宣言するDOCTYPE（小さなb\
             illion laughs）を加えたもの。DOCTYPEは展開や検証の前に拒否する。",
        ),
        Attack::XmlSecondSubject => (
            "The XML handoff with a second subject element holding the household, validly signed \
             ES256 by its sender: the signature is good, but the XML says more than its JSON form \
             (a reader keeping the last or every subject would see the household), so the content \
             is invalid (KY-XML-REPEATED-ELEMENT).",
            "XMLハンドオフに世帯情報を含む2つ目のsubject要素を加え、送信元がES256で正しく署名した\
             もの。署名は正しいが、XMLがJSON形式より多くを表す（最後又は全部のsubjectを読む実装には\
             世帯情報が見える）ため、内容は不正（KY-XML-REPEATED-ELEMENT）。",
        ),
        Attack::XmlComment => (
            "The XML handoff with a comment inside subject, validly signed ES256: comments are not \
             signed by exclusive C14N and have no place in the mapping (KY-XML-COMMENT).",
            "XMLハンドオフのsubject内にコメントを加え、ES256で正しく署名したもの。コメントは排他的\
             C14Nで署名されず、対応付けにもない（KY-XML-COMMENT）。",
        ),
        Attack::XmlAttribute => (
            "The XML handoff with an attribute on subject, validly signed ES256: the mapping uses no \
             attributes, so what one carries would reach no JSON reader (KY-XML-ATTRIBUTE).",
            "XMLハンドオフのsubjectに属性を加え、ES256で正しく署名したもの。対応付けは属性を使わない\
             ため、属性の内容はJSONの読み手に届かない（KY-XML-ATTRIBUTE）。",
        ),
        Attack::IssuedInFuture => (
            "The handoff with issued_at one minute before its expires_at (hours after verify_at), \
             validly signed ES256: a packet is not accepted before it was issued.",
            "issued_atをexpires_atの1分前（verify_atの数時間後）にしたハンドオフをES256で正しく署名\
             したもの。発行時刻より前のパケットは受け付けない。",
        ),
        Attack::LifetimeTooLong => (
            "The handoff with expires_at 31 days after issued_at, validly signed ES256: longer than \
             the 30-day bound on a packet's lifetime.",
            "expires_atをissued_atの31日後にしたハンドオフをES256で正しく署名したもの。パケットの\
             有効期間の上限（30日）を超える。",
        ),
    }
}

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: gen_signed_vectors OUTPUT_DIR (conformance/vectors/signed)")?,
    );
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let vectors = repo.join("conformance/vectors");

    let keys = Keys {
        es256: load_key(&dir, "es256.pem", Alg::Es256)?,
        ed25519: load_key(&dir, "ed25519.pem", Alg::Ed25519)?,
        ps256: load_key(&dir, "ps256.pem", Alg::Ps256)?,
        rs256: load_key(&dir, "rs256.pem", Alg::Rs256)?,
        untrusted: load_key(&dir, "untrusted-es256.pem", Alg::Es256)?,
    };
    let (es256, ed25519, ps256, rs256) = (&keys.es256, &keys.ed25519, &keys.ps256, &keys.rs256);
    // The facility's key: it signs the facility's response, and a packet of the office's signed
    // with it shows that a trusted key is not enough — the key must be the author's.
    let facility_key = load_key(&dir, "facility-es256.pem", Alg::Es256)?;
    let handoff = read_json(&vectors.join("handoff/valid/full.json"))?;
    let response = read_json(&vectors.join("handoff_response/valid/accepted.json"))?;
    let owner_of = |doc: &Value, party: &str| -> Result<String> {
        Ok(doc[party]["organization_id"]
            .as_str()
            .ok_or("a packet without its author")?
            .to_owned())
    };
    let (office, facility) = (
        owner_of(&handoff, "sender")?,
        owner_of(&response, "responder")?,
    );
    let mut set = json!({"keys": []});
    for (key, owner) in keys
        .trusted()
        .into_iter()
        .map(|k| (k, &office))
        .chain([(&facility_key, &facility)])
    {
        let mut jwk = keys::to_jwk(&keys::verifying_key(key)?)?;
        jwk[keys::OWNER_MEMBER] = keys::KeyOwner::Organization(owner.clone()).to_json();
        set["keys"].as_array_mut().ok_or("keys")?.push(jwk);
    }
    std::fs::write(
        dir.join("keys/jwks.json"),
        format!("{}\n", serde_json::to_string_pretty(&set)?),
    )?;
    std::fs::write(dir.join("keys/README.md"), KEYS_README)?;

    // Start from an empty set: a vector that is no longer made leaves no file behind.
    for sub in ["valid", "invalid"] {
        let path = dir.join(sub);
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
    }
    let mut w = Writer {
        dir: dir.clone(),
        vectors: Vec::new(),
    };

    let mut expired = handoff.clone();
    expired["expires_at"] = json!("2026-01-20T11:00:00+09:00");
    let household = read_json(
        &vectors.join("handoff/invalid/category_not_permitted_household_to_facility.json"),
    )?;
    let ho = DocumentType::Handoff;

    // Valid packets: every algorithm, both forms.
    for (key, name, size) in [
        (es256, "es256", "EC P-256"),
        (ed25519, "ed25519", "Ed25519"),
        (ps256, "ps256", "RSA 2048"),
        (rs256, "rs256", "RSA 2048"),
    ] {
        let alg = key.alg.name();
        w.add(
            &format!("valid/handoff.{name}.jws"),
            packet::sign_jws(ho, &handoff, key)?.as_bytes(),
            "valid",
            Some(vec![]),
            &format!(
                "The complete handoff (handoff/valid/full.json) as a compact \
                 JWS over its JCS form, typ handoff+jws, signed {alg} by keys/{name}.pem ({size})."
            ),
            &format!(
                "完全なハンドオフ（handoff/valid/full.json）をJCS正規形のコンパクト\
                 JWS（typ handoff+jws）とし、keys/{name}.pem（{size}）で{alg}署名したもの。"
            ),
            JWS_PROFILE,
        )?;
    }
    for (key, name) in [(es256, "es256"), (rs256, "rs256")] {
        let alg = key.alg.name();
        w.add(
            &format!("valid/handoff.{name}.xml"),
            packet::sign_xml(ho, &handoff, key)?.as_bytes(),
            "valid",
            Some(vec![]),
            &format!(
                "The XML form of the same handoff with one enveloped XMLDSig signature (exclusive \
                 C14N, SHA-256, {alg}), KeyInfo holding only the KeyName (the kid) of keys/{name}.pem."
            ),
            &format!(
                "同じハンドオフのXML形式。エンベロープ署名（排他的C14N、SHA-256、{alg}）が1つあり、\
                 KeyInfoはkeys/{name}.pemのKeyName（kid）のみ。"
            ),
            XML_PROFILE,
        )?;
    }
    {
        // As other XMLDSig signers write it: KeyInfo carries the signer's own KeyValue besides
        // the KeyName. Allowed and ignored.
        let xml = packet::sign_xml(ho, &handoff, es256)?;
        let ec = es256.key.ec_key()?;
        let mut ctx = openssl::bn::BigNumContext::new()?;
        let point = ec.public_key().to_bytes(
            ec.group(),
            openssl::ec::PointConversionForm::UNCOMPRESSED,
            &mut ctx,
        )?;
        let key_value = format!(
            "<ds:KeyValue><dsig11:ECKeyValue xmlns:dsig11=\"http://www.w3.org/2009/xmldsig11#\">\
             <dsig11:NamedCurve URI=\"urn:oid:1.2.840.10045.3.1.7\"></dsig11:NamedCurve>\
             <dsig11:PublicKey>{}</dsig11:PublicKey></dsig11:ECKeyValue></ds:KeyValue>",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, point)
        );
        let with = xml.replacen("</ds:KeyInfo>", &format!("{key_value}</ds:KeyInfo>"), 1);
        w.add(
            "valid/handoff.es256.keyvalue.xml",
            with.as_bytes(),
            "valid",
            Some(vec![]),
            "valid/handoff.es256.xml with the signer's own ECKeyValue added to KeyInfo after the \
             KeyName, as other XMLDSig signers write it: allowed, and ignored (the key is the \
             registered one the KeyName names).",
            "valid/handoff.es256.xmlのKeyInfoに、KeyNameの後ろに署名者自身のECKeyValueを加えたもの\
             （他のXMLDSig実装が書く形）。許容し、無視する（鍵はKeyNameが示す登録済みの鍵）。",
            XML_PROFILE,
        )?;
    }
    w.add(
        "valid/handoff_response.es256.jws",
        packet::sign_jws(DocumentType::HandoffResponse, &response, &facility_key)?.as_bytes(),
        "valid",
        Some(vec![]),
        "A handoff_response (handoff_response/valid/accepted.json) as a compact JWS, typ \
         handoff_response+jws, signed ES256 by the responding facility's key \
         (keys/facility-es256.pem).",
        "ハンドオフへの応答（handoff_response/valid/accepted.json）をコンパクトJWS（typ \
         handoff_response+jws）とし、応答した事業所の鍵（keys/facility-es256.pem）でES256署名\
         したもの。",
        JWS_PROFILE,
    )?;

    // Attacks on the handoff: the same ones the runner's `sign` steps send to a target.
    for attack in Attack::ALL {
        let (description, description_ja) = describe(attack);
        let extension = match attack.form() {
            packet::Form::Jws => "jws",
            packet::Form::Xml => "xml",
        };
        w.add(
            &format!("invalid/{}.{extension}", attack.name()),
            &attack.build(&handoff, &keys)?,
            attack.verdict(),
            (attack.verdict() == "invalid_content" || !attack.findings().is_empty())
                .then(|| attack.findings().to_vec()),
            description,
            description_ja,
            attack_spec(attack),
        )?;
    }

    // Good signatures over content that must not be acted on.
    w.add(
        "invalid/expired.jws",
        packet::sign_jws(ho, &expired, es256)?.as_bytes(),
        "expired",
        Some(vec![]),
        "handoff/valid/full.json with expires_at 2026-01-20T11:00:00+09:00 (before verify_at), \
         validly signed ES256: the signature and the content are good, but the packet is past its \
         lifetime.",
        "handoff/valid/full.jsonの有効期限を2026-01-20T11:00:00+09:00（verify_atより前）にして\
         ES256で正しく署名したもの。署名も内容も正しいが、パケットの有効期限が過ぎている。",
        "docs/spec/signatures.md §4",
    )?;
    w.add(
        "invalid/signed_by_another_organization.jws",
        packet::sign_jws(ho, &handoff, &facility_key)?.as_bytes(),
        "sender_mismatch",
        Some(vec![]),
        "handoff/valid/full.json (sent by the consultation office) validly signed by the \
         facility's key, which jwks.json publishes as the facility's (kyoten_owner): a trusted \
         key is not enough, the key must belong to the packet's sender.",
        "handoff/valid/full.json（送信元は相談支援事業所）を、jwks.jsonが事業所のもの\
         （kyoten_owner）として公開している短期入所事業所の鍵で正しく署名したもの。信頼する鍵で\
         あるだけでは足りず、送信元の鍵でなければならない。",
        "docs/spec/signatures.md §1",
    )?;
    w.add(
        "invalid/household_to_facility.jws",
        packet::sign_jws(ho, &household, es256)?.as_bytes(),
        "invalid_content",
        Some(vec!["KY-HO-CATEGORY-NOT-PERMITTED"]),
        "handoff/invalid/category_not_permitted_household_to_facility.json, validly signed ES256: a good signature does not make content valid, and household is \
         never disclosed to a facility.",
        "handoff/invalid/category_not_permitted_household_to_facility.jsonを\
         ES256で正しく署名したもの。署名が正しくても内容は正しくならない。世帯情報は事業所に提供しない。",
        "docs/spec/signatures.md §4, docs/spec/consent.md §3.3",
    )?;

    std::fs::write(
        dir.join("manifest.json"),
        format!("{}\n", serde_json::to_string_pretty(&w.manifest())?),
    )?;
    eprintln!("wrote {} vectors to {}", w.vectors.len(), dir.display());
    Ok(())
}
