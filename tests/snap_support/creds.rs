//! The credentials the store double issues, made the way Ubuntu One and `snapcraft
//! export-login` make them: two v1-serialized macaroons (root and discharge) in
//! `{"t":"u1-macaroon","v":{"r","d"}}`, base64. The double accepts exactly the header
//! `Macaroon root=<r>, discharge=<d bound to r>`: an unbound discharge is refused, as the store
//! refuses it.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// A v1 macaroon: `location`, `identifier`, `signature` packets, URL-safe base64. The
/// signature is HMAC(key, identifier), as a first-party macaroon without caveats has.
fn macaroon(location: &str, id: &str, sig: &[u8; 32]) -> String {
    let mut raw: Vec<u8> = Vec::new();
    let mut packet = |k: &str, v: &[u8]| {
        raw.extend(format!("{:04x}{k} ", 4 + k.len() + 2 + v.len()).bytes());
        raw.extend(v);
        raw.push(b'\n');
    };
    packet("location", location.as_bytes());
    packet("identifier", id.as_bytes());
    packet("signature", sig);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// One exported login and the one Authorization header that proves it.
pub struct Login {
    /// The value of `SNAPCRAFT_STORE_CREDENTIALS`.
    pub exported: String,
    /// What the store accepts.
    pub header: String,
    /// The header a client sends when it forgets to bind the discharge.
    pub unbound_header: String,
}

pub fn issue(seed: &str) -> Login {
    let root_sig = mac(seed.as_bytes(), &[b"root"]);
    let dis_sig = mac(seed.as_bytes(), &[b"discharge"]);
    let root = macaroon("api.snapcraft.io", &format!("root-{seed}"), &root_sig);
    let discharge = macaroon("login.ubuntu.com", &format!("discharge-{seed}"), &dis_sig);
    // libmacaroons' binding: zero key over the two signatures' HMACs.
    let zero = [0u8; 32];
    let bound = mac(
        &zero,
        &[&mac(&zero, &[&root_sig]), &mac(&zero, &[&dis_sig])],
    );
    let bound_discharge = macaroon("login.ubuntu.com", &format!("discharge-{seed}"), &bound);
    let doc = serde_json::json!({"t": "u1-macaroon", "v": {"r": root, "d": discharge}});
    Login {
        exported: base64::engine::general_purpose::STANDARD.encode(doc.to_string()),
        header: format!("Macaroon root={root}, discharge={bound_discharge}"),
        unbound_header: format!("Macaroon root={root}, discharge={discharge}"),
    }
}
