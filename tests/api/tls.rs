//! Native TLS: `kyoten serve --tls-cert --tls-key` speaks HTTPS with TLS 1.2 or newer only;
//! `--tls-client-ca` makes every client show a certificate from that CA; plain HTTP is refused
//! on an address other than loopback unless a TLS proxy is declared in front.
use crate::helpers::*;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509NameBuilder, X509};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn key() -> PKey<Private> {
    PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap()
}

/// A certificate for `cn`, signed by `issuer` (self-signed when `None`).
fn certificate(
    cn: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    ca: bool,
    server: bool,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &BigNum::from_u32(rand_serial())
            .unwrap()
            .to_asn1_integer()
            .unwrap(),
    )
    .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |(c, _)| c.subject_name()))
        .unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(2).unwrap())
        .unwrap();
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
    } else {
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .build()
                .unwrap(),
        )
        .unwrap();
        let mut eku = ExtendedKeyUsage::new();
        if server {
            eku.server_auth();
        } else {
            eku.client_auth();
        }
        b.append_extension(eku.build().unwrap()).unwrap();
        if server {
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .build(&b.x509v3_context(issuer.map(|(c, _)| c.as_ref()), None))
                .unwrap();
            b.append_extension(san).unwrap();
        }
    }
    b.sign(issuer.map_or(key, |(_, k)| k), MessageDigest::sha256())
        .unwrap();
    b.build()
}

fn rand_serial() -> u32 {
    let mut bytes = [0u8; 4];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    u32::from_be_bytes(bytes) >> 1
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    ca: X509,
    ca_key: PKey<Private>,
    client_cert: X509,
    client_key: PKey<Private>,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = key();
        let ca = certificate("kyoten test CA", &ca_key, None, true, false);
        let server_key = key();
        let server = certificate("127.0.0.1", &server_key, Some((&ca, &ca_key)), false, true);
        let client_key = key();
        let client_cert = certificate("office-a", &client_key, Some((&ca, &ca_key)), false, false);
        let write = |name: &str, pem: Vec<u8>| std::fs::write(dir.path().join(name), pem).unwrap();
        write("ca.pem", ca.to_pem().unwrap());
        write("server.pem", server.to_pem().unwrap());
        write("server.key", server_key.private_key_to_pem_pkcs8().unwrap());
        Pki {
            dir,
            ca,
            ca_key,
            client_cert,
            client_key,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(database: &Path, port: u16, extra: &[&str]) -> Child {
    kyoten()
        .args([
            "serve",
            "--workers",
            "1",
            "--port",
            &port.to_string(),
            "--database-url",
        ])
        .arg(database)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// An HTTPS client that trusts the test CA (and presents the client certificate if asked).
fn https_client(pki: &Pki, with_client_cert: bool) -> reqwest::blocking::Client {
    https_client_as(
        pki,
        with_client_cert.then_some((&pki.client_cert, &pki.client_key)),
    )
}

/// An HTTPS client that trusts the test CA and presents this certificate, if any.
fn https_client_as(
    pki: &Pki,
    identity: Option<(&X509, &PKey<Private>)>,
) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pki.ca.to_pem().unwrap()).unwrap())
        .timeout(Duration::from_secs(10));
    if let Some((cert, key)) = identity {
        let identity = reqwest::Identity::from_pkcs8_pem(
            &cert.to_pem().unwrap(),
            &key.private_key_to_pem_pkcs8().unwrap(),
        )
        .unwrap();
        b = b.identity(identity);
    }
    b.build().unwrap()
}

/// Adds an organization to the database with the command line; its API key.
fn add_organization(database: &Path, role: &str, id: &str) -> String {
    let out = kyoten()
        .args(["org", "--database-url"])
        .arg(database)
        .args(["add", "--role", role, "--id", id, "--name", "見本"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("api key "))
        .and_then(|l| l.split(": ").nth(1))
        .unwrap()
        .trim()
        .to_owned()
}

fn wait_for(client: &reqwest::blocking::Client, url: &str) {
    let started = Instant::now();
    while client.get(url).send().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether a TLS handshake with at most `version` succeeds (the client allows old versions).
fn handshake_with_at_most(port: u16, version: SslVersion) -> bool {
    let mut c = SslConnector::builder(SslMethod::tls_client()).unwrap();
    c.set_verify(SslVerifyMode::NONE);
    c.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    c.set_min_proto_version(None).unwrap();
    c.set_max_proto_version(Some(version)).unwrap();
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.build().connect("127.0.0.1", stream).is_ok()
}

#[test]
fn serve_speaks_https_with_tls_1_2_or_newer_only() {
    let pki = Pki::new();
    let db = pki.path("kyoten.sqlite");
    let port = free_port();
    let _server = Running(serve(
        &db,
        port,
        &[
            "--tls-cert",
            pki.path("server.pem").to_str().unwrap(),
            "--tls-key",
            pki.path("server.key").to_str().unwrap(),
        ],
    ));
    let https = https_client(&pki, false);
    let url = format!("https://127.0.0.1:{port}/health");
    wait_for(&https, &url);
    assert_eq!(https.get(&url).send().unwrap().status(), 200);
    let plain = client()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send();
    assert!(
        plain.map_or(true, |r| r.status() != 200),
        "plain HTTP gets no answer on the TLS port"
    );
    assert!(handshake_with_at_most(port, SslVersion::TLS1_2));
    assert!(
        !handshake_with_at_most(port, SslVersion::TLS1_1),
        "TLS 1.1 is refused"
    );
    assert!(
        !handshake_with_at_most(port, SslVersion::TLS1),
        "TLS 1.0 is refused"
    );
}

#[test]
fn with_a_client_ca_a_client_without_its_certificate_is_refused_in_the_handshake() {
    let pki = Pki::new();
    let db = pki.path("kyoten.sqlite");
    let port = free_port();
    let _server = Running(serve(
        &db,
        port,
        &[
            "--tls-cert",
            pki.path("server.pem").to_str().unwrap(),
            "--tls-key",
            pki.path("server.key").to_str().unwrap(),
            "--tls-client-ca",
            pki.path("ca.pem").to_str().unwrap(),
        ],
    ));
    let url = format!("https://127.0.0.1:{port}/health");
    let with_cert = https_client(&pki, true);
    wait_for(&with_cert, &url);
    assert_eq!(with_cert.get(&url).send().unwrap().status(), 200);
    assert!(
        https_client(&pki, false).get(&url).send().is_err(),
        "no client certificate, no connection"
    );
}

#[test]
fn plain_http_on_an_open_address_is_refused_unless_a_tls_proxy_is_declared() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kyoten.sqlite");
    let out = output_within(
        kyoten()
            .args([
                "serve",
                "--bind",
                "0.0.0.0",
                "--port",
                "0",
                "--database-url",
            ])
            .arg(&db),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--tls-cert") && stderr.contains("--behind-tls-proxy"),
        "{stderr}"
    );
    assert!(!db.exists(), "nothing was started or created");

    // Declared behind a TLS proxy, it starts (on an open address, so only briefly).
    let port = free_port();
    let mut child = kyoten()
        .args([
            "serve",
            "--bind",
            "0.0.0.0",
            "--behind-tls-proxy",
            "--workers",
            "1",
            "--port",
            &port.to_string(),
            "--database-url",
        ])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/health");
    let started = Instant::now();
    let mut up = false;
    while started.elapsed() < Duration::from_secs(30) {
        if client().get(&url).send().is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(up, "the server started behind a declared proxy");
}

#[test]
fn a_certificate_that_does_not_match_its_key_is_a_clear_start_up_error() {
    let pki = Pki::new();
    let other = pki.path("other.key");
    std::fs::write(&other, key().private_key_to_pem_pkcs8().unwrap()).unwrap();
    let out = output_within(
        kyoten()
            .args([
                "serve",
                "--port",
                "0",
                "--tls-cert",
                pki.path("server.pem").to_str().unwrap(),
                "--tls-key",
                other.to_str().unwrap(),
                "--database-url",
            ])
            .arg(pki.path("kyoten.sqlite")),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not match"), "{stderr}");
}

#[test]
fn with_mutual_tls_the_client_certificate_authenticates_the_organization_it_names_retries_included()
{
    let pki = Pki::new();
    let db = pki.path("kyoten.sqlite");
    let office_key = add_organization(&db, "consultation_office", "office-a");
    let kikan_key = add_organization(&db, "kikan", "kikan-1");
    let port = free_port();
    let _server = Running(serve(
        &db,
        port,
        &[
            "--tls-cert",
            pki.path("server.pem").to_str().unwrap(),
            "--tls-key",
            pki.path("server.key").to_str().unwrap(),
            "--tls-client-ca",
            pki.path("ca.pem").to_str().unwrap(),
        ],
    ));
    let office = https_client(&pki, true);
    wait_for(&office, &format!("https://127.0.0.1:{port}/health"));
    let url = format!("https://127.0.0.1:{port}/v1/registrations");
    let status = |r: reqwest::blocking::RequestBuilder| r.send().unwrap().status().as_u16();

    // The certificate (CN office-a) alone authenticates office-a …
    assert_eq!(status(office.get(&url)), 200);
    // … as does its own API key beside it; another organization's key is refused.
    assert_eq!(status(office.get(&url).bearer_auth(&office_key)), 200);
    assert_eq!(status(office.get(&url).bearer_auth(&kikan_key)), 401);
    // A retried submission authenticated by the certificate alone is answered from the first,
    // as one authenticated by a key is.
    let submit = || {
        office
            .post(&url)
            .header("Idempotency-Key", "cert-submit-1")
            .json(&crate::fixtures::registration_from("office-a"))
            .send()
            .unwrap()
    };
    let first = submit();
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().unwrap();
    let again = submit();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.json::<serde_json::Value>().unwrap()["registration_id"],
        first["registration_id"]
    );
    // A certificate from the CA that names no organization authenticates nobody, but the
    // organization's key still does.
    let stranger_key = key();
    let stranger = certificate(
        "not-an-organization",
        &stranger_key,
        Some((&pki.ca, &pki.ca_key)),
        false,
        false,
    );
    let unknown = https_client_as(&pki, Some((&stranger, &stranger_key)));
    assert_eq!(status(unknown.get(&url)), 401);
    assert_eq!(status(unknown.get(&url).bearer_auth(&kikan_key)), 200);
}

#[test]
fn without_a_client_ca_no_certificate_stands_in_for_the_api_key() {
    let pki = Pki::new();
    let db = pki.path("kyoten.sqlite");
    add_organization(&db, "consultation_office", "office-a");
    let port = free_port();
    let _server = Running(serve(
        &db,
        port,
        &[
            "--tls-cert",
            pki.path("server.pem").to_str().unwrap(),
            "--tls-key",
            pki.path("server.key").to_str().unwrap(),
        ],
    ));
    let office = https_client(&pki, true);
    wait_for(&office, &format!("https://127.0.0.1:{port}/health"));
    let res = office
        .get(format!("https://127.0.0.1:{port}/v1/registrations"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
}
