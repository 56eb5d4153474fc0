//! User preferences (language, theme, default country): cookies the page can read, so the
//! server renders the first paint right and the browser picks them up from `<html>`.

use leptos::prelude::*;

use crate::domain::numbers::Country;
use crate::i18n::{t, tf, Lang, Text, T};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(text: &str) -> Theme {
        Theme::ALL
            .into_iter()
            .find(|t| t.as_str() == text)
            .unwrap_or_default()
    }
}

/// The preferences the first render uses.
#[derive(Clone, Copy, Debug)]
pub struct Initial {
    pub lang: Lang,
    pub theme: Theme,
    pub country: Country,
    /// The signed-in user is an administrator (the nav links the admin page): the session's
    /// on the server, `<html data-admin>` in the browser. Only what the page shows: the admin
    /// page's server functions check the role themselves.
    pub admin: bool,
}

/// Default country when none is chosen: from the language's region, else Panama for Spanish
/// and Singapore otherwise.
#[cfg(feature = "ssr")]
fn country_for(lang: Lang, accept_language: &str) -> Country {
    let lower = accept_language.to_ascii_lowercase();
    if lower.contains("-pa") {
        Country::PA
    } else if lower.contains("-sg") {
        Country::SG
    } else if lang == Lang::Es {
        Country::PA
    } else {
        Country::SG
    }
}

impl Initial {
    #[cfg(feature = "ssr")]
    pub fn from_request() -> Initial {
        use crate::cookies;
        let parts = use_context::<axum::http::request::Parts>();
        let header = |name| {
            parts
                .as_ref()
                .and_then(|p| p.headers.get(name))
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let cookie = |name: &str| {
            parts
                .as_ref()
                .and_then(|p| cookies::from_headers(&p.headers, name))
        };
        let accept = header(axum::http::header::ACCEPT_LANGUAGE);
        let lang = cookie(cookies::LANG)
            .and_then(|l| Lang::from_tag(&l))
            .or_else(|| Lang::from_accept_language(&accept))
            .unwrap_or_default();
        Initial {
            lang,
            theme: cookie(cookies::THEME)
                .map(|t| Theme::parse(&t))
                .unwrap_or_default(),
            country: cookie(cookies::COUNTRY)
                .and_then(|c| Country::from_iso(&c))
                .unwrap_or_else(|| country_for(lang, &accept)),
            admin: crate::api::ssr::principal().is_ok_and(|p| p.is_admin()),
        }
    }

    #[cfg(not(feature = "ssr"))]
    pub fn from_request() -> Initial {
        crate::browser::initial_prefs().unwrap_or(Initial {
            lang: Lang::En,
            theme: Theme::System,
            country: Country::SG,
            admin: false,
        })
    }
}

#[derive(Clone, Copy)]
pub struct Prefs {
    pub lang: RwSignal<Lang>,
    pub theme: RwSignal<Theme>,
    pub country: RwSignal<Country>,
    /// [`Initial::admin`], as the page was loaded.
    pub admin: bool,
}

/// A preference that applies now but that this browser would not remember (cookies blocked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the browser did not keep the preference cookie")]
pub struct NotRemembered;

impl Prefs {
    /// Changes the default country, remembered in a cookie and on `<html>`.
    pub fn set_country(&self, country: Country) -> Result<(), NotRemembered> {
        self.country.set(country);
        crate::browser::apply_to_html("data-country", country.iso());
        remember(crate::cookies::COUNTRY, country.iso())
    }

    pub fn set_lang(&self, lang: Lang) -> Result<(), NotRemembered> {
        self.lang.set(lang);
        crate::browser::apply_to_html("lang", lang.tag());
        remember(crate::cookies::LANG, lang.tag())
    }

    pub fn set_theme(&self, theme: Theme) -> Result<(), NotRemembered> {
        self.theme.set(theme);
        crate::browser::apply_to_html("data-theme", theme.as_str());
        remember(crate::cookies::THEME, theme.as_str())
    }
}

fn remember(cookie: &str, value: &str) -> Result<(), NotRemembered> {
    crate::browser::set_preference_cookie(cookie, value)
        .then_some(())
        .ok_or(NotRemembered)
}

pub fn provide() {
    let initial = Initial::from_request();
    provide_context(Prefs {
        lang: RwSignal::new(initial.lang),
        theme: RwSignal::new(initial.theme),
        country: RwSignal::new(initial.country),
        admin: initial.admin,
    });
}

pub fn prefs() -> Prefs {
    expect_context::<Prefs>()
}

/// A translator bound to the current language: `tr(T::Call)`, reactive when used in a closure.
pub fn use_tr() -> impl Fn(T) -> &'static str + Copy + Send + Sync + 'static {
    let lang = prefs().lang;
    move |key| t(lang.get(), key)
}

/// A UI string as a signal that follows the language. Prefer this in views: every call shares
/// one closure type, so the WASM bundle carries one copy of the rendering code instead of one per
/// string (this alone is tens of kilobytes).
pub fn tx(key: impl Text) -> Signal<&'static str> {
    let lang = prefs().lang;
    Signal::derive(move || key.text(lang.get()))
}

/// Like [`use_tr`], with `{placeholders}`.
pub fn use_trf() -> impl Fn(T, &[(&str, &str)]) -> String + Copy + Send + Sync + 'static {
    let lang = prefs().lang;
    move |key, args| tf(lang.get(), key, args)
}

pub fn country_name(lang: Lang, country: Country) -> &'static str {
    match country {
        Country::PA => t(lang, T::Panama),
        Country::SG => t(lang, T::Singapore),
    }
}
