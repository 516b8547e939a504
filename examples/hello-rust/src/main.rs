//! `hello`: says hello; `hello --version` prints the version from Cargo.toml.

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    match std::env::args().nth(1).as_deref() {
        Some("--version") | Some("-V") => println!("{version}"),
        Some(name) => println!("hello {name}"),
        None => println!("hello from hello-rust {version}"),
    }
}
