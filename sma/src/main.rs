//! The SIP media application's Lambda: parse the event, run the flow with the domain's dialling
//! policy, return the actions. Everything it decides is in the library (`flow::handle`); this
//! shell only adds the clock and the logs. It does no I/O of its own, so it answers well inside
//! the 5 s the service waits.

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use sma::action::Response;
use sma::event::Event;
use sma::flow::handle;
use sma::policy::dial_policy;

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
    lambda_runtime::run(service_fn(invoke)).await
}

async fn invoke(invocation: LambdaEvent<Value>) -> Result<Response, Error> {
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
    Ok(outcome.response)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}
