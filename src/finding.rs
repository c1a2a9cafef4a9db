//! A finding: one problem at one place, with optional related places.
//! Every reporter (human, concise, json, …) is fed from this one type.

use crate::source::Span;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Another place that explains the finding (the pool's `listen` line for a
/// `fastcgi_pass` finding, the include chain of a cycle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule id (public contract, see RULES.md).
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Finding {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            message: message.into(),
            span,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn error(rule: &'static str, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(rule, Severity::Error, span, message)
    }

    pub fn warning(rule: &'static str, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(rule, Severity::Warning, span, message)
    }

    pub fn info(rule: &'static str, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(rule, Severity::Info, span, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }
}

/// Findings of one rule in one file, at most [`Capped::MAX`]: past that,
/// only a count, reported as one closing finding. Garbage input (a megabyte
/// of `;`) would otherwise make millions of findings: gigabytes of memory
/// and a report nobody reads.
#[derive(Debug, Default)]
pub struct Capped {
    list: Vec<Finding>,
    dropped: usize,
    first_dropped: Option<crate::source::Span>,
}

/// The words every counting finding carries (they are kept when findings
/// are capped again for the report).
pub const NOT_REPORTED: &str = "not reported (only the first";

impl Capped {
    pub const MAX: usize = 1000;

    pub fn push(&mut self, f: Finding) {
        if self.list.len() < Self::MAX {
            self.list.push(f);
        } else {
            self.dropped += 1;
            self.first_dropped.get_or_insert(f.span);
        }
    }

    pub fn last(&self) -> Option<&Finding> {
        self.list.last()
    }

    /// The findings kept, and one more that counts the rest.
    pub fn finish(mut self, rule: &'static str, what: &str) -> Vec<Finding> {
        if let Some(span) = self.first_dropped {
            self.list.push(
                Finding::error(
                    rule,
                    span,
                    format!(
                        "{} more {what} in this file {NOT_REPORTED} {} are)",
                        self.dropped,
                        Self::MAX
                    ),
                )
                .with_help("fix the ones above first; is this file really configuration?"),
            );
        }
        self.list
    }
}
