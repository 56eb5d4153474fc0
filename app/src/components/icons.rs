//! Inline SVG icons (no icon font, nothing to download). Decorative: always `aria-hidden`.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    Keypad,
    Clock,
    Users,
    Gear,
    Phone,
    Backspace,
    Star,
    StarFilled,
    Plus,
    Trash,
    Pencil,
    Upload,
    Download,
    ArrowLeft,
}

fn path(icon: Icon) -> &'static str {
    match icon {
        Icon::Keypad => "M6 4.5h.01M12 4.5h.01M18 4.5h.01M6 10.5h.01M12 10.5h.01M18 10.5h.01M6 16.5h.01M12 16.5h.01M18 16.5h.01M12 21h.01",
        Icon::Clock => "M12 6v6l4 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z",
        Icon::Users => "M15 19.1a9.4 9.4 0 0 0 6-2.1 4.5 4.5 0 0 0-6-3.6M15 19.1v-.1a6 6 0 0 0-12 0v.1a12 12 0 0 0 12 0ZM12 6.4a3.4 3.4 0 1 1-6.8 0 3.4 3.4 0 0 1 6.8 0Zm8.3 2.2a2.6 2.6 0 1 1-5.3 0 2.6 2.6 0 0 1 5.3 0Z",
        Icon::Gear => "M10.3 4.3c.4-1.7 2.9-1.7 3.4 0a1.7 1.7 0 0 0 2.6 1.1c1.5-.9 3.3.8 2.4 2.4a1.7 1.7 0 0 0 1 2.5c1.8.5 1.8 3 0 3.4a1.7 1.7 0 0 0-1 2.6c.9 1.5-.9 3.3-2.4 2.4a1.7 1.7 0 0 0-2.6 1c-.4 1.8-2.9 1.8-3.4 0a1.7 1.7 0 0 0-2.5-1c-1.6.9-3.3-.9-2.4-2.4a1.7 1.7 0 0 0-1.1-2.6c-1.7-.4-1.7-2.9 0-3.4a1.7 1.7 0 0 0 1.1-2.5c-.9-1.6.8-3.3 2.4-2.4a1.7 1.7 0 0 0 2.5-1.1ZM15 12a3 3 0 1 1-6 0 3 3 0 0 1 6 0Z",
        Icon::Phone => "M2.25 6.75c0 8.28 6.72 15 15 15h2.25a2.25 2.25 0 0 0 2.25-2.25v-1.37c0-.52-.35-.97-.85-1.09l-4.42-1.1c-.44-.11-.9.05-1.17.41l-.97 1.29c-.28.38-.77.54-1.21.38a12 12 0 0 1-7.14-7.14c-.16-.44 0-.93.38-1.21l1.29-.97c.37-.27.52-.73.41-1.17l-1.1-4.42a1.1 1.1 0 0 0-1.1-.85H4.5A2.25 2.25 0 0 0 2.25 4.5v2.25Z",
        Icon::Backspace => "M12 9.75 14.25 12m0 0 2.25 2.25M14.25 12l2.25-2.25M14.25 12 12 14.25M9.4 19.4 3 12l6.4-7.4c.4-.4 1-.6 1.6-.6H19a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-8c-.6 0-1.2-.2-1.6-.6Z",
        Icon::Star | Icon::StarFilled => "M11.48 3.5a.56.56 0 0 1 1.04 0l2.13 5.11c.08.2.26.33.47.35l5.52.44c.5.04.7.66.32.99l-4.2 3.6a.56.56 0 0 0-.18.56l1.28 5.38a.56.56 0 0 1-.84.61l-4.73-2.88a.56.56 0 0 0-.59 0l-4.72 2.88a.56.56 0 0 1-.84-.61l1.28-5.38a.56.56 0 0 0-.18-.56l-4.2-3.6a.56.56 0 0 1 .32-.99l5.52-.44a.56.56 0 0 0 .47-.35l2.13-5.11Z",
        Icon::Plus => "M12 4.5v15m7.5-7.5h-15",
        Icon::Trash => "m14.7 9-.3 9m-4.8 0-.3-9m10-3.2 1 .2m-1-.2-1.1 13.9a2.3 2.3 0 0 1-2.2 2H8.1a2.3 2.3 0 0 1-2.2-2L4.8 5.8m14.4 0a48 48 0 0 0-3.5-.4m-12 .6 1-.2m0 0a48 48 0 0 1 3.5-.4m7.5 0v-.9c0-1.2-.9-2.2-2-2.2a52 52 0 0 0-3.4 0c-1.1 0-2 1-2 2.2v.9m7.4 0a48.7 48.7 0 0 0-7.4 0",
        Icon::Pencil => "m16.9 4.5 1.7-1.7a1.9 1.9 0 1 1 2.6 2.6L10.6 16a4.5 4.5 0 0 1-1.9 1.1L6 18l.8-2.7a4.5 4.5 0 0 1 1.1-1.9l9-8.9Zm0 0L19.5 7",
        Icon::Upload => "M3 16.5v2.25A2.25 2.25 0 0 0 5.25 21h13.5A2.25 2.25 0 0 0 21 18.75V16.5m-13.5-9L12 3m0 0 4.5 4.5M12 3v13.5",
        Icon::Download => "M3 16.5v2.25A2.25 2.25 0 0 0 5.25 21h13.5A2.25 2.25 0 0 0 21 18.75V16.5M16.5 12 12 16.5m0 0L7.5 12m4.5 4.5V3",
        Icon::ArrowLeft => "M10.5 19.5 3 12m0 0 7.5-7.5M3 12h18",
    }
}

#[component]
pub fn Svg(icon: Icon, #[prop(optional, into)] class: Option<String>) -> impl IntoView {
    let fill = if icon == Icon::StarFilled {
        "currentColor"
    } else {
        "none"
    };
    view! {
        <svg
            class=class.unwrap_or_else(|| "h-6 w-6".into())
            viewBox="0 0 24 24"
            fill=fill
            stroke="currentColor"
            stroke-width="1.5"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            <path d=path(icon)/>
        </svg>
    }
}
