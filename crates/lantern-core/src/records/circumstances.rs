//! The optional columns of a submission: the client's circumstances that
//! requests commonly ask about (referral source, employment, accommodation
//! need, parental status, injecting status, disability;
//! `docs/formats/episodes.md`).
//!
//! Each is kept per record as a [`Recorded`] value, which tells apart the
//! three things a count must not confuse:
//! - [`Recorded::NotSubmitted`]: the provider's file had no such column, so
//!   the submission says nothing about it (a count over the field is then
//!   a blocking finding, never a zero);
//! - [`Recorded::NotStated`]: the column was there, the row's cell empty;
//! - [`Recorded::Code`]: a code of the field's list.
//!
//! [`Field`] names the six fields with their column, their catalogue
//! dimension and their values in it.

use super::codes::{
    AccommodationNeed, Disability, Employment, InjectingStatus, ParentalStatus, ReferralSource,
};

/// What a submission holds of one optional field for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Recorded<T> {
    /// The file had no such column.
    #[default]
    NotSubmitted,
    /// The column was there; the row's cell was empty.
    NotStated,
    /// A code of the field's list.
    Code(T),
}

impl<T: Copy> Recorded<T> {
    /// The stored byte: 0 not submitted, 1 not stated, 2 + the code's index.
    pub fn to_byte(self, index: impl Fn(T) -> u8) -> u8 {
        match self {
            Recorded::NotSubmitted => 0,
            Recorded::NotStated => 1,
            Recorded::Code(c) => index(c).saturating_add(2),
        }
    }

    /// Read a stored byte back; `None` for a byte no code stands for.
    pub fn from_byte(byte: u8, from_index: impl Fn(u8) -> Option<T>) -> Option<Recorded<T>> {
        match byte {
            0 => Some(Recorded::NotSubmitted),
            1 => Some(Recorded::NotStated),
            b => from_index(b - 2).map(Recorded::Code),
        }
    }

    /// The value of the field's dimension (`not_stated` for an empty cell);
    /// `None` when the field was not submitted.
    fn value(self, value: impl Fn(T) -> &'static str) -> Option<&'static str> {
        match self {
            Recorded::NotSubmitted => None,
            Recorded::NotStated => Some(NOT_STATED),
            Recorded::Code(c) => Some(value(c)),
        }
    }
}

/// The dimension value every optional field gives an empty cell (and the
/// codes that mean "declined" or "not known").
pub const NOT_STATED: &str = "not_stated";

/// The client's circumstances on one record (the episode's values, the
/// same on every row of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Circumstances {
    /// Referral source (`RFLS`).
    pub referral_source: Recorded<ReferralSource>,
    /// Employment status (`EMPSTAT`).
    pub employment: Recorded<Employment>,
    /// Accommodation need (`ACCMNEED`).
    pub accommodation: Recorded<AccommodationNeed>,
    /// Parental status (`PRNTSTAT`).
    pub parental: Recorded<ParentalStatus>,
    /// Injecting status (`INJSTAT`).
    pub injecting: Recorded<InjectingStatus>,
    /// Disability (`DISABILITY`): whether, not which.
    pub disability: Recorded<Disability>,
}

/// One of the optional fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `RFLS`, dimension `referral_source`.
    ReferralSource,
    /// `EMPSTAT`, dimension `employment_status`.
    Employment,
    /// `ACCMNEED`, dimension `accommodation_need`.
    Accommodation,
    /// `PRNTSTAT`, dimension `parental_status`.
    Parental,
    /// `INJSTAT`, dimension `injecting_status`.
    Injecting,
    /// `DISABILITY`, dimension `disability`.
    Disability,
}

impl Field {
    /// Every optional field, in the order of the format's columns.
    pub const ALL: [Field; 6] = [
        Field::ReferralSource,
        Field::Employment,
        Field::Accommodation,
        Field::Parental,
        Field::Injecting,
        Field::Disability,
    ];

    /// The column's name in a submission.
    pub fn column(self) -> &'static str {
        match self {
            Field::ReferralSource => "RFLS",
            Field::Employment => "EMPSTAT",
            Field::Accommodation => "ACCMNEED",
            Field::Parental => "PRNTSTAT",
            Field::Injecting => "INJSTAT",
            Field::Disability => "DISABILITY",
        }
    }

    /// The catalogue dimension counts split by.
    pub fn dimension(self) -> &'static str {
        match self {
            Field::ReferralSource => "referral_source",
            Field::Employment => "employment_status",
            Field::Accommodation => "accommodation_need",
            Field::Parental => "parental_status",
            Field::Injecting => "injecting_status",
            Field::Disability => "disability",
        }
    }

    /// The field a dimension is counted from, if one of these.
    pub fn of_dimension(dimension: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.dimension() == dimension)
    }

    /// The record's value in the field's dimension; `None` when the
    /// provider did not submit the field.
    pub fn value(self, c: &Circumstances) -> Option<&'static str> {
        match self {
            Field::ReferralSource => c.referral_source.value(ReferralSource::dimension_value),
            Field::Employment => c.employment.value(Employment::dimension_value),
            Field::Accommodation => c.accommodation.value(AccommodationNeed::dimension_value),
            Field::Parental => c.parental.value(ParentalStatus::dimension_value),
            Field::Injecting => c.injecting.value(InjectingStatus::dimension_value),
            Field::Disability => c.disability.value(Disability::dimension_value),
        }
    }

    /// Every value the field's dimension can take (its leaves).
    pub fn values(self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = match self {
            Field::ReferralSource => ReferralSource::ALL
                .iter()
                .map(|c| c.dimension_value())
                .collect(),
            Field::Employment => Employment::ALL
                .iter()
                .map(|c| c.dimension_value())
                .collect(),
            Field::Accommodation => AccommodationNeed::ALL
                .iter()
                .map(|c| c.dimension_value())
                .collect(),
            Field::Parental => ParentalStatus::ALL
                .iter()
                .map(|c| c.dimension_value())
                .collect(),
            Field::Injecting => InjectingStatus::ALL
                .iter()
                .map(|c| c.dimension_value())
                .collect(),
            Field::Disability => Disability::ALL
                .iter()
                .map(|c| c.dimension_value())
                .collect(),
        };
        out.push(NOT_STATED);
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_bytes_round_trip_and_keep_not_submitted_apart() {
        for r in [
            Recorded::NotSubmitted,
            Recorded::NotStated,
            Recorded::Code(Employment::Regular),
            Recorded::Code(Employment::NotStated),
        ] {
            let byte = r.to_byte(Employment::index);
            assert_eq!(Recorded::from_byte(byte, Employment::from_index), Some(r));
        }
        assert_eq!(
            Recorded::<Employment>::NotSubmitted.to_byte(Employment::index),
            0
        );
        assert_eq!(Recorded::from_byte(200, Employment::from_index), None);
        let c = Circumstances {
            employment: Recorded::NotStated,
            injecting: Recorded::Code(InjectingStatus::Currently),
            ..Circumstances::default()
        };
        assert_eq!(Field::Employment.value(&c), Some(NOT_STATED));
        assert_eq!(Field::Injecting.value(&c), Some("currently_injecting"));
        assert_eq!(Field::Disability.value(&c), None);
    }
}
