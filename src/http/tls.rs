//! Native TLS on openssl: TLS 1.2 and 1.3 only with Mozilla's intermediate cipher list, and
//! optionally mutual TLS, where every client must present a certificate issued by a given CA
//! before any request is read. Such a certificate also authenticates its organization (its
//! subject's CN is the organization id), as strongly as that organization's API key: a request
//! on the connection may leave the Bearer key out, and one that carries a key of another
//! organization is refused (`auth.rs`).
use actix_web::dev::Extensions;
use openssl::nid::Nid;
use openssl::ssl::{
    SslAcceptor, SslAcceptorBuilder, SslFiletype, SslMethod, SslVerifyMode, SslVersion,
};
use openssl::x509::X509VerifyResult;
use std::any::Any;
use std::path::PathBuf;

/// Where the server's certificate, its key and (for mutual TLS) the clients' CA are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain (PEM), the server's certificate first.
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
    /// CA certificates (PEM) that issue the clients' certificates: when given, a client without
    /// such a certificate is refused in the handshake.
    pub client_ca: Option<PathBuf>,
}

/// Why TLS cannot be set up, naming the file (never its content).
#[derive(Debug, thiserror::Error)]
#[error("{what} ({path}): {source}")]
pub struct TlsError {
    what: &'static str,
    path: String,
    source: openssl::error::ErrorStack,
}

impl TlsFiles {
    /// The acceptor: Mozilla "intermediate" (TLS 1.2 with forward-secret AEAD ciphers, TLS
    /// 1.3), the chain and key checked against each other at start-up.
    pub fn acceptor(&self) -> Result<SslAcceptorBuilder, TlsError> {
        fn at(
            what: &'static str,
            path: &std::path::Path,
        ) -> impl FnOnce(openssl::error::ErrorStack) -> TlsError {
            let path = path.display().to_string();
            move |source| TlsError { what, path, source }
        }
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())
            .map_err(at("TLS set-up", &self.cert))?;
        builder
            .set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(at("TLS set-up", &self.cert))?;
        builder
            .set_certificate_chain_file(&self.cert)
            .map_err(at("the certificate chain cannot be read", &self.cert))?;
        builder
            .set_private_key_file(&self.key, SslFiletype::PEM)
            .map_err(at(
                "the private key cannot be read or does not match the certificate",
                &self.key,
            ))?;
        builder.check_private_key().map_err(at(
            "the private key does not match the certificate",
            &self.key,
        ))?;
        if let Some(ca) = &self.client_ca {
            builder
                .set_ca_file(ca)
                .map_err(at("the client CA cannot be read", ca))?;
            builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        Ok(builder)
    }
}

/// The organization a client certificate verified in the handshake names: the CN of its
/// subject. Only with mutual TLS (without a client CA no certificate is asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    pub organization_id: String,
}

/// Run by the server on every new connection: keeps the organization a verified client
/// certificate names with the connection, for every request on it.
pub fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    type Tls = actix_tls::accept::openssl::TlsStream<actix_web::rt::net::TcpStream>;
    let Some(tls) = connection.downcast_ref::<Tls>() else {
        return;
    };
    let ssl = tls.ssl();
    if ssl.verify_result() != X509VerifyResult::OK {
        return;
    }
    let Some(certificate) = ssl.peer_certificate() else {
        return;
    };
    let mut names = certificate.subject_name().entries_by_nid(Nid::COMMONNAME);
    // Exactly one CN whose bytes are printable ASCII (what organization ids are made of; a
    // BMPString or a NUL byte names no organization).
    let (Some(cn), None) = (names.next(), names.next()) else {
        return;
    };
    let bytes = cn.data().as_slice();
    if !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_graphic()) {
        data.insert(ClientCertificate {
            organization_id: String::from_utf8_lossy(bytes).into_owned(),
        });
    }
}

/// Whether an address to bind is on this machine only (loopback): plain HTTP is acceptable
/// there, nowhere else.
pub fn is_loopback(bind: &str) -> bool {
    if bind.eq_ignore_ascii_case("localhost") {
        return true;
    }
    bind.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_count_as_this_machine() {
        for local in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "localhost",
            "LOCALHOST",
        ] {
            assert!(is_loopback(local), "{local}");
        }
        for open in [
            "0.0.0.0",
            "::",
            "192.168.1.10",
            "10.0.0.1",
            "example.org",
            "",
        ] {
            assert!(!is_loopback(open), "{open}");
        }
    }
}
