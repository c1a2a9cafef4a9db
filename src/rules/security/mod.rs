//! Security rules: parity with the gixy family, decided from data flow
//! (see [`taint`]) and a real parse of each regex (see [`regex`]).

pub mod regex;
