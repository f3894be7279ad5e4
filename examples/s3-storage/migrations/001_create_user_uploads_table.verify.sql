-- verify_data_integrity.sql, part 1: user_uploads, its columns, constraints and indexes.
do $$
declare
    missing text;
begin
    if to_regclass('public.user_uploads') is null then
        raise exception 'table user_uploads does not exist';
    end if;

    select string_agg(format('%s %s', e.col, e.typ), ', ') into missing
    from (values ('id', 'uuid'), ('user_id', 'uuid'), ('partner_id', 'uuid'),
                 ('filename', 'text'), ('original_filename', 'text'), ('s3_url', 'text'),
                 ('s3_bucket', 'text'), ('s3_key', 'text'), ('content_type', 'text'),
                 ('file_size', 'bigint'), ('upload_type', 'text'), ('is_public', 'boolean'),
                 ('uploaded_at', 'timestamp with time zone'), ('expires_at', 'timestamp with time zone'),
                 ('metadata', 'jsonb'), ('created_at', 'timestamp with time zone'),
                 ('updated_at', 'timestamp with time zone')) as e (col, typ)
    where not exists (select from information_schema.columns c
                      where c.table_schema = 'public' and c.table_name = 'user_uploads'
                        and c.column_name = e.col and c.data_type = e.typ);
    if missing is not null then
        raise exception 'user_uploads lacks (or has another type for): %', missing;
    end if;
    raise notice '✅ user_uploads has its 17 columns';
end
$$;

do $$
declare
    missing text;
begin
    select string_agg(i, ', ') into missing
    from unnest(array['idx_user_uploads_user_id', 'idx_user_uploads_partner_id', 'idx_user_uploads_type',
                      'idx_user_uploads_expires', 'idx_user_uploads_bucket',
                      'idx_user_uploads_uploaded_at']) as i
    where to_regclass('public.' || i) is null;
    if missing is not null then
        raise exception 'missing indexes on user_uploads: %', missing;
    end if;
    raise notice '✅ the 6 user_uploads indexes exist';
end
$$;

do $$
begin
    if not exists (select from pg_constraint
                   where conrelid = 'public.user_uploads'::regclass and contype = 'f'
                     and confrelid = 'auth.users'::regclass) then
        raise exception 'user_uploads.user_id has no foreign key to auth.users';
    end if;
    if not exists (select from pg_constraint
                   where conrelid = 'public.user_uploads'::regclass and contype = 'f'
                     and confrelid = 'public.business_partners'::regclass) then
        raise exception 'user_uploads.partner_id has no foreign key to business_partners';
    end if;
    if not exists (select from pg_constraint
                   where conrelid = 'public.user_uploads'::regclass
                     and conname = 'user_uploads_upload_type_check') then
        raise exception 'check constraint user_uploads_upload_type_check is missing';
    end if;
    raise notice '✅ user_uploads constraints (foreign keys, upload type) exist';
end
$$;

-- The upload type is enforced: this runs in the verify transaction, which is rolled back.
do $$
declare
    uid uuid;
begin
    insert into auth.users (email) values ('verify@example.test') returning id into uid;
    begin
        insert into user_uploads (user_id, filename, original_filename, s3_url, s3_bucket, s3_key,
                                  content_type, file_size, upload_type)
        values (uid, 'x.bin', 'x.bin', 'https://b.s3.amazonaws.com/x.bin', 'b', 'x.bin',
                'application/octet-stream', 1, 'video');
        raise exception 'user_uploads accepted the upload type ''video''';
    exception when check_violation then
        null;
    end;
    raise notice '✅ user_uploads rejects unknown upload types';
end
$$;
