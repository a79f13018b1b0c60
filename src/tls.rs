//! Trust anchors for HTTPS: the PEM bundle of `native.caFile`/`native.caPem`, parsed once when
//! the configuration is read and handed to the transport as certificates; without one, the
//! system's CA bundle, read when a client starts (or, built with the `bundled-roots` feature,
//! the Mozilla roots of webpki-roots compiled into the library).
//!
//! The system's bundle is the file `SSL_CERT_FILE` names, or the first of the usual places
//! (Debian, Ubuntu, Alpine, Fedora, RHEL, openSUSE, FreeBSD, macOS) that exists; failing that,
//! every file of `SSL_CERT_DIR` or of Android's `/system/etc/security/cacerts`. Reading it at
//! run time keeps 71 KB of roots out of the library and follows the system's updates;
//! BENCHMARKS.md has the figures.

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

/// The usual places of the system's CA bundle, most common first.
const BUNDLE_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];
/// Android's: one PEM certificate per file.
const BUNDLE_DIRS: &[&str] = &["/system/etc/security/cacerts"];

/// The system's CA certificates (see the module's comment); `env` reads the environment.
pub fn system_anchors(env: &dyn Fn(&str) -> Option<String>) -> Result<TrustAnchors, String> {
    anchors_from(env, BUNDLE_FILES, BUNDLE_DIRS)
}

/// `system_anchors`, looking in `files`, then in `dirs` (unless `SSL_CERT_DIR` names others).
fn anchors_from(env: &dyn Fn(&str) -> Option<String>, files: &[&str], dirs: &[&str]) -> Result<TrustAnchors, String> {
    if let Some(file) = env("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        let pem = std::fs::read(&file).map_err(|e| format!("SSL_CERT_FILE: cannot read \"{file}\": {e}"))?;
        return TrustAnchors::from_pem(&pem).map_err(|e| format!("SSL_CERT_FILE \"{file}\": {e}"));
    }
    for file in files {
        if let Ok(pem) = std::fs::read(file) {
            return TrustAnchors::from_pem(&pem).map_err(|e| format!("the system's CA bundle {file}: {e}"));
        }
    }
    let dirs: Vec<String> = env("SSL_CERT_DIR")
        .map(|d| d.split(':').filter(|d| !d.is_empty()).map(String::from).collect())
        .unwrap_or_else(|| dirs.iter().map(|d| d.to_string()).collect());
    let mut certificates = Vec::new();
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            // A file that is not PEM (a README, a CRL) is skipped, as OpenSSL skips it.
            if let Ok(anchors) =
                std::fs::read(entry.path()).map_err(|_| ()).and_then(|p| TrustAnchors::from_pem(&p).map_err(|_| ()))
            {
                certificates.extend(anchors.0);
            }
        }
    }
    if certificates.is_empty() {
        return Err(format!(
            "no CA certificates to trust: none of {} exists, nor certificates in {}; set native.caFile or native.caPem (or SSL_CERT_FILE), or build with the bundled-roots feature",
            files.join(", "),
            dirs.join(", ")
        ));
    }
    Ok(TrustAnchors(certificates))
}

/// The rustls client configuration: these anchors; without them, the Mozilla roots compiled
/// into the library (feature `bundled-roots`) or the system's (`system_anchors`).
pub fn client_config(anchors: Option<&TrustAnchors>) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    match anchors {
        Some(anchors) => {
            for certificate in anchors.certificates() {
                roots.add(certificate.clone()).map_err(|e| format!("a CA certificate was refused: {e}"))?;
            }
        }
        #[cfg(feature = "bundled-roots")]
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        #[cfg(not(feature = "bundled-roots"))]
        None => {
            // A system bundle may hold a certificate rustls cannot use (an old or odd one):
            // skipped, as other TLS stacks skip it, as long as some are usable.
            let system = system_anchors(&|name| std::env::var(name).ok())?;
            let (added, _ignored) = roots.add_parsable_certificates(system.0);
            if added == 0 {
                return Err("no usable CA certificate in the system's bundle; set native.caFile or native.caPem".into());
            }
        }
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
    use mediaedge_emulator::Emulator;

    /// A directory of its own under the system's temporary one, removed when dropped.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let path = std::env::temp_dir().join(format!("mediaedge-tls-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
        fn file(&self, name: &str, text: &str) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_system_bundle_is_the_env_file_or_the_first_usual_file_or_a_directory() {
        let ca = Emulator::start_tls().unwrap().ca_pem().unwrap().to_string();
        let dir = Dir::new("system");
        let bundle = dir.file("bundle.pem", &format!("{ca}{ca}"));
        let no_env = |_: &str| None;
        // The first file that exists.
        let missing = dir.0.join("missing.pem").display().to_string();
        let found = anchors_from(&no_env, &[&missing, &bundle], &[]).unwrap();
        assert_eq!(found.certificates().len(), 2);
        // SSL_CERT_FILE wins, and must be readable and hold certificates.
        let single = dir.file("single.pem", &ca);
        let env = |name: &str| (name == "SSL_CERT_FILE").then(|| single.clone());
        assert_eq!(anchors_from(&env, &[&bundle], &[]).unwrap().certificates().len(), 1);
        let env = |name: &str| (name == "SSL_CERT_FILE").then(|| missing.clone());
        assert!(anchors_from(&env, &[&bundle], &[]).unwrap_err().starts_with("SSL_CERT_FILE: cannot read"));
        let junk = dir.file("junk.txt", "not a certificate");
        let env = |name: &str| (name == "SSL_CERT_FILE").then(|| junk.clone());
        assert!(anchors_from(&env, &[&bundle], &[]).unwrap_err().contains("no CERTIFICATE"));
        // No file: every PEM file of the directories, others skipped.
        let certs = Dir::new("certs");
        certs.file("a.0", &ca);
        certs.file("b.0", &ca);
        certs.file("README", "not a certificate");
        let certs_path = certs.0.display().to_string();
        assert_eq!(anchors_from(&no_env, &[&missing], &[&certs_path]).unwrap().certificates().len(), 2);
        let env = |name: &str| (name == "SSL_CERT_DIR").then(|| format!("{missing}:{certs_path}"));
        assert_eq!(anchors_from(&env, &[&missing], &["/nonexistent"]).unwrap().certificates().len(), 2);
        // Nothing anywhere: a message that says what to do.
        let err = anchors_from(&no_env, &[&missing], &[&missing]).unwrap_err();
        assert!(err.starts_with("no CA certificates to trust") && err.contains("native.caFile"), "{err}");
    }

    use super::*;

    #[test]
    fn a_bundle_without_certificates_is_refused_with_a_reason() {
        assert_eq!(TrustAnchors::from_pem(b"").unwrap_err(), "no CERTIFICATE found in the PEM bundle");
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(TrustAnchors::from_pem(broken).unwrap_err().starts_with("not a valid PEM bundle"));
    }
}
