//! TLS for the connection, with rustls: the client configuration for each `sslmode`
//! (which certificate checks it makes), the trust roots from `sslrootcert` or the system,
//! tokio-postgres' TLS hook, and the `tls-server-end-point` channel binding that
//! `channel_binding=require` needs.
//!
//! It never opens a connection itself; it is handed the stream once the server has
//! accepted TLS.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect};

use super::settings::{RootSource, Settings, Verification};
use super::{Failure, Phase, Progress};

/// The rustls configuration for `settings`, or `None` when TLS is not attempted.
pub(super) fn client_config(settings: &Settings) -> Result<Option<Arc<ClientConfig>>, Failure> {
    if !settings.uses_tls() {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ServerCertVerifier> = match settings.verification() {
        Verification::None => Arc::new(AnyCertificate { algorithms }),
        Verification::Chain => {
            Arc::new(ChainOnly { roots: Arc::new(load_roots(&settings.root_source())?), algorithms })
        }
        Verification::ChainAndName => {
            let roots = Arc::new(load_roots(&settings.root_source())?);
            WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|error| Failure::TlsSetup(error.to_string()))?
        }
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| Failure::TlsSetup(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // Neon's proxy routes on SNI; rustls sends it for names (not for IP addresses).
    config.enable_sni = settings.sni;
    Ok(Some(Arc::new(config)))
}

fn load_roots(source: &RootSource) -> Result<RootCertStore, Failure> {
    let mut store = RootCertStore::empty();
    match source {
        RootSource::System => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        RootSource::File(path) => {
            let failure = |detail: String| Failure::RootCertificates { path: path.clone(), detail };
            // A certificate file is small; `/dev/zero` or a FIFO would never end.
            let pem = crate::input::read_bytes(path, crate::input::SETTINGS_LIMIT)
                .map_err(|error| failure(error.to_string()))?;
            for certificate in CertificateDer::pem_slice_iter(&pem) {
                let certificate =
                    certificate.map_err(|error| failure(format!("it is not valid PEM ({error})")))?;
                store
                    .add(certificate)
                    .map_err(|error| failure(format!("a certificate in it is invalid ({error})")))?;
            }
            if store.is_empty() {
                return Err(failure("it holds no PEM certificate".to_string()));
            }
        }
    }
    Ok(store)
}

/// `sslmode=prefer`/`require`: encrypt, believe any certificate (libpq does the same).
/// The handshake signature is still checked, so the server holds the certificate's key.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly {
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// The handshake signature checks, the same for every verifier here: with the crypto
/// provider's algorithms (`self.algorithms`), whatever the certificate policy.
macro_rules! signature_checks {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            certificate: &CertificateDer<'_>,
            signature: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            certificate: &CertificateDer<'_>,
            signature: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    signature_checks!();
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let certificate = ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &certificate,
            &self.roots,
            intermediates,
            now,
            self.algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    signature_checks!();
}

/// tokio-postgres' hook for TLS: called after the server accepted the SSLRequest.
pub(super) struct RustlsConnect {
    pub(super) config: Option<Arc<ClientConfig>>,
    pub(super) name: Option<ServerName<'static>>,
    pub(super) progress: Arc<Progress>,
}

/// Why the TLS handshake failed; tokio-postgres hands it back as the error's source.
#[derive(Debug)]
pub(super) enum TlsFailure {
    Rustls(rustls::Error),
    Io(io::Error),
    /// The host cannot be a TLS server name, or TLS was not configured.
    NoName,
}

/// A TLS stream that gives tokio-postgres the `tls-server-end-point` channel binding.
pub(super) struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = TlsFailure;
    type Future = Pin<Box<dyn Future<Output = Result<RustlsStream<S>, TlsFailure>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let RustlsConnect { config, name, progress } = self;
        progress.started.store(true, Ordering::SeqCst);
        progress.set_phase(Phase::TlsHandshake);
        Box::pin(async move {
            let (Some(config), Some(name)) = (config, name) else {
                return Err(TlsFailure::NoName);
            };
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await
                .map_err(TlsFailure::from_io)?;
            progress.done.store(true, Ordering::SeqCst);
            progress.set_phase(Phase::Authentication);
            Ok(RustlsStream(stream))
        })
    }
}

impl TlsFailure {
    /// tokio-rustls reports rustls' errors inside an `io::Error`; take them out.
    fn from_io(error: io::Error) -> TlsFailure {
        match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(rustls_error) => TlsFailure::Rustls(rustls_error.clone()),
            None => TlsFailure::Io(error),
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::Rustls(error) => write!(formatter, "{error}"),
            TlsFailure::Io(error) => write!(formatter, "{error}"),
            TlsFailure::NoName => formatter.write_str("the host cannot be used as a TLS server name"),
        }
    }
}

impl StdError for TlsFailure {}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(context, buffer)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(self: Pin<&mut Self>, context: &mut Context<'_>, buffer: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(context, buffer)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffers: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(context, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(context)
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(context)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, session) = self.0.get_ref();
        session
            .peer_certificates()
            .and_then(|certificates| certificates.first())
            .and_then(|certificate| tls_server_end_point(certificate))
            .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point)
    }
}

// ---------------------------------------------------------------------------------------
// Channel binding: `tls-server-end-point` (RFC 5929, section 4.1) is the hash of the
// server's certificate, with the hash of the certificate's signature algorithm; MD5 and
// SHA-1 become SHA-256. The server computes the same with OpenSSL; a certificate whose
// algorithm names no hash (Ed25519) has no binding, and the server refuses it too.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// DER of the object identifiers of signature and hash algorithms, and their hash.
const SIGNATURE_HASHES: &[(&[u8], Hash)] = &[
    // md5WithRSAEncryption and sha1WithRSAEncryption (1.2.840.113549.1.1.4 and .5)
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05], Hash::Sha256),
    // sha256, sha384, sha512 and sha224WithRSAEncryption (.11 to .14)
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c], Hash::Sha384),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d], Hash::Sha512),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e], Hash::Sha224),
    // ecdsa-with-SHA1 (1.2.840.10045.4.1), ecdsa-with-SHA224/256/384/512 (…4.3.1 to .4)
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01], Hash::Sha224),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02], Hash::Sha256),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03], Hash::Sha384),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04], Hash::Sha512),
    // dsa-with-sha1 (1.2.840.10040.4.3), dsa-with-sha224/256 (2.16.840.1.101.3.4.3.1 and .2)
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03], Hash::Sha256),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x01], Hash::Sha224),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02], Hash::Sha256),
    // The hash algorithms themselves, as RSASSA-PSS parameters name them: sha1
    // (1.3.14.3.2.26), sha256/384/512/224 (2.16.840.1.101.3.4.2.1 to .4).
    (&[0x2b, 0x0e, 0x03, 0x02, 0x1a], Hash::Sha256),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01], Hash::Sha256),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02], Hash::Sha384),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03], Hash::Sha512),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04], Hash::Sha224),
];

/// id-RSASSA-PSS (1.2.840.113549.1.1.10): the hash is in the parameters.
const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

const DER_SEQUENCE: u8 = 0x30;
const DER_OBJECT_IDENTIFIER: u8 = 0x06;
const DER_CONTEXT_0: u8 = 0xa0;

/// The `tls-server-end-point` binding of a DER certificate, or `None` when its signature
/// algorithm names no usable hash or it cannot be read.
fn tls_server_end_point(certificate: &[u8]) -> Option<Vec<u8>> {
    let hash = certificate_hash(certificate)?;
    Some(match hash {
        Hash::Sha224 => sha2::Sha224::digest(certificate).to_vec(),
        Hash::Sha256 => sha2::Sha256::digest(certificate).to_vec(),
        Hash::Sha384 => sha2::Sha384::digest(certificate).to_vec(),
        Hash::Sha512 => sha2::Sha512::digest(certificate).to_vec(),
    })
}

/// Reads `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }`
/// just far enough to find the hash of `signatureAlgorithm`.
fn certificate_hash(certificate: &[u8]) -> Option<Hash> {
    let (DER_SEQUENCE, body, _) = der_element(certificate)? else { return None };
    let (DER_SEQUENCE, _, after_tbs) = der_element(body)? else { return None };
    let (DER_SEQUENCE, algorithm, _) = der_element(after_tbs)? else { return None };
    let (DER_OBJECT_IDENTIFIER, oid, parameters) = der_element(algorithm)? else { return None };
    if oid == RSASSA_PSS {
        return pss_hash(parameters);
    }
    SIGNATURE_HASHES.iter().find(|(known, _)| *known == oid).map(|(_, hash)| *hash)
}

/// `RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, … }`.
fn pss_hash(parameters: &[u8]) -> Option<Hash> {
    let default = Some(Hash::Sha256);
    let Some((DER_SEQUENCE, fields, _)) = der_element(parameters) else { return default };
    let Some((DER_CONTEXT_0, explicit, _)) = der_element(fields) else { return default };
    let (DER_SEQUENCE, algorithm, _) = der_element(explicit)? else { return None };
    let (DER_OBJECT_IDENTIFIER, oid, _) = der_element(algorithm)? else { return None };
    SIGNATURE_HASHES.iter().find(|(known, _)| *known == oid).map(|(_, hash)| *hash)
}

/// One DER element: its tag, its contents, and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count].iter().fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn channel_binding_hash_follows_the_signature_algorithm() {
        for (algorithm, expected, length) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, Hash::Sha256, 32),
            (&rcgen::PKCS_ECDSA_P384_SHA384, Hash::Sha384, 48),
        ] {
            let key = rcgen::KeyPair::generate_for(algorithm).unwrap();
            let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])
                .unwrap()
                .self_signed(&key)
                .unwrap();
            assert_eq!(certificate_hash(certificate.der()), Some(expected));
            let binding = tls_server_end_point(certificate.der()).unwrap();
            assert_eq!(binding.len(), length);
        }
        let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let certificate = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&ed25519)
            .unwrap();
        assert_eq!(certificate_hash(certificate.der()), None);
        assert_eq!(certificate_hash(b""), None);
        assert_eq!(certificate_hash(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn rsa_pss_hash_comes_from_its_parameters() {
        // AlgorithmIdentifier { id-RSASSA-PSS, { [0] { sha384 } } } after an empty TBS.
        let sha384 = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
        let mut hash_algorithm = vec![0x30, sha384.len() as u8];
        hash_algorithm.extend(sha384);
        let mut explicit = vec![0xa0, hash_algorithm.len() as u8];
        explicit.extend(hash_algorithm);
        let mut parameters = vec![0x30, explicit.len() as u8];
        parameters.extend(explicit);
        let mut algorithm = vec![0x06, RSASSA_PSS.len() as u8];
        algorithm.extend(RSASSA_PSS);
        algorithm.extend(parameters);
        let mut body = vec![0x30, 0x00, 0x30, algorithm.len() as u8];
        body.extend(algorithm);
        let mut certificate = vec![0x30, body.len() as u8];
        certificate.extend(body);
        assert_eq!(certificate_hash(&certificate), Some(Hash::Sha384));
    }
}
