//! Sign in, create an account, reset a forgotten password.

use leptos::prelude::*;

use crate::api::auth::{
    ForgotPassword, ResetCodeSentTo, ResetPassword, SignIn as SignInFn, SignUp as SignUpFn,
};
use crate::browser;
use crate::components::messages::{password_problem_text, ErrorLine};
use crate::domain::auth::password_problems;
use crate::i18n::T;
use crate::prefs::{prefs, tx, use_tr};

#[component]
fn AuthFrame(title: T, children: Children) -> impl IntoView {
    let tr = use_tr();
    view! {
        <leptos_meta::Title text=move || format!("{} · Softphone", tr(title))/>
        <main id="main" class="mx-auto flex min-h-dvh w-full max-w-sm flex-col justify-center px-6 py-10">
            <p class="mb-8 text-center text-lg font-semibold text-teal-700 dark:text-teal-300">{tx(T::AppName)}</p>
            <h1 class="mb-6 text-2xl font-semibold tracking-tight">{tx(title)}</h1>
            {children()}
        </main>
    }
}

#[component]
fn Field(
    label: T,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] on_input: Option<Callback<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="mb-4">
            <label for=id.clone() class="label">{tx(label)}</label>
            <input
                id=id
                class="input"
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                on:input=move |ev| {
                    if let Some(cb) = on_input {
                        cb.run(event_target_value(&ev));
                    }
                }
            />
        </div>
    }
}

/// The error of an action's last run, if it failed.
macro_rules! action_error {
    ($action:expr) => {{
        let action = $action;
        Signal::derive(move || action.value().get().and_then(|r| r.err()))
    }};
}

#[component]
pub fn SignIn() -> impl IntoView {
    let tr = use_tr();
    let action = ServerAction::<SignInFn>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            browser::go_to("/");
        }
    });
    view! {
        <AuthFrame title=T::SignInTitle>
            <ActionForm action=action attr:novalidate=true>
                <Field label=T::Email name="email" kind="email" autocomplete="username"/>
                <Field label=T::Password name="password" kind="password" autocomplete="current-password"/>
                <ErrorLine error=action_error!(action)/>
                <button class="btn-primary mt-2 w-full" type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { tr(T::Working) } else { tr(T::SignInButton) }}
                </button>
            </ActionForm>
            <p class="mt-6 text-sm">
                <a class="link" href="/forgot">{tx(T::ForgotLink)}</a>
            </p>
            <p class="mt-2 text-sm">
                {tx(T::NoAccount)} " " <a class="link" href="/signup">{tx(T::SignUpTitle)}</a>
            </p>
        </AuthFrame>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let tr = use_tr();
    let lang = prefs().lang;
    let action = ServerAction::<SignUpFn>::new();
    let password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            browser::go_to("/");
        }
    });
    let rules = move || {
        let problems = password_problems(&password.get());
        use crate::domain::auth::PasswordProblem::*;
        [TooShort, NoLowercase, NoUppercase, NoDigit, NoSymbol]
            .into_iter()
            .map(|rule| {
                let met = !problems.contains(&rule);
                view! {
                    <li class=if met { "text-teal-700 dark:text-teal-300" } else { "text-slate-600 dark:text-slate-400" }>
                        {if met { "✓ " } else { "• " }}
                        {password_problem_text(lang.get(), rule)}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <AuthFrame title=T::SignUpTitle>
            <ActionForm action=action attr:novalidate=true>
                <Field label=T::Email name="email" kind="email" autocomplete="username"/>
                <Field
                    label=T::Password
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    on_input=Callback::new(move |v| password.set(v))
                />
                <div class="mb-4 text-sm" id="password-rules">
                    <p>{tx(T::PasswordRules)}</p>
                    <ul class="mt-1 space-y-0.5">{rules}</ul>
                </div>
                <Field label=T::ConfirmPassword name="confirm" kind="password" autocomplete="new-password"/>
                <ErrorLine error=action_error!(action)/>
                <button class="btn-primary mt-2 w-full" type="submit" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { tr(T::Working) } else { tr(T::SignUpButton) }}
                </button>
            </ActionForm>
            <p class="mt-6 text-sm">
                {tx(T::HaveAccount)} " " <a class="link" href="/signin">{tx(T::SignInTitle)}</a>
            </p>
        </AuthFrame>
    }
}

#[component]
pub fn Forgot() -> impl IntoView {
    let tr = use_tr();
    let request = ServerAction::<ForgotPassword>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let sent = move || request.value().get().and_then(|r| r.ok());
    let done = move || matches!(reset.value().get(), Some(Ok(())));
    view! {
        <AuthFrame title=T::ForgotTitle>
            <Show
                when=move || sent().is_some()
                fallback=move || {
                    view! {
                        <ActionForm action=request attr:novalidate=true>
                            <Field label=T::Email name="email" kind="email" autocomplete="username"/>
                            <ErrorLine error=action_error!(request)/>
                            <button class="btn-primary w-full" type="submit" disabled=move || request.pending().get()>
                                {tx(T::SendCode)}
                            </button>
                        </ActionForm>
                    }
                }
            >
                <p role="status" class="mb-4 rounded-lg bg-teal-50 p-3 text-sm text-teal-900 dark:bg-teal-950 dark:text-teal-100" data-testid="reset-sent">
                    {move || match sent() {
                        Some(ResetCodeSentTo::ServerLog) => tr(T::CodeSentLog),
                        _ => tr(T::CodeSentEmail),
                    }}
                </p>
                <Show
                    when=done
                    fallback=move || {
                        view! {
                            <ActionForm action=reset attr:novalidate=true>
                                <Field label=T::Email name="email" kind="email" autocomplete="username"/>
                                <Field label=T::ResetCode name="code" kind="text" autocomplete="one-time-code"/>
                                <Field label=T::NewPassword name="password" kind="password" autocomplete="new-password"/>
                                <Field label=T::ConfirmPassword name="confirm" kind="password" autocomplete="new-password"/>
                                <ErrorLine error=action_error!(reset)/>
                                <button class="btn-primary w-full" type="submit" disabled=move || reset.pending().get()>
                                    {tx(T::SetPassword)}
                                </button>
                            </ActionForm>
                        }
                    }
                >
                    <p role="status" class="text-sm">{tx(T::PasswordChanged)}</p>
                </Show>
            </Show>
            <p class="mt-6 text-sm">
                <a class="link" href="/signin">{tx(T::BackToSignIn)}</a>
            </p>
        </AuthFrame>
    }
}
