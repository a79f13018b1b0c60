//! Trust anchors for HTTPS: the PEM bundle of `native.caFile`/`native.caPem`, parsed once when
//! the configuration is read and handed to the transport as certificates.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// The certificates that replace the built-in web PKI roots. Never empty.
#[derive(Clone)]
pub struct TrustAnchors(Vec<CertificateDer<'static>>);

impl TrustAnchors {
    /// Reads every certificate of a PEM bundle; an error if there is none or one is malformed.
    pub fn from_pem(pem: &[u8]) -> Result<TrustAnchors, String> {
        let mut certificates = Vec::new();
        for item in CertificateDer::pem_slice_iter(pem) {
            match item {
                Ok(certificate) => certificates.push(certificate),
                Err(e) => return Err(format!("not a valid PEM bundle: {e:?}")),
            }
        }
        if certificates.is_empty() {
            return Err("no CERTIFICATE found in the PEM bundle".into());
        }
        Ok(TrustAnchors(certificates))
    }

    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.0
    }
}

impl PartialEq for TrustAnchors {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| a.as_ref() == b.as_ref())
    }
}

impl std::fmt::Debug for TrustAnchors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustAnchors({} certificates)", self.0.len())
    }
}

/// The rustls client configuration: these anchors, or the Mozilla roots (webpki-roots) compiled
/// into the library.
pub fn client_config(anchors: Option<&TrustAnchors>) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    match anchors {
        Some(anchors) => {
            for certificate in anchors.certificates() {
                roots.add(certificate.clone()).map_err(|e| format!("a CA certificate was refused: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_without_certificates_is_refused_with_a_reason() {
        assert_eq!(TrustAnchors::from_pem(b"").unwrap_err(), "no CERTIFICATE found in the PEM bundle");
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(TrustAnchors::from_pem(broken).unwrap_err().starts_with("not a valid PEM bundle"));
    }
}
