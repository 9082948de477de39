//! [`SettledStream`] (feature `tokio`): the settling layer over an
//! [`AsyncNotifier`], a `Stream` of [`Batch`]es. The window's deadline is
//! a tokio timer, reset whenever the settler's deadline moves.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_core::Stream;
use futures_core::stream::FusedStream;

use crate::async_notifier::AsyncNotifier;
use crate::error::Result;
use crate::settle::window::{Batch, SettleOptions, Settler};

/// Settled batches of an [`AsyncNotifier`]'s events, as a `Stream`.
///
/// Errors of the notifier are passed through in order; when the notifier's
/// stream ends (a failed read) the open window is flushed as a last batch.
///
/// ```
/// use futures_util::StreamExt;
/// use inotify_notify::{AsyncNotifier, ChangeKind, SettleOptions, SettledStream, WatchManager, WatchMask, WatchOptions};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), inotify_notify::Error> {
/// # let dir = std::env::temp_dir().join(format!("settled-stream-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let wm = WatchManager::new()?;
/// wm.add_watch(&dir, WatchMask::ALL_EVENTS, &WatchOptions::default())?;
/// let mut batches = SettledStream::new(AsyncNotifier::new(&wm)?, SettleOptions::default())?;
/// std::fs::write(dir.join("new"), b"x")?;
/// let batch = batches.next().await.expect("runs until dropped")?;
/// assert_eq!(batch.changes[0].kind, ChangeKind::Created);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SettledStream {
    notifier: AsyncNotifier,
    settler: Settler,
    timer: Pin<Box<tokio::time::Sleep>>,
    /// The notifier's stream ended and the last window was flushed.
    done: bool,
}

impl SettledStream {
    /// Settles `notifier`'s events with `options` (the watched tree is
    /// listed now, see [`Settler::prepare`]).
    ///
    /// # Errors
    /// As [`Settler::prepare`].
    ///
    /// # Panics
    /// Outside a tokio runtime with time enabled, as tokio's timers do.
    pub fn new(notifier: AsyncNotifier, options: SettleOptions) -> Result<Self> {
        let mut settler = Settler::new(options);
        settler.prepare(notifier.watch_manager())?;
        Ok(SettledStream {
            notifier,
            settler,
            timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            done: false,
        })
    }

    /// The notifier underneath.
    pub fn notifier(&mut self) -> &mut AsyncNotifier {
        &mut self.notifier
    }
}

impl Stream for SettledStream {
    type Item = Result<Batch>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut this.notifier).poll_next(cx) {
                Poll::Ready(Some(Ok(event))) => {
                    this.settler.feed(&event, Instant::now());
                    continue;
                }
                Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err))),
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(this.settler.flush().map(Ok));
                }
                Poll::Pending => {}
            }
            if let Some(batch) = this.settler.poll(Instant::now()) {
                return Poll::Ready(Some(Ok(batch)));
            }
            let Some(deadline) = this.settler.next_deadline() else {
                return Poll::Pending;
            };
            this.timer.as_mut().reset(deadline.into());
            if this.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl FusedStream for SettledStream {
    fn is_terminated(&self) -> bool {
        self.done
    }
}
