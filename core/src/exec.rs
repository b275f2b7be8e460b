//! How the synchronous API calls the asynchronous one, on every target.

use crate::error::CoreError;

/// Runs a future to completion on the calling thread: how the sync API calls the async one.
/// Natively it blocks; on wasm32 the future must be ready at once (true on the flex device),
/// otherwise the result is an error that says to call the `_async` method. `E` is any error a
/// [`CoreError`] converts into, so that other crates' async paths share this one.
pub fn block_on<T, E: From<CoreError>>(
    f: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> std::result::Result<T, E> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        pollster::block_on(f)
    }
    #[cfg(target_arch = "wasm32")]
    {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => Err(CoreError::Backend(
                "this device reads results asynchronously (WebGPU): call the `_async` method"
                    .into(),
            )
            .into()),
        }
    }
}
