//! TLS trust: the rustls configuration for each `TlsTrust`, certificate pinning, and a
//! verifier that records the server certificate's fingerprint when it is rejected.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::config::TlsTrust;
use crate::error::Error;

/// SHA-256 of a DER certificate as `AB:CD:…` (uppercase, colon-separated, like Proxmox).
pub fn fingerprint_sha256(der: &[u8]) -> String {
    format_fingerprint(&Sha256::digest(der).into())
}

fn format_fingerprint(bytes: &[u8; 32]) -> String {
    let mut out = String::with_capacity(95);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// Parses a SHA-256 fingerprint: 64 hex digits, colons (or spaces) optional, any case, an
/// optional `sha256:` / `SHA256=` prefix.
pub fn parse_fingerprint(input: &str) -> Result<[u8; 32], Error> {
    let trimmed = input.trim();
    let lower = trimmed.to_ascii_lowercase();
    let body = lower
        .strip_prefix("sha256:")
        .or_else(|| lower.strip_prefix("sha256="))
        .or_else(|| lower.strip_prefix("sha-256:"))
        .unwrap_or(&lower);
    let hex_digits: String = body
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let bad = |why: &str| {
        Error::config(format!(
            "PXCLOUD_TLS_FINGERPRINT {trimmed:?} is not a SHA-256 fingerprint ({why}); expected \
             64 hex digits, colons optional, e.g. AB:CD:…"
        ))
    };
    if hex_digits.len() != 64 {
        return Err(bad(&format!("{} hex digits", hex_digits.len())));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(&hex_digits, &mut out).map_err(|_| bad("not hexadecimal"))?;
    Ok(out)
}

/// Why the verifier rejected a certificate; carried inside the rustls error so the client
/// can report the fingerprint.
#[derive(Debug)]
pub(crate) struct CertRejected {
    pub(crate) fingerprint: String,
    pub(crate) reason: String,
    pub(crate) pinned: bool,
}

impl fmt::Display for CertRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl StdError for CertRejected {}

#[derive(Debug)]
enum Mode {
    WebPki(Arc<WebPkiServerVerifier>),
    Pin([u8; 32]),
    Insecure,
}

#[derive(Debug)]
struct TrustVerifier {
    mode: Mode,
    provider: Arc<CryptoProvider>,
}

fn rejected(fingerprint: String, reason: String, pinned: bool) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
        CertRejected {
            fingerprint,
            reason,
            pinned,
        },
    ))))
}

impl ServerCertVerifier for TrustVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        match &self.mode {
            Mode::WebPki(inner) => inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(|e| rejected(format_fingerprint(&digest), describe(&e), false)),
            Mode::Pin(expected) => {
                if &digest == expected {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rejected(
                        format_fingerprint(&digest),
                        format!(
                            "the certificate's SHA-256 fingerprint does not match \
                             PXCLOUD_TLS_FINGERPRINT (expected {})",
                            format_fingerprint(expected)
                        ),
                        true,
                    ))
                }
            }
            Mode::Insecure => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn describe(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the certificate is not signed by a trusted authority (self-signed?)".to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => {
            "the certificate is not valid for the host name in PXCLOUD_URL".to_owned()
        }
        rustls::Error::InvalidCertificate(CertificateError::Expired)
        | rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
            "the certificate has expired".to_owned()
        }
        other => format!("certificate rejected: {other}"),
    }
}

/// Reads PEM certificates; errors name `PXCLOUD_CA_FILE`.
fn pem_certs(pem: &[u8], origin: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let mut reader = pem;
    let mut certs = Vec::new();
    for item in rustls_pemfile::certs(&mut reader) {
        let cert = item.map_err(|e| {
            Error::config(format!("PXCLOUD_CA_FILE {origin} is not valid PEM: {e}"))
        })?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(Error::config(format!(
            "PXCLOUD_CA_FILE {origin} contains no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
}

/// Builds the rustls client configuration (without ALPN; the connector adds it).
pub(crate) fn client_config(trust: &TlsTrust) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mode = match trust {
        TlsTrust::System => None,
        TlsTrust::CaPem(pem) => Some(pem_certs(pem, "(PEM given in the configuration)")?),
        TlsTrust::CaFile(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                Error::config(format!(
                    "PXCLOUD_CA_FILE {} cannot be read: {e}",
                    path.display()
                ))
            })?;
            Some(pem_certs(&pem, &path.display().to_string())?)
        }
        TlsTrust::Fingerprint(_) | TlsTrust::Insecure => None,
    };
    if let Some(certs) = mode {
        for cert in certs {
            roots.add(cert).map_err(|e| {
                Error::config(format!(
                    "PXCLOUD_CA_FILE contains a certificate that cannot be used as a trust root: {e}"
                ))
            })?;
        }
    }
    let mode = match trust {
        TlsTrust::Fingerprint(fp) => Mode::Pin(parse_fingerprint(fp)?),
        TlsTrust::Insecure => Mode::Insecure,
        TlsTrust::System | TlsTrust::CaPem(_) | TlsTrust::CaFile(_) => {
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| Error::config(format!("cannot build the TLS verifier: {e}")))?;
            Mode::WebPki(verifier)
        }
    };
    let verifier = TrustVerifier {
        mode,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("cannot configure TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

/// Finds a TLS failure in an error chain (hyper-util → io::Error → rustls::Error).
pub(crate) fn find_tls_error(err: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    find_tls_error_depth(err, 0)
}

fn find_tls_error_depth(err: &(dyn StdError + 'static), depth: usize) -> Option<TlsFailure> {
    // `io::Error::source` skips the error it wraps, so wrapped errors are opened explicitly;
    // the depth bound keeps a pathological chain from recursing without end.
    if depth > 16 {
        return None;
    }
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = tls_failure_of(e) {
            return Some(found);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = find_tls_error_depth(inner, depth + 1)
        {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// A TLS failure found in an error chain.
#[derive(Debug)]
pub(crate) struct TlsFailure {
    pub(crate) fingerprint: Option<String>,
    pub(crate) reason: String,
    pub(crate) pinned: bool,
    /// The peer did not speak TLS at all (an http:// server behind an https:// URL).
    pub(crate) not_tls: bool,
}

fn tls_failure_of(e: &(dyn StdError + 'static)) -> Option<TlsFailure> {
    let rustls_err = e.downcast_ref::<rustls::Error>()?;
    if let rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) =
        rustls_err
        && let Some(rej) = inner.downcast_ref::<CertRejected>()
    {
        return Some(TlsFailure {
            fingerprint: Some(rej.fingerprint.clone()),
            reason: rej.reason.clone(),
            pinned: rej.pinned,
            not_tls: false,
        });
    }
    let not_tls = matches!(rustls_err, rustls::Error::InvalidMessage(_));
    Some(TlsFailure {
        fingerprint: None,
        reason: rustls_err.to_string(),
        pinned: false,
        not_tls,
    })
}

/// The user-facing message for a TLS failure.
pub(crate) fn tls_error(base: &str, failure: TlsFailure) -> Error {
    let message = if failure.not_tls {
        format!(
            "TLS handshake with {base} failed ({}); is the server speaking HTTPS on that port? \
             Check PXCLOUD_URL",
            failure.reason
        )
    } else if failure.pinned {
        format!(
            "TLS certificate of {base} refused: {}. The server presented {}. If the certificate \
             was legitimately replaced, update PXCLOUD_TLS_FINGERPRINT",
            failure.reason,
            failure
                .fingerprint
                .as_deref()
                .unwrap_or("an unreadable certificate")
        )
    } else if let Some(fp) = &failure.fingerprint {
        format!(
            "TLS certificate verification failed for {base}: {}. The server's certificate has \
             SHA-256 fingerprint {fp}. To trust it, set one of: PXCLOUD_CA_FILE=<PEM file of \
             the CA that signed it>, PXCLOUD_TLS_FINGERPRINT={fp} (pin this certificate), or \
             PXCLOUD_TLS_VERIFY=false (no verification, not recommended)",
            failure.reason
        )
    } else {
        format!(
            "TLS handshake with {base} failed: {}. If the certificate is not trusted, set \
             PXCLOUD_CA_FILE, PXCLOUD_TLS_FINGERPRINT or PXCLOUD_TLS_VERIFY=false",
            failure.reason
        )
    };
    Error::new(crate::ErrorKind::Tls, message).with_fingerprint(failure.fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

    #[test]
    fn fingerprint_forms() {
        let expected = parse_fingerprint(FP).unwrap();
        let accepted = [
            FP.to_owned(),
            FP.to_lowercase(),
            FP.replace(':', ""),
            format!("sha256:{}", FP.replace(':', "").to_lowercase()),
            format!("  {FP}  "),
            FP.replace(':', " "),
        ];
        for input in &accepted {
            assert_eq!(parse_fingerprint(input).unwrap(), expected, "{input}");
        }
        assert_eq!(format_fingerprint(&expected), FP);
        let refused = [
            ("", "0 hex digits"),
            ("AB:CD", "4 hex digits"),
            (&FP.replace("AB", "ZZ"), "not hexadecimal"),
            (&format!("{FP}:00"), "66 hex digits"),
        ];
        for (input, why) in refused {
            let e = parse_fingerprint(input).unwrap_err();
            let s = e.to_string();
            assert!(
                s.contains("PXCLOUD_TLS_FINGERPRINT") && s.contains(why),
                "{input}: {s}"
            );
        }
    }

    #[test]
    fn fingerprint_of_der() {
        // SHA-256 of the empty input.
        assert_eq!(
            fingerprint_sha256(b"").replace(':', ""),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        );
    }

    #[test]
    fn ca_pem_errors_name_the_variable() {
        let e = client_config(&TlsTrust::CaPem(b"not a pem".to_vec())).unwrap_err();
        assert!(e.to_string().contains("PXCLOUD_CA_FILE"), "{e}");
        let e = client_config(&TlsTrust::CaFile("/nonexistent/ca.pem".into())).unwrap_err();
        assert!(
            e.to_string()
                .contains("PXCLOUD_CA_FILE /nonexistent/ca.pem"),
            "{e}"
        );
        assert!(client_config(&TlsTrust::System).is_ok());
        assert!(client_config(&TlsTrust::Insecure).is_ok());
        assert!(client_config(&TlsTrust::Fingerprint(FP.into())).is_ok());
    }

    #[test]
    fn tls_failure_found_through_io_error() {
        let rustls_err = rejected("AA:BB".into(), "not trusted".into(), false);
        let io = std::io::Error::other(rustls_err);
        let found = find_tls_error(&io).unwrap();
        assert_eq!(found.fingerprint.as_deref(), Some("AA:BB"));
        let e = tls_error("https://h:8443", found);
        let s = e.to_string();
        for needle in [
            "PXCLOUD_CA_FILE",
            "PXCLOUD_TLS_FINGERPRINT=AA:BB",
            "PXCLOUD_TLS_VERIFY=false",
        ] {
            assert!(s.contains(needle), "{s}");
        }
        assert_eq!(e.fingerprint(), Some("AA:BB"));
    }
}
