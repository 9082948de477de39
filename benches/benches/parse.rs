//! parse group: the same synthetic record buffers (1 to 4,096 records, names
//! of 0–255 bytes) walked by the raw C-style loop, parsed by
//! `inotify-core`'s `Events`, and parsed by the `inotify` crate.
//!
//! The `inotify` crate has no public parser: its `Events` only comes out of
//! `read_events` on a descriptor. So every contender gets its bytes the same
//! way — written into a pipe and read back through its own read call, the
//! pipe standing in for the inotify fd — and only the walk over the buffer
//! is timed.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::fmt::Write as _;
use std::fs::File;
use std::hint::black_box;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use benches::{raw_walk, synthetic_records, write_result};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use inotify_core::EventBuffer;

/// Record counts per buffer.
const COUNTS: [usize; 3] = [1, 64, 4096];

/// A pipe big enough to hold `len` bytes at once, so one read returns the
/// whole buffer.
fn pipe(len: usize) -> (OwnedFd, File) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    rustix::pipe::fcntl_setpipe_size(&writer, len.next_power_of_two().max(65536))
        .expect("F_SETPIPE_SZ (raise /proc/sys/fs/pipe-max-size or run as root)");
    (OwnedFd::from(reader), File::from(OwnedFd::from(writer)))
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    let mut sizes = String::new();
    for count in COUNTS {
        let bytes = synthetic_records(count, 0x5eed + count as u64);
        let _ = writeln!(sizes, "{count} {}", bytes.len());
        group.throughput(Throughput::Elements(count as u64));

        group.bench_with_input(BenchmarkId::new("raw", count), &bytes, |b, bytes| {
            let (reader, mut writer) = pipe(bytes.len());
            let mut reader = File::from(reader);
            let mut buf = vec![0u8; bytes.len()];
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    writer.write_all(bytes).expect("pipe write");
                    let len = reader.read(&mut buf).expect("pipe read");
                    assert_eq!(len, bytes.len());
                    let start = Instant::now();
                    black_box(raw_walk(black_box(&buf[..len])));
                    timed += start.elapsed();
                }
                timed
            });
        });

        group.bench_with_input(BenchmarkId::new("core", count), &bytes, |b, bytes| {
            let (reader, mut writer) = pipe(bytes.len());
            let inotify = inotify_core::Inotify::from(reader);
            let mut buf = EventBuffer::with_capacity(bytes.len());
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    writer.write_all(bytes).expect("pipe write");
                    let events = inotify.read_events(&mut buf).expect("pipe read");
                    let start = Instant::now();
                    for event in events {
                        black_box((event.wd, event.mask, event.cookie, event.name));
                    }
                    timed += start.elapsed();
                }
                timed
            });
        });

        group.bench_with_input(
            BenchmarkId::new("inotify-crate", count),
            &bytes,
            |b, bytes| {
                let (reader, mut writer) = pipe(bytes.len());
                let mut inotify = inotify::Inotify::from(reader);
                let mut buf = vec![0u8; bytes.len()];
                b.iter_custom(|iters| {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        writer.write_all(bytes).expect("pipe write");
                        let events = inotify.read_events(&mut buf).expect("pipe read");
                        let start = Instant::now();
                        for event in events {
                            black_box((event.wd, event.mask, event.cookie, event.name));
                        }
                        timed += start.elapsed();
                    }
                    timed
                });
            },
        );
    }
    group.finish();
    write_result("parse-sizes.txt", &sizes).expect("write parse sizes");
}

criterion_group!(benches, parse);
criterion_main!(benches);
