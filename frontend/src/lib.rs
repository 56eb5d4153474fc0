//! The browser entry point: hydrate the server-rendered page, nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets end-to-end tests wait until event handlers are live.
    if let Some(window) = leptos::web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__softphone_hydrated".into(), &true.into());
    }
}
