//! The whole pipeline on stdin (also `nginx -T` output when the input has
//! its headers): load, model, rules, JSON report.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = nginx_lint::Options {
        inputs: nginx_lint::Inputs {
            stdin: Some(("site.conf".into(), data.to_vec())),
            ..Default::default()
        },
        settings: Default::default(),
    };
    let Ok(outcome) = nginx_lint::run(&opts) else {
        return;
    };
    let json = nginx_lint::report::render(
        &outcome.view(),
        nginx_lint::report::Format::Json,
        nginx_lint::report::HumanStyle {
            color: false,
            width: 100,
            unicode: false,
        },
    );
    assert!(json.starts_with('{'));
});
