//! Being written: mio registration tests of the notifier.
