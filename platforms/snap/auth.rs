//! `SNAPCRAFT_STORE_CREDENTIALS`: the output of `snapcraft export-login`, base64 of
//! `{"t":"u1-macaroon","v":{"r":"<root>","d":"<discharge>"}}` (craft-store `creds.py`), turned
//! into the header the store wants: `Authorization: Macaroon root=<r>, discharge=<bound d>`.
//! The discharge must be *bound* to the root first (pymacaroons `prepare_for_request`): its
//! signature becomes `HMAC(K0, HMAC(K0, root sig) ‖ HMAC(K0, discharge sig))` with a key of 32
//! zero bytes. Macaroons are read in the v1 serialization (base64 of `<4 hex len><key> <value>\n`
//! packets), which is what Ubuntu One issues.

use crate::error::{Error, ErrorKind, Result};
use crate::redact::Secret;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The credential's variable.
pub const CREDENTIALS_VAR: &str = "SNAPCRAFT_STORE_CREDENTIALS";

fn bad(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Credentials,
        format!("{CREDENTIALS_VAR} cannot be read: {why}"),
    )
    .with_hint(format!(
        "set {CREDENTIALS_VAR} to the output of `snapcraft export-login --snaps <name> --acls package_access,package_push,package_update,package_release -`"
    ))
}

/// The `Authorization` header value for the exported login (a secret: registered for
/// redaction).
pub fn authorization(creds: &Secret) -> Result<Secret> {
    let raw = decode_b64(creds.expose().trim()).map_err(|_| bad("it is not base64"))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|_| bad("it is not base64 of a JSON document"))?;
    if doc["t"] != "u1-macaroon" {
        return Err(bad(format!(
            "credential type {} is not supported (only Ubuntu One exported logins, \"u1-macaroon\")",
            doc["t"]
        )));
    }
    let (Some(root), Some(discharge)) = (doc["v"]["r"].as_str(), doc["v"]["d"].as_str()) else {
        return Err(bad("the document has no v.r / v.d macaroons"));
    };
    let bound = bind(root, discharge)?;
    Ok(Secret::new(format!("Macaroon root={root}, discharge={bound}")))
}

/// Base64, standard or URL-safe, padded or not (pymacaroons writes URL-safe).
pub fn decode_b64(s: &str) -> std::result::Result<Vec<u8>, base64::DecodeError> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let norm = s.replace('-', "+").replace('_', "/");
    let norm = norm.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD.decode(norm)
}

/// A v1 macaroon as its packets, in order.
pub fn packets(serialized: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let raw = decode_b64(serialized).map_err(|_| bad("a macaroon is not base64"))?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let len = std::str::from_utf8(raw.get(i..i + 4).unwrap_or_default())
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .filter(|n| *n > 5 && i + n <= raw.len())
            .ok_or_else(|| bad("a macaroon is not in the v1 serialization"))?;
        let body = &raw[i + 4..i + len - 1];
        let sp = body.iter().position(|b| *b == b' ').ok_or_else(|| bad("a macaroon packet has no key"))?;
        out.push((String::from_utf8_lossy(&body[..sp]).into_owned(), body[sp + 1..].to_vec()));
        i += len;
    }
    Ok(out)
}

/// The v1 serialization of `packets` (URL-safe base64 without padding).
pub fn serialize(packets: &[(String, Vec<u8>)]) -> String {
    let mut raw = Vec::new();
    for (k, v) in packets {
        let len = 4 + k.len() + 1 + v.len() + 1;
        raw.extend_from_slice(format!("{len:04x}{k} ").as_bytes());
        raw.extend_from_slice(v);
        raw.push(b'\n');
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn signature(p: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    p.iter()
        .find(|(k, _)| k == "signature")
        .map(|(_, v)| v.clone())
        .filter(|v| v.len() == 32)
        .ok_or_else(|| bad("a macaroon has no 32-byte signature"))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The binding of a discharge signature to a root signature (libmacaroons `macaroon_bind`).
pub fn bound_signature(root_sig: &[u8], discharge_sig: &[u8]) -> Vec<u8> {
    let k0 = [0u8; 32];
    let both = [hmac(&k0, root_sig), hmac(&k0, discharge_sig)].concat();
    hmac(&k0, &both)
}

/// The discharge macaroon with its signature bound to `root`, serialized again.
pub fn bind(root: &str, discharge: &str) -> Result<String> {
    let root_sig = signature(&packets(root)?)?;
    let mut d = packets(discharge)?;
    let bound = bound_signature(&root_sig, &signature(&d)?);
    for (k, v) in d.iter_mut() {
        if k == "signature" {
            *v = bound.clone();
        }
    }
    Ok(serialize(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(id: &str, sig: u8) -> String {
        serialize(&[
            ("location".into(), b"login.ubuntu.com".to_vec()),
            ("identifier".into(), id.as_bytes().to_vec()),
            ("signature".into(), vec![sig; 32]),
        ])
    }

    #[test]
    fn binds_the_discharge_and_keeps_its_packets() {
        let (root, discharge) = (mac("root-id", 1), mac("discharge-id", 2));
        let doc = serde_json::json!({"t": "u1-macaroon", "v": {"r": root, "d": discharge}});
        let creds = Secret::new(base64::engine::general_purpose::STANDARD.encode(doc.to_string()));
        let header = authorization(&creds).unwrap();
        let bound = header.expose().split("discharge=").nth(1).unwrap();
        let p = packets(bound).unwrap();
        assert_eq!(p[1], ("identifier".to_string(), b"discharge-id".to_vec()));
        assert_eq!(signature(&p).unwrap(), bound_signature(&[1; 32], &[2; 32]));
        assert_ne!(signature(&p).unwrap(), vec![2; 32]);
        assert!(header.expose().starts_with(&format!("Macaroon root={root}, discharge=")));
    }

    #[test]
    fn refuses_what_is_not_an_exported_login() {
        for bad in ["not base64!", "e30", "eyJ0IjoiY2FuZGlkIn0"] {
            let e = authorization(&Secret::new(bad)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Credentials, "{bad}");
            assert!(e.hint().unwrap().contains("export-login"));
        }
    }
}
