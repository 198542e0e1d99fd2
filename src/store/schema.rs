//! Diesel table definitions shared by the SQLite and PostgreSQL migrations (one code path for
//! queries). Column comments live in `migrations/sqlite/*/up.sql`.

diesel::table! {
    store_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    junctions (code) {
        code -> Text,
        name -> Text,
        ward -> Text,
        lat_deg -> Double,
        lon_deg -> Double,
        signalised -> Bool,
        position_surveyed -> Bool,
        updated_at_ms -> BigInt,
    }
}

diesel::table! {
    cameras (code) {
        code -> Text,
        name -> Text,
        kind -> Text,
        lat_deg -> Double,
        lon_deg -> Double,
        position_surveyed -> Bool,
        heading_deg -> Nullable<Double>,
        fov_deg -> Nullable<Double>,
        junction_code -> Nullable<Text>,
        main_url -> Text,
        sub_url -> Nullable<Text>,
        enabled -> Bool,
        credentials_ref -> Nullable<Text>,
        notes -> Text,
        updated_at_ms -> BigInt,
        onvif_url -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at_ms -> BigInt,
        actor -> Text,
        action -> Text,
        subject -> Text,
        detail -> Text,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::joinable!(cameras -> junctions (junction_code));
diesel::allow_tables_to_appear_in_same_query!(cameras, junctions);

diesel::table! {
    events (id) {
        id -> BigInt,
        raised_at_ms -> BigInt,
        camera_code -> Text,
        kind -> Text,
        track -> BigInt,
        class -> Text,
        place -> Nullable<Text>,
        stream_at_ms -> BigInt,
        time_into_red_ms -> Nullable<BigInt>,
        clause -> Nullable<Text>,
        detail -> Text,
        state -> Text,
        plate_text -> Nullable<Text>,
        plate_colour -> Nullable<Text>,
        decision -> Nullable<Text>,
        reject_reason -> Nullable<Text>,
        reviewer -> Nullable<Text>,
        reviewed_at_ms -> Nullable<BigInt>,
        evidence_path -> Nullable<Text>,
        notice_at_ms -> Nullable<BigInt>,
        lease_epoch -> Nullable<BigInt>,
        plate_sighting_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    junction_geometries (id) {
        id -> BigInt,
        camera_code -> Text,
        version -> Integer,
        body -> Text,
        saved_at_ms -> BigInt,
        saved_by -> Text,
    }
}

diesel::table! {
    recordings (id) {
        id -> BigInt,
        camera_code -> Text,
        path -> Text,
        started_ms -> BigInt,
        ended_ms -> Nullable<BigInt>,
        size_bytes -> Nullable<BigInt>,
        units -> Nullable<BigInt>,
        state -> Text,
        lease_epoch -> Nullable<BigInt>,
    }
}

diesel::table! {
    users (username) {
        username -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled -> Bool,
        created_at_ms -> BigInt,
        failed_sign_ins -> Integer,
        locked_until_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_checkpoints (id) {
        id -> BigInt,
        at_ms -> BigInt,
        entry_id -> BigInt,
        entry_hash -> Text,
        signer -> Text,
        public_key -> Text,
        signature -> Text,
    }
}

diesel::table! {
    sign_in_tokens (token_hash) {
        token_hash -> Text,
        username -> Text,
        created_at_ms -> BigInt,
        expires_at_ms -> BigInt,
    }
}

diesel::table! {
    overlays (id) {
        id -> BigInt,
        camera_code -> Text,
        at_ms -> BigInt,
        body -> Text,
        lease_epoch -> Nullable<BigInt>,
    }
}

diesel::table! {
    traffic_counts (id) {
        id -> BigInt,
        camera_code -> Text,
        minute_ms -> BigInt,
        line_id -> Text,
        class -> Text,
        direction -> Text,
        vehicles -> BigInt,
    }
}

diesel::table! {
    incident_library (id) {
        id -> BigInt,
        name -> Text,
        notes -> Text,
        cameras -> Text,
        from_ms -> BigInt,
        to_ms -> BigInt,
        event_id -> Nullable<BigInt>,
        saved_by -> Text,
        saved_at_ms -> BigInt,
    }
}

diesel::table! {
    engines (name) {
        name -> Text,
        host -> Text,
        pid -> BigInt,
        capacity -> BigInt,
        lease_ms -> BigInt,
        started_at_ms -> BigInt,
        last_heartbeat_ms -> BigInt,
        stopped_at_ms -> Nullable<BigInt>,
        status -> Text,
    }
}

diesel::table! {
    camera_leases (camera_code) {
        camera_code -> Text,
        engine_name -> Nullable<Text>,
        epoch -> BigInt,
        expires_at_ms -> BigInt,
        acquired_at_ms -> BigInt,
        health -> Text,
    }
}

diesel::table! {
    plate_sightings (id) {
        id -> BigInt,
        camera_code -> Text,
        track -> BigInt,
        seen_at_ms -> BigInt,
        plate_text -> Text,
        formatted -> Text,
        colour -> Text,
        confidence -> Double,
        reading -> Text,
        sightings -> Integer,
        close_up -> Binary,
        engine -> Text,
        lease_epoch -> Nullable<BigInt>,
    }
}

diesel::table! {
    ptz_leases (camera_code) {
        camera_code -> Text,
        holder -> Text,
        role -> Text,
        acquired_at_ms -> BigInt,
        last_movement_ms -> BigInt,
    }
}

diesel::table! {
    watchlist (id) {
        id -> BigInt,
        plate_text -> Text,
        formatted -> Text,
        reason -> Text,
        until_ms -> Nullable<BigInt>,
        added_by -> Text,
        added_at_ms -> BigInt,
        removed_by -> Nullable<Text>,
        removed_at_ms -> Nullable<BigInt>,
    }
}
