//! Native TLS on openssl: TLS 1.2 and 1.3 only with Mozilla's intermediate cipher list, and
//! optionally mutual TLS, where every client must present a certificate issued by a given CA
//! before any request is read.
use openssl::ssl::{
    SslAcceptor, SslAcceptorBuilder, SslFiletype, SslMethod, SslVerifyMode, SslVersion,
};
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
