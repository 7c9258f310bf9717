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

code_list! {
    /// Referral source (NDTMS `RFLS`): who referred the client into the
    /// episode. Codes of the NDTMS reference data as a case-management
    /// export lists them (`../shared/research/ndtms.md` §1.4); a report
    /// counts them in the five groups of the national tables
    /// ([`ReferralSource::dimension_value`]).
    ReferralSource {
        /// Drug service, statutory.
        DrugServiceStatutory = "1",
        /// Drug service, non-statutory.
        DrugServiceNonStatutory = "2",
        /// General practitioner.
        Gp = "3",
        /// The client themselves.
        SelfReferral = "4",
        /// Arrest referral or Drug Interventions Programme.
        ArrestReferral = "5",
        /// Drug rehabilitation requirement (a court order).
        DrugRehabilitationRequirement = "6",
        /// Probation.
        Probation = "8",
        /// Accident and emergency.
        AccidentAndEmergency = "9",
        /// Syringe exchange.
        SyringeExchange = "10",
        /// Psychiatry.
        Psychiatry = "11",
        /// Community care assessment.
        CommunityCareAssessment = "12",
        /// CARAT or prison.
        Custody = "13",
        /// Employment service.
        EmploymentService = "14",
        /// Another source.
        Other = "15",
        /// Education service.
        EducationService = "16",
        /// Pupil referral unit.
        PupilReferralUnit = "17",
        /// Connexions.
        Connexions = "18",
        /// Social services.
        SocialServices = "19",
        /// Looked-after children's services.
        LookedAfterChildren = "20",
        /// Sex worker project.
        SexWorkerProject = "21",
        /// General hospital.
        GeneralHospital = "22",
        /// Psychological services.
        PsychologicalServices = "23",
        /// A relative.
        Relative = "24",
        /// A concerned other.
        ConcernedOther = "25",
    }
}

impl ReferralSource {
    /// The value of the catalogue's `referral_source` dimension: the group
    /// of the national tables the code falls in.
    pub fn dimension_value(self) -> &'static str {
        use ReferralSource::*;
        match self {
            SelfReferral | Relative | ConcernedOther => "self_family_friends",
            Gp
            | AccidentAndEmergency
            | SyringeExchange
            | Psychiatry
            | CommunityCareAssessment
            | SocialServices
            | LookedAfterChildren
            | GeneralHospital
            | PsychologicalServices => "health_and_social_care",
            ArrestReferral | DrugRehabilitationRequirement | Probation | Custody => {
                "criminal_justice"
            }
            DrugServiceStatutory | DrugServiceNonStatutory => "substance_misuse_service",
            EmploymentService | Other | EducationService | PupilReferralUnit | Connexions
            | SexWorkerProject => "other_source",
        }
    }
}

code_list! {
    /// Employment status at the start of the episode (NDTMS `EMPSTAT`).
    Employment {
        /// In regular employment.
        Regular = "1",
        /// Pupil or student.
        Student = "2",
        /// Long-term sick or disabled.
        LongTermSick = "9",
        /// Homemaker.
        Homemaker = "10",
        /// Unemployed and seeking work.
        Unemployed = "12",
        /// Not receiving benefits.
        NotReceivingBenefits = "13",
        /// Unpaid voluntary work.
        Voluntary = "14",
        /// Retired from paid work.
        Retired = "15",
        /// Other.
        Other = "5",
        /// Not known.
        NotKnown = "6",
        /// Not stated.
        NotStated = "99",
    }
}

impl Employment {
    /// The value of the catalogue's `employment_status` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            Employment::Regular => "regular_employment",
            Employment::Student => "student",
            Employment::LongTermSick => "long_term_sick",
            Employment::Homemaker => "homemaker",
            Employment::Unemployed => "unemployed",
            Employment::NotReceivingBenefits => "not_receiving_benefits",
            Employment::Voluntary => "voluntary_work",
            Employment::Retired => "retired",
            Employment::Other => "other",
            Employment::NotKnown | Employment::NotStated => "not_stated",
        }
    }
}

code_list! {
    /// Accommodation need at the start of the episode (NDTMS `ACCMNEED`).
    AccommodationNeed {
        /// No fixed abode: an urgent housing problem.
        Urgent = "1",
        /// A housing problem.
        Problem = "2",
        /// No housing problem.
        NoProblem = "3",
    }
}

impl AccommodationNeed {
    /// The value of the catalogue's `accommodation_need` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            AccommodationNeed::Urgent => "urgent_housing_problem",
            AccommodationNeed::Problem => "other_housing_problem",
            AccommodationNeed::NoProblem => "no_housing_problem",
        }
    }
}

code_list! {
    /// Parental status (NDTMS `PRNTSTAT`): whether the client is a parent
    /// and whether their children live with them.
    ParentalStatus {
        /// All the client's children live with them.
        AllLiveWith = "11",
        /// Some of them do.
        SomeLiveWith = "12",
        /// None of them do.
        NoneLiveWith = "13",
        /// Not a parent.
        NotAParent = "14",
        /// The client declined to answer.
        Declined = "15",
    }
}

impl ParentalStatus {
    /// The value of the catalogue's `parental_status` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            ParentalStatus::AllLiveWith => "parent_all_live_with",
            ParentalStatus::SomeLiveWith => "parent_some_live_with",
            ParentalStatus::NoneLiveWith => "parent_none_live_with",
            ParentalStatus::NotAParent => "not_a_parent",
            ParentalStatus::Declined => "not_stated",
        }
    }
}

code_list! {
    /// Injecting status at the start of the episode (NDTMS `INJSTAT`).
    InjectingStatus {
        /// Injected before, not currently.
        Previously = "P",
        /// Currently injecting.
        Currently = "C",
        /// Never injected.
        Never = "N",
        /// The client declined to answer.
        Declined = "Z",
    }
}

impl InjectingStatus {
    /// The value of the catalogue's `injecting_status` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            InjectingStatus::Previously => "previously_injected",
            InjectingStatus::Currently => "currently_injecting",
            InjectingStatus::Never => "never_injected",
            InjectingStatus::Declined => "not_stated",
        }
    }
}

/// The disability codes a submission may give (`DISABILITY`), as the NHS
/// Data Dictionary lists them: `01`–`10` a kind of disability, `XX` another,
/// `NN` none, `ZZ` not stated (asked, declined).
pub const DISABILITY_CODES: [&str; 13] = [
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "XX", "NN", "ZZ",
];

/// What Lantern keeps of a disability code: whether the client has a
/// disability, not which (no indicator or common question needs the kind,
/// and it is health data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Disability {
    /// A disability (`01`–`10`, `XX`).
    Disabled,
    /// No disability (`NN`).
    None,
    /// Asked and declined (`ZZ`).
    Declined,
}

impl Disability {
    /// Every value, in order.
    pub const ALL: &'static [Disability] =
        &[Disability::Disabled, Disability::None, Disability::Declined];

    /// Read a disability code (exact spelling).
    pub fn parse(text: &str) -> Option<Disability> {
        match text {
            "NN" => Some(Disability::None),
            "ZZ" => Some(Disability::Declined),
            _ if DISABILITY_CODES.contains(&text) => Some(Disability::Disabled),
            _ => None,
        }
    }

    /// Stable small number for compact storage.
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The value with a storage number.
    pub fn from_index(index: u8) -> Option<Disability> {
        Disability::ALL.get(usize::from(index)).copied()
    }

    /// The value of the catalogue's `disability` dimension.
    pub fn dimension_value(self) -> &'static str {
        match self {
            Disability::Disabled => "disabled",
            Disability::None => "no_disability",
            Disability::Declined => "not_stated",
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
