//! The warning collector: each (pointer, kind) is reported once.

use std::collections::HashSet;

use crate::model::{Warning, WarningKind};

/// Upper bound on stored warnings, so a hostile document cannot grow the list without limit.
const MAX_WARNINGS: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct Warnings {
    list: Vec<Warning>,
    seen: HashSet<(String, WarningKind)>,
}

impl Warnings {
    pub(crate) fn push(&mut self, pointer: &str, kind: WarningKind, message: impl Into<String>) {
        if self.list.len() >= MAX_WARNINGS {
            return;
        }
        if self.seen.insert((pointer.to_owned(), kind)) {
            self.list.push(Warning {
                pointer: pointer.to_owned(),
                kind,
                message: message.into(),
            });
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Warning> {
        self.list
    }
}
