//! The bytes of `route`'s index ([`super::index`]): a header, the records
//! sorted by path, a checksum. Hand-written rather than serde: the
//! records are flat (a path, seven integers, flags, a text, names), the index is
//! read on every run before anything else can start, and a decoder this
//! small checks every length against what is left, so a file cut short or
//! overwritten decodes to nothing, never to a wrong record.

use std::hash::Hasher;
use std::sync::Arc;

use rustc_hash::FxHasher;

/// The first bytes; a change of format changes them.
const MAGIC: &[u8] = b"nginx-lint route index 2\n";

/// A record to write: the path is beside it.
pub struct Record<'a> {
    pub stamp: [u64; 7],
    pub flags: u8,
    pub text: &'a [u8],
    /// Server names, one per line (what an inert file keeps beside its
    /// text, `super::inert`); empty for any other file.
    pub names: &'a [u8],
}

/// A record read.
pub struct Owned {
    pub stamp: [u64; 7],
    pub flags: u8,
    pub text: Arc<[u8]>,
    pub names: Vec<u8>,
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.write_usize(bytes.len());
    h.finish()
}

pub fn encode(key: u64, records: &[(&[u8], Record<'_>)]) -> Vec<u8> {
    let size: usize = records
        .iter()
        .map(|(p, r)| p.len() + r.text.len() + r.names.len() + 74)
        .sum();
    let mut out = Vec::with_capacity(MAGIC.len() + 24 + size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&(records.len() as u64).to_le_bytes());
    for (path, r) in records {
        out.extend_from_slice(&(path.len() as u32).to_le_bytes());
        out.extend_from_slice(path);
        for v in r.stamp {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.push(r.flags);
        out.extend_from_slice(&(r.text.len() as u32).to_le_bytes());
        out.extend_from_slice(r.text);
        out.extend_from_slice(&(r.names.len() as u32).to_le_bytes());
        out.extend_from_slice(r.names);
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// The records of an index written by [`encode`] with `key`; None for
/// anything else (another format or inputs, cut short, corrupt).
pub fn decode(bytes: &[u8], key: u64) -> Option<Vec<(Box<[u8]>, Owned)>> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
    if checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
        return None;
    }
    let mut r = Reader(body.strip_prefix(MAGIC)?);
    if r.u64()? != key {
        return None;
    }
    let count = r.u64()?;
    // Each record takes at least 69 bytes: a count beyond that is corrupt.
    if count > (r.0.len() / 69) as u64 {
        return None;
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = r.u32()?;
        let path: Box<[u8]> = r.take(len)?.into();
        let mut stamp = [0u64; 7];
        for v in &mut stamp {
            *v = r.u64()?;
        }
        let flags = *r.take(1)?.first()?;
        let len = r.u32()?;
        let text: Arc<[u8]> = Arc::from(r.take(len)?);
        let len = r.u32()?;
        let names = r.take(len)?.to_vec();
        out.push((
            path,
            Owned {
                stamp,
                flags,
                text,
                names,
            },
        ));
    }
    r.0.is_empty().then_some(out)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = self.0.split_at_checked(n)?;
        self.0 = b;
        Some(a)
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let r = Record {
            stamp: [1, 2, 3, 4, 5, 6, 7],
            flags: 3,
            text: b"server { listen 80; }\n",
            names: b"a.test\nb.test",
        };
        encode(42, &[(b"/a/b.conf".as_slice(), r)])
    }

    #[test]
    fn round_trip() {
        let got = decode(&sample(), 42).expect("decodes");
        assert_eq!(got.len(), 1);
        assert_eq!(&*got[0].0, b"/a/b.conf");
        assert_eq!(got[0].1.stamp, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(got[0].1.flags, 3);
        assert_eq!(&*got[0].1.text, b"server { listen 80; }\n");
        assert_eq!(got[0].1.names, b"a.test\nb.test");
    }

    #[test]
    fn another_key_cut_short_or_flipped_decodes_to_nothing() {
        let b = sample();
        assert!(decode(&b, 43).is_none());
        for n in 0..b.len() {
            assert!(decode(&b[..n], 42).is_none(), "cut at {n}");
        }
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert!(decode(&c, 42).is_none(), "byte {i} flipped");
        }
    }
}
