//! Formats that JSON Schema cannot express by a pattern: real check-digit and script checks.

/// Full-width katakana (ァ–ヺ), the long-vowel mark ー, ASCII and ideographic spaces; at least one
/// katakana letter.
pub fn is_katakana(s: &str) -> bool {
    let mut letters = 0;
    for c in s.chars() {
        match c {
            '\u{30A1}'..='\u{30FA}' | 'ー' => letters += 1,
            ' ' | '\u{3000}' => {}
            _ => return false,
        }
    }
    letters > 0
}

fn ascii_digits<const N: usize>(s: &str) -> Option<[u32; N]> {
    let b = s.as_bytes();
    if b.len() != N || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0; N];
    for (o, c) in out.iter_mut().zip(b) {
        *o = u32::from(c - b'0');
    }
    Some(out)
}

/// 全国地方公共団体コード: 6 digits, prefecture 01–47, check digit = (11 − Σ(d·w) mod 11) mod 10
/// with weights 6,5,4,3,2 on the first five digits.
pub fn is_municipality_code(s: &str) -> bool {
    let Some(d) = ascii_digits::<6>(s) else {
        return false;
    };
    let prefecture = d[0] * 10 + d[1];
    if !(1..=47).contains(&prefecture) {
        return false;
    }
    let sum: u32 = d[..5].iter().zip([6, 5, 4, 3, 2]).map(|(d, w)| d * w).sum();
    (11 - sum % 11) % 10 == d[5]
}

/// 法人番号: 13 digits; the first is the check digit = 9 − (Σ Pn·Qn mod 9), where Pn is the n-th
/// digit of the 12-digit base counted from the right and Qn is 1 for odd n, 2 for even n.
pub fn is_corporate_number(s: &str) -> bool {
    let Some(d) = ascii_digits::<13>(s) else {
        return false;
    };
    let sum: u32 = d[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, p)| p * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    9 - sum % 9 == d[0]
}

/// Japanese phone number: ASCII digits and single hyphens between digits, 10–11 digits,
/// starting with 0.
pub fn is_phone(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() != Some(&b'0') || b.last() == Some(&b'-') || b.windows(2).any(|w| w == b"--") {
        return false;
    }
    if !b.iter().all(|c| c.is_ascii_digit() || *c == b'-') {
        return false;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    (10..=11).contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_municipality_codes_pass_their_check_digit() {
        for code in ["041009", "322016", "131016", "011002", "472018"] {
            assert!(is_municipality_code(code), "{code}");
        }
    }

    #[test]
    fn municipality_codes_with_a_wrong_digit_or_prefecture_fail() {
        for code in [
            "041008",
            "322015",
            "481009",
            "001007",
            "04100",
            "０４１００９",
            "04100a",
        ] {
            assert!(!is_municipality_code(code), "{code}");
        }
    }

    #[test]
    fn corporate_numbers_pass_only_with_their_check_digit() {
        // National Tax Agency's published example 7000012050002 (国税庁).
        assert!(is_corporate_number("7000012050002"));
        assert!(!is_corporate_number("8000012050002"));
        assert!(!is_corporate_number("700001205000"));
    }

    #[test]
    fn katakana_allows_long_vowel_and_spaces_only() {
        assert!(is_katakana("センダイ タロウ"));
        assert!(is_katakana("ヴァーチャル"));
        assert!(!is_katakana("せんだい"));
        assert!(!is_katakana("ｾﾝﾀﾞｲ"));
        assert!(!is_katakana("Sendai"));
        assert!(!is_katakana("　"));
        assert!(!is_katakana(""));
    }

    #[test]
    fn phones_need_ten_or_eleven_ascii_digits() {
        assert!(is_phone("022-214-0000"));
        assert!(is_phone("09012345678"));
        assert!(!is_phone("０２２-214-0000"));
        assert!(!is_phone("022-214-000"));
        assert!(!is_phone("022--2140000"));
        assert!(!is_phone("122-214-0000"));
        assert!(!is_phone("022-214-0000-"));
    }
}
