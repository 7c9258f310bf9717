//! FOI rules: the bases on which information is given or withheld under the
//! Freedom of Information Act 2000, and what a refusal notice must say about
//! each. Letter wording lives in the letter templates; this module says which
//! rule applies and its legal character.

/// A basis for not giving requested information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Basis {
    /// s1(1)(a): the information is not held. A denial, not an exemption.
    NotHeld,
    /// s12: complying would exceed the appropriate limit (£450, 18 hours for a council).
    CostLimit,
    /// s21: reasonably accessible to the applicant by other means.
    AccessibleElsewhere,
    /// s22: held with a view to future publication.
    FuturePublication,
    /// s40(2): personal data of third parties.
    PersonalData,
}

impl Basis {
    /// Code used in JSON and templates: `s1_1`, `s12`, `s21`, `s22`, `s40_2`.
    pub fn code(self) -> &'static str {
        match self {
            Basis::NotHeld => "s1_1",
            Basis::CostLimit => "s12",
            Basis::AccessibleElsewhere => "s21",
            Basis::FuturePublication => "s22",
            Basis::PersonalData => "s40_2",
        }
    }

    /// The provision as cited in a letter.
    pub fn citation(self) -> &'static str {
        match self {
            Basis::NotHeld => "section 1(1)",
            Basis::CostLimit => "section 12",
            Basis::AccessibleElsewhere => "section 21",
            Basis::FuturePublication => "section 22",
            Basis::PersonalData => "section 40(2)",
        }
    }

    /// Whether it is an exemption (s1(1) and s12 are not).
    pub fn is_exemption(self) -> bool {
        matches!(
            self,
            Basis::AccessibleElsewhere | Basis::FuturePublication | Basis::PersonalData
        )
    }

    /// Whether a public interest test is required (qualified exemptions).
    pub fn is_qualified(self) -> bool {
        matches!(self, Basis::FuturePublication)
    }

    /// Whether the information counts as held for the letter's opening statement.
    pub fn information_is_held(self) -> bool {
        self != Basis::NotHeld
    }
}

/// The cost limit for a local authority (SI 2004/3244): £450 at £25 an hour.
pub const COUNCIL_COST_LIMIT_HOURS: u32 = 18;

/// The opening statement of an answer letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holding {
    /// Every part of the request is held (given or exempt).
    All,
    /// Some parts are held; of the rest, some are not held or not yet
    /// decided (or refused under s12 without saying).
    Some,
    /// Some parts are not held; the rest is not yet decided (or refused
    /// under s12 without saying), and none is held so far.
    SomeNotHeld,
    /// Nothing requested is held.
    None,
    /// Nothing is said yet: every part is undecided (a blocking finding)
    /// or refused under s12 without saying whether it is held.
    NotStated,
    /// Not said: the request is refused as a whole (s12) before looking.
    NotConfirmed,
}

impl Holding {
    /// Decide from how many answer items are held, not held, and neither:
    /// `neither` counts items with an open blocking finding (undecided:
    /// never counted as held or not held) and items refused under s12
    /// (the council does not say whether it holds them).
    pub fn from_counts(held: usize, not_held: usize, neither: usize) -> Holding {
        match (held, not_held, neither) {
            (_, 0, 0) => Holding::All,
            (0, _, 0) => Holding::None,
            (0, 0, _) => Holding::NotStated,
            (0, _, _) => Holding::SomeNotHeld,
            _ => Holding::Some,
        }
    }

    /// Code used in JSON and templates.
    pub fn code(self) -> &'static str {
        match self {
            Holding::All => "all",
            Holding::Some => "some",
            Holding::SomeNotHeld => "some_not_held",
            Holding::None => "none",
            Holding::NotStated => "not_stated",
            Holding::NotConfirmed => "not_confirmed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undecided_item_is_counted_neither_held_nor_not_held() {
        assert_eq!(Holding::from_counts(3, 0, 0), Holding::All);
        assert_eq!(Holding::from_counts(0, 2, 0), Holding::None);
        assert_eq!(Holding::from_counts(3, 2, 0), Holding::Some);
        // An open finding never makes the statement "holds all" or "holds none".
        assert_eq!(Holding::from_counts(3, 0, 1), Holding::Some);
        assert_eq!(Holding::from_counts(0, 2, 1), Holding::SomeNotHeld);
        assert_eq!(Holding::from_counts(0, 0, 1), Holding::NotStated);
        assert_eq!(Holding::from_counts(1, 1, 1), Holding::Some);
    }
}
