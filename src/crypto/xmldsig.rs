//! XML Signature (XMLDSig 1.1) for kyoten's XML documents: one enveloped signature, a narrow
//! profile, on openssl and the exclusive canonicalization in `crate::xml::c14n`.
//!
//! Written by hand because Rust has no mature XMLDSig crate on OpenSSL (the existing ones bind
//! libxmlsec1/libxml2 or accept the whole, attack-prone, standard). The profile:
//! - exactly one `ds:Signature` in the document, the last element child of the root — so no
//!   signature wrapping: what is verified is the whole document minus that signature;
//! - `SignedInfo` = exclusive C14N, ECDSA-P256-SHA256 (`SignatureValue` is `r||s`, 64 bytes,
//!   as in JWS) or RSA-SHA256 (≥ 2048 bits), and one `Reference URI=""` whose transforms are
//!   exactly enveloped-signature then exclusive C14N, with SHA-256;
//! - `KeyInfo` holds exactly one `KeyName`, the key id: the key always comes from the registered
//!   keys, whose one pinned algorithm the `SignatureMethod` must name. A `KeyValue` and an
//!   `X509Data` (at most one each, as other signers add them) are allowed and ignored; a
//!   `RetrievalMethod` or anything else is refused; no `Object`, no `Manifest`, no key
//!   material or key URL is ever taken from the document.
use super::jws::{raw_signature, signature_verifies, Alg, SigningKey, VerifyingKey};
use crate::xml::c14n::{C14nError, Child, Document, ElementId, Subset};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, Id, PKeyRef};

/// The XMLDSig namespace (the XML form allows an enveloped signature in it).
pub const NAMESPACE: &str = crate::xml::xsd::XMLDSIG_NAMESPACE;
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/// Which rule of the profile a signature breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProfileViolation {
    #[error("the signature must be the last element of the root element")]
    NotLast,
    #[error("the signature must hold SignedInfo, SignatureValue and KeyInfo, in that order")]
    SignatureContent,
    #[error("Object (and Manifest) elements are not accepted")]
    Object,
    #[error("SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference")]
    SignedInfoContent,
    #[error("only one Reference is accepted")]
    ExtraReference,
    #[error("the canonicalization method must be exclusive C14N without comments")]
    CanonicalizationMethod,
    #[error("the signature method must name one algorithm and nothing else")]
    SignatureMethod,
    #[error("the Reference URI must be empty (the whole document)")]
    ReferenceUri,
    #[error("the Reference must hold Transforms, DigestMethod and DigestValue")]
    ReferenceContent,
    #[error("the transforms must be exactly enveloped-signature, then exclusive C14N")]
    Transforms,
    #[error("the digest method must be SHA-256")]
    DigestMethod,
    #[error("the digest value is not a base64 SHA-256 digest")]
    DigestValue,
    #[error("the signature value is not base64")]
    SignatureValue,
}

/// Why an XML signature was not made or not accepted. The messages carry no document content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlDsigError {
    #[error("the document is refused: {0}")]
    Document(#[from] C14nError),
    #[error("the document has no signature")]
    NoSignature,
    #[error("the document has more than one signature")]
    MoreThanOneSignature,
    #[error("the signature is not a direct child of the root element")]
    NotRootChild,
    #[error("the signature does not follow the profile: {0}")]
    Profile(ProfileViolation),
    #[error("KeyInfo must hold exactly one KeyName, and besides it at most a KeyValue and an X509Data (which are ignored)")]
    KeyInfo,
    #[error("no registered key has this name")]
    UnknownKey,
    #[error("the key is registered for {expected}; the signature names another algorithm")]
    AlgorithmMismatch { expected: &'static str },
    #[error("the digest does not match: the signed content was changed")]
    DigestMismatch,
    #[error("the signature value does not verify")]
    BadSignature,
    #[error("the document already has a signature")]
    AlreadySigned,
    #[error("XML signatures are made with ES256 or RS256 keys only")]
    UnsupportedAlgorithm,
    #[error("the key does not fit the algorithm")]
    KeyMismatch,
    #[error("openssl: {0}")]
    Crypto(String),
}

impl From<ProfileViolation> for XmlDsigError {
    fn from(v: ProfileViolation) -> Self {
        XmlDsigError::Profile(v)
    }
}

/// A verified XML document: the registered key that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedXml {
    pub kid: String,
    pub alg: Alg,
}

/// The `SignatureMethod` of an algorithm this profile signs with.
pub fn signature_method(alg: Alg) -> Option<&'static str> {
    match alg {
        Alg::Es256 => Some(ECDSA_SHA256),
        Alg::Rs256 => Some(RSA_SHA256),
        Alg::Ed25519 | Alg::Ps256 => None,
    }
}

fn fits<T: HasPublic>(alg: Alg, key: &PKeyRef<T>) -> bool {
    match alg {
        Alg::Es256 => {
            key.ec_key().ok().and_then(|k| k.group().curve_name()) == Some(Nid::X9_62_PRIME256V1)
        }
        Alg::Rs256 => key.id() == Id::RSA && key.bits() >= 2048,
        Alg::Ed25519 | Alg::Ps256 => false,
    }
}

fn is_ds(doc: &Document<'_>, id: ElementId, local: &str) -> bool {
    let el = doc.element(id);
    el.local == local && el.namespace == NAMESPACE
}

/// Signs a document: the `ds:Signature` is inserted as the last child of the root element;
/// everything else stays byte for byte. A document that already has a signature is refused.
pub fn sign(xml: &[u8], key: &SigningKey) -> Result<Vec<u8>, XmlDsigError> {
    let method = signature_method(key.alg).ok_or(XmlDsigError::UnsupportedAlgorithm)?;
    if !fits(key.alg, &key.key) {
        return Err(XmlDsigError::KeyMismatch);
    }
    let doc = Document::parse(xml)?;
    if doc.elements().any(|(id, _)| is_ds(&doc, id, "Signature")) {
        return Err(XmlDsigError::AlreadySigned);
    }
    let mut canonical = Vec::with_capacity(xml.len());
    doc.canonicalize_into(Subset::Document, &mut canonical);
    let digest = STANDARD.encode(openssl::sha::sha256(&canonical));
    // SignedInfo is written directly in its canonical form: in the document it inherits the
    // `ds` declaration from Signature, and exclusive C14N renders it on SignedInfo itself.
    let declaration = format!(" xmlns:ds=\"{NAMESPACE}\"");
    let signed_info = format!(
        "<ds:SignedInfo{declaration}>\
         <ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod>\
         <ds:SignatureMethod Algorithm=\"{method}\"></ds:SignatureMethod>\
         <ds:Reference URI=\"\"><ds:Transforms>\
         <ds:Transform Algorithm=\"{ENVELOPED_SIGNATURE}\"></ds:Transform>\
         <ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod>\
         <ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"
    );
    let value = raw_signature(key.alg, &key.key, signed_info.as_bytes())
        .map_err(|e| XmlDsigError::Crypto(e.to_string()))?;
    let mut element = String::with_capacity(signed_info.len() + 512);
    element.push_str("<ds:Signature");
    element.push_str(&declaration);
    element.push('>');
    element.push_str(&signed_info.replacen(&declaration, "", 1));
    element.push_str("<ds:SignatureValue>");
    element.push_str(&STANDARD.encode(value));
    element.push_str("</ds:SignatureValue><ds:KeyInfo><ds:KeyName>");
    for c in key.kid.chars() {
        match c {
            '&' => element.push_str("&amp;"),
            '<' => element.push_str("&lt;"),
            '>' => element.push_str("&gt;"),
            '\r' => element.push_str("&#xD;"),
            c => element.push(c),
        }
    }
    element.push_str("</ds:KeyName></ds:KeyInfo></ds:Signature>");

    let (offset, self_closing) = doc.end_tag_offset(doc.root());
    let mut out = Vec::with_capacity(xml.len() + element.len() + 32);
    out.extend_from_slice(&xml[..offset]);
    if self_closing {
        // `<root …/>` has no end tag to insert before: it becomes `<root …>…</root>`.
        let root = doc.element(doc.root());
        out.push(b'>');
        out.extend_from_slice(element.as_bytes());
        out.extend_from_slice(b"</");
        if !root.prefix.is_empty() {
            out.extend_from_slice(root.prefix.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(root.local.as_bytes());
        out.push(b'>');
        out.extend_from_slice(&xml[offset + 2..]);
    } else {
        out.extend_from_slice(element.as_bytes());
        out.extend_from_slice(&xml[offset..]);
    }
    Ok(out)
}

/// Verifies a signed document against the registered key its `KeyName` names (`lookup`).
/// The algorithm is the key's; the document only has to agree with it.
pub fn verify(
    xml: &[u8],
    lookup: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<VerifiedXml, XmlDsigError> {
    let doc = Document::parse(xml)?;
    let mut signatures = doc
        .elements()
        .filter(|(id, _)| is_ds(&doc, *id, "Signature"))
        .map(|(id, _)| id);
    let signature = signatures.next().ok_or(XmlDsigError::NoSignature)?;
    if signatures.next().is_some() {
        return Err(XmlDsigError::MoreThanOneSignature);
    }
    if doc.parent(signature) != Some(doc.root()) {
        return Err(XmlDsigError::NotRootChild);
    }
    let last = doc
        .children(doc.root())
        .filter_map(|c| match c {
            Child::Element(id) => Some(id),
            Child::Text(_) => None,
        })
        .last();
    if last != Some(signature) {
        return Err(ProfileViolation::NotLast.into());
    }
    let parts = Parts::read(&doc, signature)?;

    let key = lookup(&parts.key_name).ok_or(XmlDsigError::UnknownKey)?;
    let mismatch = XmlDsigError::AlgorithmMismatch {
        expected: key.alg.name(),
    };
    if signature_method(key.alg) != Some(parts.method) {
        return Err(mismatch);
    }
    if !fits(key.alg, &key.key) {
        return Err(XmlDsigError::KeyMismatch);
    }

    let mut canonical = Vec::with_capacity(xml.len());
    doc.canonicalize_into(Subset::DocumentWithout(signature), &mut canonical);
    if openssl::sha::sha256(&canonical)[..] != parts.digest[..] {
        return Err(XmlDsigError::DigestMismatch);
    }
    canonical.clear();
    doc.canonicalize_into(Subset::Element(parts.signed_info), &mut canonical);
    match signature_verifies(key.alg, &key.key, &canonical, &parts.signature_value) {
        Ok(true) => Ok(VerifiedXml {
            kid: key.kid,
            alg: key.alg,
        }),
        Ok(false) | Err(_) => Err(XmlDsigError::BadSignature),
    }
}

/// What the signature says, once it is known to follow the profile.
struct Parts<'d> {
    signed_info: ElementId,
    /// The `SignatureMethod` algorithm, as written.
    method: &'d str,
    digest: Vec<u8>,
    signature_value: Vec<u8>,
    key_name: String,
}

impl<'d> Parts<'d> {
    fn read(doc: &'d Document<'_>, signature: ElementId) -> Result<Parts<'d>, XmlDsigError> {
        use ProfileViolation as V;
        let children = elements_of(doc, signature).ok_or(V::SignatureContent)?;
        if children.iter().any(|c| is_ds(doc, *c, "Object")) {
            return Err(V::Object.into());
        }
        let names = |ids: &[ElementId], locals: &[&str]| {
            ids.len() == locals.len() && ids.iter().zip(locals).all(|(id, l)| is_ds(doc, *id, l))
        };
        let (signed_info, signature_value, key_info) = match children.as_slice() {
            [a, b, c] if names(&children, &["SignedInfo", "SignatureValue", "KeyInfo"]) => {
                (*a, *b, *c)
            }
            [_, _] if names(&children, &["SignedInfo", "SignatureValue"]) => {
                return Err(XmlDsigError::KeyInfo)
            }
            _ => return Err(V::SignatureContent.into()),
        };

        let info = elements_of(doc, signed_info).ok_or(V::SignedInfoContent)?;
        if info.iter().filter(|c| is_ds(doc, **c, "Reference")).count() > 1 {
            return Err(V::ExtraReference.into());
        }
        let [c14n, method, reference] = info.as_slice() else {
            return Err(V::SignedInfoContent.into());
        };
        if !names(
            &info,
            &["CanonicalizationMethod", "SignatureMethod", "Reference"],
        ) {
            return Err(V::SignedInfoContent.into());
        }
        if algorithm(doc, *c14n) != Some(EXC_C14N) {
            return Err(V::CanonicalizationMethod.into());
        }
        let method = algorithm(doc, *method).ok_or(V::SignatureMethod)?;

        let digest = reference_digest(doc, *reference)?;
        let signature_value = base64_text(doc, signature_value).ok_or(V::SignatureValue)?;

        let key_name = key_name(doc, key_info)?;
        Ok(Parts {
            signed_info,
            method,
            digest,
            signature_value,
            key_name,
        })
    }
}

/// The one `Reference` of the profile: the whole document (`URI=""`), the enveloped-signature
/// and exclusive C14N transforms, SHA-256; its digest value.
fn reference_digest(doc: &Document<'_>, reference: ElementId) -> Result<Vec<u8>, XmlDsigError> {
    use ProfileViolation as V;
    let names = |ids: &[ElementId], locals: &[&str]| {
        ids.len() == locals.len() && ids.iter().zip(locals).all(|(id, l)| is_ds(doc, *id, l))
    };
    if doc.attribute(reference, "URI") != Some("") {
        return Err(V::ReferenceUri.into());
    }
    let parts = elements_of(doc, reference).ok_or(V::ReferenceContent)?;
    let [transforms, digest_method, digest_value] = parts.as_slice() else {
        return Err(V::ReferenceContent.into());
    };
    if !names(&parts, &["Transforms", "DigestMethod", "DigestValue"]) {
        return Err(V::ReferenceContent.into());
    }
    let transforms = elements_of(doc, *transforms).ok_or(V::Transforms)?;
    let [enveloped, exclusive] = transforms.as_slice() else {
        return Err(V::Transforms.into());
    };
    if !names(&transforms, &["Transform", "Transform"])
        || algorithm(doc, *enveloped) != Some(ENVELOPED_SIGNATURE)
        || algorithm(doc, *exclusive) != Some(EXC_C14N)
    {
        return Err(V::Transforms.into());
    }
    if algorithm(doc, *digest_method) != Some(SHA256) {
        return Err(V::DigestMethod.into());
    }
    Ok(base64_text(doc, *digest_value)
        .filter(|d| d.len() == 32)
        .ok_or(V::DigestValue)?)
}

/// The `KeyName` of `KeyInfo` (the kid). Exactly one KeyName; a KeyValue or X509Data, as other
/// signers add them, is allowed once each and never read: the key is always the registered
/// one.
fn key_name(doc: &Document<'_>, key_info: ElementId) -> Result<String, XmlDsigError> {
    let key_children = elements_of(doc, key_info).ok_or(XmlDsigError::KeyInfo)?;
    let count = |local: &str| {
        key_children
            .iter()
            .filter(|c| is_ds(doc, **c, local))
            .count()
    };
    let allowed = count("KeyName") == 1
        && count("KeyValue") <= 1
        && count("X509Data") <= 1
        && count("KeyName") + count("KeyValue") + count("X509Data") == key_children.len();
    let key_name = key_children
        .iter()
        .find(|c| is_ds(doc, **c, "KeyName"))
        .filter(|_| allowed)
        .and_then(|name| doc.text(*name));
    key_name
        .map(|n| n.trim_matches(is_xml_space).to_owned())
        .filter(|n| !n.is_empty())
        .ok_or(XmlDsigError::KeyInfo)
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The element children of an element whose only text is white space (`None` otherwise).
fn elements_of(doc: &Document<'_>, id: ElementId) -> Option<Vec<ElementId>> {
    let mut out = Vec::with_capacity(4);
    for child in doc.children(id) {
        match child {
            Child::Element(e) => out.push(e),
            Child::Text(t) if t.chars().all(is_xml_space) => {}
            Child::Text(_) => return None,
        }
    }
    Some(out)
}

/// The `Algorithm` of a method element with no content but white space.
fn algorithm<'d>(doc: &'d Document<'_>, id: ElementId) -> Option<&'d str> {
    match elements_of(doc, id) {
        Some(children) if children.is_empty() => doc.attribute(id, "Algorithm"),
        _ => None,
    }
}

/// The base64 content of a text-only element (line breaks and spaces allowed).
fn base64_text(doc: &Document<'_>, id: ElementId) -> Option<Vec<u8>> {
    let text = doc.text(id)?;
    let compact: String = text.chars().filter(|c| !is_xml_space(*c)).collect();
    STANDARD.decode(compact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::c14n::canonicalize;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;

    const DOC: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
        <handoff xmlns=\"https://w3id.org/kyoten/xml/handoff/1\">\n  \
        <handoff_id>ho_0001</handoff_id>\n  <note>見本 一郎 &amp; 家族</note>\n</handoff>\n";

    fn key(alg: Alg) -> (SigningKey, VerifyingKey) {
        crate::crypto::jws::test_pair(alg, &format!("kid-{}", alg.name()))
    }

    fn es256() -> &'static (SigningKey, VerifyingKey) {
        static KEY: std::sync::OnceLock<(SigningKey, VerifyingKey)> = std::sync::OnceLock::new();
        KEY.get_or_init(|| key(Alg::Es256))
    }

    fn signed() -> String {
        String::from_utf8(sign(DOC.as_bytes(), &es256().0).unwrap()).unwrap()
    }

    fn check(xml: &str) -> Result<VerifiedXml, XmlDsigError> {
        let registered = es256().1.clone();
        verify(xml.as_bytes(), |kid| {
            (kid == registered.kid).then(|| registered.clone())
        })
    }

    #[test]
    fn es256_and_rs256_sign_and_verify_with_the_registered_key() {
        for alg in [Alg::Es256, Alg::Rs256] {
            let (signing, verifying) = key(alg);
            let xml = sign(DOC.as_bytes(), &signing).unwrap();
            let verified = verify(&xml, |kid| {
                (kid == verifying.kid).then(|| verifying.clone())
            })
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
            assert_eq!(
                verified,
                VerifiedXml {
                    kid: verifying.kid.clone(),
                    alg
                }
            );
        }
    }

    #[test]
    fn the_signature_is_inserted_as_the_last_child_and_nothing_else_changes() {
        let xml = signed();
        let start = xml.find("<ds:Signature").unwrap();
        let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        assert_eq!(format!("{}{}", &xml[..start], &xml[end..]), DOC);
        assert_eq!(&xml[end..], "</handoff>\n");
        assert!(xml.contains("<ds:KeyInfo><ds:KeyName>kid-ES256</ds:KeyName></ds:KeyInfo>"));
        let value = xml.split("<ds:SignatureValue>").nth(1).unwrap();
        let value = STANDARD.decode(value.split('<').next().unwrap()).unwrap();
        assert_eq!(value.len(), 64, "ECDSA signature values are r||s");
    }

    #[test]
    fn the_digest_is_over_the_canonical_unsigned_document() {
        let xml = signed();
        let digest = xml.split("<ds:DigestValue>").nth(1).unwrap();
        let digest = digest.split('<').next().unwrap();
        let expected = openssl::sha::sha256(&canonicalize(DOC.as_bytes()).unwrap());
        assert_eq!(digest, STANDARD.encode(expected));
    }

    #[test]
    fn an_empty_root_element_and_a_prefixed_root_can_be_signed() {
        for doc in [
            "<r/>",
            "<p:r xmlns:p=\"urn:p\" a=\"1\" />\n",
            "<ds:r xmlns:ds=\"urn:not-dsig\"><ds:x/></ds:r>",
        ] {
            let xml = sign(doc.as_bytes(), &es256().0).unwrap();
            let xml = String::from_utf8(xml).unwrap();
            check(&xml).unwrap_or_else(|e| panic!("{doc}: {e}"));
        }
    }

    #[test]
    fn only_es256_and_long_enough_rsa_keys_sign() {
        let (ed, _) = key(Alg::Ed25519);
        assert_eq!(
            sign(DOC.as_bytes(), &ed),
            Err(XmlDsigError::UnsupportedAlgorithm)
        );
        let short = SigningKey {
            kid: "short".into(),
            alg: Alg::Rs256,
            key: PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap(),
        };
        assert_eq!(sign(DOC.as_bytes(), &short), Err(XmlDsigError::KeyMismatch));
    }

    #[test]
    fn a_signed_document_is_not_signed_again() {
        assert_eq!(
            sign(signed().as_bytes(), &es256().0),
            Err(XmlDsigError::AlreadySigned)
        );
    }

    #[test]
    fn a_changed_content_byte_breaks_the_digest() {
        let xml = signed().replace("ho_0001", "ho_0002");
        assert_eq!(check(&xml), Err(XmlDsigError::DigestMismatch));
        let xml = signed().replace("見本 一郎", "見本 二郎");
        assert_eq!(check(&xml), Err(XmlDsigError::DigestMismatch));
    }

    #[test]
    fn a_changed_signature_value_does_not_verify() {
        let xml = signed();
        let start = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
        let mut bytes = xml.into_bytes();
        bytes[start + 5] = if bytes[start + 5] == b'A' { b'B' } else { b'A' };
        let xml = String::from_utf8(bytes).unwrap();
        assert_eq!(check(&xml), Err(XmlDsigError::BadSignature));
    }

    #[test]
    fn a_relabelled_algorithm_is_refused_for_the_keys_pinned_one() {
        for method in [
            RSA_SHA256,
            "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        ] {
            let xml = signed().replace(ECDSA_SHA256, method);
            assert_eq!(
                check(&xml),
                Err(XmlDsigError::AlgorithmMismatch { expected: "ES256" }),
                "{method}"
            );
        }
        // The same signature under a key registered for RS256.
        let (_, rsa) = key(Alg::Rs256);
        let rsa = VerifyingKey {
            kid: "kid-ES256".into(),
            ..rsa
        };
        assert_eq!(
            verify(signed().as_bytes(), |_| Some(rsa.clone())),
            Err(XmlDsigError::AlgorithmMismatch { expected: "RS256" })
        );
    }

    #[test]
    fn an_unknown_key_name_is_refused() {
        let xml = signed().replace("kid-ES256", "kid-other");
        assert_eq!(check(&xml), Err(XmlDsigError::UnknownKey));
    }

    #[test]
    fn a_document_without_a_signature_is_refused() {
        assert_eq!(check(DOC), Err(XmlDsigError::NoSignature));
    }

    fn signature_element(xml: &str) -> &str {
        let start = xml.find("<ds:Signature").unwrap();
        let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        &xml[start..end]
    }

    #[test]
    fn a_second_signature_is_refused() {
        let xml = signed();
        let sig = signature_element(&xml).to_owned();
        let twice = xml.replace("</handoff>", &format!("{sig}</handoff>"));
        assert_eq!(check(&twice), Err(XmlDsigError::MoreThanOneSignature));
        // Hidden deeper in the content, as a wrapping attack would.
        let wrapped = xml.replace("<handoff_id>", &format!("<handoff_id>{sig}"));
        assert_eq!(check(&wrapped), Err(XmlDsigError::MoreThanOneSignature));
    }

    #[test]
    fn a_signature_below_the_root_is_refused() {
        let xml = signed();
        let sig = signature_element(&xml).to_owned();
        let moved = xml
            .replace(&sig, "")
            .replace("</note>", &format!("</note><wrapper>{sig}</wrapper>"));
        assert_eq!(check(&moved), Err(XmlDsigError::NotRootChild));
    }

    #[test]
    fn a_signature_that_is_not_the_last_element_is_refused() {
        let xml = signed().replace("</ds:Signature>", "</ds:Signature><extra/>");
        assert_eq!(
            check(&xml),
            Err(XmlDsigError::Profile(ProfileViolation::NotLast))
        );
    }

    #[test]
    fn every_departure_from_the_profile_is_named() {
        use ProfileViolation as V;
        let xml = signed();
        let reference = {
            let start = xml.find("<ds:Reference").unwrap();
            let end = xml.find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
            xml[start..end].to_owned()
        };
        let cases: Vec<(String, V)> = vec![
            (xml.replace("URI=\"\"", "URI=\"#content\""), V::ReferenceUri),
            (xml.replace(" URI=\"\"", ""), V::ReferenceUri),
            (
                xml.replace(
                    &format!("<ds:Transform Algorithm=\"{ENVELOPED_SIGNATURE}\"></ds:Transform>"),
                    "",
                ),
                V::Transforms,
            ),
            (
                xml.replace(
                    "</ds:Transforms>",
                    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"></ds:Transform></ds:Transforms>",
                ),
                V::Transforms,
            ),
            (
                xml.replacen(
                    &format!("<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\">"),
                    "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\">",
                    1,
                ),
                V::CanonicalizationMethod,
            ),
            (
                xml.replace(SHA256, "http://www.w3.org/2000/09/xmldsig#sha1"),
                V::DigestMethod,
            ),
            (
                xml.replace(
                    "</ds:SignatureMethod>",
                    "<ds:HMACOutputLength>128</ds:HMACOutputLength></ds:SignatureMethod>",
                ),
                V::SignatureMethod,
            ),
            (
                xml.replace("</ds:Reference>", &format!("</ds:Reference>{reference}")),
                V::ExtraReference,
            ),
            (
                xml.replace(
                    "</ds:KeyInfo>",
                    "</ds:KeyInfo><ds:Object><ds:Manifest></ds:Manifest></ds:Object>",
                ),
                V::Object,
            ),
            (
                xml.replace("<ds:SignedInfo>", "<ds:SignedInfo>text"),
                V::SignedInfoContent,
            ),
            (xml.replace("<ds:DigestValue>", "<ds:DigestValue>AAAA"), V::DigestValue),
            (
                xml.replace("<ds:SignatureValue>", "<ds:SignatureValue>*"),
                V::SignatureValue,
            ),
        ];
        for (tampered, expected) in cases {
            assert_eq!(
                check(&tampered),
                Err(XmlDsigError::Profile(expected)),
                "{expected:?}"
            );
        }
    }

    #[test]
    fn key_info_with_a_key_value_or_certificate_besides_its_key_name_verifies_with_the_registered_key(
    ) {
        let xml = signed();
        // The carried key material is never read: even another key's is ignored.
        for extra in [
            "<ds:KeyValue><ds:ECKeyValue></ds:ECKeyValue></ds:KeyValue>",
            "<ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data>",
            "<ds:KeyValue></ds:KeyValue><ds:X509Data></ds:X509Data>",
        ] {
            let with = xml.replace("</ds:KeyInfo>", &format!("{extra}</ds:KeyInfo>"));
            assert!(check(&with).is_ok(), "{extra}: {:?}", check(&with));
        }
    }

    #[test]
    fn key_info_without_one_key_name_or_with_a_key_url_is_refused() {
        let xml = signed();
        for extra in [
            "<ds:RetrievalMethod URI=\"https://example.org/key\"></ds:RetrievalMethod>",
            "<ds:KeyName>kid-ES256</ds:KeyName>",
            "<ds:KeyValue></ds:KeyValue><ds:KeyValue></ds:KeyValue>",
            "<ds:PGPData></ds:PGPData>",
        ] {
            let tampered = xml.replace("</ds:KeyInfo>", &format!("{extra}</ds:KeyInfo>"));
            assert_eq!(check(&tampered), Err(XmlDsigError::KeyInfo), "{extra}");
        }
        let without = xml.replace(
            "<ds:KeyInfo><ds:KeyName>kid-ES256</ds:KeyName></ds:KeyInfo>",
            "",
        );
        assert_eq!(check(&without), Err(XmlDsigError::KeyInfo));
        let empty = xml.replace("kid-ES256</ds:KeyName>", "</ds:KeyName>");
        assert_eq!(check(&empty), Err(XmlDsigError::KeyInfo));
        let only_value = xml.replace(
            "<ds:KeyName>kid-ES256</ds:KeyName>",
            "<ds:KeyValue></ds:KeyValue>",
        );
        assert_eq!(check(&only_value), Err(XmlDsigError::KeyInfo));
    }

    #[test]
    fn hostile_documents_are_refused_before_any_signature_is_read() {
        let xml = signed();
        let bomb = xml.replacen(
            "<handoff",
            "<!DOCTYPE handoff [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><handoff",
            1,
        );
        assert_eq!(
            check(&bomb),
            Err(XmlDsigError::Document(C14nError::Doctype))
        );
        let pi = xml.replacen("<handoff_id>", "<?evil?><handoff_id>", 1);
        assert_eq!(
            check(&pi),
            Err(XmlDsigError::Document(C14nError::ProcessingInstruction))
        );
        assert!(matches!(
            check(&xml[..xml.len() - 5]),
            Err(XmlDsigError::Document(C14nError::Malformed { .. }))
        ));
    }

    #[test]
    fn line_breaks_in_base64_values_and_white_space_in_the_signature_are_accepted() {
        let xml = signed()
            .replace("<ds:SignedInfo>", "<ds:SignedInfo>\n  ")
            .replace("<ds:KeyName>", "<ds:KeyName> ");
        let value_at = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len() + 20;
        let xml = format!("{}\n{}", &xml[..value_at], &xml[value_at..]);
        // The added white space inside SignedInfo is signed content: only outside it may it change.
        assert_eq!(check(&xml), Err(XmlDsigError::BadSignature));
        let xml = signed().replace("<ds:KeyName>", "<ds:KeyName>\n ");
        let value_at = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len() + 20;
        let xml = format!("{}\n{}", &xml[..value_at], &xml[value_at..]);
        check(&xml).unwrap();
    }

    #[test]
    fn a_signed_document_maps_to_the_same_json_as_its_unsigned_form() {
        let engine = crate::validation::Engine::get();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/conformance/vectors/registration/valid/full.xml"
        );
        let unsigned = std::fs::read(path).unwrap();
        let signed = sign(&unsigned, &es256().0).unwrap();
        let a = crate::xml::to_json(&unsigned, engine).unwrap();
        let b = crate::xml::to_json(&signed, engine).unwrap();
        assert_eq!(a.value, b.value);
        assert!(b.findings.is_empty(), "{:?}", b.findings);
    }

    #[test]
    fn no_truncation_or_changed_byte_of_a_signed_document_panics_or_verifies_other_content() {
        let xml = signed();
        let bytes = xml.as_bytes();
        let original = canonicalize(DOC.as_bytes()).unwrap();
        for end in 0..bytes.len() {
            let _ = check_bytes(&bytes[..end]);
        }
        for at in 0..bytes.len() {
            for replacement in [b'<', b'>', b'&', b'"', b' ', b':', b'x', 0xff] {
                let mut changed = bytes.to_vec();
                changed[at] = replacement;
                if check_bytes(&changed).is_ok() {
                    // Only a change the canonical form does not see (white space in a tag) may
                    // still verify.
                    let doc = Document::parse(&changed).unwrap();
                    let (signature, _) = doc
                        .elements()
                        .find(|(id, _)| is_ds(&doc, *id, "Signature"))
                        .unwrap();
                    assert_eq!(
                        doc.canonicalize(Subset::DocumentWithout(signature)),
                        original,
                        "byte {at} -> {replacement}"
                    );
                }
            }
        }
    }

    fn check_bytes(xml: &[u8]) -> Result<VerifiedXml, XmlDsigError> {
        let registered = es256().1.clone();
        verify(xml, |kid| {
            (kid == registered.kid).then(|| registered.clone())
        })
    }
}
