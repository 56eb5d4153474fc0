//! Contacts: a row per contact and a row per number (kept in order).

use std::collections::HashMap;

use app::api::ports::{ContactQuery, ContactStore, Page, StoreError};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{insert_error, like_pattern, matched_a_row, placeholders, unavailable, SqliteStore};
use crate::store::cursor;
use crate::store::search::{name_key, number_digits};

/// A contact row (`SELECT *` of `contacts`) with its numbers.
fn contact_from_row(row: &SqliteRow, numbers: Vec<ContactNumber>) -> Contact {
    Contact {
        numbers,
        id: row.get("id"),
        name: row.get("name"),
        company: row.get("company"),
        notes: row.get("notes"),
        favourite: row.get::<i64, _>("favourite") != 0,
        created_at: row.get::<i64, _>("created_at") as u64,
        updated_at: row.get::<i64, _>("updated_at") as u64,
        version: row.get::<i64, _>("version") as u64,
    }
}

impl SqliteStore {
    /// The numbers of each of `ids`, in order, in one query (a page of contacts is not one
    /// query per contact).
    async fn numbers_of(
        &self,
        owner: &str,
        ids: &[&str],
    ) -> Result<HashMap<String, Vec<ContactNumber>>, StoreError> {
        let mut numbers: HashMap<String, Vec<ContactNumber>> = HashMap::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(numbers);
        }
        let sql = format!(
            "SELECT contact_id, label, e164 FROM contact_numbers WHERE owner = ? AND contact_id IN ({}) ORDER BY contact_id, position",
            placeholders(ids.len())
        );
        let mut q = sqlx::query(&sql).bind(owner);
        for id in ids {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(unavailable)?;
        for r in &rows {
            numbers
                .entry(r.get("contact_id"))
                .or_default()
                .push(ContactNumber {
                    label: NumberLabel::parse(r.get::<&str, _>("label")),
                    e164: r.get("e164"),
                });
        }
        Ok(numbers)
    }

    /// Contact rows with their numbers, in the rows' order.
    async fn contacts_from_rows(
        &self,
        owner: &str,
        rows: &[SqliteRow],
    ) -> Result<Vec<Contact>, StoreError> {
        let ids: Vec<&str> = rows.iter().map(|r| r.get::<&str, _>("id")).collect();
        // A contact may be in `rows` more than once (one row per number it was found by).
        let numbers = self.numbers_of(owner, &ids).await?;
        Ok(rows
            .iter()
            .map(|row| {
                let id: &str = row.get("id");
                contact_from_row(row, numbers.get(id).cloned().unwrap_or_default())
            })
            .collect())
    }

    async fn write_numbers(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        owner: &str,
        contact: &Contact,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM contact_numbers WHERE owner = ? AND contact_id = ?")
            .bind(owner)
            .bind(&contact.id)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        for (position, number) in contact.numbers.iter().enumerate() {
            sqlx::query("INSERT INTO contact_numbers (owner, contact_id, position, label, e164) VALUES (?, ?, ?, ?, ?)")
                .bind(owner)
                .bind(&contact.id)
                .bind(position as i64)
                .bind(number.label.as_str())
                .bind(&number.e164)
                .execute(&mut **tx)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn insert_contact(&self, owner: &str, c: &Contact) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query(
            "INSERT INTO contacts (owner, id, name, name_key, company, notes, favourite, created_at, updated_at, version)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(owner)
        .bind(&c.id)
        .bind(&c.name)
        .bind(name_key(&c.name))
        .bind(&c.company)
        .bind(&c.notes)
        .bind(c.favourite as i64)
        .bind(c.created_at as i64)
        .bind(c.updated_at as i64)
        .bind(c.version as i64)
        .execute(&mut *tx)
        .await
        .map_err(insert_error)?;
        Self::write_numbers(&mut tx, owner, c).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn update_contact(
        &self,
        owner: &str,
        c: &Contact,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let done = sqlx::query(
            "UPDATE contacts SET name = ?, name_key = ?, company = ?, notes = ?, favourite = ?, updated_at = ?, version = ?
             WHERE owner = ? AND id = ? AND version = ?",
        )
        .bind(&c.name)
        .bind(name_key(&c.name))
        .bind(&c.company)
        .bind(&c.notes)
        .bind(c.favourite as i64)
        .bind(c.updated_at as i64)
        .bind(c.version as i64)
        .bind(owner)
        .bind(&c.id)
        .bind(expected_version as i64)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT version FROM contacts WHERE owner = ? AND id = ?")
                    .bind(owner)
                    .bind(&c.id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            return Err(if exists.is_some() {
                StoreError::Conflict
            } else {
                StoreError::NotFound
            });
        }
        Self::write_numbers(&mut tx, owner, c).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn get_contact(&self, owner: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        let row = sqlx::query("SELECT * FROM contacts WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        match row {
            Some(row) => Ok(self
                .contacts_from_rows(owner, std::slice::from_ref(&row))
                .await?
                .pop()),
            None => Ok(None),
        }
    }

    async fn delete_contact(&self, owner: &str, id: &str) -> Result<Contact, StoreError> {
        let contact = self
            .get_contact(owner, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let done = sqlx::query("DELETE FROM contacts WHERE owner = ? AND id = ?")
            .bind(owner)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        matched_a_row(&done)?;
        Ok(contact)
    }

    async fn list_contacts(
        &self,
        owner: &str,
        query: &ContactQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, StoreError> {
        let after: Option<(String, String)> = cursor.map(cursor::decode).transpose()?;
        let search = query.search.trim().to_lowercase();
        let digits = number_digits(&search);
        let mut sql = String::from("SELECT * FROM contacts c WHERE c.owner = ?");
        if query.favourites_only {
            sql.push_str(" AND c.favourite = 1");
        }
        if !search.is_empty() {
            sql.push_str(
                " AND (c.name_key LIKE ? ESCAPE '\\' OR lower(c.company) LIKE ? ESCAPE '\\'",
            );
            if !digits.is_empty() {
                sql.push_str(
                    " OR EXISTS (SELECT 1 FROM contact_numbers n WHERE n.owner = c.owner AND n.contact_id = c.id AND n.e164 LIKE ?)",
                );
            }
            sql.push(')');
        }
        if after.is_some() {
            sql.push_str(" AND (c.name_key > ? OR (c.name_key = ? AND c.id > ?))");
        }
        sql.push_str(" ORDER BY c.name_key, c.id LIMIT ?");
        let mut q = sqlx::query(&sql).bind(owner);
        if !search.is_empty() {
            let pattern = like_pattern(&search);
            q = q.bind(pattern.clone()).bind(pattern);
            if !digits.is_empty() {
                q = q.bind(format!("%{digits}%"));
            }
        }
        if let Some((key, id)) = &after {
            q = q.bind(key.clone()).bind(key.clone()).bind(id.clone());
        }
        let limit = cursor::page_size(limit);
        let rows = q
            .bind((limit + 1) as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let items = self
            .contacts_from_rows(owner, &rows[..rows.len().min(limit)])
            .await?;
        let next = (rows.len() > limit)
            .then(|| {
                items
                    .last()
                    .map(|c: &Contact| cursor::encode(&(name_key(&c.name), c.id.clone())))
            })
            .flatten();
        Ok(Page { items, next })
    }

    async fn contact_by_number(
        &self,
        owner: &str,
        e164: &str,
    ) -> Result<Option<Contact>, StoreError> {
        Ok(self.contacts_by_numbers(owner, &[e164]).await?.remove(e164))
    }

    async fn contacts_by_numbers(
        &self,
        owner: &str,
        numbers: &[&str],
    ) -> Result<HashMap<String, Contact>, StoreError> {
        let mut numbers = numbers.to_vec();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.is_empty() {
            return Ok(HashMap::new());
        }
        // Every contact with one of the numbers, the one each number shows first; the rest
        // (a number shared by several contacts) are skipped below.
        let sql = format!(
            "SELECT n.e164 AS number, c.* FROM contact_numbers n JOIN contacts c ON c.owner = n.owner AND c.id = n.contact_id
             WHERE n.owner = ? AND n.e164 IN ({}) ORDER BY n.e164, c.favourite DESC, c.name_key, c.id",
            placeholders(numbers.len())
        );
        let mut q = sqlx::query(&sql).bind(owner);
        for number in &numbers {
            q = q.bind(*number);
        }
        let mut rows = q.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.dedup_by(|later, first| {
            later.get::<&str, _>("number") == first.get::<&str, _>("number")
        });
        let contacts = self.contacts_from_rows(owner, &rows).await?;
        Ok(rows
            .iter()
            .map(|r| r.get::<String, _>("number"))
            .zip(contacts)
            .collect())
    }
}
