//! The writer's contract: pinned bytes for the option sets tagship uses (build archives,
//! npm tarballs, zips), file and memory sources giving identical archives, digests that
//! match the stored content, ordering, prefix, time clamping and cleanup on failure.

use super::*;
use std::io::Read;

/// Deterministic content: a third noise, the rest compressible text.
pub(crate) fn content(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if i % 3 == 0 {
                (x >> 56) as u8
            } else {
                b"abcdefgh"[(i / 7) % 8]
            }
        })
        .collect()
}

/// Four files (written under `dir` when `on_disk`): a 300 kB executable, a text file, an
/// empty file, and one with a 211-character name, which a GNU header stores in a long-name
/// record and a ustar header splits into prefix + name.
pub(crate) fn golden_entries(dir: &Path, on_disk: bool) -> Vec<Entry> {
    let long = format!("{}/{}", "d".repeat(120), "f".repeat(90));
    let specs = [
        ("hello".to_string(), 300_000, 0o755),
        ("README.md".to_string(), 1000, 0o644),
        ("docs/guide.txt".to_string(), 0, 0o644),
        (long, 5000, 0o644),
    ];
    specs
        .into_iter()
        .enumerate()
        .map(|(i, (name, n, mode))| {
            let data = content(i as u64 + 1, n);
            if !on_disk {
                return Entry::file(name, data).with_mode(mode);
            }
            let p = dir.join(format!("src{i}"));
            std::fs::write(&p, &data).unwrap();
            Entry::disk(name, p).with_mode(mode)
        })
        .collect()
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn build_bytes(opts: &Options, entries: &[Entry]) -> Vec<u8> {
    let sorted = sorted(entries).unwrap();
    to_vec(opts, "test", |w| w.append_all(&sorted)).unwrap().0
}

/// These hashes were taken from the three writers tagship had before this kit (build/,
/// npm/, wheel/); a change here changes published bytes (and npm/PyPI conflict checks).
#[test]
fn pinned_bytes_for_every_option_set() {
    let dir = tempfile::tempdir().unwrap();
    let disk = golden_entries(dir.path(), true);
    let mem = golden_entries(dir.path(), false);
    let npm = |epoch| {
        Options::tar_gz(epoch)
            .level(9)
            .tar_header(TarHeader::Ustar)
            .prefix("package/")
    };
    let cases = [
        (
            Options::tar_gz(1_700_000_000).level(9),
            "f94e0fd985d0fac9500c047d22cd80b3b9cfd4d0fb6e8124ca3199c8e0e67e72",
        ),
        (
            Options::zip(1_700_000_000).level(9),
            "ce784785ea63cf8b40ac144357e14b6c35fcc5f457ca77a381fed6ae9b984ae9",
        ),
        (
            Options::zip(0).level(9),
            "590c31b77449c13d5a28361d5ff2837adcc272a95ace487c7347d69e1e1937a0",
        ),
        (
            npm(499_162_500),
            "5f2450226b752a0997894c079844f1256123d99674491139f64c1302b6bbf1ca",
        ),
        (
            npm(1_700_000_000),
            "e882cae3bc108f71ce88dfe9d303555ec5f47d7e7a0669b0393add01c3acf2ab",
        ),
    ];
    for (opts, want) in cases {
        let from_disk = build_bytes(&opts, &disk);
        assert_eq!(sha(&from_disk), want, "{opts:?}");
        assert_eq!(
            build_bytes(&opts, &mem),
            from_disk,
            "{opts:?}: memory vs disk"
        );
        let path = dir.path().join("out");
        write_file(&path, &opts, |w| w.append_all(&sorted(&disk)?)).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            from_disk,
            "{opts:?}: file vs vec"
        );
    }
}

#[test]
fn tar_entries_are_normalized_and_digested() {
    let dir = tempfile::tempdir().unwrap();
    let entries = [
        Entry::exe("/bin/tool", b"\x7fELF".to_vec()),
        Entry::file("a.txt", "hello\n"),
    ];
    let opts = Options::tar_gz(1_234).prefix("package/");
    let (bytes, written) = to_vec(&opts, "t", |w| w.append_all(&sorted(&entries)?)).unwrap();
    let names: Vec<&str> = written.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["package/a.txt", "package/bin/tool"]);
    assert_eq!(
        written[0].sha256,
        <[u8; 32]>::from(Sha256::digest(b"hello\n"))
    );
    assert_eq!(written[0].size, 6);
    // gzip header: mtime 0 (bytes 4..8), no FNAME flag (bit 3 of byte 3).
    assert_eq!((&bytes[4..8], bytes[3] & 0x08), (&[0u8; 4][..], 0));
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut seen = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(h.mtime().unwrap(), 1_234);
        assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
        assert_eq!(
            (h.username().unwrap(), h.groupname().unwrap()),
            (Some(""), Some(""))
        );
        seen.push((e.path().unwrap().display().to_string(), h.mode().unwrap()));
    }
    let want = [("package/a.txt", 0o644), ("package/bin/tool", 0o755)];
    assert_eq!(seen, want.map(|(n, m)| (n.to_string(), m)));
    drop(dir);
}

#[test]
fn zip_entries_keep_modes_and_clamped_time() {
    let entries = [Entry::exe("run", "x"), Entry::file("doc", "y")];
    let (bytes, _) = to_vec(&Options::zip(0), "z", |w| {
        w.append_all(&entries.iter().collect::<Vec<_>>())
    })
    .unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    // Explicit order is kept (a wheel's RECORD must come last).
    assert_eq!(z.file_names().collect::<Vec<_>>(), ["run", "doc"]);
    let mut f = z.by_name("run").unwrap();
    assert_eq!(f.unix_mode().unwrap() & 0o777, 0o755);
    let t = f.last_modified().unwrap();
    assert_eq!((t.year(), t.month(), t.day(), t.hour()), (1980, 1, 1, 0));
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    assert_eq!(s, "x");
    assert_eq!(zip_time(u64::MAX).year(), 2107);
    let t = zip_time(1_700_000_000); // 2023-11-14T22:13:20Z
    assert_eq!(
        (t.month(), t.day(), t.minute(), t.second()),
        (11, 14, 13, 20)
    );
}

#[test]
fn duplicates_are_refused_and_failures_leave_nothing() {
    let dup = [Entry::file("a", "1"), Entry::file("/a", "2")];
    let e = sorted(&dup).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Input);
    assert!(e.message().contains("`a`"), "{e:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.zip");
    let missing = [Entry::disk("gone", dir.path().join("nope"))];
    let e = write_file(&out, &Options::zip(0), |w| w.append_all(&sorted(&missing)?)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(e.message().contains("nope"), "{e:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
