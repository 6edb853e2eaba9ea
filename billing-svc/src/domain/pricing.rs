//! The price of an AI operation from one cost-table row (model described in the cost-config
//! migration): credits per unit, or per tokens when the row prices tokens and they are known.

/// Operations the cost table prices (PRODUCT.md §4 CreditUsageLog.operation_type).
pub const OPERATIONS: [&str; 7] = [
    "clustering",
    "idea_generation",
    "content_generation",
    "image_prompt_extraction",
    "image_generation",
    "linking",
    "optimization",
];

/// What a unit of an operation is.
pub const UNITS: [&str; 4] = ["run", "item", "image", "words"];

/// One cost-table row's prices, in milli-credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub unit: String,
    pub unit_size: i64,
    pub credits_per_unit: i64,
    pub tokens_per_credit: Option<i64>,
    pub min_credits: i64,
}

/// What is being priced.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quantity {
    pub words: u64,
    pub items: u64,
    /// Total tokens of the call, when known.
    pub tokens: Option<u64>,
}

/// A price and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub credits: i64,
    /// The unit counted: the rate's unit, or "tokens".
    pub unit: String,
    pub units: u64,
}

/// Why a quantity cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    /// The rate counts words and none were given.
    WordsRequired,
    TooLarge,
}

/// Prices `quantity` at `rate`, rounding up to whole milli-credits, never below the minimum.
pub fn price(rate: &Rate, quantity: Quantity) -> Result<Price, PriceError> {
    let (credits, unit, units) = match (rate.tokens_per_credit, quantity.tokens) {
        (Some(per_credit), Some(tokens)) if per_credit > 0 => {
            let milli = u128::from(tokens) * 1000;
            let credits = milli.div_ceil(per_credit as u128);
            (narrow(credits)?, "tokens".to_owned(), tokens)
        }
        _ => {
            let units = match rate.unit.as_str() {
                "words" if quantity.words == 0 => return Err(PriceError::WordsRequired),
                "words" => quantity.words.div_ceil(rate.unit_size.max(1) as u64),
                _ => quantity.items.max(1),
            };
            let credits = u128::from(units) * rate.credits_per_unit.max(0) as u128;
            (narrow(credits)?, rate.unit.clone(), units)
        }
    };
    Ok(Price {
        credits: credits.max(rate.min_credits),
        unit,
        units,
    })
}

fn narrow(value: u128) -> Result<i64, PriceError> {
    // Far beyond any real charge; keeps every sum of prices inside i64.
    const CAP: u128 = 1 << 50;
    if value > CAP {
        Err(PriceError::TooLarge)
    } else {
        Ok(value as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(unit: &str, unit_size: i64, per_unit: i64, min: i64) -> Rate {
        Rate {
            unit: unit.into(),
            unit_size,
            credits_per_unit: per_unit,
            tokens_per_credit: None,
            min_credits: min,
        }
    }

    #[test]
    fn content_costs_one_credit_per_started_500_words() {
        let content = rate("words", 500, 1000, 1000);
        let words = |words| Quantity {
            words,
            ..Quantity::default()
        };
        assert_eq!(price(&content, words(1500)).unwrap().credits, 3000);
        assert_eq!(price(&content, words(1501)).unwrap().credits, 4000);
        assert_eq!(price(&content, words(10)).unwrap().credits, 1000);
        assert_eq!(
            price(&content, Quantity::default()),
            Err(PriceError::WordsRequired)
        );
    }

    #[test]
    fn per_item_operations_count_at_least_one_item() {
        let prompts = rate("item", 1, 500, 0);
        let three = Quantity {
            items: 3,
            ..Quantity::default()
        };
        assert_eq!(price(&prompts, three).unwrap().credits, 1500);
        assert_eq!(price(&prompts, Quantity::default()).unwrap().credits, 500);
    }

    #[test]
    fn token_pricing_applies_only_when_the_row_and_the_call_have_tokens() {
        let mut text = rate("words", 500, 1000, 3000);
        text.tokens_per_credit = Some(1000);
        let call = Quantity {
            words: 1500,
            items: 0,
            tokens: Some(4200),
        };
        let priced = price(&text, call).unwrap();
        assert_eq!((priced.credits, priced.unit.as_str()), (4200, "tokens"));
        let small = Quantity {
            tokens: Some(10),
            ..call
        };
        assert_eq!(price(&text, small).unwrap().credits, 3000);
        text.tokens_per_credit = None;
        assert_eq!(price(&text, call).unwrap().credits, 3000);
    }

    #[test]
    fn absurd_quantities_are_refused_instead_of_overflowing() {
        let image = rate("image", 1, i64::MAX, 0);
        let many = Quantity {
            items: u64::MAX,
            ..Quantity::default()
        };
        assert_eq!(price(&image, many), Err(PriceError::TooLarge));
    }
}
