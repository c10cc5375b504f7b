//! Exclusive XML Canonicalization 1.0 without comments (https://www.w3.org/TR/xml-exc-c14n/),
//! the form XMLDSig signs and digests.
//!
//! Written here because quick-xml (our XML reader) has no canonicalizer and the Rust crates that
//! have one either sit on libxml2 or implement inclusive C14N only. The document is read once
//! into a flat list of items (start, text, end) that borrows from the input; canonical bytes
//! are then written for the whole document, the document minus one element (the
//! enveloped-signature transform), or one element's subtree (`ds:SignedInfo`) — the element
//! keeps the namespaces of its ancestors, and, as exclusive C14N says, only the namespaces an
//! output element visibly uses are rendered.
//!
//! Hostile input is refused before anything is written: a DOCTYPE (and with it every entity
//! declaration, so no external entities and no entity expansion), processing instructions,
//! undefined entities, unbound prefixes, duplicate attributes and nesting deeper than
//! [`MAX_DEPTH`].
//!
//! Long on purpose: one file of about 700 lines, because the reading into items, the namespace
//! scoping and the writing are one algorithm whose parts share the item list and the scope
//! stack, and the known-answer tests (W3C's examples and xmlsec1's output) test it as a whole.
use super::reader::{is_declaration, is_name, MAX_DEPTH};
use quick_xml::events::attributes::Attribute as RawAttribute;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::borrow::Cow;
use std::ops::Range;

/// An attribute that declares no namespace: its name and normalized value.
type Plain<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The namespace bound to the `xml` prefix without a declaration.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// Why a document cannot be canonicalized. The messages carry no document content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum C14nError {
    #[error("the document starts with a byte order mark")]
    ByteOrderMark,
    #[error("the document is not UTF-8")]
    NotUtf8,
    #[error("the document has a DOCTYPE; DTDs and entity declarations are not accepted")]
    Doctype,
    #[error("the document has a processing instruction")]
    ProcessingInstruction,
    #[error("the document nests elements too deeply")]
    TooDeep,
    #[error("the document uses a namespace prefix it does not declare")]
    UnboundPrefix,
    #[error("the document is not well-formed XML (near byte {position})")]
    Malformed { position: u64 },
}

/// An element of a [`Document`], addressed by its place in document order (the root is 0).
pub type ElementId = usize;

/// One element: its name, resolved namespace and attributes (namespace declarations are not
/// attributes here; they only serve to resolve prefixes).
#[derive(Debug, Clone)]
pub struct Element<'a> {
    pub prefix: Cow<'a, str>,
    pub local: Cow<'a, str>,
    /// The namespace name, empty when the element is in no namespace.
    pub namespace: Cow<'a, str>,
    attributes: Range<usize>,
    /// Index of its start item and of its end item in [`Document::items`].
    start: usize,
    end: usize,
    /// Byte offset of the end tag (`</`) in the input, or of `/>` for an empty-element tag.
    end_offset: usize,
    self_closing: bool,
    parent: Option<ElementId>,
}

/// An attribute after attribute-value normalization (character and entity references
/// resolved, white space characters turned into spaces).
#[derive(Debug, Clone)]
pub struct Attribute<'a> {
    pub prefix: Cow<'a, str>,
    pub local: Cow<'a, str>,
    pub namespace: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

#[derive(Debug, Clone)]
enum Item<'a> {
    Start(ElementId),
    End(ElementId),
    /// Character data with references resolved and line ends normalized.
    Text(Cow<'a, str>),
}

/// Which part of the document to canonicalize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    /// The document element with everything in it.
    Document,
    /// The document without one element's subtree (the enveloped-signature transform).
    DocumentWithout(ElementId),
    /// One element's subtree, in the namespace context of its ancestors.
    Element(ElementId),
}

/// A parsed document, borrowing from its input.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    input: &'a str,
    elements: Vec<Element<'a>>,
    attributes: Vec<Attribute<'a>>,
    items: Vec<Item<'a>>,
}

/// A child of an element.
#[derive(Debug, Clone, Copy)]
pub enum Child<'d> {
    Element(ElementId),
    Text(&'d str),
}

impl<'a> Document<'a> {
    /// Reads a document, refusing DOCTYPE, processing instructions and anything not
    /// well-formed.
    pub fn parse(bytes: &'a [u8]) -> Result<Document<'a>, C14nError> {
        Parser::new(bytes)?.run()
    }

    /// The input the document was read from.
    pub fn input(&self) -> &'a str {
        self.input
    }

    pub fn root(&self) -> ElementId {
        0
    }

    pub fn element(&self, id: ElementId) -> &Element<'a> {
        &self.elements[id]
    }

    /// Every element, in document order.
    pub fn elements(&self) -> impl Iterator<Item = (ElementId, &Element<'a>)> {
        self.elements.iter().enumerate()
    }

    pub fn attributes(&self, id: ElementId) -> &[Attribute<'a>] {
        &self.attributes[self.elements[id].attributes.clone()]
    }

    /// The value of an attribute in no namespace.
    pub fn attribute(&self, id: ElementId, local: &str) -> Option<&str> {
        self.attributes(id)
            .iter()
            .find(|a| a.namespace.is_empty() && a.local == local)
            .map(|a| a.value.as_ref())
    }

    /// The parent element, `None` for the root.
    pub fn parent(&self, id: ElementId) -> Option<ElementId> {
        self.elements[id].parent
    }

    /// The element's children (elements and text), in order.
    pub fn children(&self, id: ElementId) -> Children<'_, 'a> {
        let el = &self.elements[id];
        Children {
            doc: self,
            next: el.start + 1,
            end: el.end,
        }
    }

    /// The element's text children, concatenated (`None` if it has element children).
    pub fn text(&self, id: ElementId) -> Option<Cow<'_, str>> {
        let mut text: Cow<'_, str> = Cow::Borrowed("");
        for child in self.children(id) {
            match child {
                Child::Element(_) => return None,
                Child::Text(t) if text.is_empty() => text = Cow::Borrowed(t),
                Child::Text(t) => text.to_mut().push_str(t),
            }
        }
        Some(text)
    }

    /// Where a new last child of `id` goes: the byte offset of its end tag, and whether the
    /// element was written as an empty-element tag (`<a/>`, which has no end tag to insert
    /// before).
    pub fn end_tag_offset(&self, id: ElementId) -> (usize, bool) {
        let el = &self.elements[id];
        (el.end_offset, el.self_closing)
    }

    /// The canonical form of `subset`.
    pub fn canonicalize(&self, subset: Subset) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.input.len());
        self.canonicalize_into(subset, &mut out);
        out
    }

    /// Appends the canonical form of `subset` to `out`.
    pub fn canonicalize_into(&self, subset: Subset, out: &mut Vec<u8>) {
        let (range, omit) = match subset {
            Subset::Document => (self.elements[0].start..self.elements[0].end + 1, None),
            Subset::DocumentWithout(id) => (
                self.elements[0].start..self.elements[0].end + 1,
                self.elements.get(id).map(|e| e.start..e.end + 1),
            ),
            Subset::Element(id) => match self.elements.get(id) {
                Some(e) => (e.start..e.end + 1, None),
                None => return,
            },
        };
        // The namespaces rendered by output ancestors: (prefix, namespace), with the length
        // of the list at each open element. The default namespace starts out empty.
        let mut rendered: Vec<(&str, &str)> = vec![("", "")];
        let mut marks: Vec<usize> = Vec::with_capacity(MAX_DEPTH);
        let mut scratch: Vec<(&str, &str)> = Vec::with_capacity(8);
        let mut i = range.start;
        while i < range.end {
            if let Some(omit) = &omit {
                if i == omit.start {
                    i = omit.end;
                    continue;
                }
            }
            match &self.items[i] {
                Item::Start(id) => {
                    marks.push(rendered.len());
                    self.write_start(*id, &mut rendered, &mut scratch, out);
                }
                Item::End(id) => {
                    let el = &self.elements[*id];
                    out.extend_from_slice(b"</");
                    write_qname(out, &el.prefix, &el.local);
                    out.push(b'>');
                    if let Some(mark) = marks.pop() {
                        rendered.truncate(mark);
                    }
                }
                Item::Text(text) => escape_text(out, text),
            }
            i += 1;
        }
    }

    fn write_start<'d>(
        &'d self,
        id: ElementId,
        rendered: &mut Vec<(&'d str, &'d str)>,
        declare: &mut Vec<(&'d str, &'d str)>,
        out: &mut Vec<u8>,
    ) {
        let el = &self.elements[id];
        let attributes = &self.attributes[el.attributes.clone()];
        out.push(b'<');
        write_qname(out, &el.prefix, &el.local);
        // Visibly utilized namespaces: the element's own prefix (or the default namespace)
        // and the prefixes of its attributes; `xml` is never declared. Each is rendered
        // unless the nearest output ancestor that rendered the prefix gave it the same value.
        declare.clear();
        let used = std::iter::once((el.prefix.as_ref(), el.namespace.as_ref())).chain(
            attributes
                .iter()
                .filter(|a| !a.prefix.is_empty())
                .map(|a| (a.prefix.as_ref(), a.namespace.as_ref())),
        );
        for (prefix, namespace) in used {
            if prefix == "xml" || declare.iter().any(|(p, _)| *p == prefix) {
                continue;
            }
            let in_output = rendered.iter().rev().find(|(p, _)| *p == prefix);
            if in_output.map(|(_, n)| *n) != Some(namespace) {
                declare.push((prefix, namespace));
            }
        }
        declare.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for &(prefix, namespace) in declare.iter() {
            if prefix.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attribute(out, namespace);
            out.push(b'"');
            rendered.push((prefix, namespace));
        }
        // Attributes are sorted by namespace name, then local name; those in no namespace
        // (empty name) come first. The parser keeps them in that order already.
        for a in attributes {
            out.push(b' ');
            write_qname(out, &a.prefix, &a.local);
            out.extend_from_slice(b"=\"");
            escape_attribute(out, &a.value);
            out.push(b'"');
        }
        out.push(b'>');
    }
}

/// The children of an element (see [`Document::children`]).
pub struct Children<'d, 'a> {
    doc: &'d Document<'a>,
    next: usize,
    end: usize,
}

impl<'d, 'a> Iterator for Children<'d, 'a> {
    type Item = Child<'d>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let item = &self.doc.items[self.next];
        match item {
            Item::Start(id) => {
                self.next = self.doc.elements[*id].end + 1;
                Some(Child::Element(*id))
            }
            Item::Text(t) => {
                self.next += 1;
                Some(Child::Text(t))
            }
            // Not reached: an end item inside the range belongs to a skipped child.
            Item::End(_) => None,
        }
    }
}

/// The canonical form of a whole document.
pub fn canonicalize(bytes: &[u8]) -> Result<Vec<u8>, C14nError> {
    Ok(Document::parse(bytes)?.canonicalize(Subset::Document))
}

fn write_qname(out: &mut Vec<u8>, prefix: &str, local: &str) {
    if !prefix.is_empty() {
        out.extend_from_slice(prefix.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

/// Text nodes: `&`, `<`, `>` and carriage return are escaped.
fn escape_text(out: &mut Vec<u8>, text: &str) {
    escape(out, text, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    })
}

/// Attribute values: `&`, `<`, `"`, tab, line feed and carriage return are escaped.
fn escape_attribute(out: &mut Vec<u8>, value: &str) {
    escape(out, value, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    })
}

#[inline]
fn escape(out: &mut Vec<u8>, text: &str, replacement: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, b) in bytes.iter().enumerate() {
        // Every byte that needs escaping is ASCII, so multi-byte characters pass unchanged.
        if let Some(r) = replacement(*b) {
            out.extend_from_slice(&bytes[from..i]);
            out.extend_from_slice(r);
            from = i + 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
}

/// Re-borrows `part` from `input` when it is a slice of it (quick-xml hands out names and
/// values tied to the event, not to the input), so the document needs no copies.
fn reborrow<'a>(input: &'a str, part: &str) -> Cow<'a, str> {
    let start = (part.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
    match input.get(start..start.wrapping_add(part.len())) {
        Some(slice) if slice.as_ptr() == part.as_ptr() => Cow::Borrowed(slice),
        _ => Cow::Owned(part.to_owned()),
    }
}

fn reborrow_cow<'a>(input: &'a str, value: Cow<'_, str>) -> Cow<'a, str> {
    match value {
        Cow::Borrowed(s) => reborrow(input, s),
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// Splits `prefix:local`; names with more than one colon or an empty part are refused.
fn split_qname(name: &str) -> Option<(&str, &str)> {
    match name.split_once(':') {
        None if !name.is_empty() => Some(("", name)),
        Some((p, l)) if !p.is_empty() && !l.is_empty() && !l.contains(':') => Some((p, l)),
        _ => None,
    }
}

/// A character XML 1.0 allows (production `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

struct Parser<'a> {
    input: &'a str,
    reader: Reader<&'a [u8]>,
    doc: Document<'a>,
    /// In-scope namespace declarations (prefix, namespace; an empty namespace undeclares the
    /// default), with the length of the list at each open element.
    scope: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    open: Vec<(ElementId, usize)>,
    root_done: bool,
    position: u64,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8]) -> Result<Parser<'a>, C14nError> {
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            return Err(C14nError::ByteOrderMark);
        }
        let input = std::str::from_utf8(bytes).map_err(|_| C14nError::NotUtf8)?;
        let mut reader = Reader::from_str(input);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
        Ok(Parser {
            input,
            reader,
            doc: Document {
                input,
                elements: Vec::with_capacity(64),
                attributes: Vec::with_capacity(16),
                items: Vec::with_capacity(192),
            },
            scope: Vec::new(),
            open: Vec::with_capacity(MAX_DEPTH),
            root_done: false,
            position: 0,
        })
    }

    fn malformed(&self) -> C14nError {
        C14nError::Malformed {
            position: self.position,
        }
    }

    fn run(mut self) -> Result<Document<'a>, C14nError> {
        loop {
            self.position = self.reader.buffer_position();
            let event = self.reader.read_event().map_err(|_| self.malformed())?;
            match event {
                Event::Start(start) => self.start(&start)?,
                Event::End(_) => self.end()?,
                Event::Text(t) => {
                    let text = t.xml10_content();
                    self.text(reborrow_cow(self.input, text))?;
                }
                Event::CData(c) => {
                    if self.open.is_empty() {
                        return Err(self.malformed());
                    }
                    let text = c.xml10_content();
                    self.text(reborrow_cow(self.input, text))?;
                }
                Event::GeneralRef(r) => {
                    let c = self.reference(&r)?;
                    self.text(Cow::Owned(c.to_string()))?;
                }
                Event::Decl(decl) => {
                    if self.position != 0 || !is_declaration(&decl) {
                        return Err(self.malformed());
                    }
                    if let Some(enc) = decl.encoding() {
                        let enc = enc.map_err(|_| self.malformed())?;
                        if !enc.eq_ignore_ascii_case("utf-8") {
                            return Err(C14nError::NotUtf8);
                        }
                    }
                }
                Event::DocType(_) => return Err(C14nError::Doctype),
                Event::PI(_) => return Err(C14nError::ProcessingInstruction),
                // Canonical XML without comments drops them.
                Event::Comment(_) => {}
                Event::Empty(_) => return Err(self.malformed()),
                Event::Eof => break,
            }
        }
        if !self.open.is_empty() || !self.root_done {
            self.position = self.reader.buffer_position();
            return Err(self.malformed());
        }
        Ok(self.doc)
    }

    fn reference(&self, r: &BytesRef<'_>) -> Result<char, C14nError> {
        if self.open.is_empty() {
            return Err(self.malformed());
        }
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(c)) if is_xml_char(c) => Ok(c),
                _ => Err(self.malformed()),
            };
        }
        Ok(match &**r {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "apos" => '\'',
            "quot" => '"',
            // No DOCTYPE means no other entity is defined.
            _ => return Err(self.malformed()),
        })
    }

    fn text(&mut self, text: Cow<'a, str>) -> Result<(), C14nError> {
        if self.open.is_empty() {
            // Only white space may stand outside the document element; it is not output.
            return if text
                .bytes()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Ok(())
            } else {
                Err(self.malformed())
            };
        }
        if text.is_empty() {
            return Ok(());
        }
        match self.doc.items.last_mut() {
            Some(Item::Text(previous)) => previous.to_mut().push_str(&text),
            _ => self.doc.items.push(Item::Text(text)),
        }
        Ok(())
    }

    fn lookup(&self, prefix: &str) -> Result<Cow<'a, str>, C14nError> {
        if prefix == "xml" {
            return Ok(Cow::Borrowed(XML_NAMESPACE));
        }
        match self.scope.iter().rev().find(|(p, _)| p == prefix) {
            Some((_, namespace)) => Ok(namespace.clone()),
            None if prefix.is_empty() => Ok(Cow::Borrowed("")),
            None => Err(C14nError::UnboundPrefix),
        }
    }

    /// Reads an element's attributes: its namespace declarations go into scope, the others are
    /// given back (name, normalized value) to be resolved once the scope is complete.
    fn declare(&mut self, start: &BytesStart<'_>) -> Result<Vec<Plain<'a>>, C14nError> {
        let mut plain: Vec<Plain<'a>> = Vec::new();
        for attr in start.attributes().with_checks(true) {
            let attr: RawAttribute<'_> = attr.map_err(|_| self.malformed())?;
            let key: &str = attr.key.as_ref();
            if !is_name(key) || attr.value.contains('<') {
                return Err(self.malformed());
            }
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|_| self.malformed())?;
            if !value.chars().all(is_xml_char) {
                return Err(self.malformed());
            }
            let value = reborrow_cow(self.input, value);
            let key = reborrow(self.input, key);
            if key == "xmlns" {
                self.scope.push((Cow::Borrowed(""), value));
            } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                let prefix = match &key {
                    Cow::Borrowed(k) => Cow::Borrowed(&k[6..]),
                    Cow::Owned(_) => Cow::Owned(prefix.to_owned()),
                };
                let reserved = prefix == "xmlns"
                    || (prefix == "xml") != (value == XML_NAMESPACE)
                    || value == "http://www.w3.org/2000/xmlns/";
                // XML 1.0 namespaces cannot undeclare a prefix.
                if value.is_empty() || reserved || prefix.contains(':') {
                    return Err(self.malformed());
                }
                if prefix != "xml" {
                    self.scope.push((prefix, value));
                }
            } else {
                plain.push((key, value));
            }
        }
        Ok(plain)
    }

    fn start(&mut self, start: &BytesStart<'_>) -> Result<(), C14nError> {
        if self.open.len() >= MAX_DEPTH {
            return Err(C14nError::TooDeep);
        }
        if self.open.is_empty() && self.root_done {
            return Err(self.malformed());
        }
        let after = self.reader.buffer_position() as usize;
        let self_closing = self.input.as_bytes().get(after.wrapping_sub(2)) == Some(&b'/');
        let scope_mark = self.scope.len();
        // Namespace declarations first: they apply to the element's own name and attributes.
        let plain = self.declare(start)?;
        let name: &str = start.name().into_inner();
        if !is_name(name) {
            return Err(self.malformed());
        }
        let name = reborrow(self.input, name);
        let (prefix, local) = split_name(&name).ok_or_else(|| self.malformed())?;
        if prefix == "xmlns" {
            return Err(self.malformed());
        }
        let namespace = self.lookup(&prefix)?;
        let first = self.doc.attributes.len();
        for (key, value) in plain {
            let (prefix, local) = split_name(&key).ok_or_else(|| self.malformed())?;
            let namespace = if prefix.is_empty() {
                Cow::Borrowed("")
            } else {
                self.lookup(&prefix)?
            };
            self.doc.attributes.push(Attribute {
                prefix,
                local,
                namespace,
                value,
            });
        }
        let attributes = &mut self.doc.attributes[first..];
        attributes.sort_unstable_by(|a, b| {
            (a.namespace.as_ref(), a.local.as_ref()).cmp(&(b.namespace.as_ref(), b.local.as_ref()))
        });
        // Two attributes with the same expanded name (`a:x` and `b:x`, one namespace) are not
        // namespace-well-formed.
        if attributes
            .windows(2)
            .any(|w| w[0].namespace == w[1].namespace && w[0].local == w[1].local)
        {
            return Err(self.malformed());
        }
        let id = self.doc.elements.len();
        self.doc.elements.push(Element {
            prefix,
            local,
            namespace,
            attributes: first..self.doc.attributes.len(),
            start: self.doc.items.len(),
            end: usize::MAX,
            end_offset: if self_closing { after - 2 } else { 0 },
            self_closing,
            parent: self.open.last().map(|(parent, _)| *parent),
        });
        self.doc.items.push(Item::Start(id));
        self.open.push((id, scope_mark));
        Ok(())
    }

    fn end(&mut self) -> Result<(), C14nError> {
        let (id, scope_mark) = self.open.pop().ok_or_else(|| self.malformed())?;
        self.scope.truncate(scope_mark);
        let end = self.doc.items.len();
        let el = &mut self.doc.elements[id];
        el.end = end;
        if !el.self_closing {
            el.end_offset = self.position as usize;
        }
        self.doc.items.push(Item::End(id));
        if self.open.is_empty() {
            self.root_done = true;
        }
        Ok(())
    }
}

/// [`split_qname`] keeping the borrow.
fn split_name<'a>(name: &Cow<'a, str>) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
    match name {
        Cow::Borrowed(n) => split_qname(n).map(|(p, l)| (Cow::Borrowed(p), Cow::Borrowed(l))),
        Cow::Owned(n) => {
            split_qname(n).map(|(p, l)| (Cow::Owned(p.to_owned()), Cow::Owned(l.to_owned())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(input: &str) -> String {
        String::from_utf8(canonicalize(input.as_bytes()).unwrap()).unwrap()
    }

    // Found by fuzzing (fuzz/, target xml_reader): names were not checked, so `<!DOCTYPE`
    // was read as an attribute name.
    #[test]
    fn names_that_are_not_xml_names_are_malformed() {
        for xml in [
            &b"<r><t <!DOCTYPE=\"x\"></t></r>"[..],
            b"<r><t a<b=\"x\"/></r>",
            b"<r><1t/></r>",
        ] {
            assert!(
                matches!(Document::parse(xml), Err(C14nError::Malformed { .. })),
                "{}",
                String::from_utf8_lossy(xml)
            );
        }
    }

    #[test]
    fn only_visibly_used_namespaces_are_rendered_once() {
        let input = r#"<?xml version="1.0" encoding="UTF-8"?>
<a:root xmlns:a="urn:a" xmlns:b="urn:b" xmlns:unused="urn:unused"><a:child xmlns:a="urn:a">x</a:child><b:child/><c xmlns="urn:c"><d/></c></a:root>"#;
        assert_eq!(
            c14n(input),
            r#"<a:root xmlns:a="urn:a"><a:child>x</a:child><b:child xmlns:b="urn:b"></b:child><c xmlns="urn:c"><d></d></c></a:root>"#
        );
    }

    #[test]
    fn a_prefix_redeclared_with_another_value_is_rendered_again() {
        let input =
            r#"<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:2"><a:t xmlns:a="urn:1"/></a:s></a:r>"#;
        assert_eq!(
            c14n(input),
            r#"<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:2"><a:t xmlns:a="urn:1"></a:t></a:s></a:r>"#
        );
    }

    #[test]
    fn the_default_namespace_is_undeclared_only_where_an_output_ancestor_set_it() {
        let input = r#"<root xmlns="urn:x"><inner xmlns=""><leaf/></inner><p:q xmlns:p="urn:p" xmlns=""/></root>"#;
        assert_eq!(
            c14n(input),
            r#"<root xmlns="urn:x"><inner xmlns=""><leaf></leaf></inner><p:q xmlns:p="urn:p"></p:q></root>"#
        );
        // The prefixed root does not use the default namespace, so nothing is undeclared.
        let input = r#"<a:r xmlns:a="urn:a" xmlns="urn:d"><b xmlns=""/><c/></a:r>"#;
        assert_eq!(
            c14n(input),
            r#"<a:r xmlns:a="urn:a"><b></b><c xmlns="urn:d"></c></a:r>"#
        );
    }

    #[test]
    fn attributes_are_sorted_by_namespace_then_local_name_after_sorted_declarations() {
        let input = r#"<e xmlns:z="urn:a" xmlns:a="urn:z" b="2" z:x="3" a:x="4" a="1" z:b="5"/>"#;
        assert_eq!(
            c14n(input),
            r#"<e xmlns:a="urn:z" xmlns:z="urn:a" a="1" b="2" z:b="5" z:x="3" a:x="4"></e>"#
        );
    }

    #[test]
    fn the_xml_prefix_is_never_declared() {
        let input = r#"<r xml:lang="ja" xmlns:xml="http://www.w3.org/XML/1998/namespace"/>"#;
        assert_eq!(c14n(input), r#"<r xml:lang="ja"></r>"#);
    }

    #[test]
    fn line_ends_are_normalized_to_line_feeds() {
        assert_eq!(
            c14n("<r x=\"1\r\n2\">a\r\nb\rc</r>\r\n"),
            "<r x=\"1 2\">a\nb\nc</r>"
        );
    }

    #[test]
    fn cdata_becomes_escaped_text() {
        assert_eq!(
            c14n(r#"<r>x<![CDATA[<a> & "b" ]]>y</r>"#),
            r#"<r>x&lt;a&gt; &amp; "b" y</r>"#
        );
    }

    #[test]
    fn character_references_become_characters_and_carriage_returns_stay_escaped() {
        assert_eq!(
            c14n("<r a=\"&#x3042;&#13;&#9;&#10;\">&#x3042;&#13;&#62;&#x9;&amp;&apos;</r>"),
            "<r a=\"あ&#xD;&#x9;&#xA;\">あ&#xD;&gt;\t&amp;'</r>"
        );
    }

    #[test]
    fn japanese_names_and_text_pass_unchanged() {
        assert_eq!(
            c14n("<名前 xmlns=\"urn:日本\" 読み=\"ミホン\">見本 一郎</名前>"),
            "<名前 xmlns=\"urn:日本\" 読み=\"ミホン\">見本 一郎</名前>"
        );
    }

    #[test]
    fn empty_elements_get_end_tags() {
        assert_eq!(
            c14n(r#"<r><e/><f a="1" /></r>"#),
            r#"<r><e></e><f a="1"></f></r>"#
        );
    }

    #[test]
    fn attribute_values_are_normalized_and_escaped() {
        let input = "<r a=\"x\ty\nz\" b=\"&lt;&amp;&gt;&quot;&apos;\" c='say \"hi\"'/>";
        assert_eq!(
            c14n(input),
            r#"<r a="x y z" b="&lt;&amp;>&quot;'" c="say &quot;hi&quot;"></r>"#
        );
    }

    #[test]
    fn the_declaration_comments_and_white_space_outside_the_root_are_dropped() {
        let input =
            "<?xml version=\"1.0\"?>\n<!-- c -->\n<r><!-- in -->t<!-- x -->u</r>\n<!-- after -->\n";
        assert_eq!(c14n(input), "<r>tu</r>");
    }

    #[test]
    fn a_subtree_keeps_the_namespaces_it_uses_and_a_removed_subtree_leaves_no_trace() {
        let input = r#"<r xmlns="urn:r" xmlns:ds="urn:ds">
  <a>1</a>
  <ds:S><ds:I x="y"/></ds:S>
</r>"#;
        let doc = Document::parse(input.as_bytes()).unwrap();
        let find = |local: &str| doc.elements().find(|(_, e)| e.local == local).unwrap().0;
        let text = |subset| String::from_utf8(doc.canonicalize(subset)).unwrap();
        assert_eq!(
            text(Subset::DocumentWithout(find("S"))),
            "<r xmlns=\"urn:r\">\n  <a>1</a>\n  \n</r>"
        );
        assert_eq!(
            text(Subset::Element(find("I"))),
            r#"<ds:I xmlns:ds="urn:ds" x="y"></ds:I>"#
        );
        assert_eq!(
            text(Subset::Element(find("a"))),
            r#"<a xmlns="urn:r">1</a>"#
        );
        assert_eq!(doc.parent(find("I")), Some(find("S")));
        assert_eq!(doc.parent(doc.root()), None);
    }

    #[test]
    fn the_tree_gives_children_text_attributes_and_the_end_tag_offset() {
        let input = "<r><a k=\"v\">x&amp;y</a><b/></r>";
        let doc = Document::parse(input.as_bytes()).unwrap();
        let children: Vec<ElementId> = doc
            .children(doc.root())
            .filter_map(|c| match c {
                Child::Element(id) => Some(id),
                Child::Text(_) => None,
            })
            .collect();
        assert_eq!(children, vec![1, 2]);
        assert_eq!(doc.text(1).as_deref(), Some("x&y"));
        assert_eq!(doc.attribute(1, "k"), Some("v"));
        assert_eq!(doc.text(doc.root()), None);
        assert_eq!(doc.end_tag_offset(doc.root()), (input.len() - 4, false));
        assert_eq!(doc.end_tag_offset(2), (input.len() - 6, true));
    }

    #[test]
    fn hostile_and_broken_documents_are_refused() {
        let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"#;
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        let cases: [(&[u8], C14nError); 9] = [
            (bomb.as_bytes(), C14nError::Doctype),
            (
                br#"<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>"#,
                C14nError::Doctype,
            ),
            (b"<r><?pi x?></r>", C14nError::ProcessingInstruction),
            (
                b"<?xml-stylesheet href=\"a\"?><r/>",
                C14nError::ProcessingInstruction,
            ),
            (b"<a:r/>", C14nError::UnboundPrefix),
            (b"\xEF\xBB\xBF<r/>", C14nError::ByteOrderMark),
            (b"<r>\xff</r>", C14nError::NotUtf8),
            (
                b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>",
                C14nError::NotUtf8,
            ),
            (deep.as_bytes(), C14nError::TooDeep),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Document::parse(input).unwrap_err(),
                expected,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        for malformed in [
            "<r>&nbsp;</r>",
            "<r>&#0;</r>",
            "<r>&#1;</r>",
            "<r a=\"&nbsp;\"/>",
            "<r a=\"<\"/>",
            r#"<r xmlns:a="urn:1" xmlns:b="urn:1" a:x="1" b:x="2"/>"#,
            r#"<r a="1" a="2"/>"#,
            r#"<r xmlns:p=""/>"#,
            r#"<r xmlns:xml="urn:other"/>"#,
            "<a></b>",
            "<a/><b/>",
            "<a>",
            "text<a/>",
            "<a/>&amp;",
            "",
        ] {
            assert!(
                matches!(
                    Document::parse(malformed.as_bytes()),
                    Err(C14nError::Malformed { .. })
                ),
                "{malformed}"
            );
        }
    }
}
