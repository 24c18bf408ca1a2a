//! Searching byte strings fast (the line splitters of the filters and
//! s6-log).

/// `find_newline(b)`: the index of the first `\n` in `b`, eight bytes at a time.
pub fn find_newline(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const NL: u64 = LO * b'\n' as u64;
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) ^ NL;
        let z = w.wrapping_sub(LO) & !w & HI;
        if z != 0 {
            return Some(base + (z.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks.remainder().iter().position(|&c| c == b'\n').map(|i| base + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_search() {
        let mut b = vec![b'x'; 100];
        assert_eq!(find_newline(&b), None);
        for i in 0..100 {
            b[i] = b'\n';
            assert_eq!(find_newline(&b), Some(i));
            assert_eq!(find_newline(&b[..i]), None);
            b[i] = 0x8a; // high bit set and low bits of \n: no false match
            assert_eq!(find_newline(&b), None);
            b[i] = b'x';
        }
        assert_eq!(find_newline(b"\x0b\x09\x0a"), Some(2));
        assert_eq!(find_newline(&[0x0a; 9]), Some(0));
        assert_eq!(find_newline(b"\x00\x01\x0b\x0c\x0d\x0e\x0f\x8a\n"), Some(8));
    }
}
