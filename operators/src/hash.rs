//! MurmurHash3 x64 128-bit (Austin Appleby, public domain), fixed here so
//! that hashes written into checkpoints stay valid across releases.

/// The 128-bit MurmurHash3 of `data` with seed 0.
pub fn murmur3_128(data: &[u8]) -> u128 {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let (mut h1, mut h2) = (0u64, 0u64);
    let blocks = data.chunks_exact(16);
    let tail = blocks.remainder();
    for block in blocks {
        let k1 = u64::from_le_bytes(block[..8].try_into().expect("16-byte block"));
        let k2 = u64::from_le_bytes(block[8..].try_into().expect("16-byte block"));
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let (mut k1, mut k2) = (0u64, 0u64);
    for (i, byte) in tail.iter().enumerate() {
        if i < 8 {
            k1 |= u64::from(*byte) << (8 * i);
        } else {
            k2 |= u64::from(*byte) << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    }
    if !tail.is_empty() {
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (u128::from(h2) << 64) | u128::from(h1)
}

fn fmix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_implementation() {
        // Reference values of MurmurHash3_x64_128 (seed 0) as printed by the
        // C++ implementation: h1 then h2, little-endian halves.
        assert_eq!(murmur3_128(b""), 0);
        let hello = murmur3_128(b"hello");
        assert_eq!(hello as u64, 0xcbd8_a7b3_41bd_9b02);
        assert_eq!((hello >> 64) as u64, 0x5b1e_906a_48ae_1d19);
        let long = murmur3_128(b"The quick brown fox jumps over the lazy dog");
        assert_eq!(long as u64, 0xe34b_bc7b_bc07_1b6c);
        assert_eq!((long >> 64) as u64, 0x7a43_3ca9_c49a_9347);
    }
}
