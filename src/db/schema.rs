//! Diesel table definitions, written by hand to match `migrations/` (both
//! backends share one logical schema).

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created -> Timestamp,
        changed -> Timestamp,
        dormant_after_days -> Nullable<Integer>,
        dormant_action -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        name -> Text,
        title -> Text,
        active -> Bool,
        is_apiuser -> Bool,
        is_system -> Bool,
        password_hash -> Nullable<Text>,
        token_version -> Integer,
        mfa_enabled -> Bool,
        mfa_secret -> Nullable<Text>,
        mfa_last_step -> Nullable<BigInt>,
        last_login -> Nullable<Timestamp>,
        source -> Text,
        kind -> Nullable<Text>,
        position -> Nullable<Text>,
        additional_email_addresses -> Text,
        contract_start_date -> Nullable<Timestamp>,
        contract_end_date -> Nullable<Timestamp>,
        created -> Timestamp,
        changed -> Timestamp,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
        external_id -> Nullable<Text>,
        scim_profile -> Nullable<Text>,
        name_key -> Text,
        email_key -> Text,
        scim_user_name -> Nullable<Text>,
    }
}

diesel::table! {
    /// Kept by triggers (migration 42): see `db::users::counts`.
    user_counts (id) {
        id -> BigInt,
        organization_id -> Text,
        is_apiuser -> Bool,
        n -> Integer,
    }
}

diesel::table! {
    labels (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        color -> Text,
        created -> Timestamp,
        changed -> Timestamp,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
    }
}

diesel::table! {
    user_labels (user_id, label_id) {
        user_id -> Text,
        label_id -> Text,
        is_apiuser -> Bool,
        is_system -> Bool,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        organization_id -> Nullable<Text>,
        name -> Text,
        description -> Text,
        permissions -> Text,
        builtin -> Bool,
        created -> Timestamp,
        changed -> Timestamp,
        max_duration -> Nullable<BigInt>,
    }
}

diesel::table! {
    teams (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        description -> Text,
        created -> Timestamp,
        changed -> Timestamp,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    targets (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        url -> Text,
        created -> Timestamp,
        changed -> Timestamp,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
    }
}

diesel::table! {
    target_teams (target_id, team_id) {
        target_id -> Text,
        team_id -> Text,
    }
}

diesel::table! {
    user_roles (id) {
        id -> Text,
        user_id -> Text,
        role_id -> Text,
        tier -> Text,
        team_id -> Nullable<Text>,
        target_id -> Nullable<Text>,
        created -> Timestamp,
        starts -> Nullable<Timestamp>,
        expires -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        created -> Timestamp,
        expires -> Nullable<Timestamp>,
        last_used -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Nullable<Integer>,
        response -> Nullable<Text>,
        created -> Timestamp,
        owner -> Nullable<Text>,
        applied -> Bool,
    }
}

diesel::table! {
    replicas (id) {
        id -> Text,
        seen -> Timestamp,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        algorithm -> Text,
        private_key -> Text,
        public_jwk -> Text,
        created -> Timestamp,
        signs_from -> Timestamp,
        published_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created -> Timestamp,
        expires -> Timestamp,
        accepted -> Nullable<Timestamp>,
        superseded -> Nullable<Timestamp>,
        mail_status -> Text,
        mail_error -> Nullable<Text>,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
        revoked -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        token_version -> Integer,
        created -> Timestamp,
        expires -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        organization_id -> Text,
        occurred -> Timestamp,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        actor_email -> Nullable<Text>,
        actor_name -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        changes -> Text,
        request_id -> Nullable<Text>,
        client_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        interface -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        organization_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        created -> Timestamp,
        changed -> Timestamp,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created -> Timestamp,
        delivered -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sso_connections (id) {
        id -> Text,
        organization_id -> Text,
        protocol -> Text,
        name -> Text,
        enforcement -> Text,
        jit -> Bool,
        default_role -> Text,
        group_mapping -> Text,
        active -> Bool,
        redirect_uri -> Text,
        settings -> Text,
        secret -> Nullable<Text>,
        created -> Timestamp,
        changed -> Timestamp,
        changed_by_id -> Text,
        changed_by_email -> Text,
        changed_by_name -> Text,
    }
}

diesel::table! {
    sso_domains (domain) {
        domain -> Text,
        connection_id -> Text,
    }
}

diesel::table! {
    sso_logins (state_hash) {
        state_hash -> Text,
        connection_id -> Text,
        browser_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Nullable<Text>,
        expires -> Timestamp,
    }
}

diesel::table! {
    sso_assertions (id_hash) {
        id_hash -> Text,
        connection_id -> Text,
        expires -> Timestamp,
    }
}

diesel::table! {
    sso_codes (code_hash) {
        code_hash -> Text,
        user_id -> Text,
        expires -> Timestamp,
        browser_hash -> Nullable<Text>,
    }
}

diesel::joinable!(sso_domains -> sso_connections (connection_id));
diesel::joinable!(sso_assertions -> sso_connections (connection_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(invitations -> users (user_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(user_labels -> users (user_id));
diesel::joinable!(user_labels -> labels (label_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(user_roles -> teams (team_id));
diesel::joinable!(user_roles -> targets (target_id));
diesel::joinable!(target_teams -> targets (target_id));
diesel::joinable!(target_teams -> teams (team_id));

diesel::table! {
    access_requests (id) {
        id -> Text,
        organization_id -> Text,
        requester_id -> Text,
        role_id -> Text,
        tier -> Text,
        team_id -> Nullable<Text>,
        target_id -> Nullable<Text>,
        duration -> BigInt,
        reason -> Text,
        status -> Text,
        created -> Timestamp,
        expires -> Timestamp,
        decided -> Nullable<Timestamp>,
        decided_by_id -> Nullable<Text>,
        decided_by_email -> Nullable<Text>,
        decided_by_name -> Nullable<Text>,
        comment -> Nullable<Text>,
        grant_starts -> Nullable<Timestamp>,
        grant_expires -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    audit_events,
    invitations,
    password_resets,
    revoked_tokens,
    settings,
    idempotency_keys,
    replicas,
    signing_keys,
    organizations,
    users,
    labels,
    user_labels,
    roles,
    teams,
    targets,
    target_teams,
    user_roles,
    webhooks,
    webhook_deliveries,
    sso_connections,
    sso_domains,
    sso_logins,
    sso_codes,
    sso_assertions,
    access_requests,
);

diesel::table! {
    access_reviews (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        scope -> Text,
        team_id -> Nullable<Text>,
        team_name -> Nullable<Text>,
        role_id -> Nullable<Text>,
        role_name -> Nullable<Text>,
        due -> Timestamp,
        status -> Text,
        created -> Timestamp,
        created_by_id -> Text,
        created_by_email -> Text,
        created_by_name -> Text,
        closed -> Nullable<Timestamp>,
        closed_by_id -> Nullable<Text>,
        closed_by_email -> Nullable<Text>,
        closed_by_name -> Nullable<Text>,
    }
}

diesel::table! {
    access_review_reviewers (review_id, user_id) {
        review_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    access_review_items (id) {
        id -> Text,
        review_id -> Text,
        assignment_id -> Text,
        user_id -> Text,
        user_email -> Text,
        user_name -> Text,
        is_apiuser -> Bool,
        role_id -> Text,
        role_name -> Text,
        tier -> Text,
        team_id -> Nullable<Text>,
        team_name -> Nullable<Text>,
        target_id -> Nullable<Text>,
        target_name -> Nullable<Text>,
        permissions -> Text,
        decision -> Text,
        comment -> Text,
        decided -> Nullable<Timestamp>,
        decided_by_id -> Nullable<Text>,
        decided_by_email -> Nullable<Text>,
        decided_by_name -> Nullable<Text>,
        outcome -> Nullable<Text>,
    }
}

diesel::joinable!(access_review_reviewers -> access_reviews (review_id));
diesel::joinable!(access_review_reviewers -> users (user_id));
diesel::joinable!(access_review_items -> access_reviews (review_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_reviews,
    access_review_reviewers,
    access_review_items,
    users,
);
