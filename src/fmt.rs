//! Numbers as text without the formatting machinery (which costs size and
//! allocations on hot paths).

/// `dec(n)`: `n` in decimal.
pub fn dec(n: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    push_dec(&mut out, n);
    out
}

/// `push_dec(out, n)`: appends `n` in decimal (`-` first if negative).
pub fn push_dec(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// `push_u64(out, n)`: appends `n` in decimal.
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// `push_hex(out, bytes)`: appends `bytes` as lowercase hex digits.
pub fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal() {
        for n in [0, 1, -1, 9, 10, 12345, i64::MAX, i64::MIN] {
            assert_eq!(dec(n), n.to_string().into_bytes());
        }
        for n in [0, 7, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn hex() {
        let mut out = Vec::new();
        push_hex(&mut out, &[0, 0xab, 0x40]);
        assert_eq!(out, b"00ab40");
    }
}
