//! The paged lists (Recents, Contacts): one [`PagedList`] loads the first page for the current
//! filters and search and appends further pages on "Load more", dropping answers that arrive
//! after the filters changed; [`paged_items`] shows it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::icons::{Icon, Svg};
use super::messages::{LoadBoundary, Loaded};
use crate::api::calls::CallPage;
use crate::api::contacts::ContactPage;
use crate::api::{api_resource, ApiError, ApiResource};
use crate::i18n::T;
use crate::prefs::tx;

/// A page of a list as its server function returns it.
pub trait ListPage: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    type Item: Clone + Send + Sync + 'static;
    fn items(self) -> Vec<Self::Item>;
    /// The cursor of the page after this one, if there is one.
    fn next(&self) -> Option<String>;
}

impl ListPage for CallPage {
    type Item = crate::api::calls::CallEntry;
    fn items(self) -> Vec<Self::Item> {
        self.items
    }
    fn next(&self) -> Option<String> {
        self.next.clone()
    }
}

impl ListPage for ContactPage {
    type Item = crate::domain::contacts::Contact;
    fn items(self) -> Vec<Self::Item> {
        self.items
    }
    fn next(&self) -> Option<String> {
        self.next.clone()
    }
}

/// Which query a list is showing. Every change of the filters or search starts a new
/// generation; an answer carries the generation it was asked for and is dropped when another
/// has started since, so a slow page of the old query cannot land in the new list.
#[derive(Clone, Copy, Debug, Default)]
pub struct Generations {
    current: u64,
}

/// The generation a request was made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generation(u64);

impl Generations {
    /// A new query: answers to every earlier one are stale from now on.
    pub fn start(&mut self) -> Generation {
        self.current += 1;
        Generation(self.current)
    }

    pub fn current(&self) -> Generation {
        Generation(self.current)
    }

    pub fn is_current(&self, generation: Generation) -> bool {
        generation.0 == self.current
    }
}

type PageFuture<P> = Pin<Box<dyn Future<Output = Result<P, ApiError>> + Send>>;
type FetchPage<P, Q> = Arc<dyn Fn(Q, Option<String>) -> PageFuture<P> + Send + Sync>;

/// A list loaded a page at a time: the first page is a resource over the query (so it renders
/// on the server and reloads when the query changes), later pages are appended by cursor.
pub struct PagedList<P: ListPage, Q: Send + Sync + 'static> {
    query: Memo<Q>,
    first: ApiResource<P>,
    more: RwSignal<Vec<P::Item>>,
    /// The cursor of the next page and the generation of the query it continues.
    next: RwSignal<Option<(Generation, String)>>,
    loading_more: RwSignal<bool>,
    /// Why the last "Load more" failed.
    more_error: RwSignal<Option<ApiError>>,
    generations: StoredValue<Generations>,
    fetch: StoredValue<FetchPage<P, Q>>,
}

impl<P: ListPage, Q: Send + Sync + 'static> Clone for PagedList<P, Q> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P: ListPage, Q: Send + Sync + 'static> Copy for PagedList<P, Q> {}

impl<P, Q> PagedList<P, Q>
where
    P: ListPage,
    Q: Clone + PartialEq + Send + Sync + 'static,
{
    /// `query` reads the filters and search (reactively); `fetch` asks for the page of a query
    /// that starts at a cursor (`None`: the first page).
    pub fn new<Fut>(
        query: impl Fn() -> Q + Send + Sync + 'static,
        fetch: impl Fn(Q, Option<String>) -> Fut + Send + Sync + 'static,
    ) -> Self
    where
        Fut: Future<Output = Result<P, ApiError>> + Send + 'static,
    {
        let query = Memo::new(move |_| query());
        let fetch: FetchPage<P, Q> = Arc::new(move |q, cursor| Box::pin(fetch(q, cursor)));
        let fetch = StoredValue::new(fetch);
        let generations = StoredValue::new(Generations::default());
        let next = RwSignal::new(None);
        let loading_more = RwSignal::new(false);
        // Runs when the query changes: a new generation, so pages still on their way for the
        // old query are dropped. (A stale first page is dropped by the resource itself.)
        let first = api_resource(
            move || query.get(),
            move |q| {
                generations.update_value(|g| {
                    g.start();
                });
                next.set(None);
                loading_more.set(false);
                fetch.with_value(|f| f(q, None))
            },
        );
        let list = PagedList {
            query,
            first,
            more: RwSignal::new(Vec::new()),
            next,
            loading_more,
            more_error: RwSignal::new(None),
            generations,
            fetch,
        };
        Effect::new(move |_| {
            if let Some(Ok(page)) = first.get() {
                list.more.set(Vec::new());
                list.more_error.set(None);
                let generation = generations.with_value(Generations::current);
                next.set(page.next().map(|cursor| (generation, cursor)));
            }
        });
        list
    }

    /// Loads the first page again (after an error).
    pub fn retry(&self) {
        self.first.refetch();
    }

    /// Appends the next page, unless one is already on its way or the query has changed.
    pub fn load_more(&self) {
        let Some((generation, cursor)) = self.next.get_untracked() else {
            return;
        };
        let current = self.generations.with_value(|g| g.is_current(generation));
        if !current || self.loading_more.get_untracked() {
            return;
        }
        self.loading_more.set(true);
        let list = *self;
        let request = self
            .fetch
            .with_value(|f| f(self.query.get_untracked(), Some(cursor)));
        leptos::task::spawn_local(async move {
            let result = request.await;
            // The page left, or the query changed while this page was on its way.
            if list
                .generations
                .try_with_value(|g| g.is_current(generation))
                != Some(true)
            {
                return;
            }
            list.loading_more.set(false);
            match result {
                Ok(page) => {
                    list.next
                        .set(page.next().map(|cursor| (generation, cursor)));
                    list.more.update(|more| more.extend(page.items()));
                }
                Err(e) => list.more_error.set(Some(e)),
            }
        });
    }
}

/// A paged list on a page: the first page (with a retry when it fails), the pages loaded
/// since, "Load more" and its errors, or `empty` when there is nothing.
pub fn paged_items<P, Q, V>(
    list: PagedList<P, Q>,
    row: impl Fn(P::Item) -> V + Copy + Send + Sync + 'static,
    empty: impl Fn() -> AnyView + Copy + Send + Sync + 'static,
) -> impl IntoView
where
    P: ListPage,
    Q: Clone + PartialEq + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let rows = move || {
        list.first.get().map(|result| {
            result.map(|page| {
                let items = page.items();
                if items.is_empty() {
                    empty()
                } else {
                    view! {
                        <ul class="divide-y divide-slate-200 dark:divide-slate-800">
                            {items.into_iter().map(row).collect_view()}
                            {move || list.more.get().into_iter().map(row).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            })
        })
    };
    list_frame(
        Box::new(rows),
        Callback::new(move |_| list.retry()),
        Callback::new(move |_| list.load_more()),
        list.next,
        list.loading_more,
        list.more_error,
    )
}

/// What every paged list has around its rows: the load boundary, "Load more" and its errors.
/// Not generic, so the bundle carries it once for both lists.
fn list_frame(
    rows: Box<dyn Fn() -> Loaded + Send + Sync>,
    retry: Callback<()>,
    load_more: Callback<()>,
    next: RwSignal<Option<(Generation, String)>>,
    loading_more: RwSignal<bool>,
    more_error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let lang = crate::prefs::prefs().lang;
    // "Load more" is built again only when there comes to be a next page or none.
    let has_next = Memo::new(move |_| next.with(Option::is_some));
    view! {
        <LoadBoundary retry page=rows fallback=Loading keep_while_reloading=true />
        <p role="alert" class="text-sm text-red-700 dark:text-red-400">
            {move || more_error.get().map(|e| super::messages::error_text(lang.get(), &e))}
        </p>
        {move || {
            has_next
                .get()
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="btn-secondary mx-auto mt-4 block"
                            on:click=move |_| load_more.run(())
                            disabled=move || loading_more.get()
                        >
                            {tx(T::LoadMore)}
                        </button>
                    }
                })
        }}
    }
}

/// What a list shows when it has nothing: a search that matched nothing, or a first-use hint.
#[component]
pub fn EmptyState(icon: Icon, searching: bool, title: T, hint: T) -> impl IntoView {
    view! {
        <div class="py-12 text-center" data-testid="empty-state">
            <Svg icon=icon class="mx-auto h-10 w-10 text-slate-400" />
            <p class="mt-3 font-medium">{if searching { tx(T::NoMatches) } else { tx(title) }}</p>
            {(!searching)
                .then(|| {
                    view! {
                        <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">{tx(hint)}</p>
                    }
                })}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="py-6 text-center text-slate-600 dark:text-slate-400">{tx(T::Loading)}</p> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_for_an_earlier_query_is_stale() {
        let mut generations = Generations::default();
        let asked = generations.start();
        assert!(generations.is_current(asked));
        // "Load more" asked now carries the current generation...
        let load_more = generations.current();
        assert_eq!(load_more, asked);
        // ...and the search changes before it answers.
        let newer = generations.start();
        assert!(!generations.is_current(load_more));
        assert!(generations.is_current(newer));
    }

    #[test]
    fn every_query_gets_its_own_generation() {
        let mut generations = Generations::default();
        let a = generations.start();
        let b = generations.start();
        let c = generations.start();
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert!([a, b].iter().all(|g| !generations.is_current(*g)));
    }
}
