//! Contacts: one item per contact in the owner's partition (listed by name through GSI2) and
//! one per number (GSI1 finds the contact a number belongs to).

use std::collections::HashMap;

use app::api::ports::{ContactQuery, ContactStore, Page, StoreError};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::item::{
    build_error, condition_failed, delete, key, n, put, s, Attrs, Item, ItemBuilder,
};
use super::{user_pk, DynamoStore, Query, NAME_ID_SEPARATOR};
use crate::store::cursor;
use crate::store::search::{name_key, Search};

fn contact_sk(id: &str) -> String {
    format!("CONTACT#{id}")
}

fn number_sk(contact_id: &str, position: usize) -> String {
    format!("NUMBER#{contact_id}#{position:02}")
}

// Hand-written rather than serde: a number's label reads leniently (`NumberLabel::parse`) where
// serde would refuse an unknown one, and a corrupt item names the attribute that is wrong.
fn contact_item(owner: &str, c: &Contact) -> Item {
    let numbers = c
        .numbers
        .iter()
        .map(|number| {
            AttributeValue::M(HashMap::from([
                ("label".to_string(), s(number.label.as_str())),
                ("e164".to_string(), s(&number.e164)),
            ]))
        })
        .collect();
    ItemBuilder::new(user_pk(owner), contact_sk(&c.id), "contact")
        .s("owner", owner)
        .s("id", &c.id)
        .s("name", &c.name)
        .s("company", &c.company)
        .s("notes", &c.notes)
        .set("favourite", AttributeValue::Bool(c.favourite))
        .set("numbers", AttributeValue::L(numbers))
        .n("created_at", c.created_at)
        .n("updated_at", c.updated_at)
        .n("version", c.version)
        .index(
            "GSI2",
            format!("USER#{owner}#CONTACTS"),
            format!("{}{NAME_ID_SEPARATOR}{}", name_key(&c.name), c.id),
        )
        .build()
}

/// One item per number: the number → contact index (favourites first, then by name, as the
/// SQLite store picks).
fn number_items(owner: &str, c: &Contact) -> Vec<Item> {
    c.numbers
        .iter()
        .enumerate()
        .map(|(position, number)| {
            ItemBuilder::new(user_pk(owner), number_sk(&c.id, position), "contact_number")
                .s("contact_id", &c.id)
                .index(
                    "GSI1",
                    format!("USER#{owner}#NUM#{}", number.e164),
                    format!(
                        "{}{}{NAME_ID_SEPARATOR}{}",
                        if c.favourite { '0' } else { '1' },
                        name_key(&c.name),
                        c.id
                    ),
                )
                .build()
        })
        .collect()
}

fn contact_from(item: &Item) -> Result<Contact, StoreError> {
    let a = Attrs::of(item, "contact");
    let numbers = a
        .list("numbers")?
        .iter()
        .map(|v| match v {
            AttributeValue::M(m) => {
                let m = Attrs::of(m, "contact number");
                Ok(ContactNumber {
                    label: NumberLabel::parse(&m.s("label")?),
                    e164: m.s("e164")?,
                })
            }
            _ => Err(a.corrupt("numbers")),
        })
        .collect::<Result<_, _>>()?;
    Ok(Contact {
        id: a.s("id")?,
        name: a.s("name")?,
        company: a.s("company")?,
        notes: a.s("notes")?,
        favourite: a.bool("favourite")?,
        numbers,
        created_at: a.n("created_at")?,
        updated_at: a.n("updated_at")?,
        version: a.n("version")?,
    })
}

impl DynamoStore {
    /// Numbers of the owner's contacts whose name contains `text` (calls are found by the
    /// name of the contact they were with).
    pub(super) async fn numbers_named(
        &self,
        owner: &str,
        text: &str,
    ) -> Result<Vec<String>, StoreError> {
        let q =
            Query::on(Some("GSI2"), "GSI2PK = :pk").value(":pk", format!("USER#{owner}#CONTACTS"));
        let contacts = self
            .collect(&q, usize::MAX, |item| {
                let c = contact_from(item)?;
                Ok(name_key(&c.name).contains(text).then_some(c))
            })
            .await?;
        Ok(contacts
            .into_iter()
            .flat_map(|c| c.numbers.into_iter().map(|n| n.e164))
            .collect())
    }

    /// The id of the contact `e164` belongs to: the first on its index (favourites first,
    /// then by name).
    async fn contact_id_with_number(
        &self,
        owner: &str,
        e164: &str,
    ) -> Result<Option<String>, StoreError> {
        let q = Query::on(Some("GSI1"), "GSI1PK = :pk")
            .value(":pk", format!("USER#{owner}#NUM#{e164}"));
        let mut ids = self
            .collect(&q, 1, |item| {
                Attrs::of(item, "contact number").s("contact_id").map(Some)
            })
            .await?;
        Ok(ids.pop())
    }

    /// A contact write lost to another: `Conflict` if the contact is still there (changed),
    /// `NotFound` if it was deleted meanwhile.
    async fn lost_race(&self, owner: &str, id: &str) -> Result<StoreError, StoreError> {
        Ok(match self.get_contact(owner, id).await? {
            Some(_) => StoreError::Conflict,
            None => StoreError::NotFound,
        })
    }
}

#[async_trait]
impl ContactStore for DynamoStore {
    async fn insert_contact(&self, owner: &str, contact: &Contact) -> Result<(), StoreError> {
        let mut items = vec![put(
            &self.table,
            contact_item(owner, contact),
            Some("attribute_not_exists(PK)"),
        )?];
        for item in number_items(owner, contact) {
            items.push(put(&self.table, item, None)?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => Err(StoreError::AlreadyExists),
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "insert contact cancelled: {reasons:?}"
            ))),
        }
    }

    async fn update_contact(
        &self,
        owner: &str,
        contact: &Contact,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let stored = self
            .get_contact(owner, &contact.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::Conflict);
        }
        // The condition names the version read here, so the numbers removed below are the ones
        // of the contact this update replaces.
        let write = Put::builder()
            .table_name(&self.table)
            .set_item(Some(contact_item(owner, contact)))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().put(write).build()];
        for item in number_items(owner, contact) {
            items.push(put(&self.table, item, None)?);
        }
        for position in contact.numbers.len()..stored.numbers.len() {
            items.push(delete(
                &self.table,
                key(user_pk(owner), number_sk(&contact.id, position)),
            )?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if condition_failed(&reasons, 0) => {
                Err(self.lost_race(owner, &contact.id).await?)
            }
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "update contact cancelled: {reasons:?}"
            ))),
        }
    }

    async fn get_contact(&self, owner: &str, id: &str) -> Result<Option<Contact>, StoreError> {
        self.read(owner, contact_sk(id), contact_from).await
    }

    async fn delete_contact(&self, owner: &str, id: &str) -> Result<Contact, StoreError> {
        let stored = self
            .get_contact(owner, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let contact = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(owner), contact_sk(id))))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(stored.version))
            .build()
            .map_err(build_error)?;
        let mut items = vec![TransactWriteItem::builder().delete(contact).build()];
        for position in 0..stored.numbers.len() {
            items.push(delete(
                &self.table,
                key(user_pk(owner), number_sk(id, position)),
            )?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(stored),
            Err(reasons) if condition_failed(&reasons, 0) => Err(self.lost_race(owner, id).await?),
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "delete contact cancelled: {reasons:?}"
            ))),
        }
    }

    async fn list_contacts(
        &self,
        owner: &str,
        query: &ContactQuery,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, StoreError> {
        let after: Option<(String, String)> = cursor.map(cursor::decode).transpose()?;
        let search = Search::new(&query.search);
        let mut q = Query::on(Some("GSI2"), "GSI2PK = :pk AND GSI2SK > :after")
            .value(":pk", format!("USER#{owner}#CONTACTS"));
        q = match &after {
            Some((name, id)) => q.value(":after", format!("{name}{NAME_ID_SEPARATOR}{id}")),
            // Every sort key is greater than the empty string… which DynamoDB refuses as a
            // value, so start below the first character a name can have.
            None => q.value(":after", NAME_ID_SEPARATOR.to_string()),
        };
        let limit = cursor::page_size(limit);
        let items = self
            .collect(&q, limit + 1, |item| {
                let c = contact_from(item)?;
                Ok(
                    ((!query.favourites_only || c.favourite) && search.matches_contact(&c))
                        .then_some(c),
                )
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
        match self.contact_id_with_number(owner, e164).await? {
            Some(id) => self.get_contact(owner, &id).await,
            None => Ok(None),
        }
    }

    async fn contacts_by_numbers(
        &self,
        owner: &str,
        numbers: &[&str],
    ) -> Result<HashMap<String, Contact>, StoreError> {
        let mut numbers = numbers.to_vec();
        numbers.sort_unstable();
        numbers.dedup();
        // One index query per number (an index is not read in batches), all at once; then one
        // consistent batch read of the contacts they name.
        let mut lookups = tokio::task::JoinSet::new();
        for number in numbers {
            let (store, owner, number) = (self.clone(), owner.to_string(), number.to_string());
            lookups.spawn(async move {
                let id = store.contact_id_with_number(&owner, &number).await;
                (number, id)
            });
        }
        let mut ids = Vec::new();
        while let Some(done) = lookups.join_next().await {
            let (number, id) = done.map_err(|e| StoreError::Unavailable(e.to_string()))?;
            if let Some(id) = id? {
                ids.push((number, id));
            }
        }
        let mut keys: Vec<&str> = ids.iter().map(|(_, id)| id.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let keys = keys
            .into_iter()
            .map(|id| key(user_pk(owner), contact_sk(id)))
            .collect();
        let contacts: HashMap<String, Contact> = self
            .get_many(keys)
            .await?
            .iter()
            .map(|item| contact_from(item).map(|c| (c.id.clone(), c)))
            .collect::<Result<_, _>>()?;
        // A number item left behind by a contact deleted meanwhile names no contact.
        Ok(ids
            .into_iter()
            .filter_map(|(number, id)| Some((number, contacts.get(&id)?.clone())))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let c = Contact {
            id: "c1".into(),
            name: "Ana".into(),
            company: String::new(),
            notes: "n".into(),
            favourite: true,
            numbers: vec![ContactNumber {
                label: NumberLabel::Work,
                e164: "+6561234567".into(),
            }],
            created_at: 1,
            updated_at: 2,
            version: 3,
        };
        assert_eq!(contact_from(&contact_item("o", &c)).unwrap(), c);
        let mut item = contact_item("o", &c);
        item.insert("version".into(), s("three"));
        assert_eq!(
            contact_from(&item),
            Err(StoreError::Unavailable(
                "contact item: missing or bad version".into()
            ))
        );
    }
}
