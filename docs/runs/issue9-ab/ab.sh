#!/bin/bash
# A/B: old (d49be73) vs new (main) builds, CPU-bound then durable settings
cd /work/main
for mode in cpu durable; do
  for v in old new; do
    port=5521; [ $v = new ] && port=5522
    d=/tmp/pgab/$v-data
    B=/tmp/pgab/$v/lib/postgresql/15/bin
    su postgres -c "$B/pg_ctl -D $d -l /tmp/pgab/$v-srv.log -w start" >/dev/null
    if [ $mode = durable ]; then
      $B/psql -U postgres -X -q -h /tmp/pgab/$v-sock -p $port -d postgres -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" -c "ALTER SYSTEM SET full_page_writes = on"
    else
      $B/psql -U postgres -X -q -h /tmp/pgab/$v-sock -p $port -d postgres -c "ALTER SYSTEM RESET ALL"
    fi
    su postgres -c "$B/pg_ctl -D $d -l /tmp/pgab/$v-srv.log -w restart" >/dev/null
    PGHOST=/tmp/pgab/$v-sock PGPORT=$port PGUSER=postgres bash test/bench/run.sh --env-server --scales 10000 --no-blog > /tmp/pgab/bench-$v-$mode.log 2>&1
    echo "$v $mode rc=$?"
    su postgres -c "$B/pg_ctl -D $d -w stop" >/dev/null
  done
done
echo done
