//! A small element tree read with quick-xml, refusing what kyoten documents never need.
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::{NsReader, XmlVersion};
use std::borrow::Cow;

/// Elements nested deeper than this are refused (documents need fewer than 10).
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    ByteOrderMark,
    NotUtf8,
    /// A DOCTYPE (and with it any entity declaration) is present.
    Doctype,
    ProcessingInstruction,
    TooDeep,
    /// Not well-formed, an undefined entity, or more than one root: where reading stopped,
    /// as a byte offset and as a line and column (both from 1; the column counts characters).
    Malformed {
        position: u64,
        line: usize,
        column: usize,
    },
}

/// The error for a body that stops being well-formed at byte `position` of `text`.
fn malformed_at(text: &str, position: u64) -> XmlError {
    let mut at = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    XmlError::Malformed {
        position,
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::ByteOrderMark => write!(f, "starts with a byte order mark"),
            XmlError::NotUtf8 => write!(f, "not UTF-8"),
            XmlError::Doctype => write!(f, "a DOCTYPE or entity declaration is not accepted"),
            XmlError::ProcessingInstruction => {
                write!(f, "processing instructions are not accepted")
            }
            XmlError::TooDeep => write!(f, "elements nested too deeply"),
            XmlError::Malformed {
                position,
                line,
                column,
            } => write!(
                f,
                "not well-formed XML (near byte {position}, line {line}, column {column})"
            ),
        }
    }
}

impl std::error::Error for XmlError {}

#[derive(Debug, Clone, Default)]
pub struct Element {
    pub namespace: Option<String>,
    pub name: String,
    /// Names of attributes other than namespace declarations.
    pub attributes: Vec<String>,
    pub children: Vec<Element>,
    pub text: String,
    pub line: u32,
    /// A comment stands directly in this element (for the root: also before or after it).
    pub has_comment: bool,
}

pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(XmlError::ByteOrderMark);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut line = 1u32;
    let mut counted = 0usize;
    let mut comment_outside_root = false;
    loop {
        let position = reader.buffer_position();
        let malformed = || malformed_at(text, position);
        let (ns, event) = reader.read_resolved_event().map_err(|_| malformed())?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if root.is_some() {
                    return Err(malformed());
                }
                let here = (position as usize).min(text.len());
                line += text.as_bytes()[counted..here]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count() as u32;
                counted = here;
                stack.push(element(&start, ns, line).map_err(|()| malformed())?);
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(malformed)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content(), malformed)?,
            Event::CData(c) => push_text(&mut stack, &c.xml10_content(), malformed)?,
            Event::GeneralRef(r) => {
                let c = reference(&r).ok_or_else(malformed)?;
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]), malformed)?;
            }
            Event::Decl(decl) => {
                // Only first, and only as XML 1.0 writes it: quick-xml reads `<?xml` and
                // anything up to `?>` as a declaration.
                if position != 0 || !is_declaration(&decl) {
                    return Err(malformed());
                }
                if let Some(enc) = decl.encoding() {
                    let enc = enc.map_err(|_| malformed())?;
                    if !enc.eq_ignore_ascii_case("utf-8") {
                        return Err(XmlError::NotUtf8);
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::PI(_) => return Err(XmlError::ProcessingInstruction),
            // Kept as a mark only: the mapping refuses comments, since a signature does not
            // cover them (exclusive C14N without comments) and readers differ on them.
            Event::Comment(_) => match stack.last_mut() {
                Some(el) => el.has_comment = true,
                None => comment_outside_root = true,
            },
            Event::Empty(_) => return Err(malformed()),
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(malformed_at(text, reader.buffer_position()));
    }
    let mut root = root.ok_or_else(|| malformed_at(text, 0))?;
    root.has_comment |= comment_outside_root;
    Ok(root)
}

/// A new element from its start tag, at `line`; `Err` when it is not well-formed.
fn element(start: &BytesStart<'_>, ns: ResolveResult<'_>, line: u32) -> Result<Element, ()> {
    let namespace = match ns {
        // quick-xml resolves a prefix to the declaration's raw value; the namespace name is
        // that value normalized, as for any attribute (and as the canonicalizer that checks
        // signatures reads it).
        ResolveResult::Bound(n) => Some(normalized(n.as_ref()).ok_or(())?),
        ResolveResult::Unbound => None,
        ResolveResult::Unknown(_) => return Err(()),
    };
    if !is_name(start.name().as_ref()) {
        return Err(());
    }
    let name = start.local_name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|_| ())?;
        if !is_name(attr.key.as_ref()) || attr.value.contains('<') {
            return Err(());
        }
        if attr.key.as_namespace_binding().is_none() {
            attributes.push(attr.key.local_name().as_ref().to_owned());
        }
    }
    Ok(Element {
        namespace,
        name,
        attributes,
        children: Vec::new(),
        text: String::new(),
        line,
        has_comment: false,
    })
}

/// The character a reference in text stands for: a character reference or one of the five
/// predefined entities (no other entity is defined: there is no DOCTYPE).
fn reference(r: &BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match &**r {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// An attribute value as XML 1.0 reads it (§3.3.3): references resolved, each literal tab,
/// line end or carriage return a space. `None` for an undefined entity.
fn normalized(raw: &str) -> Option<String> {
    let attr = Attribute {
        key: QName("xmlns"),
        value: Cow::Borrowed(raw),
    };
    attr.normalized_value(XmlVersion::Implicit1_0)
        .ok()
        .map(Cow::into_owned)
}

/// Whether the content of `<?…?>` is an XML declaration as XML 1.0 defines it (production
/// `XMLDecl`): `xml`, then `version="1.n"`, optionally `encoding` (`EncName`) and
/// `standalone` (`yes`/`no`), in this order, each after whitespace.
pub(crate) fn is_declaration(content: &str) -> bool {
    const S: &[char] = &[' ', '\t', '\r', '\n'];
    let Some(mut rest) = content.strip_prefix("xml") else {
        return false;
    };
    let mut names = ["version", "encoding", "standalone"].into_iter();
    let mut has_version = false;
    loop {
        let after_space = rest.trim_start_matches(S);
        if after_space.is_empty() {
            return has_version;
        }
        if after_space.len() == rest.len() {
            return false;
        }
        let Some((name, after)) = after_space.split_once('=') else {
            return false;
        };
        let name = name.trim_end_matches(S);
        let after = after.trim_start_matches(S);
        let Some(quote) = after.chars().next().filter(|q| matches!(q, '"' | '\'')) else {
            return false;
        };
        let Some((value, after)) = after[1..].split_once(quote) else {
            return false;
        };
        // Names must come in order, each at most once.
        if !names.any(|n| n == name) {
            return false;
        }
        let ok = match name {
            "version" => value
                .strip_prefix("1.")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
            "encoding" => {
                let mut chars = value.chars();
                chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                    && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            }
            _ => matches!(value, "yes" | "no"),
        };
        if !ok || (name != "version" && !has_version) {
            return false;
        }
        has_version = true;
        rest = after;
    }
}

/// Whether `name` matches the XML 1.0 production `Name` (quick-xml does not check names, so
/// `<a <!DOCTYPE="x">` would otherwise be read as an element with an attribute).
pub(crate) fn is_name(name: &str) -> bool {
    fn start(c: char) -> bool {
        matches!(c,
            ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
            | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
            | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
            | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
            | '\u{10000}'..='\u{EFFFF}')
    }
    fn rest(c: char) -> bool {
        start(c)
            || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
    }
    let mut chars = name.chars();
    chars.next().is_some_and(start) && chars.all(rest)
}

fn push_text(
    stack: &mut [Element],
    s: &str,
    malformed: impl Fn() -> XmlError,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(s);
            Ok(())
        }
        // Only whitespace may stand outside the root element.
        None if s.trim().is_empty() => Ok(()),
        None => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doctype_is_refused_before_any_entity_is_read() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>"#;
        assert_eq!(parse(xml).unwrap_err(), XmlError::Doctype);
    }

    #[test]
    fn processing_instructions_are_refused() {
        assert_eq!(
            parse(b"<r><?php echo 1; ?></r>").unwrap_err(),
            XmlError::ProcessingInstruction
        );
    }

    #[test]
    fn undefined_entities_are_malformed() {
        assert!(matches!(
            parse(b"<r>&nbsp;</r>"),
            Err(XmlError::Malformed { .. })
        ));
    }

    #[test]
    fn predefined_and_character_references_are_expanded() {
        let el = parse("<r>a&amp;b&#x3042;&lt;<![CDATA[<x>]]></r>".as_bytes()).unwrap();
        assert_eq!(el.text, "a&bあ<<x>");
    }

    #[test]
    fn comments_are_marked_on_the_element_that_holds_them_or_on_the_root() {
        let el = parse(b"<r><a>x<!-- c -->y</a><b/></r>").unwrap();
        assert!(!el.has_comment);
        assert!(el.children[0].has_comment);
        assert_eq!(el.children[0].text, "xy");
        assert!(!el.children[1].has_comment);
        assert!(parse(b"<!-- before --><r/>").unwrap().has_comment);
        assert!(parse(b"<r/><!-- after -->").unwrap().has_comment);
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(deep.as_bytes()).unwrap_err(), XmlError::TooDeep);
    }

    #[test]
    fn namespaces_lines_and_attributes_are_recorded() {
        let el = parse(b"<x:r xmlns:x=\"urn:a\">\n  <x:c id=\"1\">v</x:c>\n</x:r>").unwrap();
        assert_eq!(el.namespace.as_deref(), Some("urn:a"));
        assert_eq!(el.children[0].attributes, vec!["id".to_owned()]);
        assert_eq!(el.children[0].line, 2);
    }

    #[test]
    fn a_body_that_is_not_well_formed_says_the_line_and_column_where_reading_stopped() {
        match parse("<a>\n  <b>見本</a>".as_bytes()) {
            Err(XmlError::Malformed {
                position,
                line,
                column,
            }) => {
                assert_eq!((line, column), (2, 8), "at the mismatched </a>");
                assert_eq!(position, 15, "bytes, not characters");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mismatched_end_tags_and_second_roots_are_malformed() {
        assert!(matches!(parse(b"<a></b>"), Err(XmlError::Malformed { .. })));
        assert!(matches!(
            parse(b"<a/><b/>"),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(parse(b"<a>"), Err(XmlError::Malformed { .. })));
    }

    // Found by fuzzing (fuzz/, target xml_reader): the reader took a namespace declaration's
    // raw value, the canonicalizer (and XML) its normalized value.
    #[test]
    fn a_namespace_is_the_normalized_value_of_its_declaration() {
        let xml = b"<r xmlns=\"urn:a\n\tb&#x63;\"><p:c xmlns:p=\"urn:&amp;\n\"/></r>";
        let el = parse(xml).unwrap();
        assert_eq!(el.namespace.as_deref(), Some("urn:a  bc"));
        assert_eq!(el.children[0].namespace.as_deref(), Some("urn:& "));
        let doc = crate::xml::c14n::Document::parse(xml).unwrap();
        assert_eq!(doc.element(0).namespace, "urn:a  bc");
        assert_eq!(doc.element(1).namespace, "urn:& ");
    }

    // Found by fuzzing (target xml_reader): quick-xml does not check names, so
    // `<!DOCTYPE` was read as an attribute name.
    #[test]
    fn names_that_are_not_xml_names_and_a_lt_in_attribute_values_are_malformed() {
        for xml in [
            &b"<r><t <!DOCTYPE=\"x\"></t></r>"[..],
            b"<r><t a<b=\"x\"/></r>",
            b"<r><1t/></r>",
            b"<r a=\"<\"/>",
        ] {
            assert!(
                matches!(parse(xml), Err(XmlError::Malformed { .. })),
                "{}",
                String::from_utf8_lossy(xml)
            );
        }
        assert!(parse("<r xml:lang=\"ja\"><名前 k.a-b_c=\"1\"/></r>".as_bytes()).is_ok());
    }

    // Found by fuzzing (target xml_reader): quick-xml reads `<?xml` and anything up to `?>`
    // as a declaration, anywhere.
    #[test]
    fn only_a_well_formed_xml_declaration_at_the_start_is_read() {
        for xml in [
            &b"<?xml versio<!DOCTYPEncoding=\"UTF-8\"?><r/>"[..],
            b"<?xml encoding=\"UTF-8\"?><r/>",
            b"<?xml version=\"1.0\" standalone=\"yes\" encoding=\"UTF-8\"?><r/>",
            b"<?xml version=\"1.0\" foo=\"x\"?><r/>",
            b"<?xml version=\"2.0\"?><r/>",
            b"<?xml version=\"1.0\"encoding=\"UTF-8\"?><r/>",
            b" <?xml version=\"1.0\"?><r/>",
            b"<r><?xml version=\"1.0\"?></r>",
        ] {
            let refused = parse(xml).is_err() && crate::xml::c14n::Document::parse(xml).is_err();
            assert!(refused, "{}", String::from_utf8_lossy(xml));
        }
        for xml in [
            &b"<?xml version=\"1.0\"?><r/>"[..],
            b"<?xml version='1.0' encoding='utf-8' standalone='no' ?>\n<r/>",
            b"<?xml version = \"1.0\" encoding = \"UTF-8\"?><r/>",
        ] {
            assert!(parse(xml).is_ok(), "{}", String::from_utf8_lossy(xml));
            assert!(crate::xml::c14n::Document::parse(xml).is_ok());
        }
    }

    #[test]
    fn non_utf8_input_is_refused() {
        assert_eq!(parse(b"<a>\xff</a>").unwrap_err(), XmlError::NotUtf8);
        assert_eq!(
            parse(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a/>").unwrap_err(),
            XmlError::NotUtf8
        );
    }
}
