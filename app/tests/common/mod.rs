//! A call driven by a simulated clock, for the call scenarios.

#![allow(dead_code)]

use app::domain::call::{Call, CallLimits, CallState, Input, Output, TrunkEvent};

pub const T0: u64 = 1_700_000_000_000;

pub struct Scenario {
    pub call: Call,
    pub now: u64,
    pub log: Vec<Output>,
}

impl Scenario {
    pub fn new() -> Self {
        Self::with_limits(CallLimits::default())
    }

    pub fn with_limits(limits: CallLimits) -> Self {
        Scenario {
            call: Call::new(limits),
            now: T0,
            log: Vec::new(),
        }
    }

    /// Feeds an input at the current time and returns what it produced.
    pub fn input(&mut self, input: Input) -> Vec<Output> {
        self.call.handle(input, self.now);
        let out = self.call.poll_outputs();
        self.log.extend(out.iter().cloned());
        out
    }

    pub fn trunk(&mut self, event: TrunkEvent) -> Vec<Output> {
        self.input(Input::Trunk(event))
    }

    /// Advances the clock by `ms`, ticking at every deadline passed on the way, as a real
    /// driver would.
    pub fn advance(&mut self, ms: u64) -> Vec<Output> {
        let end = self.now + ms;
        let mut out = Vec::new();
        while let Some(deadline) = self.call.next_deadline().filter(|&d| d <= end) {
            self.now = deadline.max(self.now);
            out.extend(self.input(Input::Tick));
        }
        self.now = end;
        out
    }

    pub fn state(&self) -> &CallState {
        self.call.state()
    }

    pub fn ended(&self) -> Option<&Output> {
        self.log.iter().find(|o| matches!(o, Output::Ended { .. }))
    }
}

pub mod phone;
