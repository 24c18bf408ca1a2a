//! Access-rules fixtures shared by the s6-ipcserver-access and
//! accessrules tools' tests: rule directories, raw cdb records (malformed
//! ones included, which the library's encoder refuses), the references.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `mkrule(root, "uid/5", files)`: `root/uid/5/` holding `files` (paths
/// relative to it, `env/X` included).
pub fn mkrule(root: &Path, rule: &str, files: &[(&str, &[u8])]) {
    let d = root.join(rule);
    std::fs::create_dir_all(&d).unwrap();
    for (name, body) in files {
        let p = d.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

/// `allow(env, exec)`: `A` + u16 BE envlen + env + u16 BE execlen + exec,
/// whatever the lengths.
pub fn allow(env: &[u8], exec: &[u8]) -> Vec<u8> {
    let mut d = vec![b'A'];
    d.extend_from_slice(&(env.len() as u16).to_be_bytes());
    d.extend_from_slice(env);
    d.extend_from_slice(&(exec.len() as u16).to_be_bytes());
    d.extend_from_slice(exec);
    d
}

/// `refs(name)`: the references that have program `name` (2.15, Debian's
/// 2.11), each absent one with a SKIP note.
pub fn refs(name: &str) -> Vec<PathBuf> {
    [super::common::reference(name), super::common::debian(name)].into_iter().flatten().collect()
}
