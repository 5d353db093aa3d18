--
-- test/corpus/harness.sql: declare each corpus shape, write to its sources,
-- and record whether the read model still equals its definition.
--
-- One shape at a time (run.sh drives it):
--
--   SELECT corpus_try(name, shape, peer, definition, options);
--       records the shape in corpus_result and declares it with
--       readmodel.create() inside an exception block: accepted, or the
--       refusal's SQLSTATE, message and detail.  The statement commits, so
--       the model is in place for what follows.
--   \ir cycle.sql
--       a fixed script of write transactions against the sources (each a
--       separate transaction, so maintenance runs at each COMMIT); after
--       each one corpus_after_step() records a failed write and compares the
--       table with a fresh run of the definition (corpus_compare); at the
--       end corpus_check() folds the steps into corpus_result, drops every
--       model, and cycle.sql reloads the seed.
--
-- options may carry "corpus_needs": ["tv_user", ...], the support models
-- (declared with corpus_support) the definition reads; they are declared
-- first and the key is removed before the options reach readmodel.create.
--

CREATE TABLE corpus_result (
    seq            serial,
    name           text PRIMARY KEY,
    shape          text NOT NULL,
    peer           text NOT NULL,
    definition     text NOT NULL,
    options        jsonb NOT NULL,
    accepted       boolean,
    sqlstate       text,
    message        text,
    detail         text,
    write_errors   text,         -- write transactions that failed, "step: SQLSTATE message"
    verify_rows    integer,      -- rows readmodel.verify() returned after the last step
    image_diff     integer,      -- rows whose binary image differs from a fresh run (or missing/extra), after the last step
    table_rows     integer,
    fresh_rows     integer,
    check_error    text,         -- verify() or the fresh run failed
    stale_steps    text,         -- the write steps after which the table differed
    sample         text,         -- first differing row: table image | fresh image
    exact          boolean       -- no difference after any step
);

-- The comparison after each write step.
CREATE TABLE corpus_step (
    name         text NOT NULL,
    step         text NOT NULL,
    verify_rows  integer,
    image_diff   integer,
    table_rows   integer,
    fresh_rows   integer,
    sample       text,
    error        text,
    seq          serial
);

CREATE TABLE corpus_support (
    name        text PRIMARY KEY,
    definition  text NOT NULL,
    options     jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE corpus_state (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    current     text
);
INSERT INTO corpus_state VALUES (true, NULL);

-- A model another shape reads (the FraiseQL tv_ layer under a tv_).
CREATE FUNCTION corpus_support(name text, definition text, options jsonb DEFAULT '{}')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO corpus_support VALUES (name, definition, options)
    ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, options = EXCLUDED.options;
$$;

CREATE FUNCTION corpus_try(name text, shape text, peer text, definition text,
                           options jsonb DEFAULT '{}')
RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    need    text;
    sup     corpus_support;
    v_state text;
    v_msg   text;
    v_det   text;
BEGIN
    INSERT INTO corpus_result (name, shape, peer, definition, options)
    VALUES (corpus_try.name, corpus_try.shape, corpus_try.peer,
            corpus_try.definition, corpus_try.options);
    UPDATE corpus_state SET current = corpus_try.name;

    FOR need IN SELECT jsonb_array_elements_text(COALESCE(corpus_try.options -> 'corpus_needs', '[]'))
    LOOP
        SELECT * INTO sup FROM corpus_support s WHERE s.name = need;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'corpus: unknown support model %', need;
        END IF;
        BEGIN
            PERFORM readmodel.create(sup.name, sup.definition, sup.options);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                                    v_det = PG_EXCEPTION_DETAIL;
            UPDATE corpus_result r
               SET accepted = false, sqlstate = v_state,
                   message = format('support model %s: %s', need, v_msg), detail = v_det
             WHERE r.name = corpus_try.name;
            RETURN 'refused (support) ' || v_state;
        END;
    END LOOP;

    BEGIN
        PERFORM readmodel.create(corpus_try.name, corpus_try.definition,
                                 corpus_try.options - 'corpus_needs');
        UPDATE corpus_result r SET accepted = true WHERE r.name = corpus_try.name;
        RETURN 'accepted';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                                v_det = PG_EXCEPTION_DETAIL;
        UPDATE corpus_result r
           SET accepted = false, sqlstate = v_state, message = v_msg, detail = v_det
         WHERE r.name = corpus_try.name;
        RETURN 'refused ' || v_state;
    END;
END
$fn$;

-- Called by cycle.sql after each write transaction with psql's
-- LAST_ERROR_SQLSTATE / LAST_ERROR_MESSAGE (reset to 00000 before it):
-- records a failed write, then compares the model with its definition
-- (corpus_compare) and keeps the step's result in corpus_step.
CREATE FUNCTION corpus_after_step(step text, state text, message text)
RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    cur text := (SELECT current FROM corpus_state);
    c   record;
BEGIN
    IF state <> '00000' THEN
        UPDATE corpus_result r
           SET write_errors = concat_ws(E'\n', r.write_errors,
                                        format('%s: %s %s', corpus_after_step.step, corpus_after_step.state,
                                               split_part(corpus_after_step.message, E'\n', 1)))
         WHERE r.name = cur;
    END IF;
    SELECT * INTO c FROM corpus_compare(cur);
    INSERT INTO corpus_step VALUES (cur, step, c.verify_rows, c.image_diff, c.table_rows,
                                    c.fresh_rows, c.sample, c.error);
    RETURN CASE WHEN c.error IS NOT NULL THEN 'error'
                WHEN c.verify_rows = 0 AND c.image_diff = 0 THEN 'ok'
                ELSE 'differs' END;
END
$fn$;

-- Drop every read model (and so the support models too).
CREATE FUNCTION corpus_drop_models() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    m text;
BEGIN
    LOOP
        SELECT name::text INTO m FROM readmodel.models ORDER BY name::text LIMIT 1;
        EXIT WHEN m IS NULL;
        PERFORM readmodel.drop(m, true);
        m := NULL;
    END LOOP;
END
$fn$;

--
-- Compare a model's table with a fresh run of its definition.
--
-- readmodel.verify() compares to_jsonb() of the rows with IS DISTINCT FROM,
-- that is with jsonb equality, under which 1.0 = 1.00.  The second check
-- compares binary images: each table row and the fresh row with the same
-- key are compared with the record image operator *= (record_image_eq:
-- same number of columns, same types, byte-identical values after
-- detoasting), and a key present on one side only counts as a difference.
-- So a row that holds a value equal to the fresh one but not the same value
-- (10 against 10.00, '24:00:00' against '1 day', 'alice' against 'Alice'
-- under a case-insensitive collation, 0 against -0) is reported by this
-- check and not by verify().
--
-- The fresh run uses the settings maintenance and verify() pin; it runs the
-- definition text as declared, not the extension's stored view.
--
CREATE FUNCTION corpus_compare(model text,
                               OUT verify_rows integer, OUT image_diff integer,
                               OUT table_rows integer, OUT fresh_rows integer,
                               OUT sample text, OUT error text)
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
AS $fn$
DECLARE
    def     text := (SELECT r.definition FROM corpus_result r WHERE r.name = model);
    keycol  text := (SELECT m.key FROM readmodel.models m WHERE m.name = to_regclass(model));
    -- a composite key is spelled as a JSON array of its columns
    keycols text[] := CASE WHEN left(keycol, 1) = '['
                           THEN ARRAY(SELECT jsonb_array_elements_text(keycol::jsonb))
                           ELSE ARRAY[keycol] END;
    kx      text := (SELECT 'ROW(' || string_agg(format('x.%I', c), ', ') || ')' FROM unnest(keycols) c);
    ky      text := (SELECT 'ROW(' || string_agg(format('y.%I', c), ', ') || ')' FROM unnest(keycols) c);
    msg     text;
BEGIN
    BEGIN
        SELECT count(*) INTO verify_rows FROM readmodel.verify(model);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        error := 'verify: ' || msg;
    END;
    BEGIN
        EXECUTE format($q$
            WITH t AS (SELECT %1$s AS k, x AS img FROM %2$I x),
                 f AS (SELECT %4$s AS k, y AS img FROM (%3$s) y),
                 j AS (SELECT t.k AS tk, f.k AS fk, t.img AS ti, f.img AS fi
                       FROM t FULL JOIN f ON t.k = f.k)
            SELECT (SELECT count(*) FROM j
                     WHERE tk IS NULL OR fk IS NULL OR NOT (ti *= fi))::integer,
                   (SELECT count(*) FROM t)::integer,
                   (SELECT count(*) FROM f)::integer,
                   (SELECT format('key %%s: table %%s | fresh %%s', COALESCE(tk, fk)::text,
                                  COALESCE(ti::text, '(none)'), COALESCE(fi::text, '(none)'))
                      FROM j WHERE tk IS NULL OR fk IS NULL OR NOT (ti *= fi)
                      ORDER BY COALESCE(tk, fk) LIMIT 1)
            $q$, kx, model, def, ky)
          INTO image_diff, table_rows, fresh_rows, sample;
        sample := left(sample, 600);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        error := concat_ws('; ', error, 'fresh run: ' || msg);
    END;
END
$fn$;

-- After the last step: fold the steps into corpus_result, drop every model.
-- A shape is exact when the table equalled the definition after every step.
CREATE FUNCTION corpus_check() RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    r      corpus_result;
    last   corpus_step;
    bad    text;
    first  corpus_step;
    errs   text;
BEGIN
    SELECT c.* INTO r FROM corpus_result c WHERE c.name = (SELECT current FROM corpus_state);
    IF NOT FOUND THEN
        RETURN 'nothing to check';
    END IF;
    IF r.accepted THEN
        SELECT s.* INTO last FROM corpus_step s WHERE s.name = r.name ORDER BY s.seq DESC LIMIT 1;
        SELECT s.* INTO first FROM corpus_step s
         WHERE s.name = r.name AND (s.verify_rows <> 0 OR s.image_diff <> 0)
         ORDER BY s.seq LIMIT 1;
        SELECT string_agg(split_part(s.step, ' ', 1), ',' ORDER BY s.seq) INTO bad
          FROM corpus_step s WHERE s.name = r.name AND (s.verify_rows <> 0 OR s.image_diff <> 0);
        SELECT string_agg(DISTINCT s.error, '; ') INTO errs
          FROM corpus_step s WHERE s.name = r.name AND s.error IS NOT NULL;
        UPDATE corpus_result c
           SET verify_rows = last.verify_rows, image_diff = last.image_diff,
               table_rows = last.table_rows, fresh_rows = last.fresh_rows,
               stale_steps = bad, check_error = errs,
               sample = CASE WHEN first.name IS NOT NULL THEN 'after step ' || first.step || ': ' || first.sample END,
               exact = (bad IS NULL AND errs IS NULL)
         WHERE c.name = r.name;
    END IF;
    PERFORM corpus_drop_models();
    UPDATE corpus_state SET current = NULL;
    SELECT c.* INTO r FROM corpus_result c WHERE c.name = r.name;
    RETURN CASE WHEN NOT r.accepted THEN 'refused'
                WHEN r.check_error IS NOT NULL THEN 'check failed'
                WHEN r.exact THEN 'exact'
                ELSE format('NOT EXACT after steps %s', r.stale_steps) END;
END
$fn$;

-- The summary: one line per shape.
CREATE VIEW corpus_summary AS
SELECT r.seq AS "#",
       r.name,
       r.shape,
       r.peer,
       CASE WHEN r.accepted THEN 'yes' ELSE 'no' END AS "accepted?",
       CASE WHEN NOT r.accepted THEN ''
            WHEN r.check_error IS NOT NULL THEN 'error'
            WHEN r.exact THEN 'yes'
            ELSE format('NO after %s (end: verify %s, image %s)', r.stale_steps,
                        r.verify_rows, r.image_diff) END AS "exact?",
       CASE WHEN r.write_errors IS NULL THEN '' ELSE 'writes failed' END AS writes,
       CASE WHEN r.accepted THEN COALESCE(r.check_error, '')
            ELSE r.sqlstate || ' ' || split_part(r.message, E'\n', 1) END AS "refusal / error"
FROM corpus_result r
ORDER BY r.seq;
