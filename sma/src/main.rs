//! The SIP media application's Lambda: parse the event, run the flow with the domain's dialling
//! policy, push the call's progress to the server, return the actions. Everything it decides is
//! in the library (`flow::handle`); this shell only adds the clock, the logs and the push
//! (`report`, at most about 2 s), so it answers inside the 5 s the service waits.

use std::sync::Arc;

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use sma::action::Response;
use sma::event::Event;
use sma::flow::handle;
use sma::policy::dial_policy;
use sma::report::{now_ms, Reporter};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
    // A URL without a usable secret is a deployment error: refuse to start rather than run
    // without telling the server anything.
    let reporter = Reporter::from_env()?.map(Arc::new);
    match &reporter {
        Some(reporter) => tracing::info!(url = %reporter.url(), "progress is pushed"),
        None => tracing::warn!("no SOFTPHONE_CHIME_EVENTS_URL: progress is only logged"),
    }
    lambda_runtime::run(service_fn(move |invocation| {
        let reporter = reporter.clone();
        async move { invoke(invocation, reporter.as_deref()).await }
    }))
    .await
}

async fn invoke(
    invocation: LambdaEvent<Value>,
    reporter: Option<&Reporter>,
) -> Result<Response, Error> {
    let event = match Event::from_json(invocation.payload) {
        Ok(event) => event,
        Err(error) => {
            // No actions and no attributes: the service keeps the call and its state as they
            // are, which is safer than failing the invocation (retries end the call with 480).
            tracing::error!(%error, "unreadable SIP media application event");
            return Ok(Response::new(Vec::new(), None));
        }
    };
    let outcome = handle(&event, &dial_policy, now_ms());
    tracing::info!(
        event = event.invocation_event_type.as_str(),
        sequence = event.sequence,
        transaction_id = %event.call_details.transaction_id,
        call_id = outcome.call_id.as_deref().unwrap_or(""),
        progress = %serde_json::to_string(&outcome.progress).unwrap_or_default(),
        actions = outcome.response.actions.len(),
        "handled"
    );
    if let Some(reporter) = reporter {
        reporter
            .report(
                outcome.call_id.as_deref(),
                &event.call_details.transaction_id,
                event.sequence,
                outcome.progress.as_ref(),
            )
            .await;
    }
    Ok(outcome.response)
}
