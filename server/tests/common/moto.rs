//! moto (the AWS emulator) for tests: the one the test command started
//! (`SOFTPHONE_TEST_MOTO=http://127.0.0.1:port`), or one started here from the venv that
//! `scripts/setup.sh` installs, stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

pub struct Moto {
    pub endpoint: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn moto() -> Moto {
    if let Ok(endpoint) = std::env::var("SOFTPHONE_TEST_MOTO") {
        return Moto {
            endpoint,
            child: None,
        };
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let bin = std::env::var("MOTO_SERVER")
        .unwrap_or_else(|_| format!("{home}/.cache/softphone/moto/bin/moto_server"));
    assert!(
        std::path::Path::new(&bin).exists(),
        "moto is not installed at {bin}: run scripts/test.sh (it installs moto), or set SOFTPHONE_TEST_MOTO to a running moto_server"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        child: Some(child),
    }
}

/// An S3 client for moto (test credentials, path-style addressing).
#[allow(dead_code)]
pub fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A DynamoDB client for moto (test credentials).
#[allow(dead_code)]
pub fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::new()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A Cognito user-pools client for moto (test credentials).
#[allow(dead_code)]
pub fn cognito_client(endpoint: &str) -> aws_sdk_cognitoidentityprovider::Client {
    use aws_sdk_cognitoidentityprovider::config;
    let config = config::Builder::new()
        .behavior_version(config::BehaviorVersion::latest())
        .region(config::Region::new("us-east-1"))
        .credentials_provider(config::Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(config)
}

/// A user pool as the CloudFormation template makes it (email as the username, the app's
/// password policy, an `admin` group) and a public app client for it.
#[allow(dead_code)]
pub async fn user_pool(endpoint: &str) -> (String, String) {
    use aws_sdk_cognitoidentityprovider::types::{
        PasswordPolicyType, UserPoolPolicyType, UsernameAttributeType, VerifiedAttributeType,
    };
    let client = cognito_client(endpoint);
    let pool = client
        .create_user_pool()
        .pool_name(format!("softphone-test-{}", uuid::Uuid::new_v4()))
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .minimum_length(8)
                        .require_lowercase(true)
                        .require_uppercase(true)
                        .require_numbers(true)
                        .require_symbols(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pool_id = pool.user_pool().unwrap().id().unwrap().to_string();
    let app = app_client(endpoint, &pool_id).await;
    client
        .create_group()
        .user_pool_id(&pool_id)
        .group_name("admin")
        .send()
        .await
        .unwrap();
    (pool_id, app)
}

/// A public app client (no secret) with password and refresh-token sign-in.
#[allow(dead_code)]
pub async fn app_client(endpoint: &str, pool_id: &str) -> String {
    use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType;
    let out = cognito_client(endpoint)
        .create_user_pool_client()
        .user_pool_id(pool_id)
        .client_name("softphone")
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    out.user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_string()
}
