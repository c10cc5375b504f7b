//! A small element tree read with quick-xml, refusing what kyoten documents never need.
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

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
    /// Not well-formed, an undefined entity, or more than one root.
    Malformed {
        position: u64,
    },
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
            XmlError::Malformed { position } => {
                write!(f, "not well-formed XML (near byte {position})")
            }
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
        let malformed = || XmlError::Malformed { position };
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
                let namespace = match ns {
                    ResolveResult::Bound(n) => Some(n.as_ref().to_owned()),
                    ResolveResult::Unbound => None,
                    ResolveResult::Unknown(_) => return Err(malformed()),
                };
                let name = start.local_name().as_ref().to_owned();
                let mut attributes = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|_| malformed())?;
                    if attr.key.as_namespace_binding().is_none() {
                        attributes.push(attr.key.local_name().as_ref().to_owned());
                    }
                }
                stack.push(Element {
                    namespace,
                    name,
                    attributes,
                    children: Vec::new(),
                    text: String::new(),
                    line,
                    has_comment: false,
                });
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
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().ok_or_else(malformed)?
                } else {
                    match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        _ => return Err(malformed()),
                    }
                };
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]), malformed)?;
            }
            Event::Decl(decl) => {
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
        return Err(XmlError::Malformed {
            position: reader.buffer_position(),
        });
    }
    let mut root = root.ok_or(XmlError::Malformed { position: 0 })?;
    root.has_comment |= comment_outside_root;
    Ok(root)
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
    fn mismatched_end_tags_and_second_roots_are_malformed() {
        assert!(matches!(parse(b"<a></b>"), Err(XmlError::Malformed { .. })));
        assert!(matches!(
            parse(b"<a/><b/>"),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(parse(b"<a>"), Err(XmlError::Malformed { .. })));
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
