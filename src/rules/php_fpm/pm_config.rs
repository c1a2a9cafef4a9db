//! fpm-pm-config: process-manager settings php-fpm refuses
//! (`fpm_conf_process_all_pools`, pm part: same checks, same order, same
//! derived defaults; the first failure is reported, as php-fpm does).

use crate::finding::Finding;
use crate::fpm::schema::{self, Parsed, PhpVersion, ValueType};
use crate::fpm::{FpmConfig, Pool, Setting};
use crate::rules::{Check, Rule, ids};
use crate::source::Span;

pub struct FpmPmConfig;

impl Rule for FpmPmConfig {
    fn ids(&self) -> &'static [&'static str] {
        &[ids::FPM_PM_CONFIG]
    }

    fn check(&self, cx: &Check<'_>, out: &mut Vec<Finding>) {
        if let Some((cfg, php)) = super::config(cx) {
            check(cfg, php, out);
        }
    }
}

pub fn check(cfg: &FpmConfig, php: PhpVersion, out: &mut Vec<Finding>) {
    for pool in cfg.pools.iter().filter(|p| !p.continued || sets_pm(p)) {
        check_pm(pool, php, out);
    }
}

/// Whether a continued pool sets what its process manager reads (the rest
/// has php-fpm's defaults): otherwise those come from where the pool is
/// defined, unknown here. A derived or defaulted value (start servers,
/// spawn rate, idle timeout) is never reported, so unset is fine there.
fn sets_pm(pool: &Pool) -> bool {
    let Some(pm) = &pool.pm else { return false };
    pool.pm_max_children.is_some()
        && (!pm.value.eq_ignore_ascii_case("dynamic")
            || (pool.pm_min_spare_servers.is_some() && pool.pm_max_spare_servers.is_some()))
}

/// `fpm_conf_process_all_pools`, pm part: same checks, same order, same
/// derived defaults. Reports the first failure like php-fpm does.
fn check_pm(pool: &Pool, php: PhpVersion, out: &mut Vec<Finding>) {
    let name = &pool.name;
    let pm_setting = pool.pm.as_ref();
    let pm = match pm_setting {
        None => None,
        Some(s) if s.has_env => return,
        Some(s) => match schema::validate(ValueType::Pm, &s.value) {
            Ok(Parsed::Word(w)) => Some(w),
            // Already reported as fpm-invalid-value.
            _ => return,
        },
    };
    let get = |s: &Option<Box<Setting>>, ty| super::num(s.as_deref(), ty);
    let (Ok(max_children), Ok(min_spare), Ok(max_spare), Ok(start), Ok(spawn), Ok(idle)) = (
        get(&pool.pm_max_children, ValueType::Integer),
        get(&pool.pm_min_spare_servers, ValueType::Integer),
        get(&pool.pm_max_spare_servers, ValueType::Integer),
        get(&pool.pm_start_servers, ValueType::Integer),
        get(&pool.pm_max_spawn_rate, ValueType::Integer),
        get(&pool.pm_process_idle_timeout, ValueType::Time),
    ) else {
        return; // a value php-fpm cannot parse: reported elsewhere
    };
    let at = |s: &Option<Box<Setting>>| at(pool, s);
    let Some(pm) = pm else {
        out.push(err(
            pool.header_span,
            format!("pool {name} sets no process manager: php-fpm fails with \"[pool {name}] the process manager is missing (static, dynamic or ondemand)\""),
            "add `pm = dynamic` (or static/ondemand) with its pm.* settings",
        ));
        return;
    };
    let max_children = max_children.unwrap_or(0);
    if max_children < 1 {
        out.push(err(
            at(&pool.pm_max_children),
            format!("pm.max_children is {max_children}: php-fpm fails with \"[pool {name}] pm.max_children must be a positive value\""),
            "set `pm.max_children` to the most workers the memory allows, e.g. `pm.max_children = 10`",
        ));
        return;
    }
    let counts = Counts {
        max_children,
        min_spare,
        max_spare,
        start,
        spawn,
    };
    if pm == "dynamic" {
        check_dynamic(pool, php, &counts, out);
    } else if pm == "ondemand" {
        check_ondemand(pool, idle, out);
    }
}

/// The pm.* numbers php-fpm reads (None: unset).
struct Counts {
    max_children: i64,
    min_spare: Option<i64>,
    max_spare: Option<i64>,
    start: Option<i64>,
    spawn: Option<i64>,
}

/// Where a pm.* setting is, or the pool's header when it is unset.
fn at(pool: &Pool, s: &Option<Box<Setting>>) -> Span {
    s.as_ref().map_or(pool.header_span, |s| s.span)
}

fn err(span: Span, msg: String, help: &str) -> Finding {
    Finding::error(ids::FPM_PM_CONFIG, span, msg).with_help(help.to_string())
}

/// `pm = dynamic`: the spare-server limits, the start count and the spawn
/// rate against pm.max_children.
fn check_dynamic(pool: &Pool, php: PhpVersion, c: &Counts, out: &mut Vec<Finding>) {
    let name = &pool.name;
    let max_children = c.max_children;
    let (min_spare, max_spare, start, spawn) = (c.min_spare, c.max_spare, c.start, c.spawn);
    let at = |s: &Option<Box<Setting>>| at(pool, s);
    let min = min_spare.unwrap_or(0);
    let max = max_spare.unwrap_or(0);
    if min <= 0 {
        out.push(err(
            at(&pool.pm_min_spare_servers),
            format!("pm.min_spare_servers is {min}: php-fpm fails with \"[pool {name}] pm.min_spare_servers({min}) must be a positive value\""),
            "set `pm.min_spare_servers` to at least 1 with pm = dynamic",
        ));
        return;
    }
    if max <= 0 {
        out.push(err(
            at(&pool.pm_max_spare_servers),
            format!("pm.max_spare_servers is {max}: php-fpm fails with \"[pool {name}] pm.max_spare_servers({max}) must be a positive value\""),
            "set `pm.max_spare_servers` to at least pm.min_spare_servers with pm = dynamic",
        ));
        return;
    }
    if min > max_children || max > max_children {
        let span = if min > max_children {
            at(&pool.pm_min_spare_servers)
        } else {
            at(&pool.pm_max_spare_servers)
        };
        out.push(
            err(
                span,
                format!("spare servers exceed pm.max_children: php-fpm fails with \"[pool {name}] pm.min_spare_servers({min}) and pm.max_spare_servers({max}) cannot be greater than pm.max_children({max_children})\""),
                "lower the spare-server counts or raise pm.max_children",
            )
            .with_related(at(&pool.pm_max_children), format!("pm.max_children is {max_children}")),
        );
        return;
    }
    if max < min {
        out.push(err(
            at(&pool.pm_max_spare_servers),
            format!("php-fpm fails with \"[pool {name}] pm.max_spare_servers({max}) must not be less than pm.min_spare_servers({min})\""),
            "make pm.max_spare_servers at least pm.min_spare_servers",
        ));
        return;
    }
    let start = start.unwrap_or(0);
    // start <= 0 means unset: php-fpm derives min + (max - min) / 2.
    if start > 0 && (start < min || start > max) {
        let derived = min + (max - min) / 2;
        out.push(err(
            at(&pool.pm_start_servers),
            format!("pm.start_servers({start}) is outside [{min}, {max}]: php-fpm fails with \"[pool {name}] pm.start_servers({start}) must not be less than pm.min_spare_servers({min}) and not greater than pm.max_spare_servers({max})\""),
            &format!("set pm.start_servers between the spare-server limits, or remove it (php-fpm then uses {derived})"),
        ));
        return;
    }
    if php >= schema::PhpVersion::new(8, 1) {
        let spawn = spawn.unwrap_or(32);
        if spawn < 1 {
            out.push(err(
                at(&pool.pm_max_spawn_rate),
                format!("php-fpm fails with \"[pool {name}] pm.max_spawn_rate must be a positive value\""),
                "set pm.max_spawn_rate to 1 or more (default 32), or remove it",
            ));
        }
    }
}

/// `pm = ondemand`: the idle timeout.
fn check_ondemand(pool: &Pool, idle: Option<i64>, out: &mut Vec<Finding>) {
    let name = &pool.name;
    let at = |s: &Option<Box<Setting>>| at(pool, s);
    let idle = idle.unwrap_or(10);
    if idle < 1 {
        out.push(err(
            at(&pool.pm_process_idle_timeout),
            format!("php-fpm fails with \"[pool {name}] pm.process_idle_timeout({idle}s) must be greater than 0s\""),
            "set pm.process_idle_timeout to e.g. `10s`, or remove it",
        ));
    }
}
