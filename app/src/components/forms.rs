//! What every form that sends something shares: it is `method="post"` and its submit button is
//! disabled until the page has hydrated. A form submitted before the app runs (a fast typist on
//! a slow phone, or JavaScript off) would otherwise be sent by the browser itself, as a GET
//! that puts every field, password included, in the URL, the history and proxies' logs.

use leptos::prelude::*;

/// False in the server's HTML and until the page has hydrated (effects run only in the
/// browser), then true.
pub fn hydrated() -> Signal<bool> {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    hydrated.into()
}
