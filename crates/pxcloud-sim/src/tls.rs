//! The self-signed certificate generated at start and the TLS server configuration.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use crate::SimError;

/// A freshly generated certificate with its key and the forms callers want.
pub(crate) struct Identity {
    pub(crate) cert_pem: String,
    pub(crate) cert_der: Vec<u8>,
    pub(crate) fingerprint: String,
    pub(crate) server_config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of Debug output.
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Generates a self-signed certificate for loopback names plus `extra_names`.
pub(crate) fn generate(extra_names: &[String]) -> Result<Identity, SimError> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.extend(extra_names.iter().cloned());
    let certified = rcgen::generate_simple_self_signed(names).map_err(SimError::Certificate)?;
    let cert_der = certified.cert.der().to_vec();
    let key_der = certified.key_pair.serialize_der();
    let fingerprint = fingerprint_sha256(&cert_der);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(SimError::Tls)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
        )
        .map_err(SimError::Tls)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Identity {
        cert_pem: certified.cert.pem(),
        cert_der,
        fingerprint,
        server_config: Arc::new(config),
    })
}

/// `AB:CD:…`: uppercase, colon-separated SHA-256 of the DER, as Proxmox shows it.
pub(crate) fn fingerprint_sha256(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
