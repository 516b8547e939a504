//! `wsdemo-xtask`: a workspace-only helper (`publish = false`), so tagship skips it.

fn main() {
    println!("xtask for wsdemo-core {}", wsdemo_core::version());
}
