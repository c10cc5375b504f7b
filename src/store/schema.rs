// Tables, as diesel sees them (kept in step with migrations/ by the migration tests).
diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        created_at -> Timestamp,
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
    }
}

diesel::table! {
    registration_versions (registration_id, version) {
        registration_id -> Text,
        version -> Integer,
        document -> Text,
        recorded_at -> Timestamp,
        recorded_by -> Text,
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
    }
}

diesel::joinable!(registrations -> organizations (received_by));
diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    api_keys,
    registrations,
    registration_versions,
    access_records
);
