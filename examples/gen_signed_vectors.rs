//! Writes the signed-packet conformance vectors (`conformance/vectors/signed/`): valid packets
//! for every algorithm and form, every attack case with the verdict kyoten gives it, the test
//! keys and their JWK Set, and `manifest.json`. The keys in `keys/` are reused (created only
//! when missing), so the verdicts stay the same; ECDSA signatures are randomized, so the bytes
//! of a regenerated set differ.
//! usage: cargo run --example gen_signed_vectors -- conformance/vectors/signed
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use kyoten::contracts::DocumentType;
use kyoten::crypto::jws::{Alg, SigningKey};
use kyoten::crypto::{jcs, keys};
use kyoten::packet;
use openssl::bn::BigNumContext;
use openssl::ec::PointConversionForm;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde_json::{json, Value};
use std::error::Error;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Far enough ahead that the valid packets stay unexpired.
const FAR_FUTURE: &str = "2099-12-31T23:59:59+09:00";
const HANDOFF_TYP: &str = "handoff+jws";
const SIGNATURES: &str = "§2 Signatures";

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
| `untrusted-es256.pem` | EC P-256 | — (not in `jwks.json`: the attacker's key) |

The private keys are PKCS#8 PEM. `jwks.json` is the JWK Set of the four trusted public keys;
each `kid` is the RFC 7638 SHA-256 thumbprint of the key and each key has exactly one `alg`.
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
        json!({"keys": "keys/jwks.json", "vectors": vectors})
    }
}

/// The PKCS#8 PEM of a new private key for `alg` (RSA keys are 2048 bits).
fn new_private_pem(alg: Alg) -> Result<Vec<u8>> {
    let key = match alg {
        Alg::Ps256 | Alg::Rs256 => PKey::from_rsa(Rsa::generate(2048)?)?,
        Alg::Es256 | Alg::Ed25519 => keys::generate(alg)?.key,
    };
    Ok(key.private_key_to_pem_pkcs8()?)
}

/// The key in `keys/{name}`, created first when it is missing.
fn load_key(dir: &Path, name: &str, alg: Alg) -> Result<SigningKey> {
    let path = dir.join("keys").join(name);
    if !path.exists() {
        std::fs::create_dir_all(dir.join("keys"))?;
        std::fs::write(&path, new_private_pem(alg)?)?;
        eprintln!("created {}", path.display());
    }
    let pem = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(keys::signing_key_from_pem(&pem, Some(alg)).map_err(|e| format!("{name}: {e}"))?)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over exactly this header (in its JCS form) and these payload bytes, signed
/// with an ES256 key: for packets `packet::sign_jws` would never make.
fn raw_es256(header: &Value, payload: &[u8], key: &SigningKey) -> Result<String> {
    let input = format!("{}.{}", b64(&jcs::canonical(header)), b64(payload));
    let ec = key.key.ec_key()?;
    let sig = EcdsaSig::sign(&openssl::sha::sha256(input.as_bytes()), &ec)?;
    let mut raw = sig.r().to_vec_padded(32)?;
    raw.extend(sig.s().to_vec_padded(32)?);
    Ok(format!("{input}.{}", b64(&raw)))
}

/// The three parts of a compact JWS.
fn parts(compact: &str) -> Result<[String; 3]> {
    let parts: Vec<String> = compact.split('.').map(str::to_owned).collect();
    Ok(parts
        .try_into()
        .map_err(|_| "a compact JWS has three parts")?)
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// `text` with the first `from` replaced, which must be there.
fn replace_once(text: &str, from: &str, to: &str) -> Result<String> {
    if !text.contains(from) {
        return Err(format!("expected {from:?} in the signed packet").into());
    }
    Ok(text.replacen(from, to, 1))
}

/// The `ds:Signature` element of a signed XML packet and the packet without it.
fn split_signature(xml: &str) -> Result<(String, String)> {
    let start = xml.find("<ds:Signature").ok_or("no signature")?;
    let end = xml.find("</ds:Signature>").ok_or("no signature end")? + "</ds:Signature>".len();
    Ok((
        xml[start..end].to_owned(),
        format!("{}{}", &xml[..start], &xml[end..]),
    ))
}

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: gen_signed_vectors OUTPUT_DIR (conformance/vectors/signed)")?,
    );
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let vectors = repo.join("conformance/vectors");

    let es256 = load_key(&dir, "es256.pem", Alg::Es256)?;
    let ed25519 = load_key(&dir, "ed25519.pem", Alg::Ed25519)?;
    let ps256 = load_key(&dir, "ps256.pem", Alg::Ps256)?;
    let rs256 = load_key(&dir, "rs256.pem", Alg::Rs256)?;
    let untrusted = load_key(&dir, "untrusted-es256.pem", Alg::Es256)?;
    let trusted = [&es256, &ed25519, &ps256, &rs256]
        .into_iter()
        .map(keys::verifying_key)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let set = keys::jwks(&trusted)?;
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

    let mut handoff = read_json(&vectors.join("handoff/valid/full.json"))?;
    let expired = handoff.clone();
    handoff["expires_at"] = json!(FAR_FUTURE);
    let response = read_json(&vectors.join("handoff_response/valid/accepted.json"))?;
    let mut household = read_json(
        &vectors.join("handoff/invalid/category_not_permitted_household_to_facility.json"),
    )?;
    household["expires_at"] = json!(FAR_FUTURE);
    let ho = DocumentType::Handoff;

    // Valid packets: every algorithm, both forms.
    for (key, name, size) in [
        (&es256, "es256", "EC P-256"),
        (&ed25519, "ed25519", "Ed25519"),
        (&ps256, "ps256", "RSA 2048"),
        (&rs256, "rs256", "RSA 2048"),
    ] {
        let alg = key.alg.name();
        w.add(
            &format!("valid/handoff.{name}.jws"),
            packet::sign_jws(ho, &handoff, key)?.as_bytes(),
            "valid",
            Some(vec![]),
            &format!(
                "The complete handoff (handoff/valid/full.json, expires_at in 2099) as a compact \
                 JWS over its JCS form, typ handoff+jws, signed {alg} by keys/{name}.pem ({size})."
            ),
            &format!(
                "完全なハンドオフ（handoff/valid/full.json、有効期限2099年）をJCS正規形のコンパクト\
                 JWS（typ handoff+jws）とし、keys/{name}.pem（{size}）で{alg}署名したもの。"
            ),
            SIGNATURES,
        )?;
    }
    for (key, name) in [(&es256, "es256"), (&rs256, "rs256")] {
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
            "§2 Signatures; docs/xml-mapping.md",
        )?;
    }
    w.add(
        "valid/handoff_response.es256.jws",
        packet::sign_jws(DocumentType::HandoffResponse, &response, &es256)?.as_bytes(),
        "valid",
        Some(vec![]),
        "A handoff_response (handoff_response/valid/accepted.json) as a compact JWS, typ \
         handoff_response+jws, signed ES256.",
        "ハンドオフへの応答（handoff_response/valid/accepted.json）をコンパクトJWS（typ \
         handoff_response+jws）としてES256署名したもの。",
        SIGNATURES,
    )?;

    // JWS attacks. Unless said otherwise, signed by the trusted ES256 key.
    let payload = jcs::canonical(&handoff);
    let header = json!({"alg": "ES256", "kid": es256.kid, "typ": HANDOFF_TYP});
    let good = raw_es256(&header, &payload, &es256)?;
    let [h, p, s] = parts(&good)?;

    let text = String::from_utf8(payload.clone())?;
    let changed = replace_once(&text, "\"version\":2", "\"version\":3")?;
    w.add(
        "invalid/payload_byte_changed.jws",
        format!("{h}.{}.{s}", b64(changed.as_bytes())).as_bytes(),
        "bad_signature",
        None,
        "A valid ES256 handoff JWS with one byte of the payload changed (registration_ref.version \
         2 → 3); header and signature untouched.",
        "有効なES256署名のハンドオフJWSのペイロードを1バイトだけ変更（registration_ref.version 2 → \
         3）。ヘッダーと署名はそのまま。",
        SIGNATURES,
    )?;

    let mut sig = URL_SAFE_NO_PAD.decode(&s)?;
    sig[10] ^= 1;
    w.add(
        "invalid/signature_byte_changed.jws",
        format!("{h}.{p}.{}", b64(&sig)).as_bytes(),
        "bad_signature",
        None,
        "A valid ES256 handoff JWS with one bit of the signature's eleventh byte flipped.",
        "有効なES256署名のハンドオフJWSの署名の11バイト目を1ビット反転したもの。",
        SIGNATURES,
    )?;

    let jws_attack = |header: Value| raw_es256(&header, &payload, &es256);
    w.add(
        "invalid/alg_relabelled_es256_to_rs256.jws",
        jws_attack(json!({"alg": "RS256", "kid": es256.kid, "typ": HANDOFF_TYP}))?.as_bytes(),
        "algorithm_mismatch",
        None,
        "Signed ES256 by the trusted ES256 key, but the header says alg RS256: the algorithm is \
         the one pinned to the key, never the header's choice.",
        "信頼済みES256鍵でES256署名されているが、ヘッダーのalgはRS256。アルゴリズムは鍵に固定された\
         ものであり、ヘッダーでは選べない。",
        SIGNATURES,
    )?;

    // HS256 with the trusted key's public PEM as the HMAC secret: the key-confusion attack.
    let hs_header = json!({"alg": "HS256", "kid": es256.kid, "typ": HANDOFF_TYP});
    let hs_input = format!("{}.{}", b64(&jcs::canonical(&hs_header)), b64(&payload));
    let secret = PKey::hmac(&keys::public_of(&es256.key)?.public_key_to_pem()?)?;
    let mut hmac = Signer::new(MessageDigest::sha256(), &secret)?;
    hmac.update(hs_input.as_bytes())?;
    w.add(
        "invalid/alg_hs256.jws",
        format!("{hs_input}.{}", b64(&hmac.sign_to_vec()?)).as_bytes(),
        "algorithm_not_allowed",
        None,
        "alg HS256, the MAC keyed with the trusted ES256 key's public PEM (the key-confusion \
         attack): HMAC is never accepted.",
        "alg HS256。信頼済みES256鍵の公開鍵PEMをHMACの鍵にしたもの（鍵混同攻撃）。HMACは受け付けない。",
        SIGNATURES,
    )?;

    let none_header = json!({"alg": "none", "kid": es256.kid, "typ": HANDOFF_TYP});
    w.add(
        "invalid/alg_none.jws",
        format!("{}.{}.", b64(&jcs::canonical(&none_header)), b64(&payload)).as_bytes(),
        "algorithm_not_allowed",
        None,
        "alg none with an empty signature (an unsecured JWS).",
        "alg none、署名が空（保護されていないJWS）。",
        SIGNATURES,
    )?;

    w.add(
        "invalid/crit_unknown.jws",
        jws_attack(json!({
            "alg": "ES256", "crit": ["kyoten-ext"], "kid": es256.kid, "kyoten-ext": true,
            "typ": HANDOFF_TYP
        }))?
        .as_bytes(),
        "unknown_crit",
        None,
        "Validly signed by the trusted ES256 key, with a crit header naming an extension \
         (kyoten-ext) no verifier knows.",
        "信頼済みES256鍵で正しく署名されているが、ヘッダーのcritが未知の拡張（kyoten-ext）を指定している。",
        SIGNATURES,
    )?;

    let attacker_jwk = keys::to_jwk(&keys::verifying_key(&untrusted)?)?;
    let self_keyed = |member: &str, value: Value| {
        let mut header = json!({"alg": "ES256", "kid": untrusted.kid, "typ": HANDOFF_TYP});
        header[member] = value;
        raw_es256(&header, &payload, &untrusted)
    };
    w.add(
        "invalid/jwk_in_header.jws",
        self_keyed("jwk", attacker_jwk)?.as_bytes(),
        "key_in_packet",
        None,
        "Signed by the attacker's key (keys/untrusted-es256.pem), whose public JWK is embedded \
         in the header: keys come only from the trusted set, never from the packet.",
        "攻撃者の鍵（keys/untrusted-es256.pem）で署名し、その公開JWKをヘッダーに埋め込んだもの。\
         鍵は信頼済みの鍵集合からのみ取り、パケットからは取らない。",
        SIGNATURES,
    )?;
    w.add(
        "invalid/jku_in_header.jws",
        self_keyed("jku", json!("https://attacker.example/jwks.json"))?.as_bytes(),
        "key_in_packet",
        None,
        "Signed by the attacker's key, with a jku header pointing at the attacker's JWK Set.",
        "攻撃者の鍵で署名し、ヘッダーのjkuで攻撃者のJWKセットを指したもの。",
        SIGNATURES,
    )?;
    w.add(
        "invalid/x5u_in_header.jws",
        self_keyed("x5u", json!("https://attacker.example/cert.pem"))?.as_bytes(),
        "key_in_packet",
        None,
        "Signed by the attacker's key, with an x5u header pointing at the attacker's certificate.",
        "攻撃者の鍵で署名し、ヘッダーのx5uで攻撃者の証明書を指したもの。",
        SIGNATURES,
    )?;
    w.add(
        "invalid/untrusted_key.jws",
        packet::sign_jws(ho, &handoff, &untrusted)?.as_bytes(),
        "unknown_key",
        None,
        "A well-formed ES256 handoff JWS signed by keys/untrusted-es256.pem, whose kid is not in \
         keys/jwks.json.",
        "形式は正しいES256署名のハンドオフJWSだが、署名鍵keys/untrusted-es256.pemのkidが\
         keys/jwks.jsonにない。",
        SIGNATURES,
    )?;

    let duplicated = text.replacen('{', "{\"purpose\":\"emergency_preparation\",", 1);
    w.add(
        "invalid/payload_duplicate_key.jws",
        raw_es256(&header, duplicated.as_bytes(), &es256)?.as_bytes(),
        "bad_payload",
        None,
        "Validly signed by the trusted ES256 key, but the payload has the member purpose twice \
         (emergency_preparation, then emergency_acceptance): parsers would disagree on its value.",
        "信頼済みES256鍵で正しく署名されているが、ペイロードにpurposeが2回ある\
         （emergency_preparationとemergency_acceptance）。パーサーによって値が変わる。",
        SIGNATURES,
    )?;
    w.add(
        "invalid/typ_wrong.jws",
        jws_attack(json!({"alg": "ES256", "kid": es256.kid, "typ": "JWT"}))?.as_bytes(),
        "wrong_type",
        None,
        "Validly signed by the trusted ES256 key, but typ is JWT instead of handoff+jws.",
        "信頼済みES256鍵で正しく署名されているが、typがhandoff+jwsではなくJWT。",
        SIGNATURES,
    )?;

    let by_ed25519 = packet::sign_jws(ho, &handoff, &ed25519)?;
    w.add(
        "invalid/two_signatures_concatenated.jws",
        format!("{good}.{by_ed25519}").as_bytes(),
        "malformed",
        None,
        "Two valid compact JWS of the same handoff (ES256 and Ed25519) joined by a dot: a packet \
         has exactly one signature, in three parts.",
        "同じハンドオフの有効なコンパクトJWS 2つ（ES256とEd25519）をドットでつないだもの。\
         パケットの署名はちょうど1つ、3つの部分から成る。",
        SIGNATURES,
    )?;
    let [h2, _, s2] = parts(&by_ed25519)?;
    let general = json!({
        "payload": p,
        "signatures": [
            {"protected": h, "signature": s},
            {"protected": h2, "signature": s2}
        ]
    });
    w.add(
        "invalid/json_serialization.jws",
        format!("{}\n", serde_json::to_string_pretty(&general)?).as_bytes(),
        "malformed",
        None,
        "The same two valid signatures in the JWS JSON serialization (RFC 7515 §7.2): only the \
         compact serialization with one signature is accepted.",
        "同じ有効な署名2つをJWS JSONシリアライゼーション（RFC 7515 §7.2）で表したもの。\
         受け付けるのは署名1つのコンパクトシリアライゼーションのみ。",
        SIGNATURES,
    )?;

    // XML attacks, on the handoff signed by the trusted ES256 key.
    let xml = packet::sign_xml(ho, &handoff, &es256)?;
    let (signature, unsigned) = split_signature(&xml)?;
    let close = unsigned.rfind("</handoff>").ok_or("no </handoff>")?;
    let with = |sig: &str| format!("{}{sig}{}", &unsigned[..close], &unsigned[close..]);
    let xml_spec = "§2 Signatures; docs/xml-mapping.md";

    w.add(
        "invalid/xml_second_signature.xml",
        with(&format!("{signature}{signature}")).as_bytes(),
        "multiple_signatures",
        None,
        "The ES256-signed XML handoff with its valid signature element twice at the end of the \
         root: exactly one signature is accepted.",
        "ES256署名のXMLハンドオフで、有効な署名要素がルートの末尾に2つあるもの。署名はちょうど1つのみ受け付ける。",
        xml_spec,
    )?;
    w.add(
        "invalid/xml_signature_wrapped.xml",
        replace_once(&unsigned, "<subject>", &format!("<subject>{signature}"))?.as_bytes(),
        "signature_wrapping",
        None,
        "The valid signature moved into the subject element (signature wrapping): the signature \
         must be the last child of the root.",
        "有効な署名をsubject要素の中へ移したもの（署名ラッピング）。署名はルート要素の最後の子でなければならない。",
        xml_spec,
    )?;

    let ec = untrusted.key.ec_key()?;
    let mut ctx = BigNumContext::new()?;
    let point =
        ec.public_key()
            .to_bytes(ec.group(), PointConversionForm::UNCOMPRESSED, &mut ctx)?;
    let key_value = format!(
        "<ds:KeyValue><dsig11:ECKeyValue xmlns:dsig11=\"http://www.w3.org/2009/xmldsig11#\">\
         <dsig11:NamedCurve URI=\"urn:oid:1.2.840.10045.3.1.7\"></dsig11:NamedCurve>\
         <dsig11:PublicKey>{}</dsig11:PublicKey></dsig11:ECKeyValue></ds:KeyValue>",
        STANDARD.encode(point)
    );
    w.add(
        "invalid/xml_keyvalue_in_keyinfo.xml",
        with(&replace_once(
            &signature,
            "<ds:KeyInfo>",
            &format!("<ds:KeyInfo>{key_value}"),
        )?)
        .as_bytes(),
        "key_in_packet",
        None,
        "The valid signature with an ECKeyValue (the attacker's public key) added to KeyInfo: \
         KeyInfo holds exactly one KeyName, keys come only from the trusted set.",
        "有効な署名のKeyInfoにECKeyValue（攻撃者の公開鍵）を加えたもの。KeyInfoはKeyName 1つのみで、\
         鍵は信頼済みの鍵集合からのみ取る。",
        xml_spec,
    )?;
    for (method, name) in [("rsa-sha256", "rsa_sha256"), ("hmac-sha256", "hmac_sha256")] {
        w.add(
            &format!("invalid/xml_signature_method_{name}.xml"),
            with(&replace_once(
                &signature,
                "xmldsig-more#ecdsa-sha256",
                &format!("xmldsig-more#{method}"),
            )?)
            .as_bytes(),
            "algorithm_mismatch",
            None,
            &format!(
                "The ES256-signed XML handoff with its SignatureMethod relabelled to {method}: the \
                 method must be the one pinned to the KeyName's key (ES256)."
            ),
            &format!(
                "ES256署名のXMLハンドオフのSignatureMethodを{method}に書き換えたもの。\
                 署名方式はKeyNameの鍵に固定された方式（ES256）でなければならない。"
            ),
            xml_spec,
        )?;
    }
    w.add(
        "invalid/xml_content_changed.xml",
        replace_once(&xml, "<version>2</version>", "<version>3</version>")?.as_bytes(),
        "digest_mismatch",
        None,
        "The ES256-signed XML handoff with registration_ref.version changed from 2 to 3 after \
         signing; the signature element is untouched.",
        "ES256署名のXMLハンドオフで、署名後にregistration_ref.versionを2から3に変えたもの。署名要素はそのまま。",
        xml_spec,
    )?;
    w.add(
        "invalid/xml_unsigned.xml",
        unsigned.as_bytes(),
        "no_signature",
        None,
        "The XML form of the handoff with no signature at all.",
        "署名のないハンドオフのXML形式。",
        xml_spec,
    )?;
    w.add(
        "invalid/xml_doctype_entity_bomb.xml",
        replace_once(
            &xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE handoff [\n\
             <!ENTITY a \"aaaaaaaaaa\">\n<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n\
             <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n\
             <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n]>",
        )?
        .as_bytes(),
        "hostile_xml",
        None,
        "The valid ES256-signed XML handoff with a DOCTYPE declaring nested entities (a small \
         billion-laughs bomb): a DOCTYPE is refused before anything is expanded or verified.",
        "有効なES256署名のXMLハンドオフに、入れ子の実体を宣言するDOCTYPE（小さなbillion laughs）を\
         加えたもの。DOCTYPEは展開や検証の前に拒否する。",
        xml_spec,
    )?;

    // Good signatures over content that must not be acted on.
    w.add(
        "invalid/expired.jws",
        packet::sign_jws(ho, &expired, &es256)?.as_bytes(),
        "expired",
        Some(vec![]),
        "handoff/valid/full.json as it is (expires_at 2026-01-20T22:15:00+09:00, passed), validly \
         signed ES256: the signature and the content are good, but the packet is past its lifetime.",
        "handoff/valid/full.jsonをそのまま（有効期限2026-01-20T22:15:00+09:00、経過済み）ES256で\
         正しく署名したもの。署名も内容も正しいが、パケットの有効期限が過ぎている。",
        "§2 Signatures; §3.3",
    )?;
    w.add(
        "invalid/household_to_facility.jws",
        packet::sign_jws(ho, &household, &es256)?.as_bytes(),
        "invalid_content",
        Some(vec!["KY-HO-CATEGORY-NOT-PERMITTED"]),
        "handoff/invalid/category_not_permitted_household_to_facility.json (expires_at in 2099), \
         validly signed ES256: a good signature does not make content valid, and household is \
         never disclosed to a facility.",
        "handoff/invalid/category_not_permitted_household_to_facility.json（有効期限2099年）を\
         ES256で正しく署名したもの。署名が正しくても内容は正しくならない。世帯情報は事業所に提供しない。",
        "§2 Signatures; §4",
    )?;

    std::fs::write(
        dir.join("manifest.json"),
        format!("{}\n", serde_json::to_string_pretty(&w.manifest())?),
    )?;
    eprintln!("wrote {} vectors to {}", w.vectors.len(), dir.display());
    Ok(())
}
