//! The XML → JSON mapping, `kyoten::xml::to_json` and `to_json_exact`, and the validator on
//! what they read (`validation::input`, as `/v1/validate` and `kyoten validate` run it, with
//! the report rendered in both languages and its XML locations): never panics; the mapping
//! reads whatever the reader reads; the exact mapping, where it answers, answers the same.
use kyoten::validation::input::{Format, Input};
use kyoten::validation::{Engine, Lang};
use kyoten::xml::{parse, to_json, to_json_exact, Inexact};

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let engine = Engine::get();
    let mapped = to_json(data, engine);
    assert_eq!(
        mapped.as_ref().err(),
        parse(data).err().as_ref(),
        "the mapping and the reader disagree on the document"
    );
    let Ok(mapped) = mapped else {
        assert!(matches!(to_json_exact(data, engine), Err(Inexact::Xml(_))));
        return;
    };
    match to_json_exact(data, engine) {
        Ok(exact) => {
            assert_eq!(
                exact.value, mapped.value,
                "the exact mapping reads another value"
            );
            let ids = |m: &kyoten::xml::Mapped| m.findings.iter().map(|f| f.id).collect::<Vec<_>>();
            assert_eq!(ids(&exact), ids(&mapped));
        }
        Err(Inexact::Structure) => {
            assert!(
                mapped.findings.is_empty(),
                "a structure refusal despite findings"
            )
        }
        Err(Inexact::Xml(e)) => panic!("the exact mapping refused what the mapping read: {e}"),
    }

    let input = Input::read(Format::Xml, data, engine).expect("read above");
    let outcome = input.validate(engine, None);
    for lang in [Lang::Ja, Lang::En] {
        let _ = input.render(engine, &outcome, lang);
    }
}
