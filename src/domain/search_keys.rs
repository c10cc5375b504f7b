//! Finding a person during an emergency call (本人の検索): the keys a registration is found by,
//! and the same normalization for what a coordinator types. A name read out over the phone is
//! written in many ways — hiragana or katakana, full or half width, ユウコ or ユーコ, 髙橋 or
//! 高橋, a phone number with or without hyphens — and each of those must find the same person.
//!
//! Written by hand: the Unicode normalization itself comes from `unicode-normalization`
//! (NFKC: half-width katakana, full-width digits and letters), but no maintained crate folds
//! Japanese reading variants (long vowels, small kana, ヂ/ジ) or the variant kanji of names the
//! way a city's registers need.
use crate::contracts::text_enum::text_enum;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

text_enum! {
    /// What a search key is of.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum KeyKind {
        /// The reading (フリガナ), family then given name, folded by [`kana_key`].
        Kana = "kana",
        /// The name as written, family then given name, folded by [`name_key`].
        Name = "name",
        /// The date of birth, `YYYY-MM-DD`.
        BirthDate = "birth_date",
        /// A phone number of the person, digits only.
        Phone = "phone",
        /// A phone number of one of the person's emergency contacts, digits only.
        ContactPhone = "contact_phone",
    }
}

/// The folded form of a reading: katakana, full width, no spaces, small kana as large ones,
/// ヂ/ヅ/ヴ/ヲ/ヰ/ヱ as ジ/ズ/ブ/オ/イ/エ, and every way of writing a long vowel (ー, a dash,
/// ウ after an o- or u-sound, イ after an e- or i-sound, the same vowel again) as one ー.
pub fn kana_key(text: &str) -> String {
    let katakana: Vec<char> = text
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '・')
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            c => c,
        })
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut previous_vowel: Option<char> = None;
    let mut chars = katakana.into_iter().peekable();
    while let Some(c) = chars.next() {
        // ヴァ ヴィ ヴェ ヴォ are read, and often registered, as バ ビ ベ ボ.
        let c = match (c, chars.peek()) {
            ('ヴ', Some(&small @ ('ァ' | 'ィ' | 'ェ' | 'ォ'))) => {
                chars.next();
                match small {
                    'ァ' => 'バ',
                    'ィ' => 'ビ',
                    'ェ' => 'ベ',
                    _ => 'ボ',
                }
            }
            (c, _) => plain_kana(c),
        };
        let lengthens = match (previous_vowel, c) {
            (Some(_), 'ー') => true,
            (Some(v), 'ウ') => v == 'u' || v == 'o',
            (Some(v), 'イ') => v == 'i' || v == 'e',
            (Some(v), 'ア') => v == 'a',
            (Some(v), 'エ') => v == 'e',
            (Some(v), 'オ') => v == 'o',
            _ => false,
        };
        if lengthens {
            if !out.ends_with('ー') {
                out.push('ー');
            }
            // The vowel goes on: ユウウ is one long ウ.
            continue;
        }
        if c == 'ー' {
            // A lengthening mark after nothing it could lengthen is left out.
            continue;
        }
        previous_vowel = vowel_of(c);
        out.push(c);
    }
    out
}

/// The folded form of a name as written: NFKC, no spaces, katakana for hiragana, and the
/// common variant kanji of names as their usual form (髙→高, 﨑→崎, 邊/邉→辺, 齋→斎 …).
pub fn name_key(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace() && *c != '・')
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            c => usual_kanji(c),
        })
        .collect()
}

/// The digits of a phone number (ASCII or full-width digits; hyphens, brackets and spaces
/// between them; `+81` read as the leading 0), if it has 6 to 15 digits as written. Only those
/// digits count, so what is accepted is exactly what [`PHONE_PATTERN`] describes.
pub fn phone_key(text: &str) -> Option<String> {
    let digit = |c: char| match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    };
    let digits: String = text.chars().filter_map(digit).collect();
    if !(6..=15).contains(&digits.len()) {
        return None;
    }
    let international = text.trim_start().starts_with(['+', '＋']);
    Some(match digits.strip_prefix("81") {
        Some(national) if international => format!("0{national}"),
        _ => digits,
    })
}

/// A phone number as [`phone_key`] accepts it, as a JSON Schema pattern.
pub const PHONE_PATTERN: &str = "^[^0-9０-９]*([0-9０-９][^0-9０-９]*){6,15}$";

/// Whether `text` is a reading (kana only, after folding), so that it is searched as one.
pub fn is_reading(text: &str) -> bool {
    let key = kana_key(text);
    !key.is_empty() && key.chars().all(|c| ('\u{30A1}'..='\u{30FC}').contains(&c))
}

/// A small kana as its large form; readings in registers often write キヤ for キャ.
/// Also the letters only old spellings use.
fn plain_kana(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ヂ' => 'ジ',
        'ヅ' => 'ズ',
        'ヴ' => 'ブ',
        'ヲ' => 'オ',
        'ヰ' => 'イ',
        'ヱ' => 'エ',
        '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '~' | '〜' | '～' => 'ー',
        c => c,
    }
}

/// The vowel a katakana ends in (`a`, `i`, `u`, `e`, `o`), if it has one.
fn vowel_of(c: char) -> Option<char> {
    const ROWS: [(char, &str); 5] = [
        ('a', "アカガサザタダナハバパマヤラワ"),
        ('i', "イキギシジチニヒビピミリ"),
        ('u', "ウクグスズツヌフブプムユル"),
        ('e', "エケゲセゼテデネヘベペメレ"),
        ('o', "オコゴソゾトドノホボポモヨロ"),
    ];
    ROWS.iter()
        .find(|(_, kana)| kana.contains(c))
        .map(|(vowel, _)| *vowel)
}

/// The usual form of a variant kanji often found in names (異体字), else the kanji itself.
/// The list is the variants that city registers most often hold beside the usual form; a
/// variant not in it is matched only as written.
fn usual_kanji(c: char) -> char {
    match c {
        '髙' => '高',
        '﨑' | '嵜' | '碕' => '崎',
        '邊' | '邉' => '辺',
        '齋' | '齊' => '斎',
        '濱' | '濵' => '浜',
        '澤' => '沢',
        '廣' => '広',
        '國' => '国',
        '櫻' => '桜',
        '藏' => '蔵',
        '壽' => '寿',
        '龍' => '竜',
        '眞' => '真',
        '德' => '徳',
        '惠' => '恵',
        '冨' => '富',
        '嶋' | '嶌' => '島',
        '槇' => '槙',
        '瀨' => '瀬',
        '曾' => '曽',
        c => c,
    }
}

/// The keys a registration is found by, from what may be read of it: `readable` is the stored
/// document, or after a consent withdrawal only its identity (`consent::after_withdrawal`), so a
/// withdrawn registration is found by name and birth date but no longer by phone.
pub fn keys_of(readable: &Value) -> Vec<(KeyKind, String)> {
    let registrant = &readable["registrant"];
    let name = &registrant["name"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut keys = Vec::new();
    let mut push = |kind, key: String| {
        if !key.is_empty() && !keys.contains(&(kind, key.clone())) {
            keys.push((kind, key));
        }
    };
    push(
        KeyKind::Kana,
        kana_key(&(text(&name["family_kana"]) + &text(&name["given_kana"]))),
    );
    push(
        KeyKind::Name,
        name_key(&(text(&name["family"]) + &text(&name["given"]))),
    );
    push(KeyKind::BirthDate, text(&registrant["birth_date"]));
    if let Some(phones) = registrant["phones"].as_object() {
        for phone in phones.values().filter_map(Value::as_str) {
            push(KeyKind::Phone, phone_key(phone).unwrap_or_default());
        }
    }
    if let Some(contacts) = readable["emergency_contacts"].as_array() {
        for phone in contacts.iter().filter_map(|c| c["phone"].as_str()) {
            push(KeyKind::ContactPhone, phone_key(phone).unwrap_or_default());
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hiragana_katakana_and_half_width_readings_fold_alike() {
        let key = kana_key("センダイ タロウ");
        for written in [
            "せんだい たろう",
            "ｾﾝﾀﾞｲ ﾀﾛｳ",
            "センダイ　タロウ",
            "センダイタロウ",
        ] {
            assert_eq!(kana_key(written), key, "{written}");
        }
    }

    #[test]
    fn the_ways_of_writing_a_long_vowel_fold_alike() {
        assert_eq!(kana_key("ユウコ"), kana_key("ユーコ"));
        assert_eq!(kana_key("さとう"), kana_key("サトー"));
        assert_eq!(kana_key("オオノ"), kana_key("オーノ"));
        assert_eq!(kana_key("オウノ"), kana_key("オーノ"));
        assert_eq!(kana_key("ケイコ"), kana_key("ケーコ"));
        assert_eq!(kana_key("サトｰ"), kana_key("サト-"));
        assert_eq!(kana_key("ユウウ"), kana_key("ユー"));
        // Different names stay different.
        assert_ne!(kana_key("サトウ"), kana_key("サト"));
        assert_ne!(kana_key("カナ"), kana_key("カンナ"));
    }

    #[test]
    fn small_kana_and_old_spellings_fold_to_their_usual_letters() {
        assert_eq!(kana_key("キャ"), kana_key("キヤ"));
        assert_eq!(kana_key("ハッタ"), kana_key("ハツタ"));
        assert_eq!(kana_key("ちぢみ"), kana_key("チジミ"));
        assert_eq!(kana_key("ヴィクトル"), kana_key("ビクトル"));
        assert_eq!(kana_key("ヴ"), kana_key("ブ"));
    }

    #[test]
    fn variant_kanji_of_names_fold_to_their_usual_form() {
        assert_eq!(name_key("髙橋 一郎"), name_key("高橋一郎"));
        assert_eq!(name_key("山﨑"), name_key("山崎"));
        assert_eq!(name_key("渡邊"), name_key("渡辺"));
        assert_eq!(name_key("渡邉"), name_key("渡辺"));
        assert_ne!(name_key("高橋"), name_key("高梨"));
    }

    #[test]
    fn a_phone_number_is_its_digits_however_it_is_written() {
        assert_eq!(phone_key("090-0000-0001").as_deref(), Some("09000000001"));
        assert_eq!(
            phone_key("０９０（００００）０００１").as_deref(),
            Some("09000000001")
        );
        assert_eq!(
            phone_key("+81 90 0000 0001").as_deref(),
            Some("09000000001")
        );
        assert_eq!(phone_key("022 000 0002").as_deref(), Some("0220000002"));
        assert_eq!(phone_key("12-34"), None, "too short to be a number");
        assert_eq!(phone_key("なし"), None);
    }

    #[test]
    fn a_reading_is_told_from_a_name_in_kanji() {
        assert!(is_reading("せんだい"));
        assert!(is_reading("ｾﾝﾀﾞｲ"));
        assert!(is_reading("センダイ タロー"));
        assert!(!is_reading("仙台"));
        assert!(!is_reading("仙台 タロウ"));
        assert!(!is_reading(""));
    }

    #[test]
    fn a_registration_is_found_by_its_reading_name_birth_date_and_phones() {
        let doc = serde_json::json!({
            "registrant": {
                "name": {"family": "髙橋", "given": "一郎", "family_kana": "たかはし", "given_kana": "イチロウ"},
                "birth_date": "1990-05-01",
                "phones": {"home": "022-000-0000", "mobile": "090-0000-0000"}
            },
            "emergency_contacts": [{"phone": "090-0000-0001"}, {"phone": "090-0000-0001"}]
        });
        let keys = keys_of(&doc);
        let of = |kind| -> Vec<&str> {
            keys.iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        // Family and given name are one reading: シ+イ lengthens as it would typed as one.
        assert_eq!(of(KeyKind::Kana), ["タカハシーチロー"]);
        assert_eq!(of(KeyKind::Name), ["高橋一郎"]);
        assert_eq!(of(KeyKind::BirthDate), ["1990-05-01"]);
        assert_eq!(of(KeyKind::Phone), ["0220000000", "09000000000"]);
        assert_eq!(
            of(KeyKind::ContactPhone),
            ["09000000001"],
            "once, though given twice"
        );
    }

    #[test]
    fn a_withdrawn_registration_keeps_no_phone_keys() {
        let doc = serde_json::json!({
            "registrant": {
                "name": {"family": "仙台", "given": "太郎", "family_kana": "センダイ", "given_kana": "タロウ"},
                "birth_date": "1990-05-01",
                "phones": {"home": "022-000-0000"}
            },
            "consent": {"withdrawn_on": "2026-11-01"}
        });
        let keys = keys_of(&crate::domain::consent::after_withdrawal(&doc));
        assert!(keys
            .iter()
            .all(|(k, _)| !matches!(k, KeyKind::Phone | KeyKind::ContactPhone)));
        assert!(keys.contains(&(KeyKind::BirthDate, "1990-05-01".to_owned())));
    }
}
