//! The code lists of the submission format (`docs/formats/episodes.md`),
//! modelled on the NDTMS adult core data set: drug codes and their groups,
//! discharge reasons, intervention types, settings, funding, sex and
//! ethnicity. Each code list parses its CSV spelling and says what it means.

/// How a drug code counts in the substance-group hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrugGroup {
    /// Any opiate or opioid (heroin, methadone, other opiates…).
    Opiate,
    /// Crack cocaine (a non-opiate drug, also reported on its own).
    Crack,
    /// Any other non-opiate drug.
    NonOpiate,
    /// Alcohol.
    Alcohol,
}

/// The drug codes accepted, with their label and group. NDTMS codes are four
/// digits; this is the list the research notes confirm plus the common
/// opiate codes, extendable as the reference data is checked.
pub const DRUGS: &[(u16, &str, DrugGroup)] = &[
    (1000, "other opiates", DrugGroup::Opiate),
    (1101, "heroin", DrugGroup::Opiate),
    (1105, "methadone (illicit)", DrugGroup::Opiate),
    (1106, "buprenorphine (illicit)", DrugGroup::Opiate),
    (1110, "other opioid medicines", DrugGroup::Opiate),
    (2200, "benzodiazepines", DrugGroup::NonOpiate),
    (3100, "amphetamines", DrugGroup::NonOpiate),
    (3200, "cocaine (excluding crack)", DrugGroup::NonOpiate),
    (3201, "crack cocaine", DrugGroup::Crack),
    (3406, "ecstasy", DrugGroup::NonOpiate),
    (4000, "hallucinogens", DrugGroup::NonOpiate),
    (5000, "cannabis", DrugGroup::NonOpiate),
    (6000, "solvents", DrugGroup::NonOpiate),
    (6500, "new psychoactive substances", DrugGroup::NonOpiate),
    (7000, "alcohol", DrugGroup::Alcohol),
];

/// The code for crack cocaine.
pub const CRACK: u16 = 3201;
/// The code for alcohol.
pub const ALCOHOL: u16 = 7000;

/// The group of a drug code, if the code is known.
pub fn drug_group(code: u16) -> Option<DrugGroup> {
    DRUGS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, g)| *g)
}

/// What a discharge reason (DISRSN) means for the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// Completed free of dependence (80, 81, 82).
    Successful,
    /// Transferred to another service, in or out of custody.
    Transfer,
    /// Dropped out, withdrawn or declined.
    Unplanned,
    /// Retained in custody.
    Neutral,
    /// The client died (89).
    Died,
}

/// The discharge reasons accepted and what each means. Old payment-by-results
/// codes 90/91/92 are read as 80/82/81 (with a warning); the legacy codes
/// 1–13 are refused.
pub const DISCHARGE_REASONS: &[(u8, &str, Exit)] = &[
    (80, "treatment completed – drug-free", Exit::Successful),
    (81, "treatment completed – alcohol-free", Exit::Successful),
    (
        82,
        "treatment completed – occasional user (not heroin or crack)",
        Exit::Successful,
    ),
    (83, "transferred – not in custody", Exit::Transfer),
    (74, "transferred – not in custody", Exit::Transfer),
    (93, "transferred – residential programme", Exit::Transfer),
    (94, "transferred – residential programme", Exit::Transfer),
    (95, "transferred – residential programme", Exit::Transfer),
    (96, "transferred – residential programme", Exit::Transfer),
    (97, "transferred – residential programme", Exit::Transfer),
    (84, "transferred – in custody", Exit::Transfer),
    (85, "incomplete – dropped out", Exit::Unplanned),
    (
        86,
        "incomplete – treatment withdrawn by provider",
        Exit::Unplanned,
    ),
    (87, "incomplete – retained in custody", Exit::Neutral),
    (
        88,
        "incomplete – treatment commencement declined by client",
        Exit::Unplanned,
    ),
    (
        71,
        "incomplete – treatment commencement declined by client",
        Exit::Unplanned,
    ),
    (89, "incomplete – client died", Exit::Died),
];

/// What a discharge reason means, if the code is current.
pub fn exit(code: u8) -> Option<Exit> {
    DISCHARGE_REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, e)| *e)
}

/// The current code an old payment-by-results code stands for.
pub fn modern_discharge_code(code: u8) -> Option<u8> {
    match code {
        90 => Some(80),
        91 => Some(82),
        92 => Some(81),
        _ => None,
    }
}

macro_rules! code_list {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as written in a submission.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// Read a code (exact spelling).
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Stable small number for compact storage.
            pub fn index(self) -> u8 {
                self as u8
            }

            /// The value with a storage number.
            pub fn from_index(index: u8) -> Option<$name> {
                $name::ALL.get(usize::from(index)).copied()
            }
        }
    };
}

code_list! {
    /// Sex as recorded in the attributor.
    Sex {
        /// Male.
        Male = "M",
        /// Female.
        Female = "F",
        /// Indeterminate or other.
        Other = "I",
        /// Not stated.
        NotStated = "Z",
    }
}

impl Sex {
    /// The value of the catalogue's `sex` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other | Sex::NotStated => "other",
        }
    }
}

code_list! {
    /// Intervention (modality) type, NDTMS data set J onwards.
    Intervention {
        /// Pharmacological (prescribing, detoxification).
        Pharmacological = "PHARM",
        /// Psychosocial.
        Psychosocial = "PSYCH",
        /// Recovery support.
        RecoverySupport = "RECOV",
    }
}

impl Intervention {
    /// The value of the catalogue's `intervention` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            Intervention::Pharmacological => "pharmacological",
            Intervention::Psychosocial => "psychosocial",
            Intervention::RecoverySupport => "recovery_support",
        }
    }
}

code_list! {
    /// Where an intervention takes place.
    Setting {
        /// Community (the usual setting).
        Community = "COM",
        /// Inpatient unit: an inpatient detoxification placement.
        Inpatient = "INP",
        /// Residential: a residential rehabilitation placement.
        Residential = "RES",
        /// Primary care (GP shared care).
        PrimaryCare = "PRI",
        /// Recovery house.
        RecoveryHouse = "RHS",
    }
}

impl Setting {
    /// The value of the catalogue's `setting` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            Setting::Community => "community",
            Setting::Inpatient => "inpatient",
            Setting::Residential => "residential",
            Setting::PrimaryCare => "primary_care",
            Setting::RecoveryHouse => "recovery_house",
        }
    }
}

code_list! {
    /// Who pays for an intervention.
    Funding {
        /// Commissioned by the council.
        Council = "LA",
        /// Paid for by the client.
        SelfFunded = "SELF",
        /// Another body (NHS, probation, a charity…).
        Other = "OTH",
    }
}

impl Funding {
    /// The value of the catalogue's `funding` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            Funding::Council => "council",
            Funding::SelfFunded => "self_funded",
            Funding::Other => "other",
        }
    }
}

/// Ethnicity codes (2001-census letters; `Z` not stated).
pub const ETHNICITIES: &[(u8, &str)] = &[
    (b'A', "White British"),
    (b'B', "White Irish"),
    (b'C', "Other White"),
    (b'D', "White and Black Caribbean"),
    (b'E', "White and Black African"),
    (b'F', "White and Asian"),
    (b'G', "Other Mixed"),
    (b'H', "Indian"),
    (b'J', "Pakistani"),
    (b'K', "Bangladeshi"),
    (b'L', "Other Asian"),
    (b'M', "Caribbean"),
    (b'N', "African"),
    (b'P', "Other Black"),
    (b'R', "Chinese"),
    (b'S', "Other"),
    (b'Z', "Not stated"),
];

/// The value of the catalogue's `ethnicity` dimension for an ethnicity
/// code (`not_stated` for `Z` and any code not listed).
pub fn ethnicity_value(code: u8) -> &'static str {
    match code {
        b'A' => "white_british",
        b'B' => "white_irish",
        b'C' => "other_white",
        b'D' => "white_and_black_caribbean",
        b'E' => "white_and_black_african",
        b'F' => "white_and_asian",
        b'G' => "other_mixed",
        b'H' => "indian",
        b'J' => "pakistani",
        b'K' => "bangladeshi",
        b'L' => "other_asian",
        b'M' => "caribbean",
        b'N' => "african",
        b'P' => "other_black",
        b'R' => "chinese",
        b'S' => "other_ethnic_group",
        _ => "not_stated",
    }
}

/// The value of the catalogue's `discharge_reason` dimension for a
/// discharge reason code (an old payment-by-results code read as the code
/// it stands for); `None` for a code not listed.
pub fn discharge_value(code: u8) -> Option<&'static str> {
    let code = modern_discharge_code(code).unwrap_or(code);
    Some(match code {
        80 => "completed_drug_free",
        81 => "completed_alcohol_free",
        82 => "completed_occasional_user",
        83 | 74 => "transferred_not_in_custody",
        93..=97 => "transferred_residential",
        84 => "transferred_in_custody",
        85 => "dropped_out",
        86 => "withdrawn_by_provider",
        88 | 71 => "declined",
        87 => "retained_in_custody",
        89 => "died",
        _ => return None,
    })
}

/// Whether an ethnicity code is known.
pub fn is_ethnicity(code: u8) -> bool {
    ETHNICITIES.iter().any(|(c, _)| *c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_round_trip() {
        for s in Setting::ALL {
            assert_eq!(Setting::parse(s.code()), Some(*s));
            assert_eq!(Setting::from_index(s.index()), Some(*s));
        }
        assert_eq!(Funding::parse("SELF"), Some(Funding::SelfFunded));
        assert_eq!(Sex::parse("m"), None);
    }

    #[test]
    fn drug_groups_follow_the_hierarchy_inputs() {
        assert_eq!(drug_group(CRACK), Some(DrugGroup::Crack));
        assert_eq!(drug_group(1101), Some(DrugGroup::Opiate));
        assert_eq!(drug_group(ALCOHOL), Some(DrugGroup::Alcohol));
        assert_eq!(drug_group(9999), None);
        assert_eq!(exit(89), Some(Exit::Died));
        assert_eq!(modern_discharge_code(91), Some(82));
    }
}
