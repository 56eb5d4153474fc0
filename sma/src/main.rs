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
use sma::metrics::{event_line, failure_line, Failure, DEFAULT_NAMESPACE};
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
    let namespace: Arc<str> = std::env::var("SOFTPHONE_METRICS_NAMESPACE")
        .ok()
        .filter(|ns| !ns.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.into())
        .into();
    match &reporter {
        Some(reporter) => tracing::info!(url = %reporter.url(), "progress is pushed"),
        None => tracing::warn!("no SOFTPHONE_CHIME_EVENTS_URL: progress is only logged"),
    }
    lambda_runtime::run(service_fn(move |invocation| {
        let (reporter, namespace) = (reporter.clone(), namespace.clone());
        async move { invoke(invocation, reporter.as_deref(), &namespace).await }
    }))
    .await
}

async fn invoke(
    invocation: LambdaEvent<Value>,
    reporter: Option<&Reporter>,
    namespace: &str,
) -> Result<Response, Error> {
    let event = match Event::from_json(invocation.payload) {
        Ok(event) => event,
        Err(error) => {
            // No actions and no attributes: the service keeps the call and its state as they
            // are, which is safer than failing the invocation (retries end the call with 480).
            tracing::error!(%error, "unreadable SIP media application event");
            emit(failure_line(namespace, now_ms(), Failure::UnreadableEvent));
            return Ok(Response::new(Vec::new(), None));
        }
    };
    let outcome = handle(&event, &dial_policy, now_ms());
    emit(event_line(
        namespace,
        now_ms(),
        &event.invocation_event_type,
    ));
    tracing::info!(
        event = event.invocation_event_type.as_str(),
        sequence = event.sequence,
        transaction_id = %event.call_details.transaction_id,
        call_id = outcome.call_id.as_deref().unwrap_or(""),
        progress = %outcome.progress.as_ref().map(|p| p.log_text()).unwrap_or_default(),
        actions = outcome.response.actions.len(),
        "handled"
    );
    if let Some(reporter) = reporter {
        let delivered = reporter
            .report(
                outcome.call_id.as_deref(),
                &event.call_details.transaction_id,
                event.sequence,
                outcome.progress.as_ref(),
            )
            .await;
        if !delivered {
            emit(failure_line(namespace, now_ms(), Failure::ProgressPush));
        }
    }
    Ok(outcome.response)
}

/// An EMF line, whole, on stdout (the log's lines are written whole too).
fn emit(line: String) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{line}\n").as_bytes());
    let _ = out.flush();
}
