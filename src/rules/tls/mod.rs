//! TLS rules: protocols, ciphers, certificates, listen flags, backend
//! verification, HSTS.

pub mod certificate_file;
pub mod cipher_table;
pub mod ciphers;
pub mod hsts_missing;
pub mod listen_without_ssl;
pub mod missing_certificate;
pub mod protocols;
pub mod ssl_reject_handshake_bypass;
pub mod upstream_verify;
