//! The errors of exclude filters (a `.gitignore` that does not parse,
//! met while a walk asks the filter): the filters of every add are kept
//! here, asked for their errors ([`crate::ExcludeFilter::with_errors`])
//! after each add and processing round, and what they hand over goes to
//! the handler's `process_error`, so nothing is only logged.

use std::sync::Arc;

use crate::error::Error;
use crate::watch::ExcludeFilter;

/// The filters with an error hook, and their errors not yet delivered.
#[derive(Default)]
pub(crate) struct RuleErrors {
    /// One per error hook.
    filters: Vec<ExcludeFilter>,
    queued: Vec<Error>,
}

impl RuleErrors {
    /// Keeps `filter` if it has an error hook not kept yet.
    pub(crate) fn register(&mut self, filter: &ExcludeFilter) {
        let Some(hook) = filter.error_hook() else {
            return;
        };
        let known = self
            .filters
            .iter()
            .any(|f| f.error_hook().is_some_and(|h| Arc::ptr_eq(h, hook)));
        if !known {
            self.filters.push(filter.clone());
        }
    }

    /// After an add with `filter`: keeps it, and collects (see
    /// [`RuleErrors::collect`]).
    pub(crate) fn after_add(&mut self, filter: Option<&ExcludeFilter>) -> bool {
        if let Some(filter) = filter {
            self.register(filter);
        }
        self.collect()
    }

    /// Moves the filters' errors into the queue, and forgets filters only
    /// this list still holds (no watch can ask them any more). Returns
    /// whether errors are queued.
    pub(crate) fn collect(&mut self) -> bool {
        for filter in &self.filters {
            self.queued.extend(filter.take_errors());
        }
        self.filters
            .retain(|f| f.error_hook().is_some_and(|h| Arc::strong_count(h) > 1));
        !self.queued.is_empty()
    }

    /// The errors to deliver now, oldest first.
    pub(crate) fn take(&mut self) -> Vec<Error> {
        if self.filters.is_empty() && self.queued.is_empty() {
            return Vec::new();
        }
        self.collect();
        std::mem::take(&mut self.queued)
    }
}
