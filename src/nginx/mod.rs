//! nginx configuration: tokens, syntax tree, include expansion.

pub mod ast;
pub mod context;
pub mod include;
pub mod lexer;
pub mod lua;
pub mod parser;
pub mod print;
pub mod schema;
pub mod values;
pub mod variables;
