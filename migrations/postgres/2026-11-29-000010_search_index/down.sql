DROP INDEX users_search_position;
DROP INDEX users_search_email;
DROP INDEX users_search_name;
