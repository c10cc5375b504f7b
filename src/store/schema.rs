// Tables, as diesel sees them (kept in step with migrations/ by the migration tests).
diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
        scope -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organization_id -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_keys -> organizations (organization_id));

diesel::table! {
    registrations (id) {
        id -> Text,
        version -> Integer,
        municipality_code -> Text,
        received_by -> Text,
        status -> Text,
        document -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ward -> Nullable<Text>,
        responsible_office -> Nullable<Text>,
        reviewed_on -> Nullable<Date>,
        review_due -> Nullable<Date>,
    }
}

diesel::table! {
    registration_meetings (id) {
        id -> Text,
        registration_id -> Text,
        kind -> Text,
        held_on -> Date,
        participants -> Text,
        person_attended -> Bool,
        family_attended -> Bool,
        facility_id -> Nullable<Text>,
        outcome -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    municipality_settings (municipality_code) {
        municipality_code -> Text,
        review_interval_months -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    office_assignments (registration_id, seq) {
        registration_id -> Text,
        seq -> Integer,
        office_id -> Nullable<Text>,
        assigned_by -> Text,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    emergency_intakes (id) {
        id -> Text,
        municipality_code -> Text,
        received_by -> Text,
        document -> Text,
        created_at -> Timestamp,
        ward -> Nullable<Text>,
        registration_id -> Nullable<Text>,
    }
}

diesel::table! {
    registration_versions (registration_id, version) {
        registration_id -> Text,
        version -> Integer,
        document -> Text,
        recorded_at -> Timestamp,
        recorded_by -> Text,
        event -> Text,
    }
}

diesel::table! {
    registration_search_keys (kind, key, registration_id) {
        kind -> Text,
        key -> Text,
        registration_id -> Text,
    }
}

diesel::table! {
    access_records (id) {
        id -> Text,
        at -> Timestamp,
        organization_id -> Text,
        action -> Text,
        record_type -> Text,
        record_id -> Text,
        categories -> Text,
        purpose -> Text,
        chain_seq -> Nullable<BigInt>,
        chain_hash -> Nullable<Text>,
    }
}

diesel::table! {
    facilities (id) {
        id -> Text,
        organization_id -> Text,
        version -> Integer,
        name -> Text,
        ward -> Nullable<Text>,
        survey_group -> Text,
        hub_registered -> Bool,
        hub_functions -> Text,
        emergency_room -> Bool,
        document -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    facility_versions (facility_id, version) {
        facility_id -> Text,
        version -> Integer,
        document -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    facility_services (facility_id, position) {
        facility_id -> Text,
        position -> Integer,
        service_type -> Text,
        variant -> Nullable<Text>,
        capacity -> Integer,
        vacancies -> Integer,
        vacancy_as_of -> Timestamp,
        targets -> Text,
        medical_care -> Text,
        behavioral_support -> Bool,
        survey_group -> Text,
        ward -> Nullable<Text>,
        hub_functions -> Nullable<Text>,
        emergency_room -> Bool,
    }
}

diesel::table! {
    idempotency_keys (organization_id, key) {
        organization_id -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        headers -> Nullable<Text>,
        body -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        organization_id -> Nullable<Text>,
        alg -> Text,
        jwk -> Text,
        certificate -> Nullable<Text>,
        private_pem -> Nullable<Text>,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    handoffs (id) {
        id -> Text,
        registration_id -> Nullable<Text>,
        registration_version -> Nullable<Integer>,
        intake_id -> Nullable<Text>,
        sender_id -> Text,
        recipient_id -> Text,
        purpose -> Text,
        legal_basis -> Text,
        categories -> Text,
        status -> Text,
        version -> Integer,
        document -> Text,
        content_sha256 -> Text,
        origin -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        requested_categories -> Nullable<Text>,
        superseded_by -> Nullable<Text>,
        municipality_code -> Nullable<Text>,
        ward -> Nullable<Text>,
    }
}

diesel::table! {
    notices (id) {
        id -> Text,
        organization_id -> Text,
        kind -> Text,
        handoff_id -> Text,
        replaced_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    handoff_packets (handoff_id, form) {
        handoff_id -> Text,
        form -> Text,
        bytes -> Text,
        kid -> Text,
    }
}

diesel::table! {
    handoff_responses (handoff_id, seq) {
        handoff_id -> Text,
        seq -> Integer,
        status -> Text,
        responder_id -> Text,
        document -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    provision_records (id) {
        id -> Text,
        at -> Timestamp,
        kind -> Text,
        handoff_id -> Text,
        registration_id -> Text,
        sender_id -> Text,
        recipient_id -> Text,
        purpose -> Text,
        categories -> Text,
        legal_basis -> Text,
        consent_ref -> Text,
        form -> Text,
        sha256 -> Text,
        kid -> Text,
        chain_seq -> Nullable<BigInt>,
        chain_hash -> Nullable<Text>,
    }
}

diesel::table! {
    chain_head (id) {
        id -> Integer,
        seq -> BigInt,
        chain_hash -> Nullable<Text>,
        last_id -> Nullable<Text>,
        access_count -> BigInt,
        access_last_id -> Nullable<Text>,
        provision_count -> BigInt,
        provision_last_id -> Nullable<Text>,
    }
}

diesel::table! {
    checkpoints (id) {
        id -> Text,
        at -> Timestamp,
        seq -> BigInt,
        chain_hash -> Text,
        kid -> Text,
        jws -> Text,
    }
}

diesel::joinable!(registrations -> organizations (received_by));
diesel::joinable!(registration_search_keys -> registrations (registration_id));
diesel::joinable!(facility_services -> facilities (facility_id));
diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    api_keys,
    registrations,
    registration_versions,
    registration_search_keys,
    emergency_intakes,
    office_assignments,
    municipality_settings,
    registration_meetings,
    access_records,
    facilities,
    facility_services,
    facility_versions,
    idempotency_keys,
    signing_keys,
    handoffs,
    handoff_packets,
    handoff_responses,
    notices,
    provision_records,
    chain_head,
    checkpoints
);
