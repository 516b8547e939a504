//! A double of GitHub Actions' OIDC issuer (issue 13): `GET /token?…&audience=X` with
//! `Authorization: Bearer <request token>` answers `{"value": "<JWT>"}`, a real RS256 JWT
//! signed with a key made for the test (`openssl genpkey`; signed with `ring`), carrying the
//! claims GitHub documents (iss, aud, sub, repository, job_workflow_ref, ref, environment,
//! iat, exp, jti). `Verifier` checks a JWT the way a registry's exchange does: signature,
//! issuer, audience and expiry, then returns the claims for the publisher match.

#![allow(dead_code)]

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::signature::{self, RsaKeyPair};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const ISS: &str = "https://token.actions.githubusercontent.com";
pub const REPOSITORY: &str = "acme/demo";
pub const WORKFLOW: &str = "acme/demo/.github/workflows/release.yml@refs/tags/v1.0.0";

#[derive(Clone)]
pub struct Issuer {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` (with a query, as GitHub's has).
    pub url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub request_token: String,
    key: Arc<RsaKeyPair>,
    /// ID tokens issued so far.
    pub issued: Arc<AtomicUsize>,
    /// Seconds until an issued token expires (negative: already expired).
    pub lifetime: Arc<Mutex<i64>>,
    /// Every JWT issued, to prove none shows in output.
    pub jwts: Arc<Mutex<Vec<String>>>,
}

impl Issuer {
    pub async fn start() -> Issuer {
        let key = Arc::new(RsaKeyPair::from_der(&rsa_der()).expect("RSA private key (DER)"));
        let issuer = Issuer {
            url: String::new(),
            request_token: format!("ghs_request_{}", fastrand::u64(..)),
            key,
            issued: Arc::default(),
            lifetime: Arc::new(Mutex::new(300)),
            jwts: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/token", axum::routing::get(issue))
            .with_state(issuer.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token?api-version=2.0", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Issuer { url, ..issuer }
    }

    /// The two variables a job with `id-token: write` has.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("ACTIONS_ID_TOKEN_REQUEST_URL", self.url.clone()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", self.request_token.clone()),
        ]
    }

    pub fn verifier(&self) -> Verifier {
        use ring::signature::KeyPair;
        Verifier {
            public: self.key.public_key().as_ref().to_vec(),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let head = B64.encode(json!({"alg": "RS256", "typ": "JWT", "kid": "test"}).to_string());
        let body = B64.encode(claims.to_string());
        let msg = format!("{head}.{body}");
        let mut sig = vec![0; self.key.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        self.key
            .sign(&signature::RSA_PKCS1_SHA256, &rng, msg.as_bytes(), &mut sig)
            .unwrap();
        format!("{msg}.{}", B64.encode(sig))
    }
}

async fn issue(
    State(i): State<Issuer>,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> (StatusCode, String) {
    let want = format!("Bearer {}", i.request_token);
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"message":"Bad credentials"}"#.into(),
        );
    }
    let Some(aud) = q.get("audience") else {
        return (
            StatusCode::BAD_REQUEST,
            r#"{"message":"no audience"}"#.into(),
        );
    };
    let now = now();
    let claims = json!({
        "iss": ISS, "aud": aud, "sub": format!("repo:{REPOSITORY}:ref:refs/tags/v1.0.0"),
        "repository": REPOSITORY, "repository_owner": "acme", "job_workflow_ref": WORKFLOW,
        "workflow_ref": WORKFLOW, "ref": "refs/tags/v1.0.0", "environment": "release",
        "iat": now, "nbf": now, "exp": now + *i.lifetime.lock().unwrap(),
        "jti": format!("{}", fastrand::u64(..)),
    });
    let jwt = i.sign(&claims);
    i.jwts.lock().unwrap().push(jwt.clone());
    i.issued.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::OK,
        json!({"count": 1, "value": jwt}).to_string(),
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Verifies JWTs from [`Issuer`].
#[derive(Clone)]
pub struct Verifier {
    public: Vec<u8>,
}

/// Why a JWT was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    Malformed,
    Signature,
    Issuer,
    Audience,
    Expired,
}

impl Verifier {
    /// The claims of a JWT with a good signature, our issuer, `audience` and not expired.
    pub fn verify(&self, jwt: &str, audience: &str) -> Result<Value, Invalid> {
        let mut parts = jwt.split('.');
        let (Some(h), Some(b), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Invalid::Malformed);
        };
        let sig = B64.decode(s).map_err(|_| Invalid::Malformed)?;
        let key =
            signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.public);
        key.verify(format!("{h}.{b}").as_bytes(), &sig)
            .map_err(|_| Invalid::Signature)?;
        let claims: Value = serde_json::from_slice(&B64.decode(b).map_err(|_| Invalid::Malformed)?)
            .map_err(|_| Invalid::Malformed)?;
        if claims["iss"] != ISS {
            return Err(Invalid::Issuer);
        }
        if claims["aud"] != audience {
            return Err(Invalid::Audience);
        }
        if claims["exp"].as_i64().unwrap_or(0) <= now() {
            return Err(Invalid::Expired);
        }
        Ok(claims)
    }
}

/// A fresh 2048-bit RSA key as DER (RSAPrivateKey: what openssl 3 writes), from `openssl`.
fn rsa_der() -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .args(["-outform", "DER"])
        .output()
        .expect("openssl is needed for the OIDC issuer double: run scripts/setup.d/50-oci.sh");
    assert!(out.status.success(), "openssl genpkey: {out:?}");
    out.stdout
}
