//! Sign in, create an account, reset a forgotten password.
//!
//! Forms submit through one small helper (`submit`) instead of `ActionForm`: every
//! `ActionForm` instance carries its own form-data decoder into the WASM bundle.

use std::future::Future;

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::auth::{
    confirm_sign_up, current_account, forgot_password, resend_code, reset_password, sign_in,
    sign_up, ResetCodeSentTo, SignUpResult,
};
use crate::api::ApiError;
use crate::browser;
use crate::components::messages::{password_problem_text, ErrorLine};
use crate::domain::auth::{mask_email, password_problems};
use crate::i18n::T;
use crate::prefs::{prefs, tx, use_tr};

#[component]
fn AuthFrame(title: T, children: Children) -> impl IntoView {
    let tr = use_tr();
    view! {
        <leptos_meta::Title text=move || format!("{} · Softphone", tr(title)) />
        <main
            id="main"
            class="mx-auto flex min-h-dvh w-full max-w-sm flex-col justify-center px-6 py-10"
        >
            <p class="mb-8 text-center text-lg font-semibold text-teal-700 dark:text-teal-300">
                {tx(T::AppName)}
            </p>
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
    value: RwSignal<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="mb-4">
            <label for=id.clone() class="label">
                {tx(label)}
            </label>
            <input
                id=id
                class="input"
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

/// The state of one form: busy while its request runs, and the last error.
#[derive(Clone, Copy)]
struct FormState {
    pending: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
}

impl FormState {
    fn new() -> Self {
        FormState {
            pending: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Runs `request` unless one is already running; `done` gets the successful result.
    fn submit<T: 'static, F>(self, request: F, done: impl FnOnce(T) + 'static)
    where
        F: Future<Output = Result<T, ApiError>> + 'static,
    {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        self.error.set(None);
        leptos::task::spawn_local(async move {
            let result = request.await;
            self.pending.set(false);
            match result {
                Ok(value) => done(value),
                Err(e) => self.error.set(Some(e)),
            }
        });
    }
}

#[component]
fn SubmitButton(state: FormState, label: T) -> impl IntoView {
    let hydrated = crate::components::forms::hydrated();
    view! {
        <button
            class="btn-primary mt-2 w-full"
            type="submit"
            disabled=move || state.pending.get() || !hydrated.get()
        >
            {move || if state.pending.get() { tx(T::Working) } else { tx(label) }}
        </button>
    }
}

/// A form of these pages: its fields (`children`), then its error and its submit button
/// (`label`). The browser's own submit is prevented; `on_submit` sends the request. Never sent
/// before hydration, nor as a GET (`components::forms`).
#[component]
fn AuthForm(
    state: FormState,
    label: T,
    on_submit: Callback<()>,
    children: Children,
) -> impl IntoView {
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_submit.run(());
    };
    view! {
        <form method="post" on:submit=submit novalidate=true>
            {children()}
            <ErrorLine error=state.error />
            <SubmitButton state=state label=label />
        </form>
    }
}

#[component]
fn EmailField(value: RwSignal<String>) -> impl IntoView {
    view! { <Field label=T::Email name="email" kind="email" autocomplete="username" value=value /> }
}

/// A note that something was sent (a code, a reset link).
#[component]
fn SentNote(test_id: &'static str, children: Children) -> impl IntoView {
    view! {
        <p
            role="status"
            class="mb-4 rounded-lg bg-teal-50 p-3 text-sm text-teal-900 dark:bg-teal-950 dark:text-teal-100"
            data-testid=test_id
        >
            {children()}
        </p>
    }
}

/// The page's form (`children`) until the account turns out to need its emailed code
/// (`confirming` is set to where it went); then the code form, under `error` if given.
#[component]
fn UnlessConfirming(
    email: RwSignal<String>,
    password: RwSignal<String>,
    confirming: RwSignal<Option<String>>,
    #[prop(optional)] error: Option<RwSignal<Option<ApiError>>>,
    children: ChildrenFn,
) -> impl IntoView {
    // The code form takes over only when `confirming` turns from none to some (or back).
    let confirming_now = Memo::new(move |_| confirming.get().is_some());
    move || {
        if confirming_now.get() {
            Either::Left(view! {
                {error.map(|error| view! { <ErrorLine error=error /> })}
                <ConfirmAccount email=email password=password destination=confirming />
            })
        } else {
            Either::Right(children())
        }
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let (email, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let state = FormState::new();
    // An account signed up but never confirmed: the code form takes over.
    let confirming = RwSignal::new(None::<String>);
    Effect::new(move || {
        if state.error.get() == Some(ApiError::NotConfirmed) {
            confirming.set(Some(mask_email(&email.get_untracked())));
        }
    });
    let on_submit = Callback::new(move |()| {
        // Inside the user's gesture: lets call audio play without another tap.
        crate::phone::Phone::unlock_audio();
        state.submit(
            sign_in(email.get_untracked(), password.get_untracked()),
            |_| browser::go_to("/"),
        );
    });
    view! {
        <AuthFrame title=T::SignInTitle>
            <UnlessConfirming email=email password=password confirming=confirming error=state.error>
                <AuthForm state=state label=T::SignInButton on_submit=on_submit>
                    <EmailField value=email />
                    <Field
                        label=T::Password
                        name="password"
                        kind="password"
                        autocomplete="current-password"
                        value=password
                    />
                </AuthForm>
            </UnlessConfirming>
            <p class="mt-6 text-sm">
                <a class="link" href="/forgot">
                    {tx(T::ForgotLink)}
                </a>
            </p>
            <p class="mt-2 text-sm">
                {tx(T::NoAccount)} " " <a class="link" href="/signup">
                    {tx(T::SignUpTitle)}
                </a>
            </p>
        </AuthFrame>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let lang = prefs().lang;
    let (email, password, confirm) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let state = FormState::new();
    let confirming = RwSignal::new(None::<String>);
    // An administrator's invitation (`/signup#invite=…`, SOFTPHONE_SIGNUP=invite): read after
    // hydration (the server never sees the fragment) and sent with the sign-up.
    let invite = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(code) = browser::take_fragment_param("invite") {
            invite.set(Some(code));
        }
    });
    let on_submit = Callback::new(move |()| {
        let request = sign_up(
            email.get_untracked(),
            password.get_untracked(),
            confirm.get_untracked(),
            invite.get_untracked(),
        );
        state.submit(request, move |result| match result {
            SignUpResult::SignIn => {
                // Not signed in means the email had an account already (sign-up does not say
                // so, to tell no one which emails have accounts).
                let request = async move {
                    match current_account().await? {
                        Some(_) => Ok(()),
                        None => Err(ApiError::EmailTaken),
                    }
                };
                state.submit(request, move |()| browser::go_to("/"));
            }
            SignUpResult::ConfirmCode { destination } => confirming.set(Some(destination)),
        });
    });
    let rules = move || {
        let problems = password_problems(&password.get());
        use crate::domain::auth::PasswordProblem::*;
        [TooShort, NoLowercase, NoUppercase, NoDigit, NoSymbol]
            .into_iter()
            .map(|rule| {
                let met = !problems.contains(&rule);
                view! {
                    <li class=if met {
                        "text-teal-700 dark:text-teal-300"
                    } else {
                        "text-slate-600 dark:text-slate-400"
                    }>
                        {if met { "✓ " } else { "• " }}
                        {password_problem_text(lang.get(), rule)}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <AuthFrame title=T::SignUpTitle>
            <UnlessConfirming email=email password=password confirming=confirming>
                <AuthForm state=state label=T::SignUpButton on_submit=on_submit>
                    <EmailField value=email />
                    <Field
                        label=T::Password
                        name="password"
                        kind="password"
                        autocomplete="new-password"
                        value=password
                    />
                    <div class="mb-4 text-sm" id="password-rules">
                        <p>{tx(T::PasswordRules)}</p>
                        <ul class="mt-1 space-y-0.5">{rules}</ul>
                    </div>
                    <Field
                        label=T::ConfirmPassword
                        name="confirm"
                        kind="password"
                        autocomplete="new-password"
                        value=confirm
                    />
                </AuthForm>
            </UnlessConfirming>
            <p class="mt-6 text-sm">
                {tx(T::HaveAccount)} " " <a class="link" href="/signin">
                    {tx(T::SignInTitle)}
                </a>
            </p>
        </AuthFrame>
    }
}

/// The emailed code that confirms a new account (Cognito), then signs in with the password
/// the user just typed; the code can be sent again.
#[component]
fn ConfirmAccount(
    email: RwSignal<String>,
    password: RwSignal<String>,
    destination: RwSignal<Option<String>>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let (state, resend_state) = (FormState::new(), FormState::new());
    let resent = RwSignal::new(false);
    let on_confirm = Callback::new(move |()| {
        crate::phone::Phone::unlock_audio();
        let request = confirm_sign_up(
            email.get_untracked(),
            code.get_untracked(),
            password.get_untracked(),
        );
        state.submit(request, |_| browser::go_to("/"));
    });
    let on_resend = move |_| {
        resend_state.submit(resend_code(email.get_untracked()), move |to| {
            destination.set(Some(to));
            resent.set(true);
        });
    };
    view! {
        <h2 class="mb-2 text-lg font-semibold">{tx(T::ConfirmTitle)}</h2>
        <SentNote test_id="confirm-sent">
            {move || if resent.get() { tx(T::CodeResent) } else { tx(T::ConfirmCodeSent) }} " "
            <strong>{move || destination.get().unwrap_or_default()}</strong>
        </SentNote>
        <AuthForm state=state label=T::ConfirmButton on_submit=on_confirm>
            <Field
                label=T::ConfirmationCode
                name="code"
                kind="text"
                autocomplete="one-time-code"
                value=code
            />
        </AuthForm>
        <button
            type="button"
            class="link mt-4 text-sm"
            data-testid="resend-code"
            on:click=on_resend
            disabled=move || resend_state.pending.get()
        >
            {tx(T::ResendCode)}
        </button>
        <ErrorLine error=resend_state.error />
    }
}

#[component]
pub fn Forgot() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let (code, password, confirm) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let sent = RwSignal::new(None::<ResetCodeSentTo>);
    let done = RwSignal::new(false);
    let (request_state, reset_state) = (FormState::new(), FormState::new());
    let request_code = Callback::new(move |()| {
        request_state.submit(forgot_password(email.get_untracked()), move |to| {
            sent.set(Some(to))
        });
    });
    let set_password = Callback::new(move |()| {
        let request = reset_password(
            email.get_untracked(),
            code.get_untracked(),
            password.get_untracked(),
            confirm.get_untracked(),
        );
        reset_state.submit(request, move |_| done.set(true));
    });
    // A reset link from the administrator (`/forgot#code=…`) goes straight to the new
    // password form. Read after hydration (the server never sees the fragment).
    Effect::new(move |_| {
        if let Some(given) = browser::take_fragment_param("code") {
            code.set(given);
            sent.set(Some(ResetCodeSentTo::Administrator));
        }
    });
    // Each form gives way to the next step only when that step's signal changes.
    let code_sent = Memo::new(move |_| sent.get().is_some());
    let password_set = Memo::new(move |_| done.get());
    view! {
        <AuthFrame title=T::ForgotTitle>
            {move || {
                if code_sent.get() {
                    Either::Left(
                        view! {
                            <SentNote test_id="reset-sent">
                                {move || match sent.get() {
                                    Some(ResetCodeSentTo::Administrator) => {
                                        tx(T::CodeFromAdministrator)
                                    }
                                    _ => tx(T::CodeSentEmail),
                                }}
                            </SentNote>
                            {move || {
                                if password_set.get() {
                                    Either::Left(
                                        view! {
                                            <p role="status" class="text-sm">
                                                {tx(T::PasswordChanged)}
                                            </p>
                                        },
                                    )
                                } else {
                                    Either::Right(
                                        view! {
                                            <AuthForm
                                                state=reset_state
                                                label=T::SetPassword
                                                on_submit=set_password
                                            >
                                                <EmailField value=email />
                                                <Field
                                                    label=T::ResetCode
                                                    name="code"
                                                    kind="text"
                                                    autocomplete="one-time-code"
                                                    value=code
                                                />
                                                <Field
                                                    label=T::NewPassword
                                                    name="password"
                                                    kind="password"
                                                    autocomplete="new-password"
                                                    value=password
                                                />
                                                <Field
                                                    label=T::ConfirmPassword
                                                    name="confirm"
                                                    kind="password"
                                                    autocomplete="new-password"
                                                    value=confirm
                                                />
                                            </AuthForm>
                                        },
                                    )
                                }
                            }}
                        },
                    )
                } else {
                    Either::Right(
                        view! {
                            <AuthForm state=request_state label=T::SendCode on_submit=request_code>
                                <EmailField value=email />
                            </AuthForm>
                        },
                    )
                }
            }} <p class="mt-6 text-sm">
                <a class="link" href="/signin">
                    {tx(T::BackToSignIn)}
                </a>
            </p>
        </AuthFrame>
    }
}
