//! A chime-sdk-voice client answered by aws-smithy-mocks rules (any rule may answer any
//! request it matches): test credentials, us-east-1, no retries (a canned throttling error is
//! answered once). Shared by the control-plane and provisioning tests.

use aws_sdk_chimesdkvoice as voice;
use aws_smithy_mocks::{create_mock_http_client, MockResponseInterceptor, Rule, RuleMode};

pub fn mocked_voice_client<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> voice::Client {
    let interceptor = rules.into_iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, rule| i.with_rule(rule),
    );
    let config = voice::Config::builder()
        .behavior_version(voice::config::BehaviorVersion::latest())
        .region(voice::config::Region::new("us-east-1"))
        .credentials_provider(voice::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .retry_config(voice::config::retry::RetryConfig::disabled())
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    voice::Client::from_conf(config)
}
