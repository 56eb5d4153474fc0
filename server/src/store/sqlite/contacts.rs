//! Contacts: a row per contact and a row per number (kept in order).

use std::collections::HashMap;

use app::api::ports::{ContactQuery, ContactStore, Page, StoreError};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, Row};

use super::{
    all_rows, execute, insert, like_pattern, matched_a_row, optional_row, placeholders, SqliteStore,
};
use crate::store::cursor;
use crate::store::search::{name_key, number_digits};

/// The shortest search the trigram index answers (`contact_search`, migration 0006); a shorter
/// one walks the owner's contacts.
const MIN_INDEXED_SEARCH: usize = 3;

/// An FTS5 query for `search` (lower case) in a contact's name or company, or for `digits` (when
/// the search is a number) in its numbers: each a phrase, so matched as a substring.
fn search_expression(search: &str, digits: &str) -> String {
    let phrase = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let text = format!("{{name company}} : {}", phrase(search));
    if digits.is_empty() {
        text
    } else {
        format!("({text}) OR (numbers : {})", phrase(digits))
    }
}

/// The columns [`contact_from_row`] reads, in its order, of `contacts` named `c`. Read by
/// position: rusqlite's look-up by name compares every column's name on each `get`, which was
/// half the cost of reading a 51-contact page (docs/bench.md, "API under load").
const CONTACT_COLUMNS: &str =
    "c.id, c.name, c.company, c.notes, c.favourite, c.created_at, c.updated_at, c.version";
/// How many columns [`CONTACT_COLUMNS`] lists: a query's own columns come after them.
const CONTACT_COLUMN_COUNT: usize = 8;

/// A contact row ([`CONTACT_COLUMNS`] first), its numbers still to be read.
fn contact_from_row(row: &Row<'_>) -> rusqlite::Result<Contact> {
    Ok(Contact {
        numbers: Vec::new(),
        id: row.get(0)?,
        name: row.get(1)?,
        company: row.get(2)?,
        notes: row.get(3)?,
        favourite: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
        version: row.get(7)?,
    })
}

/// Fills in the numbers of `contacts`, in order, with one query (a page of contacts is not one
/// query per contact). A contact may be in `contacts` more than once.
fn with_numbers(c: &Connection, owner: &str, contacts: &mut [Contact]) -> Result<(), StoreError> {
    if contacts.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT contact_id, label, e164 FROM contact_numbers WHERE owner = ? AND contact_id IN ({}) ORDER BY contact_id, position",
        placeholders(contacts.len())
    );
    let ids = contacts.iter().map(|contact| contact.id.as_str());
    let rows = all_rows(
        c,
        &sql,
        params_from_iter(std::iter::once(owner).chain(ids)),
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                ContactNumber {
                    label: NumberLabel::parse(r.get_ref(1)?.as_str()?),
                    e164: r.get(2)?,
                },
            ))
        },
    )?;
    let mut numbers: HashMap<String, Vec<ContactNumber>> = HashMap::with_capacity(contacts.len());
    for (id, number) in rows {
        numbers.entry(id).or_default().push(number);
    }
    for contact in contacts {
        if let Some(list) = numbers.get(&contact.id) {
            contact.numbers = list.clone();
        }
    }
    Ok(())
}

fn write_numbers(c: &Connection, owner: &str, contact: &Contact) -> Result<(), StoreError> {
    execute(
        c,
        "DELETE FROM contact_numbers WHERE owner = ? AND contact_id = ?",
        [owner, &contact.id],
    )?;
    for (position, number) in contact.numbers.iter().enumerate() {
        execute(
            c,
            "INSERT INTO contact_numbers (owner, contact_id, position, label, e164) VALUES (?, ?, ?, ?, ?)",
            params![owner, contact.id, position, number.label.as_str(), number.e164],
        )?;
    }
    Ok(())
}

fn get_contact(c: &Connection, owner: &str, id: &str) -> Result<Option<Contact>, StoreError> {
    let contact = optional_row(
        c,
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.owner = ? AND c.id = ?"),
        [owner, id],
        contact_from_row,
    )?;
    let mut found: Vec<Contact> = contact.into_iter().collect();
    with_numbers(c, owner, &mut found)?;
    Ok(found.pop())
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn insert_contact(&self, owner: &str, c: &Contact) -> Result<(), StoreError> {
        let (owner, contact) = (owner.to_owned(), c.clone());
        self.write(move |tx| {
            insert(
                tx,
                "INSERT INTO contacts (owner, id, name, name_key, company, notes, favourite, created_at, updated_at, version)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    owner,
                    contact.id,
                    contact.name,
                    name_key(&contact.name),
                    contact.company,
                    contact.notes,
                    contact.favourite,
                    contact.created_at,
                    contact.updated_at,
                    contact.version,
                ],
            )?;
            write_numbers(tx, &owner, &contact)
        })
        .await
    }

    async fn update_contact(
        &self,
        owner: &str,
        c: &Contact,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let (owner, contact) = (owner.to_owned(), c.clone());
        self.write(move |tx| {
            let changed = execute(
                tx,
                "UPDATE contacts SET name = ?, name_key = ?, company = ?, notes = ?, favourite = ?, updated_at = ?, version = ?
                 WHERE owner = ? AND id = ? AND version = ?",
                params![
                    contact.name,
                    name_key(&contact.name),
                    contact.company,
                    contact.notes,
                    contact.favourite,
                    contact.updated_at,
                    contact.version,
                    owner,
                    contact.id,
                    expected_version,
                ],
            )?;
            if changed == 0 {
                let exists = optional_row(
                    tx,
                    "SELECT version FROM contacts WHERE owner = ? AND id = ?",
                    [&owner, &contact.id],
                    |r| r.get::<_, i64>(0),
                )?;
                return Err(if exists.is_some() {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound
                });
            }
            write_numbers(tx, &owner, &contact)
        })
        .await
    }

    async fn get_contact(&self, owner: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.read(move |c| get_contact(c, &owner, &id)).await
    }

    async fn delete_contact(&self, owner: &str, id: &str) -> Result<Contact, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.write(move |tx| {
            let contact = get_contact(tx, &owner, &id)?.ok_or(StoreError::NotFound)?;
            matched_a_row(execute(
                tx,
                "DELETE FROM contacts WHERE owner = ? AND id = ?",
                [&owner, &id],
            )?)?;
            Ok(contact)
        })
        .await
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
        let indexed = search.chars().count() >= MIN_INDEXED_SEARCH;
        let mut values = Vec::with_capacity(8);
        let mut sql = if indexed {
            // The matches first (the trigram index), then their rows by rowid: a rare term
            // costs its few matches instead of a walk over every contact. The index's own
            // owner and id columns are not read here (each would cost a look-up per match);
            // the store checks them when it opens.
            values.push(Value::Text(search_expression(&search, &digits)));
            String::from(
                "SELECT c.rowid FROM contact_search s CROSS JOIN contacts c ON c.rowid = s.rowid
                 WHERE contact_search MATCH ? AND c.owner = ?",
            )
        } else {
            format!("SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.owner = ?")
        };
        values.push(Value::Text(owner.to_owned()));
        if query.favourites_only {
            sql.push_str(" AND c.favourite = 1");
        }
        if !indexed && !search.is_empty() {
            sql.push_str(
                " AND (c.name_key LIKE ? ESCAPE '\\' OR lower(c.company) LIKE ? ESCAPE '\\'",
            );
            let pattern = like_pattern(&search);
            values.extend([Value::Text(pattern.clone()), Value::Text(pattern)]);
            if !digits.is_empty() {
                sql.push_str(
                    " OR EXISTS (SELECT 1 FROM contact_numbers n WHERE n.owner = c.owner AND n.contact_id = c.id AND n.e164 LIKE ?)",
                );
                values.push(Value::Text(format!("%{digits}%")));
            }
            sql.push(')');
        }
        if let Some((key, id)) = after {
            sql.push_str(" AND (c.name_key > ? OR (c.name_key = ? AND c.id > ?))");
            values.extend([Value::Text(key.clone()), Value::Text(key), Value::Text(id)]);
        }
        sql.push_str(" ORDER BY c.name_key, c.id LIMIT ?");
        if indexed {
            // The matches are sorted by their key alone and only the page's rows are read
            // whole: a common term ("tan": 599 of 10 000) otherwise decodes every match.
            sql = format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.rowid IN ({sql}) ORDER BY c.name_key, c.id"
            );
        }
        let limit = cursor::page_size(limit);
        values.push(Value::Integer(limit as i64 + 1));
        let owner = owner.to_owned();
        let items = self
            .read(move |c| {
                let mut items = all_rows(c, &sql, params_from_iter(values), contact_from_row)?;
                let shown = items.len().min(limit);
                with_numbers(c, &owner, &mut items[..shown])?;
                Ok(items)
            })
            .await?;
        Ok(cursor::page(items, limit, |c| {
            (name_key(&c.name), c.id.clone())
        }))
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
        let mut numbers: Vec<String> = numbers.iter().map(|n| (*n).to_owned()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.is_empty() {
            return Ok(HashMap::new());
        }
        // Every contact with one of the numbers, the one each number shows first; the rest
        // (a number shared by several contacts) are skipped below.
        let sql = format!(
            "SELECT {CONTACT_COLUMNS}, n.e164 FROM contact_numbers n JOIN contacts c ON c.owner = n.owner AND c.id = n.contact_id
             WHERE n.owner = ? AND n.e164 IN ({}) ORDER BY n.e164, c.favourite DESC, c.name_key, c.id",
            placeholders(numbers.len())
        );
        let owner = owner.to_owned();
        self.read(move |c| {
            let mut rows = all_rows(
                c,
                &sql,
                params_from_iter(std::iter::once(&owner).chain(&numbers)),
                |r| {
                    Ok((
                        r.get::<_, String>(CONTACT_COLUMN_COUNT)?,
                        contact_from_row(r)?,
                    ))
                },
            )?;
            rows.dedup_by(|later, first| later.0 == first.0);
            let (found, mut contacts): (Vec<String>, Vec<Contact>) = rows.into_iter().unzip();
            with_numbers(c, &owner, &mut contacts)?;
            Ok(found.into_iter().zip(contacts).collect())
        })
        .await
    }
}
