//! Every AWS SDK request's time and failure as the `dependency_*` metrics
//! (`app::api::metrics::dependency_request`): one interceptor, added to each client the server
//! builds (DynamoDB, Cognito, S3, Chime), so no call site can forget it. It runs once per
//! operation, after the SDK's retries: the time is what the caller waited.

use std::time::Instant;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// The interceptor of one back end's client (`dynamodb`, `cognito`, `s3`, `chime`).
#[derive(Debug, Clone, Copy)]
pub struct DependencyMetrics(pub &'static str);

/// When the operation started, in its request's config bag.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl Intercept for DependencyMetrics {
    fn name(&self) -> &'static str {
        "DependencyMetrics"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let seconds = cfg
            .load::<Started>()
            .map_or(0.0, |s| s.0.elapsed().as_secs_f64());
        let operation = cfg
            .load::<Metadata>()
            .map_or_else(|| "unknown".to_string(), |m| m.name().to_string());
        // The service's own answer (a throttle, a condition not met) or none at all.
        let failure = match context.output_or_error() {
            Some(Err(e)) if e.is_operation_error() => Some("service"),
            Some(Err(_)) => Some("transport"),
            _ => None,
        };
        app::api::metrics::dependency_request(self.0, operation, seconds, failure);
        Ok(())
    }
}
