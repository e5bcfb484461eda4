UPDATE roles SET permissions =
    replace(replace(replace(permissions, ' sso.manage', ''), 'sso.manage ', ''), 'sso.manage', '');
DROP TABLE sso_codes;
DROP TABLE sso_logins;
DROP TABLE sso_domains;
DROP TABLE sso_connections;
