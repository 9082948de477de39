//! Real-kernel tests of the settling layer, the sync barrier and path
//! watches: editors' save patterns and tools run against a watched temp
//! tree must settle to one change per path the user touched.

mod editors;
mod path_watch;
mod support;
mod sync;
mod tools;
