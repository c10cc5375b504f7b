//! XMLDSig interoperability with xmlsec1 (libxml2 + OpenSSL; Debian package `xmlsec1`, which
//! scripts/test.sh installs): our exclusive canonical form equals xmlsec1's pre-digest and
//! pre-signed buffers byte for byte, xmlsec1 verifies what we sign and we verify what xmlsec1
//! signs, for ES256 and RS256. The fixtures are in tests/interop/xml/.
use crate::helpers::repo;
use kyoten::crypto::jws::{Alg, SigningKey, VerifyingKey};
use kyoten::crypto::xmldsig::{self, ProfileViolation, XmlDsigError};
use kyoten::xml::c14n::{C14nError, Document, Subset};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Documents whose canonical form is compared with xmlsec1's.
const FIXTURES: [&str; 6] = [
    "namespaces.xml",
    "default_undeclared.xml",
    "attribute_order.xml",
    "crlf.xml",
    "cdata_and_references.xml",
    "japanese.xml",
];

const KID: &str = "peer-key";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("tests/interop/xml").join(name)).expect("fixture")
}

fn xmlsec1(args: &[&str]) -> Output {
    Command::new("xmlsec1")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmlsec1 is needed for the XMLDSig interoperability tests \
             (apt-get install -y xmlsec1; scripts/test.sh installs it): {e}"
            )
        })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A key pair in memory and as PEM files for xmlsec1.
struct Keys {
    _dir: tempfile::TempDir,
    signing: SigningKey,
    verifying: VerifyingKey,
    private_pem: PathBuf,
    public_pem: PathBuf,
}

impl Keys {
    fn new(alg: Alg) -> Keys {
        let private = match alg {
            Alg::Es256 => PKey::from_ec_key(
                EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
            )
            .unwrap(),
            Alg::Rs256 => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
            other => panic!("not an XMLDSig algorithm here: {other:?}"),
        };
        let dir = tempfile::tempdir().unwrap();
        let private_pem = dir.path().join("private.pem");
        let public_pem = dir.path().join("public.pem");
        std::fs::write(&private_pem, private.private_key_to_pem_pkcs8().unwrap()).unwrap();
        std::fs::write(&public_pem, private.public_key_to_pem().unwrap()).unwrap();
        let public = PKey::public_key_from_pem(&private.public_key_to_pem().unwrap()).unwrap();
        Keys {
            _dir: dir,
            signing: SigningKey {
                kid: KID.into(),
                alg,
                key: private,
            },
            verifying: VerifyingKey {
                kid: KID.into(),
                alg,
                key: public,
            },
            private_pem,
            public_pem,
        }
    }

    fn lookup(&self) -> impl Fn(&str) -> Option<VerifyingKey> + '_ {
        |kid| (kid == KID).then(|| self.verifying.clone())
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self._dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn method(alg: Alg) -> &'static str {
    xmldsig::signature_method(alg).expect("an XMLDSig algorithm")
}

/// The document with an xmlsec1 signature template in our profile as the root's last child.
fn with_template(doc: &[u8], alg: Alg) -> Vec<u8> {
    with_key_info(doc, alg, "<ds:KeyName/>")
}

/// The same template with `key_info` as the content of `KeyInfo`.
fn with_key_info(doc: &[u8], alg: Alg, key_info: &str) -> Vec<u8> {
    let template = format!(
        r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
    <ds:SignatureMethod Algorithm="{}"/>
    <ds:Reference URI="">
      <ds:Transforms>
        <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
        <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      </ds:Transforms>
      <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
      <ds:DigestValue/>
    </ds:Reference>
  </ds:SignedInfo>
  <ds:SignatureValue/>
  <ds:KeyInfo>{key_info}</ds:KeyInfo>
</ds:Signature>"#,
        method(alg)
    );
    let at = doc
        .windows(2)
        .rposition(|w| w == b"</")
        .expect("a root end tag");
    [&doc[..at], template.as_bytes(), &doc[at..]].concat()
}

/// xmlsec1 signs the document from a template (the key named `peer-key`).
fn xmlsec1_sign(doc: &[u8], keys: &Keys) -> Vec<u8> {
    xmlsec1_sign_template(&with_template(doc, keys.signing.alg), keys)
}

/// xmlsec1 signs a document that holds its signature template.
fn xmlsec1_sign_template(template: &[u8], keys: &Keys) -> Vec<u8> {
    let template = keys.file("template.xml", template);
    let signed = keys._dir.path().join("xmlsec1-signed.xml");
    let out = xmlsec1(&[
        "--sign",
        &format!("--privkey-pem:{KID}"),
        keys.private_pem.to_str().unwrap(),
        "--output",
        signed.to_str().unwrap(),
        template.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "xmlsec1 --sign: {}", text(&out));
    std::fs::read(signed).unwrap()
}

/// The buffers xmlsec1 verified: (pre-digest of the Reference, pre-signed SignedInfo).
struct Verified {
    pre_digest: Vec<u8>,
    pre_signed: Vec<u8>,
}

/// xmlsec1 verifies a file with the given public key only: no key from KeyInfo but its name,
/// and no reference but the whole document.
fn xmlsec1_verify(path: &Path, keys: &Keys) -> Result<Verified, String> {
    let out = xmlsec1(&[
        "--verify",
        "--store-references",
        "--store-signatures",
        "--enabled-key-data",
        "key-name",
        "--enabled-reference-uris",
        "empty",
        &format!("--pubkey-pem:{KID}"),
        keys.public_pem.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    if !out.status.success() {
        return Err(text(&out));
    }
    let buffer = |what: &str| {
        let start = format!("== {what} data - start buffer:\n");
        let end = format!("\n== {what} data - end buffer");
        let s = find(&out.stdout, start.as_bytes()).expect("xmlsec1 printed the buffer");
        let from = s + start.len();
        let len = find(&out.stdout[from..], end.as_bytes()).expect("the buffer ends");
        out.stdout[from..from + len].to_vec()
    };
    Ok(Verified {
        pre_digest: buffer("PreDigest"),
        pre_signed: buffer("PreSigned"),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn signature_of(doc: &Document<'_>) -> usize {
    doc.elements()
        .find(|(_, e)| e.local == "Signature" && e.namespace == xmldsig::NAMESPACE)
        .expect("a signature")
        .0
}

fn signed_info_of(doc: &Document<'_>) -> usize {
    doc.elements()
        .find(|(_, e)| e.local == "SignedInfo" && e.namespace == xmldsig::NAMESPACE)
        .expect("SignedInfo")
        .0
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn our_canonical_form_equals_the_xmlsec1_pre_digest_and_pre_signed_buffers() {
    let keys = Keys::new(Alg::Es256);
    for name in FIXTURES {
        let unsigned = fixture(name);
        let signed = xmlsec1_sign(&unsigned, &keys);
        let path = keys.file("signed.xml", &signed);
        let theirs = xmlsec1_verify(&path, &keys).unwrap_or_else(|e| panic!("{name}: {e}"));

        let ours = Document::parse(&unsigned)
            .unwrap()
            .canonicalize(Subset::Document);
        assert_eq!(show(&ours), show(&theirs.pre_digest), "{name}: document");
        let doc = Document::parse(&signed).unwrap();
        let without = doc.canonicalize(Subset::DocumentWithout(signature_of(&doc)));
        assert_eq!(
            show(&without),
            show(&theirs.pre_digest),
            "{name}: enveloped"
        );
        let signed_info = doc.canonicalize(Subset::Element(signed_info_of(&doc)));
        assert_eq!(
            show(&signed_info),
            show(&theirs.pre_signed),
            "{name}: SignedInfo"
        );
    }
}

#[test]
fn we_verify_xml_signed_by_xmlsec1_for_es256_and_rs256() {
    for alg in [Alg::Es256, Alg::Rs256] {
        let keys = Keys::new(alg);
        for name in FIXTURES {
            let signed = xmlsec1_sign(&fixture(name), &keys);
            let verified = xmldsig::verify(&signed, keys.lookup())
                .unwrap_or_else(|e| panic!("{alg:?} {name}: {e}"));
            assert_eq!((verified.kid.as_str(), verified.alg), (KID, alg));
        }
    }
}

#[test]
fn we_verify_xml_whose_key_info_xmlsec1_filled_with_its_key_value_using_the_registered_key() {
    // xmlsec1 writes an RSAKeyValue; it has no writer for an ECDSA one.
    let alg = Alg::Rs256;
    let keys = Keys::new(alg);
    let name = FIXTURES[0];
    let template = with_key_info(&fixture(name), alg, "<ds:KeyName/><ds:KeyValue/>");
    let signed = xmlsec1_sign_template(&template, &keys);
    let text = String::from_utf8_lossy(&signed).to_string();
    assert!(
        text.contains("KeyValue>") && text.contains("Modulus"),
        "xmlsec1 wrote the key value: {text}"
    );
    let verified =
        xmldsig::verify(&signed, keys.lookup()).unwrap_or_else(|e| panic!("{alg:?} {name}: {e}"));
    assert_eq!((verified.kid.as_str(), verified.alg), (KID, alg));
}

#[test]
fn xmlsec1_verifies_our_signed_xml_for_es256_and_rs256() {
    for alg in [Alg::Es256, Alg::Rs256] {
        let keys = Keys::new(alg);
        for name in FIXTURES {
            let unsigned = fixture(name);
            let signed = xmldsig::sign(&unsigned, &keys.signing).unwrap();
            let path = keys.file("ours.xml", &signed);
            let theirs =
                xmlsec1_verify(&path, &keys).unwrap_or_else(|e| panic!("{alg:?} {name}: {e}"));
            let ours = Document::parse(&unsigned)
                .unwrap()
                .canonicalize(Subset::Document);
            assert_eq!(show(&ours), show(&theirs.pre_digest), "{alg:?} {name}");
        }
    }
}

#[test]
fn xmlsec1_refuses_our_signed_xml_once_its_content_changed() {
    let keys = Keys::new(Alg::Es256);
    let signed = xmldsig::sign(&fixture("japanese.xml"), &keys.signing).unwrap();
    let tampered = show(&signed).replace("花子", "太郎");
    let path = keys.file("tampered.xml", tampered.as_bytes());
    assert!(xmlsec1_verify(&path, &keys).is_err());
    assert_eq!(
        xmldsig::verify(tampered.as_bytes(), keys.lookup()),
        Err(XmlDsigError::DigestMismatch)
    );
}

#[test]
fn hostile_documents_are_refused_with_their_reason() {
    let keys = Keys::new(Alg::Es256);
    let cases = [
        (
            "billion_laughs.xml",
            XmlDsigError::Document(C14nError::Doctype),
        ),
        (
            "external_entity.xml",
            XmlDsigError::Document(C14nError::Doctype),
        ),
        (
            "processing_instruction.xml",
            XmlDsigError::Document(C14nError::ProcessingInstruction),
        ),
        ("two_signatures.xml", XmlDsigError::MoreThanOneSignature),
        ("wrapping_nested.xml", XmlDsigError::NotRootChild),
        (
            "wrapping_object.xml",
            XmlDsigError::Profile(ProfileViolation::Object),
        ),
    ];
    for (name, expected) in cases {
        let bytes = fixture(&format!("hostile/{name}"));
        assert_eq!(
            xmldsig::verify(&bytes, keys.lookup()),
            Err(expected.clone()),
            "{name}"
        );
        // Nor is any of them signed.
        assert!(xmldsig::sign(&bytes, &keys.signing).is_err(), "{name}");
    }
}
