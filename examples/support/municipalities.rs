//! Municipality codes for the seeding examples: `n` codes of one prefecture (Miyagi, 04) that
//! pass the 全国地方公共団体コード check digit, the first being Sendai's (041009), the demo's.

/// The check digit of a five-digit code: (11 − Σ(d·w) mod 11) mod 10, weights 6,5,4,3,2.
fn check_digit(five: &str) -> u32 {
    let sum: u32 = five
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip([6, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum();
    (11 - sum % 11) % 10
}

pub fn codes(n: usize) -> Vec<String> {
    (0..n)
        .map(|k| {
            let five = if k == 0 {
                "04100".to_owned()
            } else {
                format!("04{:03}", 200 + k)
            };
            format!("{five}{}", check_digit(&five))
        })
        .collect()
}
