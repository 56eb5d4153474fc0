//! The table: `create-table` (keys, indexes, time to live) and the start-up check that the
//! configured table is a softphone table.

use std::time::Duration;

use app::api::ports::StoreError;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use super::item::{build_error, sdk_error};
use super::{DynamoStore, INDEXES, TTL_ATTRIBUTE};

/// What `create-table` did.
#[derive(Debug, PartialEq, Eq)]
pub enum TableSetup {
    Created,
    /// The table was there with the expected keys and indexes.
    AlreadyThere,
}

impl DynamoStore {
    /// Creates the table, its indexes and time to live, and waits until it is active. An
    /// existing table is accepted if its keys and indexes are the expected ones.
    pub async fn create_table(&self) -> Result<TableSetup, StoreError> {
        let string_key = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)
        };
        let key_element = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(build_error)
        };
        let mut request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element("PK", KeyType::Hash)?)
            .key_schema(key_element("SK", KeyType::Range)?)
            .attribute_definitions(string_key("PK")?)
            .attribute_definitions(string_key("SK")?);
        for index in INDEXES {
            let (pk, sk) = (format!("{index}PK"), format!("{index}SK"));
            request = request
                .attribute_definitions(string_key(&pk)?)
                .attribute_definitions(string_key(&sk)?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(index)
                        .key_schema(key_element(&pk, KeyType::Hash)?)
                        .key_schema(key_element(&sk, KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(build_error)?,
                );
        }
        let setup = match request.send().await {
            Ok(_) => TableSetup::Created,
            Err(e) if e.code() == Some("ResourceInUseException") => {
                self.check_table().await?;
                TableSetup::AlreadyThere
            }
            Err(e) => return Err(sdk_error("CreateTable", e)),
        };
        self.wait_active().await?;
        self.enable_ttl().await?;
        Ok(setup)
    }

    async fn wait_active(&self) -> Result<(), StoreError> {
        for _ in 0..300 {
            let out = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| sdk_error("DescribeTable", e))?;
            let table = out.table();
            let indexes_ready = table
                .map(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
                })
                .unwrap_or(false);
            if table.and_then(|t| t.table_status()) == Some(&TableStatus::Active) && indexes_ready {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(StoreError::Unavailable(format!(
            "table {} did not become active within 5 minutes",
            self.table
        )))
    }

    async fn enable_ttl(&self) -> Result<(), StoreError> {
        let out = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| sdk_error("DescribeTimeToLive", e))?;
        let current = out.time_to_live_description();
        let enabled = current.and_then(|d| d.attribute_name()) == Some(TTL_ATTRIBUTE)
            && current
                .and_then(|d| d.time_to_live_status())
                .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"));
        if enabled {
            return Ok(());
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        Ok(())
    }

    /// Checks the table exists with this store's keys and indexes (at start-up, so a wrong
    /// table name or a table made for something else shows at once).
    pub async fn check_table(&self) -> Result<(), StoreError> {
        let out = match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                return Err(StoreError::Unavailable(format!(
                    "table {} does not exist: create it with `server dynamodb create-table` (or the CloudFormation template)",
                    self.table
                )))
            }
            Err(e) => return Err(sdk_error("DescribeTable", e)),
        };
        let table = out.table().ok_or_else(|| {
            StoreError::Unavailable(format!("table {}: no description", self.table))
        })?;
        let keys = |schema: &[KeySchemaElement]| {
            schema
                .iter()
                .map(|k| format!("{}:{}", k.attribute_name(), k.key_type().as_str()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut problems = Vec::new();
        if keys(table.key_schema()) != "PK:HASH,SK:RANGE" {
            problems.push(format!(
                "key schema is {}, expected PK:HASH,SK:RANGE",
                keys(table.key_schema())
            ));
        }
        for index in INDEXES {
            let expected = format!("{index}PK:HASH,{index}SK:RANGE");
            match table
                .global_secondary_indexes()
                .iter()
                .find(|i| i.index_name() == Some(index))
            {
                None => problems.push(format!("index {index} is missing")),
                Some(i) if keys(i.key_schema()) != expected => problems.push(format!(
                    "index {index} keys are {}, expected {expected}",
                    keys(i.key_schema())
                )),
                Some(i)
                    if i.projection().and_then(|p| p.projection_type())
                        != Some(&ProjectionType::All) =>
                {
                    problems.push(format!("index {index} must project ALL attributes"))
                }
                Some(_) => {}
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!(
                "table {} is not a softphone table: {}",
                self.table,
                problems.join("; ")
            )))
        }
    }
}
