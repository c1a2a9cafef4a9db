//! Human output through miette: the offending span labelled in a snippet,
//! the other end of a cross-file problem as its own snippet, a help line and
//! the rule id linking to its page.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::{HumanStyle, ReportView, rule_url, summary_line};
use crate::finding::{Finding, Severity};
use crate::source::{SourceMap, Span};

/// File text for miette; invalid UTF-8 bytes become `?` one for one so byte
/// offsets stay valid.
fn snippet_text(bytes: &Arc<[u8]>) -> Arc<[u8]> {
    if std::str::from_utf8(bytes).is_ok() {
        return bytes.clone();
    }
    let mut out = Vec::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.extend_from_slice(chunk.valid().as_bytes());
        out.extend(std::iter::repeat_n(b'?', chunk.invalid().len()));
    }
    Arc::from(out)
}

/// Words for wrapping: a line breaks only at spaces outside `code spans`,
/// never inside one or at a hyphen, so what the help says to paste (a
/// directive, the suggested cipher string) stays whole on one line.
fn code_span_words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    use textwrap::core::Word;
    // An unmatched backtick is no span: break at every space.
    let spans = line.bytes().filter(|&b| b == b'`').count() % 2 == 0;
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let (mut start, mut i, mut in_code) = (0, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'`' if spans => in_code = !in_code,
            b' ' if !in_code => {
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                words.push(Word::from(&line[start..i]));
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if start < line.len() {
        words.push(Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

struct Diag {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: NamedSource<Arc<[u8]>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl fmt::Debug for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

/// A label clamped to the text: a finding at end of file (nginx names the
/// line after the last newline) is drawn under the last character.
fn label(sources: &SourceMap, span: Span, text: Option<String>, primary: bool) -> LabeledSpan {
    let len = sources.get(span.file).text.len();
    let mut start = span.start as usize;
    let mut width = span.len().max(1);
    if start >= len {
        start = len.saturating_sub(1);
        width = 1;
    }
    let width = width
        .min(len.saturating_sub(start))
        .max(usize::from(len > 0));
    if primary {
        LabeledSpan::new_primary_with_span(text, (start, width))
    } else {
        LabeledSpan::new(text, start, width)
    }
}

fn named(sources: &SourceMap, span: Span) -> NamedSource<Arc<[u8]>> {
    let f = sources.get(span.file);
    let _ = span;
    NamedSource::new(f.display.clone(), snippet_text(&f.text))
}

fn to_diag(sources: &SourceMap, f: &Finding) -> Diag {
    let eof = f.span.start as usize >= sources.get(f.span.file).text.len();
    let mut labels = vec![label(
        sources,
        f.span,
        eof.then(|| "end of file".to_string()),
        true,
    )];
    let mut related = Vec::new();
    for r in &f.related {
        if r.span.file == f.span.file {
            labels.push(label(sources, r.span, Some(r.message.clone()), false));
        } else {
            related.push(Diag {
                message: r.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                url: None,
                source: named(sources, r.span),
                labels: vec![label(sources, r.span, Some(r.message.clone()), true)],
                related: Vec::new(),
            });
        }
    }
    Diag {
        message: f.message.clone(),
        code: Some(format!("nginx-lint({})", f.rule)),
        severity: match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        },
        help: f.help.clone(),
        url: Some(rule_url(f.rule)),
        source: named(sources, f.span),
        labels,
        related,
    }
}

pub fn render(view: &ReportView<'_>, style: HumanStyle) -> String {
    let theme = match (style.color, style.unicode) {
        (true, _) => GraphicalTheme::unicode(),
        (false, true) => GraphicalTheme::unicode_nocolor(),
        (false, false) => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_word_separator(textwrap::WordSeparator::Custom(code_span_words))
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_links(false)
        .with_urls(false);
    let mut out = String::new();
    for f in view.findings {
        let d = to_diag(view.sources, f);
        if handler.render_report(&mut out, &d).is_err() {
            out.push_str(&format!("{}: {}\n", f.rule, f.message));
        }
        // The handler prints no link (`with_urls(false)`: a URL in a
        // terminal is noise when offline); the page is one command away.
        if crate::rules::meta(f.rule).is_some() {
            out.push_str(&format!("  see: nginx-lint explain {}\n", f.rule));
        }
        out.push('\n');
    }
    for s in view.skipped {
        out.push_str(&format!("note: skipped {}: {}\n", s.path, s.reason));
    }
    if view.not_config > 0 {
        out.push_str(&format!(
            "{} skipped: not configuration\n",
            super::plural(view.not_config, "file")
        ));
    }
    out.push_str(&summary_line(view, true));
    out.push('\n');
    out
}
