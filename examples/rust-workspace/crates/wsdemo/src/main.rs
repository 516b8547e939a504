//! `wsdemo`: `wsdemo NAME` greets NAME; `wsdemo --version` prints the versions of the binary
//! and of the library it was built with.

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("--version") | Some("-V") => println!(
            "wsdemo {} (wsdemo-core {})",
            env!("CARGO_PKG_VERSION"),
            wsdemo_core::version()
        ),
        Some(name) => println!("{}", wsdemo_greet::greet(name)),
        None => println!("{}", wsdemo_greet::greet("world")),
    }
}
