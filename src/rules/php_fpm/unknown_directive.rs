//! fpm-unknown-directive: an entry php-fpm does not know in its section
//! (or not in the PHP version the configuration is checked for), or an
//! array name it does not take: php-fpm refuses to start.

use crate::finding::Finding;
use crate::fpm::schema::{self, PhpVersion, SectionKind};
use crate::fpm::{FpmConfig, Setting};
use crate::rules::{Check, Rule, ids};

pub struct FpmUnknownDirective;

impl Rule for FpmUnknownDirective {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_UNKNOWN_DIRECTIVE]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, php)) = super::config(cx) {
            check(cfg, php, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, php: PhpVersion, out: &mut Vec<Finding>) {
    let sections = std::iter::once((SectionKind::Global, &cfg.global.settings))
        .chain(cfg.pools.iter().map(|p| (SectionKind::Pool, &p.settings)));
    for (kind, settings) in sections {
        for s in settings {
            if s.index.is_some() {
                check_array(s, php, out);
            } else if schema::lookup(kind, &s.key)
                .filter(|d| d.available_in(php))
                .is_none()
            {
                out.push(unknown(kind, s, php));
            }
        }
    }
}

fn unknown(kind: SectionKind, s: &Setting, php: PhpVersion) -> Finding {
    let name = s.key.as_str();
    let other = match kind {
        SectionKind::Global => SectionKind::Pool,
        SectionKind::Pool => SectionKind::Global,
    };
    let newer = schema::lookup(kind, name).filter(|d| !d.available_in(php));
    let mut f = Finding::error(
        ids::FPM_UNKNOWN_DIRECTIVE,
        s.key_span,
        format!("unknown entry `{name}`: php-fpm fails with \"unknown entry '{name}'\""),
    );
    f = if let Some(d) = newer {
        f.with_help(format!(
            "`{}` exists since PHP {}; this configuration is checked for PHP {php}",
            d.name, d.since
        ))
    } else if schema::lookup(other, name).is_some() {
        let (here, there) = match kind {
            SectionKind::Global => ("[global]", "a pool section"),
            SectionKind::Pool => ("a pool", "[global]"),
        };
        f.with_help(format!(
            "`{name}` is not valid in {here}; move it to {there}"
        ))
    } else if let Some(near) = schema::suggest(kind, name, php) {
        f.with_help(format!("did you mean `{near}`?"))
    } else {
        f.with_help("remove the line or fix the name (see the php-fpm configuration reference)")
    };
    f
}

/// `name[index]`: only php-fpm's array names take an index.
fn check_array(s: &Setting, php: PhpVersion, out: &mut Vec<Finding>) {
    let index = s.index.as_deref().unwrap_or("");
    let known = schema::lookup_array(&s.key).filter(|v| php >= *v);
    if known.is_some() {
        return;
    }
    let mut f = Finding::error(
        ids::FPM_UNKNOWN_DIRECTIVE,
        s.key_span,
        format!(
            "unknown directive `{}`: php-fpm fails with \"unknown directive '{}'\"",
            s.key, s.key
        ),
    );
    let lower = s.key.to_ascii_lowercase();
    f = if schema::lookup_array(&lower).is_some() {
        f.with_help(format!(
            "array names are case-sensitive: write `{lower}[{index}]`"
        ))
    } else {
        match schema::suggest(SectionKind::Pool, &s.key, php) {
            Some(near) => f.with_help(format!("did you mean `{near}[{index}]`?")),
            // access.suppress_path[] only where the PHP in force has it.
            None if php >= PhpVersion::new(8, 2) => f.with_help(
                "only env[], php_value[], php_admin_value[], php_flag[], php_admin_flag[] and access.suppress_path[] take an index",
            ),
            None => f.with_help(
                "only env[], php_value[], php_admin_value[], php_flag[] and php_admin_flag[] take an index",
            ),
        }
    };
    out.push(f);
}
