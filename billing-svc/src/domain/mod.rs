//! Ledger rules with no I/O: pools, balanced entry sets, how holds draw and settle, pricing.

pub mod pricing;

use std::collections::BTreeMap;

/// Milli-credits per credit.
pub const MILLI: i64 = 1000;

/// Milli-credits as a decimal string with three places, e.g. 12345 -> "12.345".
pub fn format_milli(milli: i64) -> String {
    let sign = if milli < 0 { "-" } else { "" };
    let abs = milli.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

/// Where credits sit. Account pools hold the account's credits; `Source` and `Sink` are the
/// outside world, so every transfer sums to zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pool {
    Plan,
    Bonus,
    HeldPlan,
    HeldBonus,
    Spent,
    Source,
    Sink,
}

impl Pool {
    pub fn as_str(self) -> &'static str {
        match self {
            Pool::Plan => "plan",
            Pool::Bonus => "bonus",
            Pool::HeldPlan => "held_plan",
            Pool::HeldBonus => "held_bonus",
            Pool::Spent => "spent",
            Pool::Source => "source",
            Pool::Sink => "sink",
        }
    }
}

/// Kinds of transfer, as stored and listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PlanPeriod,
    PlanRevoke,
    Purchase,
    Refund,
    Adjustment,
    Hold,
    Capture,
    Release,
    Expire,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::PlanPeriod,
        Kind::PlanRevoke,
        Kind::Purchase,
        Kind::Refund,
        Kind::Adjustment,
        Kind::Hold,
        Kind::Capture,
        Kind::Release,
        Kind::Expire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PlanPeriod => "plan_period",
            Kind::PlanRevoke => "plan_revoke",
            Kind::Purchase => "purchase",
            Kind::Refund => "refund",
            Kind::Adjustment => "adjustment",
            Kind::Hold => "hold",
            Kind::Capture => "capture",
            Kind::Release => "release",
            Kind::Expire => "expire",
        }
    }

    pub fn parse(value: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// The account pools of one balances row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pools {
    pub plan: i64,
    pub bonus: i64,
    pub held_plan: i64,
    pub held_bonus: i64,
    pub spent: i64,
}

impl Pools {
    pub fn available(&self) -> i64 {
        self.plan + self.bonus
    }

    pub fn held(&self) -> i64 {
        self.held_plan + self.held_bonus
    }

    /// The pools after `entries`, or `None` if any would go negative (or overflow).
    pub fn apply(&self, entries: &Entries) -> Option<Pools> {
        let mut next = *self;
        for (pool, amount) in entries.iter() {
            let slot = match pool {
                Pool::Plan => &mut next.plan,
                Pool::Bonus => &mut next.bonus,
                Pool::HeldPlan => &mut next.held_plan,
                Pool::HeldBonus => &mut next.held_bonus,
                Pool::Spent => &mut next.spent,
                Pool::Source | Pool::Sink => continue,
            };
            *slot = slot.checked_add(amount)?;
            if *slot < 0 {
                return None;
            }
        }
        Some(next)
    }
}

/// The entries of one transfer: one net amount per pool, zeros dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries(BTreeMap<Pool, i64>);

impl Entries {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves `amount` from `from` to `to` (nothing for zero).
    pub fn moving(mut self, from: Pool, to: Pool, amount: i64) -> Self {
        if amount != 0 {
            *self.0.entry(from).or_default() -= amount;
            *self.0.entry(to).or_default() += amount;
        }
        self
    }

    /// Non-zero (pool, amount) pairs in pool order.
    pub fn iter(&self) -> impl Iterator<Item = (Pool, i64)> + '_ {
        self.0
            .iter()
            .filter(|(_, amount)| **amount != 0)
            .map(|(pool, amount)| (*pool, *amount))
    }

    pub fn get(&self, pool: Pool) -> i64 {
        self.0.get(&pool).copied().unwrap_or(0)
    }

    /// True when the entries sum to zero (always, by construction; the database checks too).
    pub fn is_balanced(&self) -> bool {
        self.0.values().sum::<i64>() == 0
    }
}

/// How a hold of `amount` draws from the pools: plan first, then bonus; `None` when short.
pub fn draw_hold(pools: &Pools, amount: i64) -> Option<(i64, i64)> {
    if amount <= 0 || amount > pools.available() {
        return None;
    }
    let from_plan = amount.min(pools.plan);
    Some((from_plan, amount - from_plan))
}

/// An open hold as settlement needs it.
#[derive(Debug, Clone, Copy)]
pub struct HeldParts {
    pub plan_part: i64,
    pub bonus_part: i64,
    /// The plan epoch the plan part was taken in.
    pub plan_epoch: i64,
}

/// Settles a hold charging `charge` (0 = void): the charge takes the plan part first, like
/// spending does; the rest goes back to the pool it came from, except a plan part taken in an
/// earlier plan period, which expires (to the sink) rather than topping up the new period.
pub fn settle_hold(hold: &HeldParts, current_epoch: i64, charge: i64) -> Entries {
    let charge_plan = charge.min(hold.plan_part);
    let charge_bonus = charge - charge_plan;
    let plan_back = if hold.plan_epoch == current_epoch {
        Pool::Plan
    } else {
        Pool::Sink
    };
    Entries::new()
        .moving(Pool::HeldPlan, Pool::Spent, charge_plan)
        .moving(Pool::HeldBonus, Pool::Spent, charge_bonus)
        .moving(Pool::HeldPlan, plan_back, hold.plan_part - charge_plan)
        .moving(Pool::HeldBonus, Pool::Bonus, hold.bonus_part - charge_bonus)
}

/// Resets the plan pool to `amount` for a new period: what is left expires, the new amount
/// enters from the source.
pub fn reset_plan(pools: &Pools, amount: i64) -> Entries {
    Entries::new()
        .moving(Pool::Plan, Pool::Sink, pools.plan)
        .moving(Pool::Source, Pool::Plan, amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pools(plan: i64, bonus: i64) -> Pools {
        Pools {
            plan,
            bonus,
            ..Pools::default()
        }
    }

    #[test]
    fn milli_credits_format_with_three_decimals() {
        assert_eq!(format_milli(12345), "12.345");
        assert_eq!(format_milli(500), "0.500");
        assert_eq!(format_milli(-1), "-0.001");
        assert_eq!(format_milli(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn holds_take_plan_credits_before_bonus_credits() {
        assert_eq!(draw_hold(&pools(5000, 3000), 4000), Some((4000, 0)));
        assert_eq!(draw_hold(&pools(5000, 3000), 7000), Some((5000, 2000)));
        assert_eq!(draw_hold(&pools(0, 3000), 3000), Some((0, 3000)));
        assert_eq!(draw_hold(&pools(5000, 3000), 8001), None);
        assert_eq!(draw_hold(&pools(5000, 3000), 0), None);
    }

    #[test]
    fn a_capture_charges_the_plan_part_first_and_returns_the_rest_where_it_came_from() {
        let hold = HeldParts {
            plan_part: 6000,
            bonus_part: 4000,
            plan_epoch: 1,
        };
        let entries = settle_hold(&hold, 1, 7000);
        assert!(entries.is_balanced());
        assert_eq!(entries.get(Pool::Spent), 7000);
        assert_eq!(entries.get(Pool::HeldPlan), -6000);
        assert_eq!(entries.get(Pool::HeldBonus), -4000);
        assert_eq!(entries.get(Pool::Bonus), 3000);
        assert_eq!(entries.get(Pool::Plan), 0);
    }

    #[test]
    fn a_plan_part_from_an_earlier_period_expires_on_release() {
        let hold = HeldParts {
            plan_part: 2000,
            bonus_part: 1000,
            plan_epoch: 1,
        };
        let entries = settle_hold(&hold, 2, 0);
        assert!(entries.is_balanced());
        assert_eq!(entries.get(Pool::Sink), 2000);
        assert_eq!(entries.get(Pool::Plan), 0);
        assert_eq!(entries.get(Pool::Bonus), 1000);
    }

    #[test]
    fn applying_entries_refuses_to_overdraw_any_pool() {
        let start = pools(1000, 0);
        let spend = Entries::new().moving(Pool::Plan, Pool::HeldPlan, 1000);
        let after = start.apply(&spend).unwrap();
        assert_eq!((after.plan, after.held_plan), (0, 1000));
        assert!(after.apply(&spend).is_none());
    }

    #[test]
    fn a_plan_reset_expires_the_rest_and_grants_the_new_amount() {
        let entries = reset_plan(&pools(300, 50), 2000);
        assert!(entries.is_balanced());
        assert_eq!(entries.get(Pool::Plan), 1700);
        assert_eq!(entries.get(Pool::Sink), 300);
        assert_eq!(entries.get(Pool::Source), -2000);
        let unchanged = reset_plan(&pools(0, 0), 0);
        assert_eq!(unchanged.iter().count(), 0);
    }
}
