DROP INDEX users_id_list;
