//! The samples usm draws from a log set, by a hash that every scan engine computes the same
//! way: MD5 (DuckDB's `md5`, Spark SQL's `md5`) of `p:SEED:EXPOSURE_ID` for the pseudo-label
//! sample, of `e:SEED:USER_ID` for the evaluation users. A row is drawn when the first 13 hex
//! digits of the digest (its first 52 bits), as text, sort below a threshold's 13 hex digits,
//! which SQL compares as strings with no integer conversion of its own. So the native reader,
//! DuckDB and Spark keep exactly the same rows (`sim/engines/scan.sql`).
//!
//! The simulator's own worlds keep drawing with [`usm_core::rng::hash_unit`]: this hash is the
//! log sets' only, where an engine may do the scan.

/// The digest's leading bits a draw compares.
const BITS: u32 = 52;

/// The threshold below which a 52-bit prefix is drawn with probability `rate` (clamped to
/// 0..=1): `ceil(rate · 2^52)`.
pub fn below(rate: f64) -> u64 {
    let full = 1u64 << BITS;
    if rate.is_nan() || rate <= 0.0 {
        0
    } else if rate >= 1.0 {
        full
    } else {
        ((rate * full as f64).ceil() as u64).min(full)
    }
}

/// The threshold as the SQL text compares it: 13 lower-case hex digits, or `g` (after every
/// hex digit) when every row is drawn.
pub fn below_text(below: u64) -> String {
    if below >= 1 << BITS {
        "g".into()
    } else {
        format!("{below:013x}")
    }
}

/// The first 52 bits of MD5(`text`).
pub fn prefix(text: &str) -> u64 {
    let d = md5(text.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&d[..8]);
    u64::from_be_bytes(head) >> (64 - BITS)
}

/// Whether the pseudo-label sample keeps an exposure.
pub fn pseudo(seed: u64, exposure_id: u64, below: u64) -> bool {
    prefix(&format!("p:{seed}:{exposure_id}")) < below
}

/// Whether a user is an evaluation user.
pub fn eval_user(seed: u64, user: u32, below: u64) -> bool {
    prefix(&format!("e:{seed}:{user}")) < below
}

/// The scale of the truth's sums over a log set: each probability rounded to a multiple of
/// 2^-24 and summed as an integer, so that every engine, in any order, sums to the same total.
pub const FIXED: f64 = 16_777_216.0;

/// A probability in fixed point, as scan.sql computes it: `floor(p · 2^24 + 0.5)`.
pub fn fixed(p: f32) -> i64 {
    (p as f64 * FIXED + 0.5).floor() as i64
}

/// A log set's sums of the true P(don't like), P(inappropriate), P(sexual), in fixed point.
pub fn fixed_truths(r: &crate::records::ExposureRecord) -> [i64; 3] {
    use crate::heads::HeadDef;
    r.oracle.map_or([0; 3], |o| {
        [
            fixed(HeadDef::Dislike.truth(&o)),
            fixed(HeadDef::Inappropriate.truth(&o)),
            fixed(HeadDef::SEXUAL.truth(&o)),
        ]
    })
}

/// Puts a log set's fixed-point sums into its totals.
pub fn set_truth_sums(stats: &mut crate::summary::RunStats, sums: [i64; 3]) {
    stats.sum_p_dislike = sums[0] as f64 / FIXED;
    stats.sum_p_inappropriate = sums[1] as f64 / FIXED;
    stats.sum_p_sexual = sums[2] as f64 / FIXED;
}

/// MD5's constants: the integer part of |sin(i + 1)| · 2^32 (RFC 1321, 3.4).
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// MD5 (RFC 1321) of a message.
pub fn md5(message: &[u8]) -> [u8; 16] {
    const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    let mut h: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let mut data = message.to_vec();
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&((message.len() as u64).wrapping_mul(8)).to_le_bytes());
    for block in data.chunks_exact(64) {
        let m: [u32; 16] = std::array::from_fn(|i| {
            u32::from_le_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ])
        });
        let [mut a, mut b, mut c, mut d] = h;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(K[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[(i / 16) * 4 + i % 4]));
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 16];
    for (i, w) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn md5_matches_rfc_1321() {
        // The test suite of RFC 1321, appendix A.5.
        for (m, want) in [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ] {
            assert_eq!(hex(md5(m.as_bytes())), want, "{m:?}");
        }
    }

    #[test]
    fn a_draw_compares_as_the_sql_text_does() {
        // The SQL keeps a row when the digest's first 13 hex digits sort below the threshold's.
        for (i, rate) in [0.0, 1e-4, 0.013, 0.3, 0.5, 0.999, 1.0]
            .into_iter()
            .enumerate()
        {
            let b = below(rate);
            let t = below_text(b);
            for id in 0..2_000u64 {
                let text = format!("p:{i}:{id}");
                let as_sql = hex(md5(text.as_bytes()))[..13] < *t;
                assert_eq!(pseudo(i as u64, id, b), as_sql, "rate {rate}, id {id}");
            }
        }
        assert_eq!(below_text(below(1.0)), "g");
        assert_eq!(below_text(below(0.5)), "8000000000000");
    }

    #[test]
    fn a_draw_keeps_its_rate() {
        let b = below(0.2);
        let kept = (0..100_000u64).filter(|&id| pseudo(7, id, b)).count();
        // Binomial(100000, 0.2): sd 126.
        assert!((19_500..20_500).contains(&kept), "{kept}");
        let users = (0..20_000u32).filter(|&u| eval_user(7, u, b)).count();
        assert!((3_800..4_200).contains(&users), "{users}");
    }
}
