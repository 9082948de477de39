//! Fixtures shared by the criterion benchmarks. Placeholder until the
//! benchmarks issue lands.
#![deny(missing_docs)]
