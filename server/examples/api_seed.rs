//! Seeds one user's contacts and call log for the API benchmark (`scripts/bench/api.sh`),
//! through the store port, so the same data lands in SQLite or DynamoDB as the server itself
//! would write it. The user must exist already (the benchmark signs up through the server and
//! passes its `sub`).
//!
//! ```sh
//! cargo run -p server --example api_seed -- --owner <sub> --sqlite data/softphone.sqlite3
//! cargo run -p server --example api_seed -- --owner <sub> --dynamodb <table>
//! ```
//!
//! Deterministic: the same counts give the same contacts and calls (ids included), so runs
//! compare. About 60 % of the calls are with a number of a contact, as in a real log.

use std::sync::Arc;
use std::time::Instant;

use app::api::ports::Store;
use app::domain::calls::{CallRecord, Direction, EndReason};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Seed a user's contacts and calls for the API benchmark")]
struct Args {
    /// The user's `sub` (GET /api/v1/me)
    #[arg(long)]
    owner: String,
    /// The SQLite database file (the server's `<data dir>/softphone.sqlite3`)
    #[arg(
        long,
        conflicts_with = "dynamodb",
        required_unless_present = "dynamodb"
    )]
    sqlite: Option<std::path::PathBuf>,
    /// The DynamoDB table (endpoint and credentials from the AWS environment)
    #[arg(long)]
    dynamodb: Option<String>,
    #[arg(long, default_value_t = 10_000)]
    contacts: usize,
    #[arg(long, default_value_t = 100_000)]
    calls: usize,
    /// Writes in flight at once
    #[arg(long, default_value_t = 16)]
    parallel: usize,
}

const FIRST: [&str; 32] = [
    "Ana",
    "Luis",
    "María",
    "José",
    "Carmen",
    "Jorge",
    "Lucía",
    "Pedro",
    "Wei",
    "Mei",
    "Jun",
    "Hui Min",
    "Siti",
    "Ahmad",
    "Priya",
    "Arjun",
    "Daniel",
    "Sofía",
    "Diego",
    "Valentina",
    "Chen",
    "Li Na",
    "Kumar",
    "Aisha",
    "Gabriel",
    "Isabel",
    "Tan",
    "Lim",
    "Rosa",
    "Miguel",
    "Elena",
    "Raj",
];
const LAST: [&str; 32] = [
    "García",
    "Rodríguez",
    "Pérez",
    "González",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Tan",
    "Lim",
    "Lee",
    "Ng",
    "Wong",
    "Goh",
    "Chua",
    "Ong",
    "Koh",
    "Teo",
    "Nair",
    "Pillai",
    "Rahman",
    "Abdullah",
    "Castillo",
    "Herrera",
    "Morales",
    "Ortiz",
    "Vargas",
    "Méndez",
    "Chong",
    "Yeo",
    "Ho",
    "Low",
];
const COMPANIES: [&str; 8] = [
    "",
    "",
    "",
    "Banco General",
    "Copa Airlines",
    "DBS Bank",
    "Singtel",
    "Canal de Panamá",
];
const ENDS: [EndReason; 6] = [
    EndReason::Completed,
    EndReason::Completed,
    EndReason::NoAnswer,
    EndReason::Busy,
    EndReason::Cancelled,
    EndReason::Failed,
];

/// splitmix64: a fixed sequence from a seed, so every run seeds the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn uuid(&mut self) -> String {
        uuid::Uuid::from_u64_pair(self.next(), self.next()).to_string()
    }
}

/// A mobile number: Singapore (+65 8/9…) or Panama (+507 6…).
fn number(rng: &mut Rng) -> String {
    let tail = rng.next() % 10_000_000;
    if rng.below(2) == 0 {
        format!("+65{}{tail:07}", 8 + rng.below(2))
    } else {
        format!("+5076{tail:07}")
    }
}

fn contact(i: usize, rng: &mut Rng, now: u64) -> Contact {
    let numbers = (0..1 + rng.below(3))
        .map(|k| ContactNumber {
            label: NumberLabel::ALL[k % NumberLabel::ALL.len()],
            e164: number(rng),
        })
        .collect();
    let created_at = now - (i as u64) * 60_000;
    Contact {
        id: rng.uuid(),
        name: format!(
            "{} {}",
            FIRST[rng.below(FIRST.len())],
            LAST[rng.below(LAST.len())]
        ),
        company: COMPANIES[rng.below(COMPANIES.len())].to_string(),
        notes: String::new(),
        favourite: rng.below(20) == 0,
        numbers,
        created_at,
        updated_at: created_at,
        version: 1,
    }
}

fn call(i: usize, rng: &mut Rng, now: u64, known: &[String]) -> CallRecord {
    // One call every ten minutes or so, going back in time.
    let started_at = now - (i as u64) * 600_000 - rng.below(300_000) as u64;
    let e164 = if rng.below(10) < 6 && !known.is_empty() {
        known[rng.below(known.len())].clone()
    } else {
        number(rng)
    };
    let reason = ENDS[rng.below(ENDS.len())];
    let ringing_at = started_at + 2_000;
    let answered_at = (reason == EndReason::Completed).then_some(ringing_at + 5_000);
    let ended_at = answered_at.unwrap_or(ringing_at) + rng.below(600_000) as u64;
    CallRecord {
        id: rng.uuid(),
        direction: if rng.below(4) == 0 {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        e164,
        started_at,
        ringing_at: Some(ringing_at),
        answered_at,
        ended_at: Some(ended_at),
        end_reason: Some(reason),
        hangup_by: Some(if rng.below(2) == 0 { "agent" } else { "remote" }.into()),
        sip_cause: None,
        recording_id: None,
        provider_call_id: None,
        server: None,
        transferred_to: None,
        transferred_from: None,
    }
}

/// Runs `write(i)` for `i` in `0..count`, `parallel` at a time; stops at the first error.
async fn write_all<F, Fut>(count: usize, parallel: usize, write: F) -> Result<(), String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    for i in 0..count {
        if running.len() >= parallel {
            if let Some(done) = running.join_next().await {
                done.map_err(|e| e.to_string())??;
            }
        }
        running.spawn(write(i));
    }
    while let Some(done) = running.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let store: Arc<dyn Store> = match (&args.sqlite, &args.dynamodb) {
        (Some(path), _) => Arc::new(
            server::store::SqliteStore::open(path)
                .await
                .map_err(|e| e.to_string())?,
        ),
        (None, Some(table)) => Arc::new(server::store::DynamoStore::connect(table).await),
        (None, None) => return Err("--sqlite or --dynamodb".into()),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as u64;
    let mut rng = Rng(14);
    let contacts: Arc<Vec<Contact>> = Arc::new(
        (0..args.contacts)
            .map(|i| contact(i, &mut rng, now))
            .collect(),
    );
    let known: Vec<String> = contacts
        .iter()
        .flat_map(|c| c.numbers.iter().map(|n| n.e164.clone()))
        .collect();
    let calls: Arc<Vec<CallRecord>> = Arc::new(
        (0..args.calls)
            .map(|i| call(i, &mut rng, now, &known))
            .collect(),
    );
    let owner: Arc<str> = args.owner.into();

    let started = Instant::now();
    write_all(contacts.len(), args.parallel, |i| {
        let (store, owner, contacts) = (store.clone(), owner.clone(), contacts.clone());
        async move {
            store
                .insert_contact(&owner, &contacts[i])
                .await
                .map_err(|e| format!("contact {i}: {e}"))
        }
    })
    .await?;
    eprintln!(
        "{} contacts in {:.1} s",
        contacts.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    write_all(calls.len(), args.parallel, |i| {
        let (store, owner, calls) = (store.clone(), owner.clone(), calls.clone());
        async move {
            store
                .insert_call(&owner, &calls[i])
                .await
                .map_err(|e| format!("call {i}: {e}"))
        }
    })
    .await?;
    eprintln!(
        "{} calls in {:.1} s",
        calls.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
