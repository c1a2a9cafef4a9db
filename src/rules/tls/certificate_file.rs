//! tls-certificate-file: with `--root` or `--live`, read the certificate
//! and key files the configs name: missing, unreadable, not PEM, expired or
//! not yet valid, and keys that do not belong to their certificate.
//!
//! The one rule that touches the file system and parses, against the rule
//! that rules do neither (`rules::Check`): what it judges is only in the
//! certificate and key files, so it opens them itself (through a `RealFs`
//! confined to the root) and parses PEM, X.509 and the keys' DER, only when
//! `--root` or `--live` asks for the checked system's files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use x509_parser::der_parser::asn1_rs::Class;
use x509_parser::der_parser::ber::{BerObject, BerObjectContent};
use x509_parser::der_parser::parse_der;
use x509_parser::pem::Pem;
use x509_parser::prelude::{ASN1Time, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::finding::Finding;
use crate::nginx::ast::Directive;
use crate::rules::util::has_variable;
use crate::rules::{Check, Rule, ids};
use crate::vfs::{Fs, FsError, RealFs};

pub struct TlsCertificateFile;

/// A file as the config names it, read from the checked system.
struct Read {
    shown: String,
    /// The in-config path it was read at.
    path: PathBuf,
    bytes: Result<Arc<[u8]>, FsError>,
}

fn read(fs: &RealFs, base: Option<&Path>, name: &str) -> Read {
    // Both through the run's view: under --root a symlinked certificate
    // (certbot's live/ -> ../archive/) is resolved as in a chroot there.
    let p = Path::new(name);
    let path = if p.is_absolute() {
        p.to_path_buf()
    } else {
        // nginx resolves a relative path against its conf prefix: the
        // directory of the main nginx.conf.
        let host: PathBuf = base.map_or_else(|| p.to_path_buf(), |b| b.join(p));
        fs.config_path(&host)
    };
    Read {
        shown: name.to_string(),
        bytes: fs.read(&path),
        path,
    }
}

/// Whether a missing file is judged missing. On the server itself
/// (`--live`) it is. In a tree (`--root`) a certificate the tree does not
/// ship is usually made where nginx runs, after the files are in place:
/// certbot's `live/`, the `ssl-cert` package's snakeoil pair (Debian's
/// snippets/snakeoil.conf names it), an entrypoint's `openssl req`. It is
/// judged only when its directory holds other PEM files: the tree keeps
/// its certificates there, and one it names beside them is missing.
fn judged_missing(fs: &RealFs, live: bool, f: &Read) -> bool {
    if live {
        return true;
    }
    let Some(dir) = f.path.parent() else {
        return false;
    };
    fs.glob(&dir.join("*"))
        .iter()
        .filter(|p| **p != f.path)
        .any(|p| fs.read(p).is_ok_and(|b| is_pem(&b)))
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn missing(f: &Read) -> bool {
    matches!(f.bytes, Err(FsError::NotFound))
}

/// The public key a private key file holds: RSA modulus, or an EC point.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyId {
    Rsa(Vec<u8>),
    Ec(Vec<u8>),
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b[i..].to_vec()
}

/// The public half of a certificate, comparable with [`key_id`].
pub fn cert_key_id(cert: &X509Certificate<'_>) -> Option<KeyId> {
    match cert.public_key().parsed().ok()? {
        PublicKey::RSA(k) => Some(KeyId::Rsa(strip_zeros(k.modulus))),
        PublicKey::EC(p) => Some(KeyId::Ec(p.data().to_vec())),
        _ => None,
    }
}

fn seq<'a, 'b>(o: &'b BerObject<'a>) -> Option<&'b Vec<BerObject<'a>>> {
    o.as_sequence().ok()
}

/// SEC1 `ECPrivateKey`: the `[1] publicKey BIT STRING` when present.
fn sec1_public(der: &[u8]) -> Option<KeyId> {
    let (_, o) = parse_der(der).ok()?;
    for el in seq(&o)? {
        if el.header.class() != Class::ContextSpecific || el.header.tag().0 != 1 {
            continue;
        }
        let inner = match &el.content {
            BerObjectContent::Unknown(any) => any.data,
            BerObjectContent::Tagged(_, _, b) => {
                return Some(KeyId::Ec(b.as_bitstring().ok()?.data.to_vec()));
            }
            _ => continue,
        };
        let (_, bits) = parse_der(inner).ok()?;
        return Some(KeyId::Ec(bits.as_bitstring().ok()?.data.to_vec()));
    }
    None
}

/// PKCS#1 `RSAPrivateKey`: version, modulus, …
fn pkcs1_public(der: &[u8]) -> Option<KeyId> {
    let (_, o) = parse_der(der).ok()?;
    let n = seq(&o)?.get(1)?;
    match n.content {
        BerObjectContent::Integer(b) => Some(KeyId::Rsa(strip_zeros(b))),
        _ => None,
    }
}

/// The public key of a private key in PEM (PKCS#8, PKCS#1 or SEC1); None
/// when it cannot be told (encrypted, Ed25519 without its public half, …).
pub fn key_id(pem: &Pem) -> Option<KeyId> {
    match pem.label.as_str() {
        "RSA PRIVATE KEY" => pkcs1_public(&pem.contents),
        "EC PRIVATE KEY" => sec1_public(&pem.contents),
        "PRIVATE KEY" => {
            let (_, o) = parse_der(&pem.contents).ok()?;
            let items = seq(&o)?;
            let alg = seq(items.get(1)?)?.first()?.as_oid().ok()?.to_id_string();
            let inner = items.get(2)?.as_slice().ok()?;
            match alg.as_str() {
                "1.2.840.113549.1.1.1" => pkcs1_public(inner),
                "1.2.840.10045.2.1" => sec1_public(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

fn pems(bytes: &[u8]) -> Vec<Pem> {
    Pem::iter_from_buffer(bytes).map_while(Result::ok).collect()
}

fn why(e: &FsError) -> String {
    match e {
        FsError::NotFound => "does not exist".to_string(),
        FsError::PermissionDenied => "cannot be read (permission denied)".to_string(),
        other => other.to_string(),
    }
}

fn skip(name: &str) -> bool {
    has_variable(name)
        || name.starts_with("data:")
        || name.starts_with("engine:")
        || name.starts_with("store:")
}

impl Rule for TlsCertificateFile {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::TLS_CERTIFICATE_FILE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if cx.settings.files_root.is_none() {
            return;
        }
        let fs = cx.loaded.real_fs();
        let live = cx.settings.live;
        let now = ASN1Time::now();
        let m = cx.model;
        for (sid, d) in m.named(&["ssl_certificate"]) {
            if d.name() != "ssl_certificate" {
                continue;
            }
            let Some(name) = d.arg(0) else { continue };
            if skip(name) {
                continue;
            }
            let unit = m.scopes.get(sid).map(|s| s.unit);
            let base = unit.and_then(|u| cx.loaded.units.get(u)).and_then(|u| {
                cx.loaded
                    .sources
                    .get(u.file)
                    .real
                    .parent()
                    .map(Path::to_path_buf)
            });
            let cert_file = read(&fs, base.as_deref(), name);
            let cert_unknown = missing(&cert_file) && !judged_missing(&fs, live, &cert_file);
            let cert_key = if cert_unknown {
                None
            } else {
                check_cert(d, &cert_file, &now, out)
            };
            // The key paired with this certificate: same position among the
            // effective ssl_certificate_key lines.
            let pos = m
                .scope_children(sid)
                .iter()
                .filter(|c| c.name() == "ssl_certificate")
                .take_while(|c| !std::ptr::eq(**c, d))
                .count();
            let Some(k) = m.effective(sid, "ssl_certificate_key").nth(pos) else {
                continue;
            };
            let Some(kname) = k.arg(0) else { continue };
            if skip(kname) {
                continue;
            }
            let key_file = read(&fs, base.as_deref(), kname);
            if missing(&key_file) && !judged_missing(&fs, live, &key_file) {
                continue;
            }
            check_key(k, d, &key_file, cert_key, out);
        }
    }
}

/// Report on the certificate file; returns its public key when readable.
fn check_cert(d: &Directive, f: &Read, now: &ASN1Time, out: &mut Vec<Finding>) -> Option<KeyId> {
    let bytes = match &f.bytes {
        Ok(b) => b,
        Err(e) => {
            out.push(
                Finding::error(
                    ids::TLS_CERTIFICATE_FILE,
                    d.span,
                    format!("certificate {} {}", f.shown, why(e)),
                )
                .with_help("nginx refuses to start: `cannot load certificate`; point ssl_certificate at the full-chain PEM file (certbot: /etc/letsencrypt/live/NAME/fullchain.pem)"),
            );
            return None;
        }
    };
    let pems = pems(bytes);
    let Some(leaf) = pems.iter().find(|p| p.label == "CERTIFICATE") else {
        out.push(
            Finding::error(
                ids::TLS_CERTIFICATE_FILE,
                d.span,
                format!("{} holds no PEM certificate", f.shown),
            )
            .with_help("nginx reads PEM (`-----BEGIN CERTIFICATE-----`); convert DER with `openssl x509 -inform der -in cert.der -out cert.pem`"),
        );
        return None;
    };
    let Ok(cert) = leaf.parse_x509() else {
        out.push(
            Finding::error(
                ids::TLS_CERTIFICATE_FILE,
                d.span,
                format!("{}: the first certificate cannot be parsed", f.shown),
            )
            .with_help("replace the file with the certificate as your CA issued it, in PEM"),
        );
        return None;
    };
    let v = cert.validity();
    if v.not_after < *now {
        out.push(
            Finding::error(
                ids::TLS_CERTIFICATE_FILE,
                d.span,
                format!("certificate {} expired on {}", f.shown, v.not_after.to_datetime().date()),
            )
            .with_help("renew it (certbot renew, or your CA) and reload nginx: browsers refuse an expired certificate (NET::ERR_CERT_DATE_INVALID)"),
        );
    } else if v.not_before > *now {
        out.push(
            Finding::error(
                ids::TLS_CERTIFICATE_FILE,
                d.span,
                format!("certificate {} is not valid before {}", f.shown, v.not_before.to_datetime().date()),
            )
            .with_help("check the system clock, or install the certificate once it is valid: browsers refuse it until then"),
        );
    }
    cert_key_id(&cert)
}

fn check_key(
    k: &Directive,
    cert: &Directive,
    f: &Read,
    cert_key: Option<KeyId>,
    out: &mut Vec<Finding>,
) {
    let bytes = match &f.bytes {
        Ok(b) => b,
        Err(e) => {
            out.push(
                Finding::error(
                    ids::TLS_CERTIFICATE_FILE,
                    k.span,
                    format!("key {} {}", f.shown, why(e)),
                )
                .with_help("nginx refuses to start: `cannot load certificate key`; point ssl_certificate_key at the private key issued with the certificate (certbot: /etc/letsencrypt/live/NAME/privkey.pem)"),
            );
            return;
        }
    };
    let pems = pems(bytes);
    let Some(key) = pems.iter().find(|p| p.label.ends_with("PRIVATE KEY")) else {
        out.push(
            Finding::error(
                ids::TLS_CERTIFICATE_FILE,
                k.span,
                format!("{} holds no PEM private key", f.shown),
            )
            .with_help(
                "ssl_certificate_key needs the private key in PEM (`-----BEGIN PRIVATE KEY-----`)",
            ),
        );
        return;
    };
    let (Some(want), Some(have)) = (cert_key, key_id(key)) else {
        return;
    };
    if want != have {
        out.push(
            Finding::error(
                ids::TLS_CERTIFICATE_FILE,
                k.span,
                format!("key {} does not belong to the certificate", f.shown),
            )
            .with_related(cert.span, "the certificate it is paired with")
            .with_help("nginx refuses to start: `SSL_CTX_use_PrivateKey(...) failed (key values mismatch)`; pair each certificate with the key it was issued for (compare `openssl x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip() {
        assert_eq!(strip_zeros(&[0, 0, 1, 2]), vec![1, 2]);
        assert_eq!(strip_zeros(&[0]), Vec::<u8>::new());
    }
}
