-- Every role forgets the two permissions (wherever they are in its list).
UPDATE roles SET permissions =
    replace(replace(replace(replace(replace(replace(permissions,
        ' tokens.introspect', ''), 'tokens.introspect ', ''), 'tokens.introspect', ''),
        ' authz.check', ''), 'authz.check ', ''), 'authz.check', '');
DROP TABLE signing_keys;
