//! Parsing of configuration values.

use std::time::Duration;

use policy::{Pattern, PolicyConfig, Profile, parse_bool, parse_list, parse_profile, vars};

#[test]
fn booleans() {
    for (text, expected) in [
        ("true", true),
        ("TRUE", true),
        (" 1 ", true),
        ("yes", true),
        ("On", true),
        ("false", false),
        ("0", false),
        ("no", false),
        ("off", false),
    ] {
        assert_eq!(parse_bool("X", text), Ok(expected), "{text:?}");
    }
    let err = parse_bool("PXCLOUD_READ_ONLY", "treu")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "PXCLOUD_READ_ONLY=\"treu\" is invalid: expected true or false (also 1/0, yes/no, on/off)"
        )
    );
}

#[test]
fn lists_and_profiles() {
    assert_eq!(parse_list(" VMs, ,Nodes ,"), ["VMs", "Nodes"]);
    assert!(parse_list("").is_empty());
    for (text, p) in [
        ("read_only", Profile::ReadOnly),
        ("READ-ONLY", Profile::ReadOnly),
        ("readonly", Profile::ReadOnly),
        ("operator", Profile::Operator),
        (" Admin ", Profile::Admin),
    ] {
        assert_eq!(parse_profile("PXCLOUD_PROFILE", text), Ok(p), "{text:?}");
    }
    let err = parse_profile("PXCLOUD_PROFILE", "root")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("PXCLOUD_PROFILE=\"root\" is invalid: expected one of read_only, operator, admin")
    );
}

#[test]
fn patterns() {
    assert_eq!(
        Pattern::parse("/snapshot"),
        Some(Pattern {
            method: None,
            fragment: "/snapshot".into()
        })
    );
    assert_eq!(
        Pattern::parse(" post  /clone "),
        Some(Pattern {
            method: Some("POST".into()),
            fragment: "/clone".into()
        })
    );
    for bad in ["", "FETCH /x", "POST", "POST /a /b", "snapshot"] {
        assert_eq!(Pattern::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn from_lookup_reads_every_variable_and_names_the_bad_one() {
    let env = [
        (vars::TOOLS, "VMs,Nodes"),
        (vars::PROFILE, "operator"),
        (vars::ALLOW_DELETE, "false"),
        (vars::READ_ONLY, "no"),
        (vars::EXCLUDE_PATHS, "/console/"),
        (vars::DESTRUCTIVE_PATTERNS, "POST /clone,/wipe"),
        (vars::STRICT, "true"),
        (vars::DRY_RUN, "1"),
        (vars::CONFIRM_TTL_SECS, "60"),
    ];
    let lookup = |k: &str| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    };
    let cfg = match PolicyConfig::from_lookup(lookup) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let mut expected = PolicyConfig::default();
    expected.tags = Some(vec!["VMs".into(), "Nodes".into()]);
    expected.profile = Some(Profile::Operator);
    expected.allow_delete = false;
    expected.excluded_paths = vec!["/console/".into()];
    expected.destructive_patterns = vec![
        Pattern {
            method: Some("POST".into()),
            fragment: "/clone".into(),
        },
        Pattern {
            method: None,
            fragment: "/wipe".into(),
        },
    ];
    expected.strict = true;
    expected.dry_run = true;
    expected.confirm_ttl = Duration::from_secs(60);
    assert_eq!(cfg, expected);

    assert_eq!(
        PolicyConfig::from_lookup(|_| None),
        Ok(PolicyConfig::default())
    );
    assert_eq!(
        PolicyConfig::from_lookup(|_| Some("  ".into())),
        Ok(PolicyConfig::default())
    );

    let bad = [
        (vars::ALLOW_DELETE, "nope"),
        (vars::PROFILE, "root"),
        (vars::DESTRUCTIVE_PATTERNS, "/ok,FETCH /x"),
        (vars::CONFIRM_TTL_SECS, "0"),
        (vars::STRICT, "2"),
    ];
    for (var, value) in bad {
        let err = PolicyConfig::from_lookup(|k| (k == var).then(|| value.to_owned())).err();
        assert_eq!(err.map(|e| e.var), Some(var.to_owned()), "{var}={value}");
    }
}
