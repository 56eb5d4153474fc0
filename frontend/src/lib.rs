//! The browser entry point: hydrate the server-rendered page, nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    #[cfg(not(feature = "split"))]
    {
        leptos::mount::hydrate_body(app::App);
        mark_hydrated();
    }
    // Lazy routes hydrate asynchronously: the page's code chunk loads first.
    #[cfg(feature = "split")]
    {
        // hydrate_from_async starts Leptos's executor itself; this future only needs a driver.
        wasm_bindgen_futures::spawn_local(async {
            let document = leptos::prelude::document();
            let Some(body) = document.body() else {
                return;
            };
            // The page was rendered in the agent's language: its strings come before hydration.
            let lang = document
                .document_element()
                .and_then(|html| html.get_attribute("lang"))
                .and_then(|tag| app::i18n::Lang::from_tag(&tag));
            if let Some(lang) = lang {
                app::i18n::load(lang).await;
            }
            let owner = leptos::mount::hydrate_from_async(body, app::App).await;
            owner.forget();
            mark_hydrated();
        });
    }
}

/// Lets end-to-end tests wait until event handlers are live.
fn mark_hydrated() {
    if let Some(window) = leptos::web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__softphone_hydrated".into(), &true.into());
    }
}
