//! The analytics export: a period's rollup rows, as the store keeps them (docs/analytics.md).

use super::{Filter, Rollup, ANSWERED, CALLS, MOS_MILLI, PDD_CALLS, PDD_MS, RATED};
use super::{TALK_MS, WARNED};
use crate::domain::csv::field;

/// The counters each row gives, in the columns' order (a row's missing counter is `0`).
const COUNTERS: [&str; 8] = [
    CALLS, ANSWERED, TALK_MS, PDD_CALLS, PDD_MS, RATED, MOS_MILLI, WARNED,
];

/// The rows `filter` keeps, one line each in the key's order:
/// `day,agent,email,direction,country,number_type,measure,calls,answered,talk_ms,pdd_calls,
/// pdd_ms,rated,mos_milli,warned`. `email` is the agent's where `emails` has it. Summing a
/// column over the `measure` a page figure counts gives that figure (calls over end reasons,
/// MOS over `quality`).
pub fn write_csv(rows: &[Rollup], filter: &Filter, emails: &[(String, String)]) -> String {
    let mut kept: Vec<&Rollup> = rows.iter().filter(|(k, _)| filter.keeps(k)).collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from("day,agent,email,direction,country,number_type,measure");
    for name in COUNTERS {
        out.push(',');
        out.push_str(name);
    }
    out.push_str("\r\n");
    for (key, counters) in kept {
        let email = emails
            .iter()
            .find(|(sub, _)| *sub == key.agent)
            .map_or("", |(_, e)| e.as_str());
        let fields = [
            key.day.as_str(),
            key.agent.as_str(),
            email,
            key.direction.as_str(),
            key.country.as_str(),
            key.number_type.as_str(),
            key.measure.as_str(),
        ];
        let fields = fields.into_iter().map(field).collect::<Vec<_>>();
        out.push_str(&fields.join(","));
        for name in COUNTERS {
            out.push(',');
            out.push_str(&counters.get(name).copied().unwrap_or(0).to_string());
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{add, ended, quality, report, Measure};
    use super::*;
    use crate::domain::calls::{CallRecord, EndReason};
    use crate::domain::quality::Summary;

    /// Whether a row counts calls (an end reason) rather than their quality.
    fn counts_calls(measure: &str) -> bool {
        Measure::parse(measure).is_some_and(|m| m != Measure::Quality)
    }

    #[test]
    fn the_export_sums_to_the_report() {
        let mut rows = BTreeMap::new();
        let at = 1_796_563_800_000;
        for (owner, e164, reason) in [
            ("u1", "+6581234567", EndReason::Completed),
            ("u1", "+50761234567", EndReason::Busy),
            ("u2", "+6561234567", EndReason::Completed),
        ] {
            let mut c = CallRecord::outbound("c".into(), e164.into(), at);
            c.ringing_at = Some(at + 1_000);
            if reason == EndReason::Completed {
                c.answered_at = Some(at + 2_000);
            }
            (c.ended_at, c.end_reason) = (Some(at + 10_000), Some(reason));
            add(&mut rows, ended(owner, &c).expect("ended"));
            let summary = Summary {
                rated: 1,
                mos_sum: 4.2,
                ..Summary::default()
            };
            add(&mut rows, quality(owner, &c, &summary));
        }
        let rows: Vec<Rollup> = rows.into_iter().collect();
        let filter = Filter {
            agent: Some("u1".into()),
            country: None,
        };
        let emails = [("u1".to_string(), "=ana@example.com".to_string())];
        let text = write_csv(&rows, &filter, &emails);
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines[0],
            "day,agent,email,direction,country,number_type,measure,calls,answered,talk_ms,\
             pdd_calls,pdd_ms,rated,mos_milli,warned"
        );
        // u1's two calls, each with its quality row; u2's are not kept.
        assert_eq!(lines.len(), 1 + 4);
        assert!(lines[1..]
            .iter()
            .all(|l| l.contains(",u1,'=ana@example.com,")));
        let r = report(&rows, &filter);
        let column = |name: &str, calls: bool| -> u64 {
            let i = lines[0].split(',').position(|c| c == name).expect(name);
            lines[1..]
                .iter()
                .map(|l| l.split(',').collect::<Vec<_>>())
                .filter(|f| counts_calls(f[6]) == calls)
                .map(|f| f[i].parse::<u64>().expect("a count"))
                .sum()
        };
        assert_eq!(column("calls", true), r.total.calls);
        assert_eq!(column("answered", true), r.total.answered);
        assert_eq!(column("talk_ms", true), r.total.talk_ms);
        assert_eq!(column("rated", false), r.mos.count);
        assert_eq!(column("mos_milli", false), r.mos.sum);
    }
}
