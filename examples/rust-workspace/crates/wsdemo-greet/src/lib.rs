//! `wsdemo-greet`: a greeting built on `wsdemo-core`.

/// `"hello NAME"`.
pub fn greet(name: &str) -> String {
    format!("{} {name}", wsdemo_core::word())
}
