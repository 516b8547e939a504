//! Pull requests on GitHub through the shared HTTP layer (issue 8), shared by WinGet's
//! fork flow (platforms/winget/flow.rs) and Homebrew's `mode: pull_request`: the REST client
//! (`Hub`), and one repository's operations (`Repo`): heads, a commit through the Git Data
//! API without a clone, a branch, contents reads, and pull requests listed or opened without
//! duplicates. A dry run withholds every write in the HTTP layer; the writes carry
//! predictions so the flow goes on and the report lists each request a real run would send.

mod hub;
mod repo;

pub use hub::{blob_sha, encode, file_text, messages, Hub};
pub use repo::{Change, Pull, Repo};
