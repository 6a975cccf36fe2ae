use super::*;

#[test]
fn the_shipped_contract_is_valid_and_complete() {
    let spec = Spec::contract();
    assert_eq!(spec.name, "order-payment");
    assert_eq!(spec.services, ["loadgen", "order-api", "payment-service"]);
    let names: Vec<&str> = spec.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["health", "invalid", "fraud", "valid"]);
    let valid = spec.scenario("valid").unwrap();
    assert!(valid.optional_root);
    assert_eq!(valid.spans.len(), 8);
    assert_eq!(valid.spans[0].describe(), "loadgen CLIENT POST /orders");
    // Parents come before children.
    for (i, span) in valid.spans.iter().enumerate() {
        assert!(span.parent.is_none_or(|p| p < i));
    }
    assert_eq!(spec.scenario("fraud").unwrap().spans.len(), 6);
    assert_eq!(spec.scenario("invalid").unwrap().spans.len(), 3);
    assert_eq!(spec.scenario("invalid").unwrap().when.len(), 8);
}

fn error_of(text: &str) -> SpecError {
    Spec::from_toml(text, "test.toml").unwrap_err()
}

const HEAD: &str = "name = \"t\"\nservices = [\"a\"]\n";

#[test]
fn syntax_errors_name_the_line() {
    let err = error_of("name = \"t\"\nservices = [\"a\"\n");
    assert_eq!(err.origin, "test.toml");
    assert!(err.line.is_some(), "{err}");
    assert!(
        err.to_string().starts_with("spec test.toml, line "),
        "{err}"
    );
}

#[test]
fn unknown_fields_and_bad_kinds_are_named() {
    let err = error_of(&format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"client\"\nname = \"x\"\ncolour = 1\n"
    ));
    assert_eq!(err.line, Some(10), "{err}");
    assert!(err.message.contains("colour"), "{err}");
    let err = error_of(&format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"sever\"\nname = \"x\"\n"
    ));
    assert_eq!(err.line, Some(8), "{err}");
    assert!(err.message.contains("sever"), "{err}");
}

#[test]
fn tree_mistakes_name_the_span_and_line() {
    let err = error_of(&format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"client\"\nname = \"x\"\n[[scenario.span]]\nid = \"c\"\nparent = \"nope\"\nservice = \"a\"\nkind = \"server\"\nname = \"y\"\n"
    ));
    assert_eq!(err.line, Some(12), "{err}");
    assert!(err.message.contains("parent `nope`"), "{err}");
    let two_roots = format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"client\"\nname = \"x\"\n[[scenario.span]]\nid = \"q\"\nservice = \"a\"\nkind = \"server\"\nname = \"y\"\n"
    );
    assert!(error_of(&two_roots).message.contains("already has a root"));
    let cycle = format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"client\"\nname = \"x\"\n\
         [[scenario.span]]\nid = \"p\"\nparent = \"q\"\nservice = \"a\"\nkind = \"server\"\nname = \"y\"\n\
         [[scenario.span]]\nid = \"q\"\nparent = \"p\"\nservice = \"a\"\nkind = \"server\"\nname = \"z\"\n"
    );
    assert!(error_of(&cycle).message.contains("cycle"));
    let optional_child = format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"client\"\nname = \"x\"\n\
         [[scenario.span]]\nid = \"p\"\nparent = \"r\"\noptional = true\nservice = \"a\"\nkind = \"server\"\nname = \"y\"\n"
    );
    let err = error_of(&optional_child);
    assert!(
        err.message.contains("only the root may be optional"),
        "{err}"
    );
    assert_eq!(err.line, Some(13));
}

#[test]
fn bad_values_durations_and_conditions_are_named() {
    let err = error_of("name = \"t\"\nservices = [\"a\"]\nclock_skew = \"ten\"\n");
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("clock_skew"));
    let err = error_of(&format!(
        "{HEAD}[[scenario]]\nname = \"s\"\n[[scenario.when]]\nspan = \"x\"\nwhere = {{ \"a\" = {{ }} }}\n[[scenario.span]]\nid = \"r\"\nservice = \"a\"\nkind = \"client\"\nname = \"x\"\n"
    ));
    assert_eq!(err.line, Some(7), "{err}");
    assert!(err.message.contains("needs one of"), "{err}");
    let err = error_of(&format!(
        "{HEAD}[[span_rule]]\nvalues = {{ \"k\" = [1] }}\n"
    ));
    assert_eq!(err.line, Some(4), "{err}");
    assert!(error_of(HEAD).message.contains("no [[scenario]]"));
    assert!(
        error_of("name = \"t\"\nservices = []\n")
            .message
            .contains("`services` is empty")
    );
    assert!(error_of("name = \"t\"\n").message.contains("services"));
}
